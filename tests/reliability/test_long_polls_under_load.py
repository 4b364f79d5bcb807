"""Every client call is answered under load: long polls end with their event or an empty
page, never with an error the client did not cause (official SDK worker and client)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_status import rpc_status
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import HistoryEventFilterType
from temporalio.api.errordetails.v1 import ResourceExhaustedFailure
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.client import Client
from temporalio.worker import Worker

from tests.reliability.harness import connect
from tests.reliability.storm_app import Sleeper
from tests.servers import ServerProcess, real_server, tempo_server

WORKFLOWS = 2000


@pytest.fixture(scope="module")
def busy_tempo() -> Iterator[ServerProcess]:
    # A short history long poll makes the 2,000 `result()` calls time out and come back together
    # before the workflows finish together: both bursts of the reported failure.
    server = tempo_server("--dynamic-config-value", 'history.longPollExpirationInterval="4s"').start()
    try:
        yield server
    finally:
        server.stop()


async def test_2000_result_calls_finishing_together_are_all_answered(busy_tempo: ServerProcess) -> None:
    client = await Client.connect(busy_tempo.address)
    queue = f"storm-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[Sleeper], max_concurrent_workflow_tasks=100):
        due = time.time() + 10 + WORKFLOWS / 250
        limit = asyncio.Semaphore(100)

        async def start(i: int) -> str:
            async with limit:
                handle = await client.start_workflow(Sleeper.run, due, id=f"{queue}-{i}", task_queue=queue)
                return handle.id

        workflow_ids = await asyncio.gather(*(start(i) for i in range(WORKFLOWS)))
        outcomes: Counter[str] = Counter()

        async def result(workflow_id: str) -> None:
            try:
                outcomes[await client.get_workflow_handle(workflow_id).result()] += 1
            except Exception as exc:
                outcomes[f"{type(exc).__name__}: {exc}"] += 1

        await asyncio.wait_for(asyncio.gather(*(result(w) for w in workflow_ids)), 240)
    assert outcomes == Counter({"done": WORKFLOWS})


async def _park_history_polls(address: str, count: int, limit_hit: asyncio.Event) -> Counter[str]:
    """`count` history long polls on one running workflow; returns the status codes they end with."""
    codes: Counter[str] = Counter()
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        workflow_id = f"parked-{uuid.uuid4().hex[:6]}"
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Nobody"),
                task_queue=TaskQueue(name=f"nowhere-{workflow_id}"),
                request_id=str(uuid.uuid4()),
            )
        )
        request = wsv1.GetWorkflowExecutionHistoryRequest(
            namespace="default",
            execution=WorkflowExecution(workflow_id=workflow_id),
            wait_new_event=True,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        )
        calls = [stub.GetWorkflowExecutionHistory(request, timeout=6) for _ in range(count)]
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(outcome, grpc.aio.AioRpcError):
                codes[outcome.code().name] += 1
                status = rpc_status.from_call(outcome)  # type: ignore[arg-type]
                if outcome.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and status is not None:
                    failure = ResourceExhaustedFailure()
                    assert status.details[0].Unpack(failure)
                    limit_hit.set()
            else:
                codes["OK"] += 1
    return codes


async def test_history_long_polls_are_not_refused_at_the_real_servers_count_limit(busy_tempo: ServerProcess) -> None:
    # 1,500 waiting `result()`-style polls on one namespace: the real server refuses those over
    # frontend.namespaceCount (1200); Tempo lets them wait and answers each with an empty page.
    codes = await _park_history_polls(busy_tempo.address, 1500, asyncio.Event())
    assert codes == Counter({"OK": 1500})


@pytest.mark.real_server
async def test_the_real_server_refuses_history_long_polls_over_1200() -> None:
    """The reference behaviour the previous test departs from, measured."""
    server = real_server().start(timeout=60)
    try:
        await connect(server.address)  # its port opens before its frontend answers
        limit_hit = asyncio.Event()
        codes = await _park_history_polls(server.address, 1500, limit_hit)
    finally:
        server.stop()
    assert codes["RESOURCE_EXHAUSTED"] > 0 and limit_hit.is_set(), codes


@pytest.mark.parametrize("kind", ["tempo", pytest.param("real", marks=pytest.mark.real_server)])
async def test_result_without_run_id_outlasts_the_history_long_poll(kind: str) -> None:
    # An expired close-event long poll answers an empty page with a token; without one the
    # official SDK's result() on a handle without a run id gives up ("No completion event found").
    make = tempo_server if kind == "tempo" else real_server
    server = make("--dynamic-config-value", 'history.longPollExpirationInterval="2s"').start(timeout=60)
    try:
        client = await Client.connect(server.address)
        queue = f"outlast-{uuid.uuid4().hex[:6]}"
        async with Worker(client, task_queue=queue, workflows=[Sleeper]):
            await client.start_workflow(Sleeper.run, time.time() + 5, id=queue, task_queue=queue)
            assert await client.get_workflow_handle(queue).result() == "done"
    finally:
        server.stop()


async def test_result_never_sees_a_close_that_is_not_yet_durable(tmp_path: Path) -> None:
    # With --db-filename a run's state says "closed" while its close event is still being
    # written; a result() arriving then must wait for the event, not come back empty.
    server = tempo_server("--db-filename", str(tmp_path / "tempo.db")).start()
    try:
        client = await Client.connect(server.address)
        queue = f"durable-close-{uuid.uuid4().hex[:6]}"
        ids = []
        for i in range(40):
            handle = await client.start_workflow(Sleeper.run, 0.0, id=f"{queue}-{i}", task_queue=queue)
            ids.append(handle.id)
        # The worker comes when all are waiting: they complete together while the results are asked.
        async with Worker(client, task_queue=queue, workflows=[Sleeper]):
            results = [await client.get_workflow_handle(w).result() for w in ids]
    finally:
        server.stop()
    assert results == ["done"] * 40
