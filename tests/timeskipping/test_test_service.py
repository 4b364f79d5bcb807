"""The TestService (`temporal.api.testservice.v1`) over gRPC: the lock count, sleeps, the
current time, and the time-skipping dev server (`tempo server start-dev --time-skipping`)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import duration_pb2, empty_pb2
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.testservice.v1 import request_response_pb2 as tsv1
from temporalio.api.testservice.v1 import service_pb2_grpc as test_grpc
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.servers import running, tempo_server
from tests.timeskipping.apps import DAY, running_test_server

HOUR = 3600.0


@pytest.fixture
async def stub() -> AsyncIterator[test_grpc.TestServiceStub]:
    with running_test_server() as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield test_grpc.TestServiceStub(channel)


async def current_time(stub: test_grpc.TestServiceStub) -> float:
    response = await stub.GetCurrentTime(empty_pb2.Empty())
    return float(response.time.ToNanoseconds() / 1e9)


def seconds(value: float) -> tsv1.SleepRequest:
    return tsv1.SleepRequest(duration=duration_pb2.Duration(seconds=int(value), nanos=int(value % 1 * 1e9)))


async def test_time_starts_at_the_wall_clock(stub: test_grpc.TestServiceStub) -> None:
    assert abs(await current_time(stub) - time.time()) < 5


async def test_one_lock_is_held_at_start_so_a_sleep_takes_wall_time(stub: test_grpc.TestServiceStub) -> None:
    wall_start = time.monotonic()
    await stub.Sleep(seconds(0.5))
    assert time.monotonic() - wall_start >= 0.5


async def test_with_the_lock_released_time_jumps_to_what_is_due(stub: test_grpc.TestServiceStub) -> None:
    before = await current_time(stub)
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    wall_start = time.monotonic()
    await stub.Sleep(seconds(2 * DAY))
    assert time.monotonic() - wall_start < 1.0
    assert 2 * DAY <= await current_time(stub) - before < 2 * DAY + 60


async def test_sleep_until_a_moment(stub: test_grpc.TestServiceStub) -> None:
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    target = await current_time(stub) + 5 * DAY
    request = tsv1.SleepUntilRequest()
    request.timestamp.FromNanoseconds(int(target * 1e9))
    await stub.SleepUntil(request)
    assert target <= await current_time(stub) < target + 60


async def test_unlock_with_sleep_locks_again_afterwards(stub: test_grpc.TestServiceStub) -> None:
    before = await current_time(stub)
    await stub.UnlockTimeSkippingWithSleep(seconds(HOUR))
    assert HOUR <= await current_time(stub) - before < HOUR + 60
    # Locked again: a sleep takes wall time.
    wall_start = time.monotonic()
    await stub.Sleep(seconds(0.3))
    assert time.monotonic() - wall_start >= 0.3


async def test_locks_count(stub: test_grpc.TestServiceStub) -> None:
    await stub.LockTimeSkipping(tsv1.LockTimeSkippingRequest())
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    # Still the lock held from the start: no skipping.
    wall_start = time.monotonic()
    await stub.Sleep(seconds(0.3))
    assert time.monotonic() - wall_start >= 0.3
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    wall_start = time.monotonic()
    await stub.Sleep(seconds(DAY))
    assert time.monotonic() - wall_start < 1.0


async def test_an_unbalanced_unlock_is_refused(stub: test_grpc.TestServiceStub) -> None:
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())
    assert refused.value.code() == grpc.StatusCode.UNKNOWN
    assert refused.value.details() == "Unbalanced lock and unlock calls"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.UnlockTimeSkippingWithSleep(seconds(HOUR))
    assert refused.value.code() == grpc.StatusCode.UNKNOWN
    # The count is unchanged: one lock makes it balanced again.
    await stub.LockTimeSkipping(tsv1.LockTimeSkippingRequest())
    await stub.UnlockTimeSkipping(tsv1.UnlockTimeSkippingRequest())


async def test_a_negative_duration_is_refused(stub: test_grpc.TestServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Sleep(tsv1.SleepRequest(duration=duration_pb2.Duration(seconds=-5)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_start_dev_serves_the_test_service_only_with_time_skipping() -> None:
    with running(tempo_server()) as plain:
        async with grpc.aio.insecure_channel(plain.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await test_grpc.TestServiceStub(channel).GetCurrentTime(empty_pb2.Empty())
            assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with running(tempo_server("--time-skipping")) as skipping:
        async with grpc.aio.insecure_channel(skipping.address) as channel:
            stub = test_grpc.TestServiceStub(channel)
            before = await current_time(stub)
            await stub.UnlockTimeSkippingWithSleep(seconds(10 * DAY))
            assert 10 * DAY <= await current_time(stub) - before < 10 * DAY + 60


async def test_a_restart_keeps_the_virtual_time(tmp_path: object) -> None:
    db = f"{tmp_path}/tempo.db"
    with running(tempo_server("--time-skipping", "--db-filename", db)) as first:
        async with grpc.aio.insecure_channel(first.address) as channel:
            stub = test_grpc.TestServiceStub(channel)
            await stub.UnlockTimeSkippingWithSleep(seconds(40 * DAY))
            before_restart = await current_time(stub)
    assert before_restart > time.time() + 39 * DAY
    with running(tempo_server("--time-skipping", "--db-filename", db)) as second:
        async with grpc.aio.insecure_channel(second.address) as channel:
            after_restart = await current_time(test_grpc.TestServiceStub(channel))
    assert before_restart <= after_restart < before_restart + 60


async def test_after_a_crash_time_is_not_behind_the_latest_event(tmp_path: object) -> None:
    db = f"{tmp_path}/tempo.db"
    server = tempo_server("--time-skipping", "--db-filename", db).start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            await test_grpc.TestServiceStub(channel).UnlockTimeSkippingWithSleep(seconds(40 * DAY))
            workflows = WorkflowServiceStub(channel)
            started = await workflows.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id="crash",
                    workflow_type=WorkflowType(name="Any"),
                    task_queue=TaskQueue(name="nobody-polls"),
                    request_id="crash-1",
                )
            )
            history = await workflows.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(
                    namespace="default", execution=WorkflowExecution(workflow_id="crash", run_id=started.run_id)
                )
            )
    finally:
        server.kill()
    latest = max(event.event_time.ToNanoseconds() / 1e9 for event in history.history.events)
    assert latest > time.time() + 39 * DAY
    os.remove(f"{db}.clock")  # the kept virtual time is lost with the crash
    with running(tempo_server("--time-skipping", "--db-filename", db)) as restarted:
        async with grpc.aio.insecure_channel(restarted.address) as channel:
            assert await current_time(test_grpc.TestServiceStub(channel)) >= latest
