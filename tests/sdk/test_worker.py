"""Worker behaviour: activities, cache eviction, long histories, graceful shutdown."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import task_queue_pb2

from sdk import activity, workflow
from sdk.client import Client
from sdk.exceptions import ApplicationError
from sdk.worker import Worker
from tests.sdk.conftest import eventually


@activity.defn
def count_up_slowly(to: int) -> list[object]:
    """A plain function: it runs in the worker's thread pool and heartbeats progress."""
    info = activity.info()
    done = int(info.heartbeat_details[0]) if info.heartbeat_details else 0
    for step in range(done + 1, to + 1):
        activity.heartbeat(step)
        if step == 2 and info.attempt == 1:
            raise ApplicationError("crashed half-way")
    return [info.attempt, done, threading.current_thread().name.startswith("tempo-activity")]


@workflow.defn
class Resumer:
    @workflow.run
    async def run(self) -> list[object]:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            count_up_slowly,
            4,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=workflow.RetryPolicy(initial_interval=timedelta(milliseconds=10)),
        )


async def test_a_retried_sync_activity_resumes_from_its_last_heartbeat(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Resumer],
        activities=[count_up_slowly],
        activity_executor=activity_executor,
    ):
        attempt, resumed_from, in_pool = await client.execute_workflow(
            Resumer.run, id=f"resumer-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert (attempt, resumed_from, in_pool) == (2, 2, True)


RUNNING = {"now": 0, "max": 0}


@activity.defn
async def occupy(seconds: float) -> None:
    RUNNING["now"] += 1
    RUNNING["max"] = max(RUNNING["max"], RUNNING["now"])
    try:
        await asyncio.sleep(seconds)
    finally:
        RUNNING["now"] -= 1


@workflow.defn
class FanOut:
    @workflow.run
    async def run(self, count: int) -> None:
        await asyncio.gather(
            *(
                workflow.execute_activity(occupy, 0.1, start_to_close_timeout=timedelta(seconds=10))
                for _ in range(count)
            )
        )


async def test_max_concurrent_activities_limits_the_activities_run_at_once(client: Client, task_queue: str) -> None:
    RUNNING.update(now=0, max=0)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FanOut],
        activities=[occupy],
        max_concurrent_activities=2,
    ):
        await client.execute_workflow(FanOut.run, 6, id=f"fan-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    assert RUNNING["max"] == 2


@workflow.defn
class Accumulator:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.run
    async def run(self, until: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.items) >= until)
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.query
    def size(self) -> int:
        return len(self.items)


async def test_runs_evicted_from_a_small_cache_are_rebuilt_correctly(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Accumulator], max_cached_workflows=1):
        handles = [
            await client.start_workflow(Accumulator.run, 3, id=f"acc-{i}-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
            for i in range(2)
        ]
        # Alternate between the runs so each task finds the other one cached.
        for round_ in range(3):
            for index, handle in enumerate(handles):
                await handle.signal(Accumulator.add, f"{index}.{round_}")

                async def received(h=handle, n=round_ + 1) -> bool:  # type: ignore[no-untyped-def]
                    return bool(await h.query(Accumulator.size) == n or n == 3)

                await eventually(received)
        results = [await h.result() for h in handles]
    assert results == [[f"{i}.{r}" for r in range(3)] for i in range(2)]


async def test_a_history_longer_than_one_page_is_replayed_whole(client: Client, task_queue: str) -> None:
    # 300 signals before any worker: the first task's history spans several pages.
    handle = await client.start_workflow(Accumulator.run, 300, id=f"long-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    await asyncio.gather(*(handle.signal(Accumulator.add, str(i)) for i in range(300)))
    async with Worker(client, task_queue=task_queue, workflows=[Accumulator], max_cached_workflows=0):
        result = await handle.result()
    assert sorted(result, key=int) == [str(i) for i in range(300)]


STARTED: list[str] = []
FINISHED: list[str] = []


@activity.defn
async def slow_step(name: str) -> str:
    STARTED.append(name)
    await asyncio.sleep(0.5)
    FINISHED.append(name)
    return name


@workflow.defn
class OneSlowStep:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            slow_step, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_shutdown_lets_running_activities_finish_within_the_grace_period(client: Client, task_queue: str) -> None:
    name = f"graceful-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[OneSlowStep],
        activities=[slow_step],
        graceful_shutdown_timeout=timedelta(seconds=5),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )
    running = asyncio.create_task(worker.run())
    handle = await client.start_workflow(OneSlowStep.run, name, id=name, task_queue=task_queue)

    async def started() -> bool:
        return name in STARTED

    await eventually(started)
    started_at = time.monotonic()
    await worker.shutdown()
    await running
    # Shutdown waited for the activity, which reported its result to the server.
    assert FINISHED.count(name) == 1
    assert time.monotonic() - started_at < 5
    # Nothing was lost: the workflow finishes (on this worker during its shutdown,
    # or on the next one) without running the activity again.
    async with Worker(client, task_queue=task_queue, workflows=[OneSlowStep], activities=[slow_step]):
        assert await handle.result() == name
    assert FINISHED.count(name) == 1


async def test_a_worker_for_an_unknown_namespace_fails_to_start(server_address: str) -> None:
    other = await Client.connect(server_address, namespace="no-such-namespace")
    try:
        with pytest.raises(Exception, match="no-such-namespace"):
            await Worker(other, task_queue="tq", workflows=[OneSlowStep]).run()
    finally:
        await other.close()


@workflow.defn
class Slowpoke:
    def __init__(self) -> None:
        self.count = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.count >= 2)

    @workflow.signal
    def bump(self) -> None:
        with workflow.unsafe.sandbox_unrestricted():
            time.sleep(0.3)  # a slow workflow task (under the deadlock timeout)
        self.count += 1

    @workflow.query
    def current(self) -> int:
        return self.count


async def test_a_query_during_a_workflow_task_sees_that_tasks_outcome(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Slowpoke]):
        handle = await client.start_workflow(Slowpoke.run, id=f"slow-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        assert await handle.query(Slowpoke.current) == 0
        await handle.signal(Slowpoke.bump)
        await asyncio.sleep(0.1)  # the task handling the signal is in flight now
        assert await handle.query(Slowpoke.current) == 1
        await handle.signal(Slowpoke.bump)
        await handle.result()


class _CountingService:
    """Wraps the gRPC stub to count calls and workflow tasks taken from the sticky queue."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: collections.Counter[str] = collections.Counter()
        self.sticky_tasks = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        async def call(request: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            response = await method(request, **kwargs)
            sticky = task_queue_pb2.TASK_QUEUE_KIND_STICKY
            is_task = name == "PollWorkflowTaskQueue" and response.task_token and not response.HasField("query")
            if is_task and request.task_queue.kind == sticky:
                self.sticky_tasks += 1
            return response

        return call


class _CountingClient:
    def __init__(self, client: Client) -> None:
        self.namespace = client.namespace
        self.identity = client.identity
        self.data_converter = client.data_converter
        self.service = _CountingService(client.service)


@pytest.mark.parametrize("cache_size", [10, 0])
async def test_cached_runs_get_their_next_tasks_on_the_sticky_queue(
    client: Client, task_queue: str, cache_size: int
) -> None:
    counting = _CountingClient(client)
    worker = Worker(
        counting,  # type: ignore[arg-type]
        task_queue=task_queue,
        workflows=[Accumulator],
        max_cached_workflows=cache_size,
    )
    async with worker:
        handle = await client.start_workflow(
            Accumulator.run, 3, id=f"sticky-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        for index in range(3):
            await handle.signal(Accumulator.add, str(index))

            async def received(n: int = index + 1) -> bool:
                return bool(await handle.query(Accumulator.size) == n)

            await eventually(received)
        assert await handle.result() == ["0", "1", "2"]
    service = counting.service
    if cache_size:
        # Every task after the first went to this worker's sticky queue, with only
        # the new events: no history had to be fetched. (A signal may arrive while
        # the first task is in flight and share the next task, so count tasks.)
        completed = service.calls["RespondWorkflowTaskCompleted"]
        assert completed >= 2, service.calls
        assert service.sticky_tasks == completed - 1, service.calls
        assert service.calls["GetWorkflowExecutionHistory"] == 0, service.calls
        assert service.calls["ShutdownWorker"] == 1
    else:
        assert service.sticky_tasks == 0
        assert service.calls["ShutdownWorker"] == 0


@workflow.defn
class LastCall:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.signals))
        return self.signals

    @workflow.signal
    def knock(self, who: str) -> None:
        if not self.signals:
            with workflow.unsafe.sandbox_unrestricted():
                time.sleep(0.5)  # keep the task that would complete the workflow in flight
        self.signals.append(who)


async def test_a_signal_that_arrives_while_the_workflow_completes_is_not_lost(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[LastCall]):
        handle = await client.start_workflow(LastCall.run, id=f"last-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        await handle.signal(LastCall.knock, "first")
        await asyncio.sleep(0.2)  # the task handling "first" is running now
        await handle.signal(LastCall.knock, "second")
        # The server refuses to close the run while "second" is pending; the retried
        # task sees both signals.
        assert await handle.result() == ["first", "second"]


@activity.defn
async def long_job() -> int:
    attempt = activity.info().attempt
    if attempt == 1:
        STARTED.append(activity.info().workflow_id)
        await asyncio.sleep(30)  # outlives the first worker's grace period
    return attempt


@workflow.defn
class LongJob:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            long_job,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=workflow.RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )


async def test_an_activity_outliving_the_grace_period_is_handed_to_another_worker(
    client: Client, task_queue: str
) -> None:
    workflow_id = f"long-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[LongJob],
        activities=[long_job],
        graceful_shutdown_timeout=timedelta(seconds=0.2),
    )
    running = asyncio.create_task(worker.run())
    handle = await client.start_workflow(LongJob.run, id=workflow_id, task_queue=task_queue)

    async def started() -> bool:
        return workflow_id in STARTED

    await eventually(started)
    started_at = time.monotonic()
    await worker.shutdown()
    await running
    assert time.monotonic() - started_at < 5  # did not wait for the 30 s activity
    # The attempt was reported failed, not lost: the next worker retries it at once
    # instead of waiting for the 60 s start-to-close timeout.
    async with Worker(client, task_queue=task_queue, workflows=[LongJob], activities=[long_job]):
        assert await asyncio.wait_for(handle.result(), timeout=20) == 2


@workflow.defn
class ShortNap:
    def __init__(self) -> None:
        self.awake = False

    @workflow.run
    async def run(self, nap: float) -> str:
        await workflow.sleep(nap)
        self.awake = True
        await workflow.wait_condition(lambda: False)
        return "never"

    @workflow.query
    def started(self) -> bool:
        return True

    @workflow.query
    def is_awake(self) -> bool:
        return self.awake


async def test_a_task_handed_out_while_the_worker_shuts_down_is_answered_not_lost(
    client: Client, task_queue: str
) -> None:
    """A worker stopping just as its cached run's timer fires answers the task the timer schedules.

    If the task went to a poll the worker had already cancelled, it would sit started and
    unanswered until its timeout (here 30 s): the run would be stuck with no one at fault.
    Each run has a queue of its own, so that only its own worker's shutdown is tested (a
    task for a run that is not cached may meet a cancelled normal-queue poll on any server).
    """
    runs = []
    for index in range(16):
        queue = f"{task_queue}-{index}"
        # Naps from 1 to 16 ms: some of them end while the worker is stopping.
        nap = (index + 1) / 1000
        handle = await client.start_workflow(
            ShortNap.run, nap, id=f"nap-{uuid.uuid4().hex[:8]}", task_queue=queue, task_timeout=timedelta(seconds=30)
        )
        async with Worker(client, task_queue=queue, workflows=[ShortNap]):
            assert await handle.query(ShortNap.started)
        runs.append((queue, handle))
    for queue, handle in runs:
        async with Worker(client, task_queue=queue, workflows=[ShortNap]):

            async def awake(handle: Any = handle) -> bool:
                return bool(await handle.query(ShortNap.is_awake))

            await eventually(awake, timeout=10)
