"""Workflows with a 1 s workflow task timeout (tests/devserver/test_short_task_timeouts.py).

Importable without side effects: the official SDK's workflow sandbox re-imports it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError


class WaitsForCancel:
    """An activity that heartbeats until it is cancelled, and says when its cancellation ended."""

    def __init__(self) -> None:
        self.cancel_handled = asyncio.Event()

    @activity.defn
    async def wait_cancel(self) -> str:
        self.cancel_handled.clear()
        try:
            while True:
                await asyncio.sleep(0.1)
                activity.heartbeat()
        except asyncio.CancelledError:
            return f"Got cancelled error, cancelled? {activity.is_cancelled()}"
        finally:
            self.cancel_handled.set()


@dataclass
class CancelParams:
    cancellation_type: str  # a workflow.ActivityCancellationType name
    local: bool


@workflow.defn
class CancelsItsActivity:
    """Starts an activity (or a local one), cancels it 10 ms later, then waits forever.

    The query `activity_result` tells what awaiting the cancelled activity gave."""

    def __init__(self) -> None:
        self.result = "<none>"

    @workflow.run
    async def run(self, params: CancelParams) -> None:
        cancellation_type = workflow.ActivityCancellationType[params.cancellation_type]
        if params.local:
            handle = workflow.start_local_activity_method(
                WaitsForCancel.wait_cancel,
                schedule_to_close_timeout=timedelta(seconds=5),
                cancellation_type=cancellation_type,
            )
        else:
            handle = workflow.start_activity_method(
                WaitsForCancel.wait_cancel,
                schedule_to_close_timeout=timedelta(seconds=5),
                heartbeat_timeout=timedelta(seconds=1),
                cancellation_type=cancellation_type,
            )
        await asyncio.sleep(0.01)
        try:
            handle.cancel()
            self.result = await handle
        except ActivityError as err:
            self.result = f"Error: {type(err.cause).__name__}"
        await asyncio.Future()  # wait forever

    @workflow.query
    def activity_result(self) -> str:
        return self.result


@workflow.defn(sandboxed=False)
class SlowerThanItsTaskTimeout:
    """Its first workflow task takes longer than the task timeout, every time it is run from the
    start (a worker on a busy machine, or one that imports a lot on first use)."""

    @workflow.run
    async def run(self, seconds: float) -> str:
        time.sleep(seconds)  # blocks the worker on purpose, replay included
        return "done"
