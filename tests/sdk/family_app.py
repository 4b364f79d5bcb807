"""Workflows with children, signals to other workflows and cancellation, written with our SDK.

``official_family_app.py`` is the same code written with the official SDK, under the
same type names, so the histories of the two can be compared and replayed across SDKs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sdk import activity, workflow
from sdk.client import WorkflowIdReusePolicy
from sdk.exceptions import ApplicationError, FailureError, TempoError

FIVE_SECONDS = timedelta(seconds=5)


@activity.defn
async def note(text: str) -> str:
    return text


@activity.defn
async def wait_for_cancel() -> str:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.1)


@workflow.defn(name="FamilyChild")
class FamilyChild:
    def __init__(self) -> None:
        self.finished_by: str | None = None

    @workflow.run
    async def run(self, mode: str) -> str:
        if mode == "fail":
            raise ApplicationError("child broke", type="Broken")
        if mode == "sleep":
            await workflow.sleep(60)
            return "slept"
        if mode == "wait":
            try:
                await workflow.wait_condition(lambda: self.finished_by is not None)
            except asyncio.CancelledError:
                await workflow.execute_activity(note, "child cleaned up", start_to_close_timeout=FIVE_SECONDS)
                raise
            return f"finished by {self.finished_by}"
        return f"child {mode}"

    @workflow.signal
    def finish(self, who: str) -> None:
        self.finished_by = who

    @workflow.query
    def finished(self) -> bool:
        return self.finished_by is not None


def describe(err: BaseException) -> str:
    """``Outer<-Cause: cause message`` for an error caught by workflow code."""
    cause = err.__cause__
    if cause is None:
        return f"{type(err).__name__}: {err.message if isinstance(err, TempoError) else err}"
    message = cause.message if isinstance(cause, FailureError) else str(cause)
    return f"{type(err).__name__}<-{type(cause).__name__}: {message}"


@workflow.defn(name="FamilyParent")
class FamilyParent:
    """Runs one scenario and returns what it saw, one line per step."""

    @workflow.run
    async def run(self, scenario: str, target: str) -> list[str]:
        child_id = f"{workflow.info().workflow_id}-child"
        seen: list[str] = []
        if scenario == "result":
            handle = await workflow.start_child_workflow(FamilyChild.run, "ok", id=child_id)
            seen.append(f"started {handle.id} run {bool(handle.first_execution_run_id)}")
            seen.append(await handle)
        elif scenario == "options":
            handle = await workflow.start_child_workflow(
                FamilyChild.run,
                "with options",
                id=child_id,
                task_queue=workflow.info().task_queue,
                execution_timeout=timedelta(minutes=2),
                run_timeout=timedelta(minutes=1),
                task_timeout=timedelta(seconds=5),
                retry_policy=workflow.RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2),
                id_reuse_policy=WorkflowIdReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
                memo={"who": "parent"},
                search_attributes={"FamilyTag": ["child"]},
            )
            seen.append(await handle)
        elif scenario == "failure":
            try:
                await workflow.execute_child_workflow(FamilyChild.run, "fail", id=child_id)
            except FailureError as err:
                seen.append(describe(err))
        elif scenario == "already_started":
            handle = await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
            try:
                await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
            except TempoError as err:
                seen.append(describe(err))
            await handle.signal(FamilyChild.finish, "parent")
            seen.append(await handle)
        elif scenario.startswith("cancel_"):
            kind = workflow.ChildWorkflowCancellationType[scenario.removeprefix("cancel_").upper()]
            handle = await workflow.start_child_workflow(
                FamilyChild.run,
                "wait",
                id=child_id,
                cancellation_type=kind,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            handle.cancel()
            try:
                seen.append(await handle)
            except FailureError as err:
                seen.append(describe(err))
        elif scenario == "uncaught":
            # Neither error is caught: the first fails the parent.
            await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
            await workflow.start_child_workflow(FamilyChild.run, "wait", id=child_id)
        elif scenario == "timeout":
            try:
                await workflow.execute_child_workflow(
                    FamilyChild.run, "sleep", id=child_id, run_timeout=timedelta(seconds=1)
                )
            except FailureError as err:
                seen.append(describe(err))
        elif scenario == "terminated":
            try:
                await workflow.execute_child_workflow(FamilyChild.run, "wait", id=child_id)
            except FailureError as err:
                seen.append(describe(err))
        elif scenario == "external":
            other = workflow.get_external_workflow_handle(target)
            await other.signal("finish", "a stranger")
            seen.append("signalled")
            missing = workflow.get_external_workflow_handle(f"{target}-missing")
            try:
                await missing.signal("finish", "nobody")
            except FailureError as err:
                seen.append(describe(err))
            try:
                await missing.cancel()
            except FailureError as err:
                seen.append(describe(err))
        elif scenario == "external_cancel":
            await workflow.get_external_workflow_handle(target).cancel()
            seen.append("cancel requested")
        elif scenario.startswith("activity_"):
            activity_kind = workflow.ActivityCancellationType[scenario.removeprefix("activity_").upper()]
            started = workflow.start_activity(
                wait_for_cancel,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=2),
                cancellation_type=activity_kind,
            )
            await workflow.sleep(0.5)
            started.cancel()
            try:
                seen.append(await started)
            except FailureError as err:
                seen.append(describe(err))
        return seen


@workflow.defn(name="CleansUp")
class CleansUp:
    """Waits on a child; when cancelled, the child cleans up, then the parent does."""

    @workflow.run
    async def run(self) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        try:
            return str(await workflow.execute_child_workflow(FamilyChild.run, "wait", id=child_id))
        except FailureError as err:
            text = f"parent cleaned up after {describe(err)}"
            await workflow.execute_activity(note, text, start_to_close_timeout=FIVE_SECONDS)
            raise
