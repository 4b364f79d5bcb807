"""Helpers for the per-workflow time-skipping tests (issue 19): a workflow that sleeps and
reports how much of its own (virtual) time passed, and a real dev server with the feature on."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

TEMPO = str(Path(sys.executable).parent / "tempo")
HOUR = 3600.0
DAY = 24 * HOUR
# The real dev server 1.9.1 answers UNIMPLEMENTED for time skipping unless this is set.
REAL_FLAGS = ("--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true")


@workflow.defn(sandboxed=False)
class Sleeper:
    """Sleeps `seconds` on a timer and returns the seconds its clock moved meanwhile."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        before = workflow.now()
        await asyncio.sleep(seconds)
        return (workflow.now() - before).total_seconds()


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    events = [event async for event in handle.fetch_history_events()]
    return [EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in events]


async def wait_for_timer(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the workflow's timer is started (its first workflow task is done)."""
    async for event in handle.fetch_history_events(wait_new_event=True):
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            return


@workflow.defn(sandboxed=False)
class SleepThenContinue:
    """Sleeps `seconds`, continues as new `more` times, and returns the seconds its chain's clock moved."""

    @workflow.run
    async def run(self, seconds: float, more: int, moved: float) -> float:
        before = workflow.now()
        await asyncio.sleep(seconds)
        moved += (workflow.now() - before).total_seconds()
        if more:
            workflow.continue_as_new(args=[seconds, more - 1, moved])
        return moved
