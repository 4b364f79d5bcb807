"""The workflow API inside a running worker: timers, asyncio, determinism helpers, continue-as-new."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import event_type_pb2

from sdk import activity, workflow
from sdk.client import Client
from sdk.exceptions import ActivityError, ApplicationError, CancelledError, TimeoutFailureError, WorkflowFailureError
from sdk.worker import Worker
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType


@activity.defn
async def echo(value: Any) -> Any:
    return value


@workflow.defn
class Clockwork:
    """Timers, gather and the deterministic helpers, reported in the result."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        start = workflow.now()
        # Plain asyncio inside a workflow: tasks, gather and sleep are durable.
        first, second = await asyncio.gather(
            workflow.execute_activity(echo, "a", start_to_close_timeout=timedelta(seconds=5)),
            workflow.execute_activity(echo, "b", start_to_close_timeout=timedelta(seconds=5)),
        )
        await asyncio.sleep(0.2)
        try:
            await workflow.wait_condition(lambda: False, timeout=0.1)
            timed_out = False
        except TimeoutError:
            timed_out = True
        try:
            await asyncio.wait_for(asyncio.sleep(60), timeout=0.1)
            wait_for = "finished"
        except TimeoutError:
            wait_for = "timed out"
        info = workflow.info()
        workflow.logger.info("clockwork done")
        return {
            "results": [first, second],
            "elapsed": (workflow.now() - start).total_seconds(),
            "timed_out": timed_out,
            "wait_for": wait_for,
            "uuid": str(workflow.uuid4()),
            "random": workflow.random().randint(0, 10**9),
            "info": [info.workflow_id, info.workflow_type, info.task_queue, info.attempt],
            "replaying": workflow.is_replaying(),
        }


async def test_asyncio_timers_and_deterministic_helpers(
    client: Client, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    workflow_id = f"clock-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.INFO, logger="sdk.workflow"):
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[Clockwork],
            activities=[echo],
            max_cached_workflows=0,
        ):
            result = await client.execute_workflow(Clockwork.run, id=workflow_id, task_queue=task_queue)
    assert result["results"] == ["a", "b"]
    # Workflow time moved by the durable timers only, and at least by all of them.
    assert result["elapsed"] >= 0.4
    assert result["timed_out"] is True
    assert result["wait_for"] == "timed out"
    assert result["info"] == [workflow_id, "Clockwork", task_queue, 1]
    assert result["replaying"] is False
    assert uuid.UUID(result["uuid"]).version == 4
    # With cache 0 every task replayed the whole history, yet the message was
    # logged once, by the task that was not a replay.
    done = [r for r in caplog.records if "clockwork done" in r.getMessage()]
    assert len(done) == 1
    assert workflow_id in done[0].getMessage()


@workflow.defn
class Seeds:
    @workflow.run
    async def run(self) -> list[str]:
        values = [str(workflow.uuid4())]
        await workflow.sleep(0.01)  # the next value is drawn after a replay
        values.append(str(workflow.uuid4()))
        return values


async def test_uuid4_and_random_survive_replay(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Seeds], max_cached_workflows=0):
        first = await client.execute_workflow(Seeds.run, id=f"seeds-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        second = await client.execute_workflow(Seeds.run, id=f"seeds-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    assert len(set(first)) == 2
    assert set(first).isdisjoint(second)  # seeded per run


@workflow.defn
class Counter:
    @workflow.run
    async def run(self, count: int, limit: int) -> int:
        if count < limit:
            workflow.continue_as_new(count + 1, limit)
        return count


async def test_continue_as_new_starts_fresh_runs_until_done(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Counter]):
        handle = await client.start_workflow(
            Counter.run, 0, 3, id=f"counter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        assert await handle.result() == 3
    first_run = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    assert (await first_run.describe()).status.name == "CONTINUED_AS_NEW"


@activity.defn
async def fail_hard(message: str) -> None:
    raise ApplicationError(message, {"why": "testing"}, type="Hard", non_retryable=True)


@workflow.defn
class Failing:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity(fail_hard, "boom", start_to_close_timeout=timedelta(seconds=5))
        except ActivityError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            raise ApplicationError(f"order failed: {cause.message} ({cause.type})") from err


async def test_an_application_error_fails_the_workflow_with_its_cause(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Failing], activities=[fail_hard]):
        with pytest.raises(WorkflowFailureError) as caught:
            await client.execute_workflow(Failing.run, id=f"failing-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "order failed: boom (Hard)"
    assert isinstance(cause.cause, ActivityError)


HEARTBEATING: list[str] = []
CANCELLED_ACTIVITIES: list[str] = []


@activity.defn
async def heartbeating_until_cancelled() -> str:
    HEARTBEATING.append(activity.info().workflow_id)
    try:
        while True:
            activity.heartbeat(activity.info().activity_id)
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        CANCELLED_ACTIVITIES.append(activity.info().workflow_id)
        raise


@activity.defn
def blocking_heartbeater() -> str:
    """The same, as a plain function: cancellation arrives as an exception from heartbeat()."""
    HEARTBEATING.append(activity.info().workflow_id)
    try:
        while True:
            activity.heartbeat("working")
            time.sleep(0.05)
    except CancelledError:
        assert activity.is_cancelled()
        CANCELLED_ACTIVITIES.append(activity.info().workflow_id)
        raise


@workflow.defn
class Canceller:
    def __init__(self) -> None:
        self.stop = False
        self.finish = False

    @workflow.run
    async def run(self, activity_name: str) -> str:
        handle = workflow.start_activity(
            activity_name,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=1),
        )
        await workflow.wait_condition(lambda: self.stop)
        handle.cancel()
        # As in the official SDK, the cancelled activity raises ActivityError caused by CancelledError.
        with contextlib.suppress(ActivityError):
            await handle
        # Stay open so the activity can report that it was cancelled.
        await workflow.wait_condition(lambda: self.finish)
        return "cancelled"

    @workflow.signal
    def halt(self) -> None:
        self.stop = True

    @workflow.signal
    def done(self) -> None:
        self.finish = True


@pytest.mark.parametrize("activity_fn", [heartbeating_until_cancelled, blocking_heartbeater])
async def test_cancelling_an_activity_reaches_it_through_its_heartbeat(
    client: Client, task_queue: str, activity_fn: Any, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = f"cancel-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Canceller],
        activities=[activity_fn],
        activity_executor=activity_executor,
    ):
        handle = await client.start_workflow(
            Canceller.run, activity_fn.__tempo_name__, id=workflow_id, task_queue=task_queue
        )

        async def heartbeating() -> bool:
            return workflow_id in HEARTBEATING

        await eventually(heartbeating)
        await handle.signal(Canceller.halt)

        async def activity_cancelled() -> bool:
            events = (await handle.fetch_history()).events
            return any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED for e in events)

        # The activity got CancelledError and the worker told the server so.
        await eventually(activity_cancelled)
        assert CANCELLED_ACTIVITIES.count(workflow_id) == 1
        await handle.signal(Canceller.done)
        assert await handle.result() == "cancelled"


@workflow.defn
class Patient:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.sleep(60)
        except asyncio.CancelledError:
            await workflow.execute_activity(echo, "cleanup", start_to_close_timeout=timedelta(seconds=5))
            raise
        return "slept"


async def test_cancelling_a_workflow_cancels_its_run_method(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Patient], activities=[echo]):
        handle = await client.start_workflow(Patient.run, id=f"patient-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        await asyncio.sleep(0.2)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
    assert isinstance(caught.value.cause, CancelledError)


@activity.defn
async def silent_worker() -> None:
    await asyncio.sleep(30)  # never heartbeats


@workflow.defn
class Impatient:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                silent_worker,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=1),
                retry_policy=workflow.RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            timeout = err.cause
            assert isinstance(timeout, TimeoutFailureError)
            return f"{err.activity_type} {timeout.timeout_type.name}"
        return "no timeout"


async def test_an_activity_that_stops_heartbeating_times_out(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Impatient], activities=[silent_worker]):
        result = await client.execute_workflow(
            Impatient.run, id=f"impatient-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert result == "silent_worker HEARTBEAT"
