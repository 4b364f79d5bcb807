"""Under time skipping, a workflow's own deadlines follow the virtual clock (issue 19): cron
runs, the workflow execution timeout and a workflow's retry backoff, each days long, pass in
a second or two of wall time on `tempo-test-server`, driven by the official SDK's
time-skipping environment; the history records the virtual times."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import TimeoutError, TimeoutType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.timeskipping.apps import tempo_test_server_path
from tests.timeskipping.virtual_time_apps import FailsItsFirstAttempt, Instant, Sleeps

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=tempo_test_server_path()) as env:
        yield env


def queue() -> str:
    return f"tq-{uuid.uuid4().hex[:10]}"


async def test_cron_runs_come_on_the_virtual_hour(env: WorkflowEnvironment) -> None:
    task_queue = queue()
    async with Worker(env.client, task_queue=task_queue, workflows=[Instant]):
        started_at = (await env.get_current_time()).timestamp()
        handle = await env.client.start_workflow(
            Instant.run, id=f"cron-{task_queue}", task_queue=task_queue, cron_schedule="0 * * * *"
        )
        # Runs fall on the hour: move to half past the third one, wherever in the hour we are.
        first = (started_at // HOUR + 1) * HOUR
        wall_start = time.monotonic()
        await env.sleep(first + 2 * HOUR + HOUR / 2 - started_at)
        wall = time.monotonic() - wall_start
        runs = [run async for run in env.client.list_workflows(f"WorkflowId = '{handle.id}'")]
        await handle.terminate("the test has seen its runs")
    assert wall < 5.0, f"took {wall:.1f}s of wall time"
    closed = [run for run in runs if run.status == WorkflowExecutionStatus.COMPLETED]
    assert len(closed) == 3, [run.status for run in runs]
    due = sorted(run.execution_time.timestamp() for run in closed if run.execution_time)
    assert [round((moment - first) / HOUR, 3) for moment in due] == [0.0, 1.0, 2.0]


async def test_the_workflow_execution_timeout_fires_in_virtual_time(env: WorkflowEnvironment) -> None:
    task_queue = queue()
    async with Worker(env.client, task_queue=task_queue, workflows=[Sleeps]):
        wall_start = time.monotonic()
        handle = await env.client.start_workflow(
            Sleeps.run,
            60 * DAY,
            id=f"timeout-{task_queue}",
            task_queue=task_queue,
            execution_timeout=timedelta(days=30),
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        wall = time.monotonic() - wall_start
    assert wall < 2.0, f"took {wall:.1f}s of wall time"
    assert isinstance(failed.value.cause, TimeoutError)
    assert failed.value.cause.type == TimeoutType.START_TO_CLOSE
    events = [event async for event in handle.fetch_history_events()]
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT
    lasted = events[-1].event_time.ToDatetime(tzinfo=UTC) - events[0].event_time.ToDatetime(tzinfo=UTC)
    assert timedelta(days=30) <= lasted < timedelta(days=30, minutes=1)


async def test_a_workflow_retry_waits_its_backoff_in_virtual_time(env: WorkflowEnvironment) -> None:
    task_queue = queue()
    async with Worker(env.client, task_queue=task_queue, workflows=[FailsItsFirstAttempt]):
        wall_start = time.monotonic()
        handle = await env.client.start_workflow(
            FailsItsFirstAttempt.run,
            id=f"retry-{task_queue}",
            task_queue=task_queue,
            retry_policy=RetryPolicy(initial_interval=timedelta(days=1), maximum_attempts=2),
        )
        assert await handle.result() == 2
        wall = time.monotonic() - wall_start
    assert wall < 2.0, f"took {wall:.1f}s of wall time"
    first = [
        event
        async for event in env.client.get_workflow_handle(
            handle.id, run_id=handle.first_execution_run_id
        ).fetch_history_events()
    ]
    retried = [event async for event in handle.fetch_history_events()]
    assert first[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    backoff = retried[0].workflow_execution_started_event_attributes.first_workflow_task_backoff
    assert backoff.ToTimedelta() == timedelta(days=1)
    # The retry's first workflow task ran a virtual day after the first attempt failed.
    task_started = next(e for e in retried if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    waited = task_started.event_time.ToDatetime(tzinfo=UTC) - first[-1].event_time.ToDatetime(tzinfo=UTC)
    assert timedelta(days=1) <= waited < timedelta(days=1, minutes=1)
