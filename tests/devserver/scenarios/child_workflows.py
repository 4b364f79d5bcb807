"""Workflows for the child-workflow scenarios and for signals and cancellations sent to
another workflow (an external handle).

Free of side effects at import time (the official SDK's sandbox may re-import it).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow


@workflow.defn
class EchoChildWorkflow:
    """Answers once the test says `go` (so its parent is idle by then: no racy event order)."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, text: str) -> str:
        await workflow.wait_condition(lambda: self.go)
        return f"echo {text}"

    @workflow.signal(name="go")
    def proceed(self) -> None:
        self.go = True


@workflow.defn
class FailingChildWorkflow:
    """Fails (non-retryable ApplicationError) once the test says `go`."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ApplicationError

        await workflow.wait_condition(lambda: self.go)
        raise ApplicationError("child broke", type="ChildBroke", non_retryable=True)

    @workflow.signal(name="go")
    def proceed(self) -> None:
        self.go = True


@workflow.defn
class PatientChildWorkflow:
    """Waits for `finish`; a cancellation request is handled: it completes saying so."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: self.finished)
        except asyncio.CancelledError:
            return "child saw the cancel request"
        return "child finished"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class SlowToCancelChildWorkflow:
    """On a cancellation request, waits for `finish` (so the test controls when), then ends
    cancelled."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            await workflow.wait_condition(lambda: self.finished)
            raise
        return "unreachable"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class CountdownChildWorkflow:
    """Continues as new (once the test says `go`) until `n` reaches 0 (as a child)."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            await workflow.wait_condition(lambda: self.go)
            workflow.continue_as_new(n - 1)
        return f"child done, continued: {workflow.info().continued_run_id is not None}"

    @workflow.signal(name="go")
    def proceed(self) -> None:
        self.go = True


@workflow.defn
class ChildrenParentWorkflow:
    """A parent for the child-workflow scenarios; its child id is `<parent id>-child`."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, mode: str, other_id: str = "") -> str:
        from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError

        child_id = workflow.info().workflow_id + "-child"
        if mode == "complete":
            return "child said " + await workflow.execute_child_workflow(EchoChildWorkflow.run, "hi", id=child_id)
        if mode == "fail":
            try:
                return await workflow.execute_child_workflow(FailingChildWorkflow.run, id=child_id)
            except ChildWorkflowError as err:
                return f"{type(err.cause).__name__}: {err.cause}"
        if mode in ("TERMINATE", "ABANDON", "REQUEST_CANCEL"):
            # Started (ChildWorkflowExecutionStarted) and then left behind when the test says so.
            await workflow.start_child_workflow(
                PatientChildWorkflow.run, id=child_id, parent_close_policy=workflow.ParentClosePolicy[mode]
            )
            await workflow.wait_condition(lambda: self.go)
            return f"parent done ({mode})"
        if mode == "cancel":
            handle = await workflow.start_child_workflow(SlowToCancelChildWorkflow.run, id=child_id)
            await workflow.wait_condition(lambda: self.go)
            handle.cancel()
            try:
                return await handle
            except ChildWorkflowError as err:
                return f"{type(err.cause).__name__}: {err.cause}"
        if mode == "already_running":
            try:
                await workflow.start_child_workflow(PatientChildWorkflow.run, id=other_id)
            except WorkflowAlreadyStartedError as err:
                return f"{type(err).__name__}: {err.workflow_type}"
            return "started?"
        if mode == "continue_as_new":
            return "child said " + await workflow.execute_child_workflow(CountdownChildWorkflow.run, 1, id=child_id)
        raise ValueError(mode)

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn
class PokeTargetWorkflow:
    """Waits for a `poke` signal; cancelled like any waiting workflow."""

    def __init__(self) -> None:
        self.poked_by = ""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: bool(self.poked_by))
        return f"poked by {self.poked_by}"

    @workflow.signal
    def poke(self, who: str) -> None:
        self.poked_by = who


@workflow.defn
class ExternalSignallerWorkflow:
    """Signals (`poke`) or cancels another workflow by id, through an external handle."""

    @workflow.run
    async def run(self, action: str, target_id: str) -> str:
        handle = workflow.get_external_workflow_handle(target_id)
        try:
            if action == "signal":
                await handle.signal(PokeTargetWorkflow.poke, "the signaller")
            else:
                await handle.cancel()
        except Exception as err:
            return f"{action} failed: {type(err).__name__}: {err}"
        return f"{action} delivered"
