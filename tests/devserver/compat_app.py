"""Workflows and activities for the wire-compatibility tests of issue 8 (test_compat_*.py,
test_activity_pause.py, test_update_with_start_existing.py).

Importable without side effects: the official SDK's workflow sandbox re-imports it.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError
from temporalio.exceptions import TimeoutError as TimeoutFailure

# ---- late heartbeats (test_compat_late_heartbeat.py) -------------------------------------------

# How each activity learnt it was cancelled (workflow id -> cancellation details), written by
# the activities and the test's interceptor (they run in the test process).
CANCELLATIONS: dict[str, dict[str, Any]] = {}


@activity.defn
def heartbeat_past_deadline() -> str:
    """Heartbeats (sync, in a thread) long past its start-to-close timeout, until cancelled."""
    info = activity.info()
    try:
        for i in range(600):
            activity.heartbeat(i)
            time.sleep(0.1)
            if activity.is_cancelled():
                break
    except CancelledError:
        pass
    details = activity.cancellation_details()
    CANCELLATIONS[info.workflow_id] = dict(vars(details)) if details else {}
    return "stopped"


@activity.defn
def returns_at_once() -> str:
    """Returns at once; the test's interceptor holds its completion back past the timeout."""
    return "done"


@activity.defn
def probe_thread() -> str:
    return "probe"


@workflow.defn
class TimedOutActivityWorkflow:
    """Runs `activity_name` with a short start-to-close timeout and one attempt, then a probe
    activity (which needs the worker's only activity thread back)."""

    @workflow.run
    async def run(self, activity_name: str, start_to_close_ms: int, heartbeat_ms: int) -> list[str]:
        outcome = "completed"
        try:
            await workflow.execute_activity(
                activity_name,
                start_to_close_timeout=timedelta(milliseconds=start_to_close_ms),
                heartbeat_timeout=timedelta(milliseconds=heartbeat_ms) if heartbeat_ms else None,
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            cause = err.cause
            outcome = f"TimeoutError: {cause.type.name}" if isinstance(cause, TimeoutFailure) else str(cause)
        probe = await workflow.execute_activity(probe_thread, start_to_close_timeout=timedelta(seconds=60))
        return [outcome, probe]


@workflow.defn
class RollOverWorkflow:
    """Continues as new `n` times, then waits for the `finish` signal."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        await workflow.wait_condition(lambda: self.finished)
        return "finished"

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


@workflow.defn
class QuickWorkflow:
    """Completes at once (after a short timer, so it has more than one workflow task)."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(milliseconds=10))
        return "quick"

    @workflow.query
    def ping(self) -> str:
        return "pong"


# ---- user metadata (test_compat_user_metadata.py) ------------------------------------------------


@activity.defn
async def echo(text: str) -> str:
    return text


@workflow.defn
class SummarizedWorkflow:
    """Gives every step a summary: a timer, an activity, a local activity, a child workflow
    (static summary and details) and a condition with a timeout."""

    def __init__(self) -> None:
        self.never = False

    @workflow.run
    async def run(self, child_id: str) -> str:
        await workflow.sleep(timedelta(milliseconds=10), summary="short nap")
        await workflow.execute_activity(
            echo, "remote", start_to_close_timeout=timedelta(seconds=30), summary="echo remotely"
        )
        await workflow.execute_local_activity(
            echo, "local", start_to_close_timeout=timedelta(seconds=30), summary="echo locally"
        )
        await workflow.execute_child_workflow(
            QuickWorkflow.run, id=child_id, static_summary="the child", static_details="a quick child"
        )
        with contextlib.suppress(TimeoutError):  # asyncio's, raised by the condition's timer
            await workflow.wait_condition(
                lambda: self.never, timeout=timedelta(milliseconds=10), timeout_summary="brief wait"
            )
        return "summarized"

    @workflow.signal
    def poke(self) -> None:
        pass


# ---- activity pause, unpause, reset, options (test_activity_pause.py) ---------------------------

# Set by the tests (activities run in the test process): activity id -> behaviour.
#   "catch": return the cancellation details when cancelled;
#   "raise": let the cancellation propagate (the worker fails the attempt).
PAUSE_MODES: dict[str, str] = {}
# Attempts seen per activity id, with the heartbeat details each started with.
ATTEMPTS: dict[str, list[tuple[int, Any]]] = {}
# Activity ids whose attempt, once cancelled, goes on running until the test takes its id out:
# the server's view of a pause (or reset) the worker has already heard of can be read before
# the attempt ends, however late a busy machine lets the test ask.
HELD: set[str] = set()


@activity.defn
async def heartbeat_until_told() -> str:
    """Heartbeats every 100 ms; a later attempt (after a pause or reset) returns at once."""
    import asyncio

    info = activity.info()
    details = list(info.heartbeat_details)
    ATTEMPTS.setdefault(info.activity_id, []).append((info.attempt, details[0] if details else None))
    if details or PAUSE_MODES.get(info.activity_id) == "finish":
        return f"attempt {info.attempt} finished"
    try:
        for i in range(1200):
            activity.heartbeat(i)
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        for _ in range(1200):  # at most 60 s, so a failed test cannot leave its worker waiting
            if info.activity_id not in HELD:
                break
            await asyncio.sleep(0.05)
        cancellation = activity.cancellation_details()
        if PAUSE_MODES.get(info.activity_id) == "catch":
            return f"caught: {dict(vars(cancellation)) if cancellation else None}"
        raise
    return "never told"


@workflow.defn
class PausableWorkflow:
    """Runs `heartbeat_until_told` as activity `activity_id` with `attempts` attempts."""

    @workflow.run
    async def run(self, activity_id: str, attempts: int) -> str:
        try:
            return await workflow.execute_activity(
                heartbeat_until_told,
                activity_id=activity_id,
                start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(maximum_attempts=attempts, initial_interval=timedelta(milliseconds=200)),
            )
        except ActivityError as err:
            return f"failed: {err.cause}"


WORKFLOWS = [RollOverWorkflow, QuickWorkflow, TimedOutActivityWorkflow, SummarizedWorkflow, PausableWorkflow]
ACTIVITIES = [heartbeat_past_deadline, returns_at_once, probe_thread, echo, heartbeat_until_told]
