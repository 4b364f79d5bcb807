"""Workflows and activities for the activity feature tests (plain functions in a thread
pool, async completion, dynamic activities and workflows, logging, eager execution,
failure exception types), written with our SDK. ``official_activities_app`` has the official
SDK's counterparts under the same names."""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import temporalio.exceptions

from sdk import activity, workflow
from sdk.exceptions import ActivityError, ApplicationError, CancelledError
from sdk.workflow import ActivityCancellationType, RawValue, RetryPolicy

SEEN: dict[str, Any] = {}
"""What activities observed, by workflow ID (they run in this process)."""
TOKENS: dict[str, bytes] = {}
"""Task tokens of activities left to complete asynchronously, by workflow ID."""
HEARTBEATING: set[str] = set()


def _spin(seconds: float) -> None:
    """Busy Python code (no heartbeat): only an exception raised in the thread stops it."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        time.sleep(0.01)


@activity.defn
def plain_until_cancelled() -> str:
    workflow_id = activity.info().workflow_id
    SEEN[workflow_id] = {"thread": threading.current_thread().name}
    try:
        while True:
            activity.heartbeat("working")
            HEARTBEATING.add(workflow_id)
            _spin(0.2)
    except CancelledError as err:
        SEEN[workflow_id]["raised_in"] = traceback.extract_tb(err.__traceback__)[-1].name
        SEEN[workflow_id]["is_cancelled"] = activity.is_cancelled()
        raise


@activity.defn(no_thread_cancel_exception=True)
def plain_polls_for_cancel() -> str:
    workflow_id = activity.info().workflow_id
    while True:
        activity.heartbeat("working")
        HEARTBEATING.add(workflow_id)
        if activity.wait_for_cancelled_sync(timedelta(milliseconds=200)):
            SEEN[workflow_id] = {"noticed": activity.is_cancelled()}
            raise CancelledError("stopped on request")


@activity.defn
async def async_waits_for_cancel() -> str:
    workflow_id = activity.info().workflow_id
    # A task of its own is not cancelled with the activity: only the signal wakes it.
    waiter = asyncio.create_task(activity.wait_for_cancelled())
    try:
        while True:
            activity.heartbeat("working")
            HEARTBEATING.add(workflow_id)
            await asyncio.sleep(0.2)
    except asyncio.CancelledError:
        await asyncio.wait_for(waiter, 5)
        SEEN[workflow_id] = {"waiter_woke": waiter.done()}
        raise


@activity.defn
async def completes_later(text: str) -> str:
    TOKENS[activity.info().workflow_id] = activity.info().task_token
    activity.raise_complete_async()
    raise AssertionError("unreachable")


@activity.defn
def plain_completes_later(text: str) -> str:
    TOKENS[activity.info().workflow_id] = activity.info().task_token
    activity.raise_complete_async()
    raise AssertionError("unreachable")


@activity.defn(dynamic=True)
async def any_activity(args: Sequence[RawValue]) -> str:
    values = [activity.payload_converter().from_payload(a.payload, str) for a in args]
    return f"{activity.info().activity_type} got {values}"


@activity.defn
async def logs_then_fails_on_a_missing_key(key: str) -> str:
    activity.logger.info("looking up %s", key)
    return {"known": "value"}[key]


@activity.defn
async def raises_official_application_error() -> str:
    raise temporalio.exceptions.ApplicationError("card declined", {"code": 51}, type="Payment", non_retryable=True)


@activity.defn
async def eager_step(text: str) -> str:
    return f"eager {text}"


@workflow.defn
class RunsActivity:
    """Runs one activity by name; says how it ended."""

    @workflow.run
    async def run(self, name: str, args: list[Any], attempts: int) -> Any:
        try:
            return await workflow.execute_activity(
                name,
                *args,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=attempts),
            )
        except ActivityError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            return {"type": cause.type, "message": cause.message, "details": list(cause.details)}


@workflow.defn
class CancelsActivity:
    """Starts an activity, cancels it on the ``halt`` signal, waits for it to accept."""

    def __init__(self) -> None:
        self.halted = False

    @workflow.run
    async def run(self, name: str, args: list[Any]) -> str:
        step = workflow.start_activity(
            name,
            *args,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self.halted)
        step.cancel()
        try:
            await step
        except ActivityError as err:
            return type(err.cause).__name__
        return "completed"

    @workflow.signal
    def halt(self) -> None:
        self.halted = True


@workflow.defn(dynamic=True)
class AnyWorkflow:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        values = [workflow.payload_converter().from_payload(a.payload, int) for a in args]
        return f"{workflow.info().workflow_type} summed {sum(values)}"


@workflow.defn(failure_exception_types=[LookupError])
class FailsOnLookup:
    @workflow.run
    async def run(self) -> None:
        raise KeyError("order 7 is not in the book")


@workflow.defn
class FailsOnValue:
    @workflow.run
    async def run(self) -> None:
        raise ValueError("quantity must be positive")


@workflow.defn
class TimesOut:
    @workflow.run
    async def run(self) -> None:
        raise TimeoutError("the courier did not answer")


@workflow.defn(failure_exception_types=[LookupError])
class Shelf:
    """An update that raises a failure exception type fails the update, not the task."""

    def __init__(self) -> None:
        self.closed = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.closed)
        return "closed"

    @workflow.update
    def look_up(self, item: str) -> str:
        return {"tea": "shelf 2"}[item]

    @workflow.signal
    def close(self) -> None:
        self.closed = True


@workflow.defn(name="Drift")
class DriftV1:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(3)
        return "v1"


@workflow.defn(name="Drift")
class DriftV2:
    """A change that does not replay DriftV1's history: a timer became an activity."""

    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(eager_step, "v2", start_to_close_timeout=timedelta(seconds=5))  # type: ignore[no-any-return]
