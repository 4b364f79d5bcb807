"""An activity the workflow asked to cancel is not retried (issue 17, found while tidying lifecycles).

When an attempt of such an activity fails or times out, the real server closes it with retry
state CANCEL_REQUESTED instead of scheduling the next attempt. Tempo retried it until its
maximum attempts. Same workflow, official SDK, both servers: the same events and retry states.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, RetryState
from temporalio.client import Client
from temporalio.worker import Worker

from tests.devserver import scenarios
from tests.devserver.cancel_retry_app import (
    RELEASED,
    CancelsARetryingActivity,
    fails_after_the_cancel_request,
    outlives_its_timeout,
)

pytestmark = pytest.mark.real_server


async def _run(address: str, activity_name: str) -> list[Any]:
    client: Client = await scenarios.client_for(address)
    task_queue = f"cancel-retry-{uuid.uuid4().hex[:8]}"
    activities = [outlives_its_timeout, fails_after_the_cancel_request]
    async with Worker(client, task_queue=task_queue, workflows=[CancelsARetryingActivity], activities=activities):
        workflow_id = f"cancel-retry-{uuid.uuid4()}"
        handle = await client.start_workflow(
            CancelsARetryingActivity.run, activity_name, id=workflow_id, task_queue=task_queue
        )
        await scenarios.wait_for_event(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
        RELEASED[workflow_id].set()
        result = await asyncio.wait_for(handle.result(), 30)
        history = await scenarios.events(handle)
    closes = []
    for event in history:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            closes.append(("started, attempt", event.activity_task_started_event_attributes.attempt))
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            closes.append(("timed out", RetryState.Name(event.activity_task_timed_out_event_attributes.retry_state)))
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            closes.append(("failed", RetryState.Name(event.activity_task_failed_event_attributes.retry_state)))
    return [result, closes, scenarios.summarize(history)]


@pytest.mark.parametrize("activity_name", ["outlives_its_timeout", "fails_after_the_cancel_request"])
async def test_an_attempt_that_ends_after_a_cancel_request_is_not_retried(
    tempo_address: str, real_address: str, activity_name: str
) -> None:
    ours, real = await asyncio.gather(_run(tempo_address, activity_name), _run(real_address, activity_name))
    assert ours == real
    _, closes, _ = ours
    assert closes[0] == ("started, attempt", 1)
    assert closes[1][1] == "RETRY_STATE_CANCEL_REQUESTED"
