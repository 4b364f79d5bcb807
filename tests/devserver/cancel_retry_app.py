"""Activities that a workflow asks to cancel, but that never hear of it (they do not heartbeat):
one outlives its start-to-close timeout, one fails. Each waits until the test has seen the
cancel request in the history (`RELEASED`), so the order does not depend on the servers' timer
latencies. (tests/devserver/test_cancel_ends_retries.py; importable: the official SDK's sandbox
re-imports it.)"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

# Workflow id -> set once the workflow's cancel request is in the history.
RELEASED: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)


@activity.defn
async def outlives_its_timeout() -> str:
    await RELEASED[activity.info().workflow_id].wait()
    await asyncio.sleep(3)  # past the 2 s start-to-close timeout
    return "too late"


@activity.defn
async def fails_after_the_cancel_request() -> str:
    await RELEASED[activity.info().workflow_id].wait()
    raise ApplicationError("failed after the cancel request")


@workflow.defn
class CancelsARetryingActivity:
    """Starts the activity (five attempts allowed), asks to cancel it, waits for it."""

    @workflow.run
    async def run(self, activity_name: str) -> str:
        handle = workflow.start_activity(
            activity_name,
            start_to_close_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=5),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await asyncio.sleep(0.1)
        handle.cancel()
        try:
            return str(await handle)
        except Exception as err:
            return f"{type(err).__name__}: {type(err.__cause__).__name__}"
