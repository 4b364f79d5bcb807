"""Workflows with a 1 s workflow task timeout, with the official SDK on both servers (issue 17).

A worker that needs longer than the task timeout for a task must still get through: the
real server gives attempts after the third the task timeout plus a backoff (5 s, doubling).
Tempo gave every attempt 1 s, so such a run timed out forever, the worker logging "Workflow
task not found" once a second. This is how the official SDK's
`test_workflow_cancel_activity[True|False]` failed on a busy machine: its sandbox needs more
than a second to load the test module when a run starts over.

The official SDK's `test_workflow_cancel_activity[True|False]` in its own suite: the workflow
starts an activity (or a local activity), sleeps 10 ms, cancels it, and keeps the outcome for a
query; the workflow task timeout is 1 s. Each cancellation type runs on both servers with the
official SDK's client and worker: the query answers, and the histories, must be the same.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from tests.devserver import scenarios
from tests.devserver.task_timeout_app import CancelParams, CancelsItsActivity, SlowerThanItsTaskTimeout, WaitsForCancel

pytestmark = pytest.mark.real_server

EXPECTED = {
    "TRY_CANCEL": "Error: CancelledError",
    "WAIT_CANCELLATION_COMPLETED": "Got cancelled error, cancelled? True",
    "ABANDON": "Error: CancelledError",
}


async def _query_until(handle: WorkflowHandle[Any, Any], expected: str, timeout: float = 10.0) -> str:
    """The query's answer once it is `expected`, or the last answer when time runs out."""
    deadline = asyncio.get_running_loop().time() + timeout
    answer = ""
    while asyncio.get_running_loop().time() < deadline:
        answer = await handle.query(CancelsItsActivity.activity_result)
        if answer == expected:
            break
        await asyncio.sleep(0.1)
    return answer


def _gist(history: list[Any]) -> list[str]:
    """The history's event types, without the workflow-task events whose number depends on timing."""
    task_events = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
    return [scenarios.name(event.event_type) for event in history if event.event_type not in task_events]


async def _activity_closed(handle: WorkflowHandle[Any, Any]) -> bool:
    closed = {EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED}
    history = await scenarios.events(handle)
    return any(event.event_type in closed for event in history) and scenarios.is_idle(history)


async def _cancel_each_way(address: str, local: bool) -> list[Any]:
    client: Client = await scenarios.client_for(address)
    activities = WaitsForCancel()
    task_queue = f"cancel-activity-{uuid.uuid4().hex[:8]}"
    out: list[Any] = []
    async with Worker(
        client, task_queue=task_queue, workflows=[CancelsItsActivity], activities=[activities.wait_cancel]
    ):
        for cancellation_type, expected in EXPECTED.items():
            handle = await client.start_workflow(
                CancelsItsActivity.run,
                CancelParams(cancellation_type=cancellation_type, local=local),
                id=f"cancel-activity-{uuid.uuid4()}",
                task_queue=task_queue,
                task_timeout=timedelta(seconds=1),
            )
            answer = await _query_until(handle, expected)
            if cancellation_type == "ABANDON":
                # The workflow went on without the activity, which keeps running until the
                # workflow itself is cancelled.
                await asyncio.sleep(0.5)
                still_running = not activities.cancel_handled.is_set()
                await handle.cancel()
                await asyncio.wait_for(activities.cancel_handled.wait(), 10)
            else:
                await asyncio.wait_for(activities.cancel_handled.wait(), 10)
                still_running = False
                if not local:  # the activity's answer is in the history before the workflow is cancelled
                    await scenarios.wait_until(functools.partial(_activity_closed, handle), what="the activity's close")
                await handle.cancel()
            await scenarios.wait_for_event(handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)
            history = await scenarios.events(handle)
            timed_out = sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT for e in history)
            out.append((cancellation_type, answer, still_running, timed_out, _gist(history)))
    return out


@pytest.mark.parametrize("local", [False, True], ids=["activity", "local activity"])
async def test_a_workflow_cancels_its_activity_with_a_short_task_timeout(
    tempo_address: str, real_address: str, local: bool
) -> None:
    ours, real = await asyncio.gather(_cancel_each_way(tempo_address, local), _cancel_each_way(real_address, local))
    assert [(kind, answer) for kind, answer, *_ in ours] == list(EXPECTED.items())
    assert [still_running for _, _, still_running, *_ in ours] == [False, False, True]
    assert ours == real


async def _slow_task(address: str) -> list[Any]:
    client: Client = await scenarios.client_for(address)
    task_queue = f"slow-task-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[SlowerThanItsTaskTimeout]):
        handle = await client.start_workflow(
            SlowerThanItsTaskTimeout.run,
            1.3,
            id=f"slow-task-{uuid.uuid4()}",
            task_queue=task_queue,
            task_timeout=timedelta(seconds=1),
        )
        result = await asyncio.wait_for(handle.result(), 30)
        history = await scenarios.events(handle)
    attempts = [
        event.workflow_task_scheduled_event_attributes.attempt
        for event in history
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
    ]
    return [result, [scenarios.name(event.event_type) for event in history], attempts]


async def test_a_task_slower_than_its_timeout_gets_through_on_a_later_attempt(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await asyncio.gather(_slow_task(tempo_address), _slow_task(real_address))
    assert ours == real
    result, event_types, attempts = ours
    assert result == "done"
    assert event_types.count("WORKFLOW_TASK_TIMED_OUT") == 1, "attempts after the first are transient"
    assert attempts == [1, 4], "attempts 2 and 3 time out too; the 4th has time enough"
