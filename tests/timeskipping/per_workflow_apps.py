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


@workflow.defn(sandboxed=False)
class SleeperWithUpdate:
    """Sleeps `seconds` like Sleeper; its `ping` update answers at once (for update-with-start)."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        before = workflow.now()
        await asyncio.sleep(seconds)
        return (workflow.now() - before).total_seconds()

    @workflow.update
    async def ping(self) -> str:
        return "pong"


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    events = [event async for event in handle.fetch_history_events()]
    return [EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in events]


async def wait_for_timer(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the workflow's timer is started (its first workflow task is done)."""
    await wait_for_event(handle, EventType.EVENT_TYPE_TIMER_STARTED)


async def wait_for_event(handle: WorkflowHandle[Any, Any], event_type: int) -> None:
    """Until the workflow's history has an event of this type."""
    async for event in handle.fetch_history_events(wait_new_event=True):
        if event.event_type == event_type:
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


@workflow.defn(sandboxed=False)
class SleepThenChild:
    """Sleeps `seconds`, then runs a Sleeper child for as long."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        await asyncio.sleep(seconds)
        return await workflow.execute_child_workflow(Sleeper.run, seconds, id=f"{workflow.info().workflow_id}-child")


async def first_event(
    handle: WorkflowHandle[Any, Any], event_type: int = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
) -> Any:
    """The first event of this type in the workflow's history."""
    async for event in handle.fetch_history_events():
        if event.event_type == event_type:
            return event
    raise AssertionError(f"no {EventType.Name(event_type)} in the history of {handle.id}")  # type: ignore[arg-type]
