"""Queries that outlive their caller's deadline leave no traceback in the server's log.

A query waits for a worker's answer as long as its caller does; when the deadline passes, gRPC
ends the call while the handler is still waiting, and a status sent then fails inside gRPC's
core (which logged an ExecuteBatchError traceback: seen once in the fuzz test's log check).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.reliability.harness import logged
from tests.servers import tempo_server

pytestmark = pytest.mark.timeout(120)


async def test_queries_past_their_deadline_leave_the_log_clean(tmp_path: Path) -> None:
    server = logged(tempo_server(), tmp_path / "server.log").start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = WorkflowServiceStub(channel)
            workflow_id = f"silent-{uuid.uuid4().hex[:8]}"
            task_queue = TaskQueue(name=workflow_id)
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=task_queue,
                    request_id=str(uuid.uuid4()),
                )
            )
            # A worker takes the first task and never answers: every query waits out its deadline.
            await stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=task_queue), timeout=20
            )
            query = wsv1.QueryWorkflowRequest(
                namespace="default",
                execution=WorkflowExecution(workflow_id=workflow_id),
                query=WorkflowQuery(query_type="state"),
            )

            async def ask(deadline: float) -> grpc.StatusCode:
                try:
                    await stub.QueryWorkflow(query, timeout=deadline)
                except grpc.aio.AioRpcError as error:
                    return error.code()
                return grpc.StatusCode.OK

            codes: set[grpc.StatusCode] = set()
            for _ in range(5):
                # Deadlines spread over a few tens of milliseconds, so some end while the server
                # is about to answer.
                codes |= set(await asyncio.gather(*(ask(0.05 + 0.001 * (i % 50)) for i in range(100))))
            assert codes == {grpc.StatusCode.DEADLINE_EXCEEDED}
            # The server still answers (the log is checked after it has handled them all).
            await stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=10)
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
