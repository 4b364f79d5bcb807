"""Single workflows the scenarios and the official-SDK tests run: activities, signals,
queries, timers, updates, retries, timeouts and cancellation.

The official SDK's workflow sandbox re-imports the module that defines a workflow, so this
module must stay free of side effects at import time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from tests.devserver.scenarios.activities import (
    FAST_RETRY,
    always_fails,
    charge_payment,
    completed_elsewhere,
    declined_for_good,
    heartbeat_progress_then_wait,
    heartbeat_then_stall,
    heartbeat_until_cancelled_reraise,
    reserve_stock,
    too_slow,
)


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
class ListProbeWorkflow(WaitForeverWorkflow):
    """WaitForeverWorkflow under a second type name, which only the list tests use (they
    filter on WorkflowType)."""

    @workflow.run
    async def run(self, _: str = "") -> str:
        # The SDK wants @workflow.run on the registered class itself; the behaviour is the parent's.
        return await super().run(_)


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
