"""Workflows, activities and scenario drivers shared by the dev-server tests.

The official SDK's workflow sandbox re-imports the module that defines a
workflow, so this module must stay free of side effects at import time.

Every scenario driver takes a connected `Client` and a fresh task queue,
runs one scenario to its end with its own `Worker`, and returns the
workflow's history, so the same driver can run against our server and against
the real one and the histories can be compared (see `summarize`).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client, WorkflowHandle
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

# Short, but not shorter than the real server's ~1 s timer granularity allows.
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0, maximum_attempts=5)


# ---- activities ---------------------------------------------------------------------------


@activity.defn
async def charge_payment(amount: int) -> str:
    """Fails on attempts 1 and 2, succeeds on attempt 3."""
    attempt = activity.info().attempt
    if attempt < 3:
        raise RuntimeError(f"card declined (attempt {attempt})")
    return f"charged {amount} on attempt {attempt}"


@activity.defn
async def reserve_stock(item: str) -> str:
    return f"reserved {item}"


@activity.defn
async def always_fails(reason: str) -> str:
    raise RuntimeError(reason)


@activity.defn
async def heartbeat_then_stall(stall: float) -> str:
    """Attempt 1 heartbeats once and then stops heartbeating; attempt 2 succeeds."""
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("progress-1")
        await asyncio.sleep(stall)
        return "stalled attempt finished (should not be recorded)"
    return f"ok on attempt {info.attempt} after {list(info.heartbeat_details)}"


@activity.defn
async def declined_for_good(reason: str) -> str:
    from temporalio.exceptions import ApplicationError

    raise ApplicationError(reason, type="Declined", non_retryable=True)


@activity.defn
async def too_slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "finished anyway"


@activity.defn
async def heartbeat_until_cancelled_reraise() -> str:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.1)


@activity.defn
async def heartbeat_progress_then_wait() -> str:
    activity.heartbeat("step-3")
    await asyncio.sleep(60)  # cancelled when the test terminates the workflow / stops the worker
    return "done"


@activity.defn
async def completed_elsewhere() -> str:
    """Completed asynchronously by the test, through the client (by id or by this token)."""
    info = activity.info()
    ASYNC_TOKENS[(info.workflow_id, info.activity_id)] = info.task_token
    activity.raise_complete_async()


# Task tokens of async activities, for the tests (activities run in the test process).
ASYNC_TOKENS: dict[tuple[str, str], bytes] = {}


ACTIVITIES = [
    completed_elsewhere,
    heartbeat_progress_then_wait,
    charge_payment,
    reserve_stock,
    always_fails,
    heartbeat_then_stall,
    declined_for_good,
    too_slow,
    heartbeat_until_cancelled_reraise,
]


# ---- workflows ----------------------------------------------------------------------------


@workflow.defn
class OrderWorkflow:
    """Reserve, charge (fails twice), wait for approval (signal), then wait for a
    shipment signal that never comes (a wait_condition timeout)."""

    def __init__(self) -> None:
        self.status = "new"
        self.approved_by = ""
        self.shipped = False

    @workflow.run
    async def run(self, order_id: str) -> dict[str, Any]:
        self.status = "reserving"
        reserved = await workflow.execute_activity(
            reserve_stock, order_id, start_to_close_timeout=timedelta(seconds=10)
        )
        self.status = "charging"
        charged = await workflow.execute_activity(
            charge_payment, 42, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
        )
        self.status = "awaiting approval"
        await workflow.wait_condition(lambda: bool(self.approved_by), timeout=timedelta(seconds=60))
        self.status = "awaiting shipment"
        shipped_in_time = True
        try:
            await workflow.wait_condition(lambda: self.shipped, timeout=timedelta(seconds=1))
        except TimeoutError:
            shipped_in_time = False
        self.status = "done"
        return {
            "order": order_id,
            "reserved": reserved,
            "charged": charged,
            "approved_by": self.approved_by,
            "shipped_in_time": shipped_in_time,
        }

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approved_by = who

    @workflow.signal
    def ship(self) -> None:
        self.shipped = True

    @workflow.query
    def get_status(self) -> str:
        return self.status


@workflow.defn
class ApprovalWorkflow:
    """Runs an activity, then waits (forever) for an `approve` signal."""

    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflow.run
    async def run(self, item: str) -> list[str]:
        reserved = await workflow.execute_activity(reserve_stock, item, start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: len(self.approvals) > 0)
        return [reserved, *self.approvals]

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflow.query
    def approvals_so_far(self) -> list[str]:
        return list(self.approvals)

    @workflow.query
    def explode(self) -> str:
        raise ValueError("query handler exploded")


@workflow.defn
class TimerWorkflow:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(seconds)
        return "woke up"


@workflow.defn
class WaitForeverWorkflow:
    """Waits for a `finish` signal; for cancel/terminate/list tests."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self, _: str = "") -> str:
        await workflow.wait_condition(lambda: self.finished)
        return "finished"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class ListProbeWorkflow:
    """Same as WaitForeverWorkflow, under a type name only the list tests use."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self, _: str = "") -> str:
        await workflow.wait_condition(lambda: self.finished)
        return "finished"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class CountdownWorkflow:
    """Continues as new until `n` reaches 0."""

    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return f"done after run {workflow.info().run_id}"


@workflow.defn
class HeartbeatWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            heartbeat_then_stall,
            30.0,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )


@workflow.defn
class StuckActivityWorkflow:
    """An activity that fails and then waits a long backoff: a pending activity to describe."""

    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            always_fails,
            "card declined",
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=60), maximum_attempts=10),
        )


@workflow.defn
class SignalCounterWorkflow:
    """Counts `tick` signals until it has seen `n` of them."""

    def __init__(self) -> None:
        self.ticks = 0

    @workflow.run
    async def run(self, n: int) -> int:
        await workflow.wait_condition(lambda: self.ticks >= n)
        return self.ticks

    @workflow.signal
    def tick(self) -> None:
        self.ticks += 1

    @workflow.query
    def count(self) -> int:
        return self.ticks


@workflow.defn
class CollectSignalsWorkflow:
    """Collects `add` signals until `close` arrives (signal-with-start tests)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.closed = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.closed)
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def close(self) -> None:
        self.closed = True


@workflow.defn
class FailingOrderWorkflow:
    """A non-retryable activity failure that fails the workflow."""

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError, ApplicationError

        try:
            return await workflow.execute_activity(
                declined_for_good, "card stolen", start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError as err:
            raise ApplicationError(f"order failed: {err.cause}", type="OrderFailed") from err


@workflow.defn
class ActivityTimeoutWorkflow:
    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError

        try:
            return await workflow.execute_activity(
                too_slow,
                4.0,
                start_to_close_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            return f"gave up: {type(err.cause).__name__}"


@workflow.defn
class CancelActivityWorkflow:
    """Starts a heartbeating activity, cancels it when told (signal), waits for the cancellation."""

    def __init__(self) -> None:
        self.cancel_now = False

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError

        task = workflow.start_activity(
            heartbeat_until_cancelled_reraise,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self.cancel_now)
        task.cancel()
        try:
            await task
        except ActivityError as err:
            return f"activity {type(err.cause).__name__}"
        return "not cancelled"

    @workflow.signal
    def cancel_it(self) -> None:
        self.cancel_now = True


@workflow.defn
class LocalActivityWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_local_activity(reserve_stock, "pen", start_to_close_timeout=timedelta(seconds=5))


@workflow.defn
class RetriedWorkflow:
    """Fails its first attempt (workflow retry policy), succeeds on the second."""

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ApplicationError

        attempt = workflow.info().attempt
        if attempt == 1:
            raise ApplicationError("first attempt fails")
        return f"succeeded on attempt {attempt}"


@workflow.defn
class ExhaustRetriesWorkflow:
    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError

        try:
            return await workflow.execute_activity(
                always_fails,
                "still declined",
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0, maximum_attempts=2
                ),
            )
        except ActivityError as err:
            return f"gave up after {err.retry_state}"


@workflow.defn
class CancelUnstartedActivityWorkflow:
    """Cancels an activity no worker polls for: the server cancels it at once."""

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError

        task = workflow.start_activity(
            reserve_stock,
            "nobody polls",
            task_queue=workflow.info().task_queue + "-nobody",
            start_to_close_timeout=timedelta(seconds=10),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(1)
        task.cancel()
        try:
            await task
        except ActivityError as err:
            return f"activity {type(err.cause).__name__}"
        return "not cancelled"


@workflow.defn
class CleanupOnCancelWorkflow:
    """On cancellation, runs a cleanup activity and then reports itself cancelled."""

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            await asyncio.shield(
                asyncio.ensure_future(
                    workflow.execute_activity(reserve_stock, "cleanup", start_to_close_timeout=timedelta(seconds=10))
                )
            )
            raise
        return "unreachable"


@workflow.defn
class SearchAttributesWorkflow:
    @workflow.run
    async def run(self) -> str:
        from temporalio.common import SearchAttributeKey

        workflow.upsert_search_attributes([SearchAttributeKey.for_keyword("TempoTier").value_set("platinum")])
        await workflow.wait_condition(lambda: self.done)
        return "ok"

    def __init__(self) -> None:
        self.done = False

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn
class CounterWorkflow:
    """Updates: `add` (validated: no negatives) changes the counter; `finish` ends it."""

    def __init__(self) -> None:
        self.value = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.value

    @workflow.update
    def add(self, amount: int) -> int:
        self.value += amount
        return self.value

    @add.validator
    def check_add(self, amount: int) -> None:
        if amount < 0:
            raise ValueError("negative amounts are not allowed")

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn
class ParentWorkflow:
    @workflow.run
    async def run(self) -> str:
        child = await workflow.execute_child_workflow(TimerWorkflow.run, 0.1, id=workflow.info().workflow_id + "-child")
        return f"child said {child}"


@workflow.defn
class ActivityTimeoutsWorkflow:
    """Schedule-to-start (nobody polls) and schedule-to-close (retries run out of time)."""

    @workflow.run
    async def run(self) -> list[str]:
        from temporalio.exceptions import ActivityError

        outcomes = []
        try:
            await workflow.execute_activity(
                reserve_stock,
                "nobody polls",
                task_queue=workflow.info().task_queue + "-nobody",
                schedule_to_start_timeout=timedelta(seconds=1),
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            outcomes.append(f"{type(err.cause).__name__}:{getattr(err.cause, 'type', '')}")
        try:
            await workflow.execute_activity(
                always_fails,
                "keeps failing",
                schedule_to_close_timeout=timedelta(seconds=2),
                # The first retry would start after the deadline: no retry at all.
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=3), backoff_coefficient=1.0),
            )
        except ActivityError as err:
            outcomes.append(f"{type(err.cause).__name__}:{getattr(err.cause, 'type', '')}")
        return outcomes


@workflow.defn
class MemoWorkflow:
    @workflow.run
    async def run(self) -> str:
        workflow.upsert_memo({"stage": "upserted"})
        await workflow.wait_condition(lambda: self.done)
        return "ok"

    def __init__(self) -> None:
        self.done = False

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn
class HeartbeatDetailsWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            heartbeat_progress_then_wait,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=20),
        )


@workflow.defn
class AsyncCompletionWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        from temporalio.exceptions import ActivityError

        results = []
        for _ in range(2):
            try:
                results.append(
                    await workflow.execute_activity(
                        completed_elsewhere,
                        start_to_close_timeout=timedelta(seconds=30),
                        retry_policy=RetryPolicy(maximum_attempts=1),
                    )
                )
            except ActivityError as err:
                results.append(f"failed: {err.cause}")
        return results


# Set by the tests (these run unsandboxed, so they see this very dict).
SLOW_FIRST_TASK: dict[str, float] = {}


@workflow.defn
class SlowFirstTaskWorkflow:
    """Its first workflow task takes a while (a signal arrives meanwhile), then it completes
    at once: the server must reject that completion (unhandled signal) and retry."""

    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        delay = SLOW_FIRST_TASK.pop(workflow.info().workflow_id, 0.0)
        if delay:
            time.sleep(delay)  # blocks this task only (runs unsandboxed, below the deadlock timeout)
        return self.signals

    @workflow.signal
    def hello(self, who: str) -> None:
        self.signals.append(who)


@workflow.defn
class SlowTaskThenTimerWorkflow:
    """Like SlowFirstTaskWorkflow, but the slow task ends with a timer, not a completion:
    the signal is simply buffered and delivered in the next task."""

    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        delay = SLOW_FIRST_TASK.pop(workflow.info().workflow_id, 0.0)
        if delay:
            time.sleep(delay)
        await workflow.wait_condition(lambda: bool(self.signals), timeout=timedelta(seconds=30))
        return self.signals

    @workflow.signal
    def hello(self, who: str) -> None:
        self.signals.append(who)

    @workflow.query
    def seen(self) -> list[str]:
        return list(self.signals)


# Set by the tests (the flaky workflow runs unsandboxed, so it sees this very dict).
FLAKY: dict[str, bool] = {}


@workflow.defn
class FlakyWorkflow:
    """Its first workflow task raises (a workflow-task failure) if the test set
    FLAKY[workflow id]; the failure also 'fixes the bug' (clears the flag), so the
    retried task (attempt 2) succeeds at once. (Core does not report failures of
    attempts >= 2: those would only end by the workflow task timeout.)"""

    @workflow.run
    async def run(self) -> str:
        if FLAKY.pop(workflow.info().workflow_id, False):
            raise RuntimeError("workflow bug: not fixed yet")
        return "fixed"


# Flipped to True by the test once it has seen the failure in history ("deploying the fix").
FIXED: dict[str, bool] = {}


@workflow.defn
class BrokenUntilFixedWorkflow:
    """Its workflow tasks raise until the test sets FIXED[workflow id]."""

    @workflow.run
    async def run(self) -> str:
        if not FIXED.get(workflow.info().workflow_id):
            raise RuntimeError("workflow bug: waiting for the fix")
        return "fixed by the test"


@workflow.defn
class HeartbeatGiveUpWorkflow:
    """Heartbeat timeout with no retries left: ActivityTaskTimedOut(HEARTBEAT) with the
    last heartbeat details."""

    @workflow.run
    async def run(self) -> str:
        from temporalio.exceptions import ActivityError

        try:
            return await workflow.execute_activity(
                heartbeat_then_stall,
                30.0,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=2),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            cause = err.cause
            details = list(getattr(cause, "last_heartbeat_details", ()) or ())
            return f"{type(cause).__name__} {getattr(cause, 'type', '')} {details}"


@workflow.defn
class LocalRetryWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_local_activity(
            charge_payment, 7, start_to_close_timeout=timedelta(seconds=5), retry_policy=FAST_RETRY
        )


# ---- child workflows, external signals and cancellations ---------------------------------


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


WORKFLOWS = [
    HeartbeatGiveUpWorkflow,
    LocalRetryWorkflow,
    OrderWorkflow,
    ApprovalWorkflow,
    TimerWorkflow,
    WaitForeverWorkflow,
    ListProbeWorkflow,
    CountdownWorkflow,
    HeartbeatWorkflow,
    StuckActivityWorkflow,
    SignalCounterWorkflow,
    CollectSignalsWorkflow,
    FailingOrderWorkflow,
    ActivityTimeoutWorkflow,
    CancelActivityWorkflow,
    LocalActivityWorkflow,
    RetriedWorkflow,
    ExhaustRetriesWorkflow,
    CancelUnstartedActivityWorkflow,
    CleanupOnCancelWorkflow,
    SearchAttributesWorkflow,
    CounterWorkflow,
    ParentWorkflow,
    ActivityTimeoutsWorkflow,
    AsyncCompletionWorkflow,
    MemoWorkflow,
    HeartbeatDetailsWorkflow,
    EchoChildWorkflow,
    FailingChildWorkflow,
    PatientChildWorkflow,
    SlowToCancelChildWorkflow,
    CountdownChildWorkflow,
    ChildrenParentWorkflow,
    PokeTargetWorkflow,
    ExternalSignallerWorkflow,
]


# ---- helpers ------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def worker(client: Client, task_queue: str, **kwargs: Any) -> Worker:
    """A worker for every workflow and activity here (FlakyWorkflow runs unsandboxed)."""
    kwargs.setdefault("workflows", WORKFLOWS)
    kwargs.setdefault("activities", ACTIVITIES)
    kwargs.setdefault("graceful_shutdown_timeout", timedelta(seconds=0))
    # The sandbox checks every workflow class when a worker is created (about 1 s for the
    # classes here, per worker); it guards user code's determinism, not the wire, so the
    # servers see exactly the same requests without it.
    kwargs.setdefault("workflow_runner", UnsandboxedWorkflowRunner())
    # Heartbeat often (default: 80% of the heartbeat timeout) so a loaded machine does not
    # turn a live activity into a heartbeat timeout.
    kwargs.setdefault("max_heartbeat_throttle_interval", timedelta(milliseconds=300))
    return Worker(client, task_queue=task_queue, **kwargs)


def flaky_worker(client: Client, task_queue: str) -> Worker:
    """Workflows whose behaviour the tests steer through module-level dicts: unsandboxed."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FlakyWorkflow, SlowFirstTaskWorkflow, SlowTaskThenTimerWorkflow, BrokenUntilFixedWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def wait_until(
    condition: Callable[[], Awaitable[Any]], timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll an async condition until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(interval)


async def events(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [e async for e in handle.fetch_history_events()]


async def wait_for_event(
    handle: WorkflowHandle[Any, Any], event_type: int, count: int = 1, timeout: float = 20.0
) -> list[HistoryEvent]:
    """Wait until the history holds `count` events of `event_type` and the
    workflow is idle (no workflow task scheduled or running)."""

    async def check() -> list[HistoryEvent] | None:
        history = await events(handle)
        if sum(1 for e in history if e.event_type == event_type) >= count and is_idle(history):
            return history
        return None

    return await wait_until(check, timeout=timeout, what=f"{count}x {EventType.Name(event_type)} on {handle.id}")


_WFT_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


def is_idle(history: Sequence[HistoryEvent]) -> bool:
    """True when the last workflow-task event is WorkflowTaskCompleted."""
    for e in reversed(history):
        if e.event_type in _WFT_EVENTS:
            return e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return False


def name(event_type: int) -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_")


def summarize(history: Sequence[HistoryEvent]) -> list[tuple[Any, ...]]:
    """Event types plus the attributes that must match between servers."""
    out: list[tuple[Any, ...]] = []
    for e in history:
        t = e.event_type
        row: tuple[Any, ...] = (name(t),)
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = e.workflow_execution_started_event_attributes
            # The real server delays a continued-as-new run by up to ~1 s (a throttle, BUG-T14 note):
            # compare the first-task backoff of started and retried runs only.
            backoff = a.first_workflow_task_backoff.ToTimedelta().total_seconds()
            row += (a.workflow_type.name, a.attempt, None if a.initiator == 1 else round(backoff))
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = e.activity_task_scheduled_event_attributes
            row += (a.activity_type.name, a.activity_id)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            a = e.activity_task_started_event_attributes
            row += (a.attempt, failure_gist(a.last_failure) if a.HasField("last_failure") else None)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            a = e.activity_task_failed_event_attributes
            row += (a.failure.message, a.retry_state)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            a = e.activity_task_timed_out_event_attributes
            row += (failure_gist(a.failure), a.retry_state)
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            row += (e.workflow_task_timed_out_event_attributes.timeout_type,)
        elif t == EventType.EVENT_TYPE_TIMER_STARTED:
            a = e.timer_started_event_attributes
            row += (a.timer_id, a.start_to_fire_timeout.ToTimedelta())
        elif t == EventType.EVENT_TYPE_TIMER_FIRED:
            row += (e.timer_fired_event_attributes.timer_id,)
        elif t == EventType.EVENT_TYPE_TIMER_CANCELED:
            row += (e.timer_canceled_event_attributes.timer_id,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            row += (e.workflow_execution_signaled_event_attributes.signal_name,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            a = e.workflow_task_failed_event_attributes
            row += (a.cause, a.failure.message)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            a = e.workflow_execution_failed_event_attributes
            row += (a.failure.message, a.retry_state, bool(a.new_execution_run_id))
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            a = e.workflow_execution_terminated_event_attributes
            row += (a.reason, a.identity)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
            row += (e.activity_task_cancel_requested_event_attributes.scheduled_event_id,)
        elif t == EventType.EVENT_TYPE_MARKER_RECORDED:
            row += (e.marker_recorded_event_attributes.marker_name,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            row += (e.workflow_execution_timed_out_event_attributes.retry_state,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            row += (e.workflow_execution_continued_as_new_event_attributes.workflow_type.name,)
        else:
            row += _child_and_external_attributes(e)
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = e.workflow_execution_started_event_attributes
            if a.HasField("parent_workflow_execution"):  # a child: who started it
                row += (
                    a.parent_workflow_namespace,
                    _id(a.parent_workflow_execution.workflow_id),
                    a.parent_initiated_event_id,
                    _id(a.root_workflow_execution.workflow_id),
                )
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            a = e.workflow_execution_signaled_event_attributes
            if a.HasField("external_workflow_execution"):  # sent by another workflow
                row += (_id(a.external_workflow_execution.workflow_id), a.identity)
        out.append(row)
    return out


def _id(workflow_id: str) -> str:
    """A workflow id without the random part `unique` gave it (ids differ between servers)."""
    return re.sub(r"-[0-9a-f]{10}(?=-|$)", "-*", workflow_id)


def _no_run_ids(text: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<run id>", text)


def _child_and_external_attributes(e: HistoryEvent) -> tuple[Any, ...]:
    """Key attributes of the child-workflow and external signal/cancel events (and of the
    cancel request / termination they cause in the other workflow)."""
    t = e.event_type
    a: Any
    if t == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        a = e.start_child_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            a.workflow_type.name,
            _id(a.workflow_id),
            a.parent_close_policy,
            a.workflow_id_reuse_policy,
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        a = e.start_child_workflow_execution_failed_event_attributes
        return (a.workflow_type.name, _id(a.workflow_id), a.cause, a.initiated_event_id)
    child_events = {
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    }
    if t in child_events:
        a = getattr(e, e.WhichOneof("attributes") or "")
        row: tuple[Any, ...] = (a.workflow_type.name, _id(a.workflow_execution.workflow_id), a.initiated_event_id)
        if t != EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            row += (a.started_event_id,)
        if t == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            row += (failure_gist(a.failure), a.retry_state)
        elif t == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
            row += (a.retry_state,)
        return row
    if t == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        a = e.signal_external_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            _id(a.workflow_execution.workflow_id),
            bool(a.workflow_execution.run_id),
            a.signal_name,
            a.child_workflow_only,
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        a = e.signal_external_workflow_execution_failed_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.cause, a.initiated_event_id)
    if t == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        a = e.external_workflow_execution_signaled_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.initiated_event_id)
    if t == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        a = e.request_cancel_external_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            _id(a.workflow_execution.workflow_id),
            bool(a.workflow_execution.run_id),
            a.child_workflow_only,
            _no_run_ids(a.reason),
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        a = e.request_cancel_external_workflow_execution_failed_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.cause, a.initiated_event_id)
    if t == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        a = e.external_workflow_execution_cancel_requested_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.initiated_event_id)
    if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        a = e.workflow_execution_cancel_requested_event_attributes
        if a.HasField("external_workflow_execution"):  # by another workflow or a parent close policy
            return (
                _id(a.external_workflow_execution.workflow_id),
                a.external_initiated_event_id,
                _no_run_ids(a.cause),
                a.identity,
            )
        return ()
    return ()


def failure_gist(failure: Any) -> str:
    """What must match in a failure: the kind of timeout, or the application message."""
    if failure.HasField("timeout_failure_info"):
        return f"timeout:{failure.timeout_failure_info.timeout_type}"
    return str(failure.message)


def event_ids_are_dense(history: Sequence[HistoryEvent]) -> bool:
    return [e.event_id for e in history] == list(range(1, len(history) + 1))


@dataclass
class Outcome:
    """What a scenario produced: its result (or exception type) and its histories."""

    result: Any
    histories: list[list[HistoryEvent]]
    workflow_id: str = ""

    def summary(self) -> list[list[tuple[Any, ...]]]:
        return [summarize(h) for h in self.histories]


# ---- scenario drivers ---------------------------------------------------------------------

ET = EventType


async def run_order(client: Client, task_queue: str) -> Outcome:
    """Activity retries (attempt 3), a query and a signal while the workflow waits,
    a wait_condition timeout, and the result."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(OrderWorkflow.run, "order-1", id=unique("order"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_TIMER_STARTED)
        status = await handle.query(OrderWorkflow.get_status)
        await handle.signal(OrderWorkflow.approve, "alice")
        result = await handle.result()
        return Outcome({"status_while_waiting": status, **result}, [await events(handle)], handle.id)


async def run_timer(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(TimerWorkflow.run, 1.0, id=unique("timer"), task_queue=task_queue)
        result = await handle.result()
        return Outcome(result, [await events(handle)], handle.id)


async def _start_waiting(client: Client, task_queue: str, prefix: str) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(WaitForeverWorkflow.run, "", id=unique(prefix), task_queue=task_queue)
    await wait_for_event(handle, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    return handle


async def run_cancel(client: Client, task_queue: str) -> Outcome:
    from temporalio.client import WorkflowFailureError

    async with worker(client, task_queue):
        handle = await _start_waiting(client, task_queue, "cancel")
        await handle.cancel()
        try:
            result: Any = await handle.result()
        except WorkflowFailureError as err:
            result = type(err.cause).__name__
        return Outcome(result, [await events(handle)], handle.id)


async def run_terminate(client: Client, task_queue: str) -> Outcome:
    from temporalio.client import WorkflowFailureError

    async with worker(client, task_queue):
        handle = await _start_waiting(client, task_queue, "terminate")
        await handle.terminate(reason="enough")
        try:
            result: Any = await handle.result()
        except WorkflowFailureError as err:
            result = type(err.cause).__name__
        return Outcome(result, [await events(handle)], handle.id)


async def run_continue_as_new(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(CountdownWorkflow.run, 2, id=unique("can"), task_queue=task_queue)
        result = await handle.result()
        histories = []
        run_id: str | None = handle.first_execution_run_id
        while run_id:
            history = await events(client.get_workflow_handle(handle.id, run_id=run_id))
            histories.append(history)
            last = history[-1]
            run_id = None
            if last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        # The result names the last run of the chain.
        return Outcome(result, histories, handle.id)


async def run_heartbeat_timeout(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(HeartbeatWorkflow.run, id=unique("hb"), task_queue=task_queue)
        result = await handle.result()
        return Outcome(result, [await events(handle)], handle.id)


async def run_flaky(client: Client, task_queue: str) -> Outcome:
    """A workflow task that raises once, then succeeds on its retry."""
    workflow_id = unique("flaky")
    FLAKY[workflow_id] = True
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(FlakyWorkflow.run, id=workflow_id, task_queue=task_queue)
            result = await handle.result()
            return Outcome(result, [await events(handle)], handle.id)
    finally:
        FLAKY.pop(workflow_id, None)


async def run_worker_restart(client: Client, task_queue: str) -> Outcome:
    """Worker 1 (no cache) runs the workflow up to a wait; worker 2 (no cache) replays it
    from history, gets the signal and finishes; a fresh worker answers a query after close."""
    async with worker(client, task_queue, max_cached_workflows=0):
        handle = await client.start_workflow(ApprovalWorkflow.run, "lamp", id=unique("restart"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    await handle.signal(ApprovalWorkflow.approve, "bob")
    async with worker(client, task_queue, max_cached_workflows=0):
        result = await handle.result()
    async with worker(client, task_queue):
        after_close = await handle.query(ApprovalWorkflow.approvals_so_far)
    return Outcome({"result": result, "query_after_close": after_close}, [await events(handle)], handle.id)


async def _result_or_error(handle: WorkflowHandle[Any, Any]) -> Any:
    from temporalio.client import WorkflowFailureError

    try:
        return await handle.result()
    except WorkflowFailureError as err:
        return f"{type(err.cause).__name__}: {err.cause}"


async def _run_chain(client: Client, handle: WorkflowHandle[Any, Any]) -> list[list[HistoryEvent]]:
    """Histories of every run from the first one, following continue-as-new and retries."""
    histories = []
    run_id: str | None = handle.first_execution_run_id or handle.result_run_id
    while run_id:
        history = await events(client.get_workflow_handle(handle.id, run_id=run_id))
        histories.append(history)
        last = history[-1]
        run_id = None
        if last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        elif last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            run_id = last.workflow_execution_failed_event_attributes.new_execution_run_id or None
        elif last.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            run_id = last.workflow_execution_timed_out_event_attributes.new_execution_run_id or None
    return histories


async def pollers_ready(client: Client, task_queue: str) -> None:
    """Wait until a worker polls `task_queue` (so timeouts that start with the workflow
    do not race against a slow worker start on a loaded machine)."""
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    async def polled() -> bool:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=task_queue))
        )
        return len(response.pollers) > 0

    await wait_until(polled, what=f"a poller on {task_queue}")


async def _simple(client: Client, task_queue: str, wf: Any, prefix: str, *args: Any, **kwargs: Any) -> Outcome:
    async with worker(client, task_queue):
        await pollers_ready(client, task_queue)
        handle = await client.start_workflow(wf, *args, id=unique(prefix), task_queue=task_queue, **kwargs)
        result = await _result_or_error(handle)
        return Outcome(result, await _run_chain(client, handle), handle.id)


async def run_workflow_failure(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, FailingOrderWorkflow.run, "failing")


async def run_activity_timeout(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ActivityTimeoutWorkflow.run, "act-timeout")


async def run_cancel_activity(client: Client, task_queue: str) -> Outcome:
    """Cancel a running (started, heartbeating) activity."""
    from temporalio.api.enums.v1 import PendingActivityState

    async with worker(client, task_queue):
        handle = await client.start_workflow(CancelActivityWorkflow.run, id=unique("cancel-act"), task_queue=task_queue)

        async def activity_started() -> bool:
            acts = (await handle.describe()).raw_description.pending_activities
            return bool(acts) and acts[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED

        await wait_until(activity_started, what="activity started")
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        await handle.signal(CancelActivityWorkflow.cancel_it)
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle)], handle.id)


async def run_local_activity(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, LocalActivityWorkflow.run, "local-act")


async def run_workflow_retry(client: Client, task_queue: str) -> Outcome:
    return await _simple(
        client,
        task_queue,
        RetriedWorkflow.run,
        "wf-retry",
        retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2),
    )


async def run_run_timeout(client: Client, task_queue: str) -> Outcome:
    # Long enough for the first workflow task to complete first, even on a loaded machine.
    return await _simple(
        client, task_queue, WaitForeverWorkflow.run, "run-timeout", "", run_timeout=timedelta(seconds=3)
    )


async def _slow_task_with_signal(client: Client, task_queue: str, wf: Any, prefix: str) -> Outcome:
    workflow_id = unique(prefix)
    SLOW_FIRST_TASK[workflow_id] = 1.0
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(wf, id=workflow_id, task_queue=task_queue)
            await wait_until(
                lambda: _has(handle, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED), interval=0.02, what="first task started"
            )
            await handle.signal("hello", "carol")
            result = await _result_or_error(handle)
            return Outcome(result, [await events(handle)], handle.id)
    finally:
        SLOW_FIRST_TASK.pop(workflow_id, None)


async def _has(handle: WorkflowHandle[Any, Any], event_type: int) -> bool:
    return any(e.event_type == event_type for e in await events(handle))


async def run_exhaust_retries(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ExhaustRetriesWorkflow.run, "exhaust")


async def run_cancel_unstarted_activity(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, CancelUnstartedActivityWorkflow.run, "cancel-unstarted")


async def run_cleanup_on_cancel(client: Client, task_queue: str) -> Outcome:
    async with worker(client, task_queue):
        handle = await client.start_workflow(CleanupOnCancelWorkflow.run, id=unique("cleanup"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.cancel()
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle)], handle.id)


async def run_activity_timeouts(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, ActivityTimeoutsWorkflow.run, "act-timeouts")


async def run_start_delay(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, TimerWorkflow.run, "delayed", 0.1, start_delay=timedelta(seconds=1))


async def run_heartbeat_give_up(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, HeartbeatGiveUpWorkflow.run, "hb-give-up")


async def run_local_retry(client: Client, task_queue: str) -> Outcome:
    return await _simple(client, task_queue, LocalRetryWorkflow.run, "local-retry")


async def run_query_during_task(client: Client, task_queue: str) -> Outcome:
    """A query that arrives while a workflow task is running is answered after that task
    (consistent query), with the state the task produced."""
    workflow_id = unique("query-during")
    SLOW_FIRST_TASK[workflow_id] = 1.0
    try:
        async with flaky_worker(client, task_queue):
            handle = await client.start_workflow(SlowTaskThenTimerWorkflow.run, id=workflow_id, task_queue=task_queue)
            await wait_until(
                lambda: _has(handle, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED), interval=0.02, what="first task started"
            )
            seen = await handle.query("seen")
            await handle.signal("hello", "dave")
            result = await _result_or_error(handle)
            return Outcome({"query": seen, "result": result}, [await events(handle)], handle.id)
    finally:
        SLOW_FIRST_TASK.pop(workflow_id, None)


async def run_sticky_worker_shutdown(client: Client, task_queue: str) -> Outcome:
    """Worker 1 (sticky cache) runs the workflow to a wait and shuts down (ShutdownWorker
    drops its sticky queue); the next task must go to the normal queue, to worker 2, at
    once: no sticky schedule-to-start timeout in history."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(ApprovalWorkflow.run, "vase", id=unique("sticky"), task_queue=task_queue)
        await wait_for_event(handle, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    async with worker(client, task_queue):
        await handle.signal(ApprovalWorkflow.approve, "erin")
        started = time.monotonic()
        result = await handle.result()
        elapsed = time.monotonic() - started
    return Outcome({"result": result, "fast": elapsed < 5}, [await events(handle)], handle.id)


async def run_signal_during_closing_task(client: Client, task_queue: str) -> Outcome:
    return await _slow_task_with_signal(client, task_queue, SlowFirstTaskWorkflow.run, "unhandled")


async def run_signal_during_task(client: Client, task_queue: str) -> Outcome:
    return await _slow_task_with_signal(client, task_queue, SlowTaskThenTimerWorkflow.run, "buffered")


# ---- child workflows, external signals and cancellations: drivers -------------------------


async def _child_chain(client: Client, parent: list[HistoryEvent]) -> list[list[HistoryEvent]]:
    """Every run of the child the parent started (found through ChildWorkflowExecutionStarted)."""
    for e in parent:
        if e.event_type == ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            child = e.child_workflow_execution_started_event_attributes.workflow_execution
            return await _run_chain(client, client.get_workflow_handle(child.workflow_id, run_id=child.run_id))
    return []


async def _parent_and_child(client: Client, task_queue: str, mode: str, prefix: str) -> Outcome:
    """The parent starts a child that waits for `go`; once both are idle the test sends it,
    the child ends and so does the parent. Histories: the parent, then every run of the child."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(ChildrenParentWorkflow.run, mode, id=unique(prefix), task_queue=task_queue)
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await child.signal("go")
        result = await _result_or_error(handle)
        parent = await events(handle)
        return Outcome(result, [parent, *await _child_chain(client, parent)], handle.id)


async def run_child_complete(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "complete", "child-ok")


async def run_child_failure(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "fail", "child-fail")


async def run_child_continue_as_new(client: Client, task_queue: str) -> Outcome:
    return await _parent_and_child(client, task_queue, "continue_as_new", "child-can")


async def _parent_close(client: Client, task_queue: str, policy: str) -> Outcome:
    """The parent starts a child, both go idle, then the parent completes (told by a signal):
    the parent close policy decides what happens to the still-running child."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run, policy, id=unique(f"close-{policy.lower()}"), task_queue=task_queue
        )
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.signal(ChildrenParentWorkflow.proceed)
        parent_result = await _result_or_error(handle)
        if policy == "ABANDON":
            # Still running after its parent closed: it finishes when told to.
            await wait_until(lambda: _status_is(handle, "COMPLETED"), what="parent closed")
            await child.signal(PatientChildWorkflow.finish)
        child_result = await _result_or_error(child)
        return Outcome(
            {"parent": parent_result, "child": child_result}, [await events(handle), await events(child)], handle.id
        )


async def _status_is(handle: WorkflowHandle[Any, Any], status: str) -> bool:
    description = await handle.describe()
    return description.status is not None and description.status.name == status


async def run_parent_close_terminate(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "TERMINATE")


async def run_parent_close_abandon(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "ABANDON")


async def run_parent_close_request_cancel(client: Client, task_queue: str) -> Outcome:
    return await _parent_close(client, task_queue, "REQUEST_CANCEL")


async def run_cancel_child(client: Client, task_queue: str) -> Outcome:
    """The parent cancels its running child through the child handle; the child takes its
    time (until the test signals it) and ends cancelled: ChildWorkflowExecutionCanceled."""
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run, "cancel", id=unique("cancel-child"), task_queue=task_queue
        )
        child = client.get_workflow_handle(handle.id + "-child")
        await wait_for_event(handle, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await handle.signal(ChildrenParentWorkflow.proceed)
        await wait_for_event(handle, ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        await wait_for_event(child, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        await child.signal(SlowToCancelChildWorkflow.finish)
        result = await _result_or_error(handle)
        return Outcome(result, [await events(handle), await events(child)], handle.id)


async def run_child_already_running(client: Client, task_queue: str) -> Outcome:
    """The parent starts a child under the id of a running workflow: StartChildWorkflowExecutionFailed."""
    async with worker(client, task_queue):
        other = await client.start_workflow(PatientChildWorkflow.run, id=unique("busy"), task_queue=task_queue)
        await wait_for_event(other, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        handle = await client.start_workflow(
            ChildrenParentWorkflow.run,
            args=["already_running", other.id],
            id=unique("dup-child"),
            task_queue=task_queue,
        )
        result = await _result_or_error(handle)
        await other.signal(PatientChildWorkflow.finish)
        other_result = await _result_or_error(other)
        return Outcome(
            {"parent": result, "other": other_result}, [await events(handle), await events(other)], handle.id
        )


async def _external(client: Client, task_queue: str, action: str, target_exists: bool) -> Outcome:
    """ExternalSignallerWorkflow signals or cancels a waiting PokeTargetWorkflow (or an id
    nobody uses); histories: the signaller, then the target."""
    async with worker(client, task_queue):
        target_id = unique("target")
        target = None
        if target_exists:
            target = await client.start_workflow(PokeTargetWorkflow.run, id=target_id, task_queue=task_queue)
            await wait_for_event(target, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        handle = await client.start_workflow(
            ExternalSignallerWorkflow.run, args=[action, target_id], id=unique(f"ext-{action}"), task_queue=task_queue
        )
        result = await _result_or_error(handle)
        if isinstance(result, str):
            result = result.replace(target_id, "<target id>")
        histories = [await events(handle)]
        target_result = None
        if target is not None:
            target_result = await _result_or_error(target)
            histories.append(await events(target))
        return Outcome({"result": result, "target": target_result}, histories, handle.id)


async def run_signal_external(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "signal", True)


async def run_signal_external_missing(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "signal", False)


async def run_cancel_external(client: Client, task_queue: str) -> Outcome:
    return await _external(client, task_queue, "cancel", True)


SCENARIOS: dict[str, Callable[[Client, str], Awaitable[Outcome]]] = {
    "order": run_order,
    "timer": run_timer,
    "cancel": run_cancel,
    "terminate": run_terminate,
    "continue_as_new": run_continue_as_new,
    "heartbeat_timeout": run_heartbeat_timeout,
    "workflow_task_failure": run_flaky,
    "worker_restart": run_worker_restart,
    "workflow_failure": run_workflow_failure,
    "activity_timeout": run_activity_timeout,
    "cancel_activity": run_cancel_activity,
    "local_activity": run_local_activity,
    "workflow_retry": run_workflow_retry,
    "run_timeout": run_run_timeout,
    "signal_during_closing_task": run_signal_during_closing_task,
    "signal_during_task": run_signal_during_task,
    "exhaust_retries": run_exhaust_retries,
    "query_during_task": run_query_during_task,
    "sticky_worker_shutdown": run_sticky_worker_shutdown,
    "cancel_unstarted_activity": run_cancel_unstarted_activity,
    "cleanup_on_cancel": run_cleanup_on_cancel,
    "activity_timeouts": run_activity_timeouts,
    "start_delay": run_start_delay,
    "heartbeat_give_up": run_heartbeat_give_up,
    "local_retry": run_local_retry,
    "child_complete": run_child_complete,
    "child_failure": run_child_failure,
    "parent_close_terminate": run_parent_close_terminate,
    "parent_close_abandon": run_parent_close_abandon,
    "parent_close_request_cancel": run_parent_close_request_cancel,
    "cancel_child": run_cancel_child,
    "child_already_running": run_child_already_running,
    "signal_external": run_signal_external,
    "signal_external_missing": run_signal_external_missing,
    "cancel_external": run_cancel_external,
    "child_continue_as_new": run_child_continue_as_new,
}


# ---- per-session caches: each scenario runs once per server -------------------------------

_clients: dict[str, Client] = {}
_outcomes: dict[tuple[str, str], Outcome] = {}


async def client_for(address: str, ready_timeout: float = 30.0) -> Client:
    """A connected client, once per address. A just-started real server may answer
    'Frontend is not healthy yet' for a moment: retry until it is ready."""
    if address not in _clients:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                _clients[address] = await Client.connect(address)
                break
            except RuntimeError as err:
                if "not healthy" not in str(err) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
    return _clients[address]


async def outcome(scenario: str, address: str, timeout: float = 60.0) -> Outcome:
    """Run a scenario against the server at `address`, once per session (the official-SDK
    tests and the differential tests share the result)."""
    key = (scenario, address)
    if key not in _outcomes:
        client = await client_for(address)
        _outcomes[key] = await asyncio.wait_for(SCENARIOS[scenario](client, unique(f"tq-{scenario}")), timeout)
    return _outcomes[key]
