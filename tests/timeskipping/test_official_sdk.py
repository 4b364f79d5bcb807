"""The official SDK's time-skipping environment on `tempo-test-server`.

`WorkflowEnvironment.start_time_skipping(test_server_existing_path=...)` launches our
executable as it launches the Java test server, and drives its TestService.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType, IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, TimeoutError, TimeoutType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.timeskipping.apps import (
    MONTH_LONG,
    OfficialHeartbeatActivities,
    OfficialHeartbeatTimeout,
    OfficialSleepRetryWait,
    OfficialTimerBesideActivity,
    official_fails_once,
    official_takes_a_second,
    tempo_test_server_path,
)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=tempo_test_server_path()) as env:
        yield env


def worker(env: WorkflowEnvironment, task_queue: str, workflows: list[type], activities: list[object]) -> Worker:
    return Worker(
        env.client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,  # type: ignore[arg-type]
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def test_a_month_long_workflow_completes_in_under_a_second(env: WorkflowEnvironment) -> None:
    task_queue = f"tq-{uuid.uuid4()}"
    before = await env.get_current_time()
    async with worker(env, task_queue, [OfficialSleepRetryWait], [official_fails_once]):
        wall_start = time.monotonic()
        handle = await env.client.start_workflow(
            OfficialSleepRetryWait.run,
            [MONTH_LONG.sleep, MONTH_LONG.backoff, MONTH_LONG.timer],
            id=f"wf-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        assert await handle.result() == "done on attempt 2"
        wall = time.monotonic() - wall_start
    assert wall < 1.0, f"took {wall:.2f}s of wall time"

    # The environment's clock moved by the whole month and more, and the history carries the virtual times.
    total = MONTH_LONG.sleep + MONTH_LONG.backoff + MONTH_LONG.timer
    assert (await env.get_current_time() - before).total_seconds() >= total
    events = [event async for event in handle.fetch_history_events()]
    times = [event.event_time.ToDatetime(tzinfo=UTC) for event in events]
    assert times == sorted(times), "event times go backwards"
    started, closed = times[0], times[-1]
    assert timedelta(seconds=total) <= closed - started < timedelta(seconds=total + 60)
    fired = [e.event_time.ToDatetime(tzinfo=UTC) for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    assert len(fired) == 2
    assert timedelta(days=30) <= fired[0] - started < timedelta(days=30, minutes=1)
    activity_started = next(
        e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ).activity_task_started_event_attributes
    assert activity_started.attempt == 2  # the retry after the hour of backoff
    assert timedelta(hours=1) <= fired[1] - fired[0] - timedelta(days=7) < timedelta(hours=1, minutes=1)


async def test_a_heartbeat_timeout_fires_in_virtual_time(env: WorkflowEnvironment) -> None:
    task_queue = f"tq-{uuid.uuid4()}"
    activities = OfficialHeartbeatActivities(env)
    async with worker(env, task_queue, [OfficialHeartbeatTimeout], [activities.outlives_heartbeat]):
        wall_start = time.monotonic()
        with pytest.raises(WorkflowFailureError) as failed:
            await env.client.execute_workflow(
                OfficialHeartbeatTimeout.run, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
            )
        assert time.monotonic() - wall_start < 5.0  # the timeout is ten minutes
    assert isinstance(failed.value.cause, ActivityError)
    assert isinstance(failed.value.cause.cause, TimeoutError)
    assert failed.value.cause.cause.type == TimeoutType.HEARTBEAT


async def test_sleep_moves_the_clock_and_get_current_time_reads_it(env: WorkflowEnvironment) -> None:
    before = await env.get_current_time()
    assert abs((before - datetime.now(UTC)).total_seconds()) < 60  # it starts at the wall time
    wall_start = time.monotonic()
    await env.sleep(timedelta(days=3))
    assert time.monotonic() - wall_start < 1.0
    moved = await env.get_current_time() - before
    assert timedelta(days=3) <= moved < timedelta(days=3, minutes=1)


async def test_with_auto_time_skipping_disabled_timers_take_wall_time(env: WorkflowEnvironment) -> None:
    task_queue = f"tq-{uuid.uuid4()}"
    short = [1.5, 0.1, 0.0]
    async with worker(env, task_queue, [OfficialSleepRetryWait], [official_fails_once]):
        with env.auto_time_skipping_disabled():
            wall_start = time.monotonic()
            await env.client.execute_workflow(
                OfficialSleepRetryWait.run, short, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
            )
            assert time.monotonic() - wall_start >= 1.5
        wall_start = time.monotonic()
        await env.client.execute_workflow(
            OfficialSleepRetryWait.run, [600.0, 0.1, 0.0], id=f"wf-{uuid.uuid4()}", task_queue=task_queue
        )
        assert time.monotonic() - wall_start < 1.5


async def test_the_operator_service_is_served_beside_the_others(env: WorkflowEnvironment) -> None:
    """As on the Java test server, the SDK's operator calls work: a search attribute added is listed."""
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default", search_attributes={"CustomerId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}
        )
    )
    listed = await env.client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
    assert listed.custom_attributes["CustomerId"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


async def test_a_running_activity_holds_time_back(env: WorkflowEnvironment) -> None:
    """The Java test server's semantics: while an activity task is outstanding the server holds
    its own lock, so an hour's timer beside a one-second activity does not fire first; once the
    activity is done, the hour is skipped."""
    task_queue = f"tq-{uuid.uuid4()}"
    async with worker(env, task_queue, [OfficialTimerBesideActivity], [official_takes_a_second]):
        before = await env.get_current_time()
        wall_start = time.monotonic()
        fired_first = await env.client.execute_workflow(
            OfficialTimerBesideActivity.run, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
        )
        wall = time.monotonic() - wall_start
    assert fired_first is False, "time skipped past the timer while the activity was running"
    assert 1.0 <= wall < 5.0
    assert (await env.get_current_time() - before) >= timedelta(hours=1)
