"""The activities the scenario workflows run (in the test process, with every worker)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity
from temporalio.common import RetryPolicy

# Short, but not shorter than the real server's ~1 s timer granularity allows.
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0, maximum_attempts=5)


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
