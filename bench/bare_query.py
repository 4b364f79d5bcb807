"""Query p50 with no SDK: the server's own part of a query's round trip, for the benchmark.

A query on a running workflow goes client -> server -> worker -> server -> client. With an
SDK as the client and the worker, the p50 is mostly theirs (the official SDK's worker hands
the query to its workflow's activation, in its sandbox). Here the client and the worker are
bare gRPC calls from one process: the worker long-polls the workflow task queue and answers
each query task at once with a fixed answer. What is left is the servers' part, the
transport's and that of a client and a worker that do next to nothing (grpcio's).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

import grpc
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import query_pb2
from temporalio.api.query.v1 import message_pb2 as query_message
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from bench.harness import tree_cpu_seconds

NAMESPACE = "default"
ANSWER = common.Payloads(payloads=[common.Payload(metadata={"encoding": b"json/plain"}, data=b'"waiting"')])


async def query_p50(address: str, queries: int, server_pid: int) -> dict[str, Any]:
    """Start a workflow, complete its first task with no commands (it stays open), then time
    ``queries`` queries answered by a bare poller; the workflow is terminated at the end."""
    queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    workflow_id = f"{queue}-queried"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        task_queue = taskqueue.TaskQueue(name=queue)
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace=NAMESPACE,
                workflow_id=workflow_id,
                workflow_type=common.WorkflowType(name="Bare"),
                task_queue=task_queue,
                request_id=str(uuid.uuid4()),
            ),
            timeout=10,
        )
        poll = wsv1.PollWorkflowTaskQueueRequest(namespace=NAMESPACE, task_queue=task_queue, identity="bare")
        first = await stub.PollWorkflowTaskQueue(poll, timeout=70)
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(namespace=NAMESPACE, task_token=first.task_token, identity="bare"),
            timeout=10,
        )
        answered = 0

        async def answer_queries() -> None:
            nonlocal answered
            while True:
                task = await stub.PollWorkflowTaskQueue(poll, timeout=70)
                if not task.task_token:
                    continue  # the long poll ran out
                if not task.HasField("query"):
                    raise RuntimeError(f"a workflow task that is not a query: {task.started_event_id}")
                # Counted before the answer goes: the query's caller may have it (and cancel this
                # task) before this call returns.
                answered += 1
                await stub.RespondQueryTaskCompleted(
                    wsv1.RespondQueryTaskCompletedRequest(
                        namespace=NAMESPACE,
                        task_token=task.task_token,
                        completed_type=query_pb2.QUERY_RESULT_TYPE_ANSWERED,
                        query_result=ANSWER,
                    ),
                    timeout=10,
                )

        worker = asyncio.create_task(answer_queries())
        query = wsv1.QueryWorkflowRequest(
            namespace=NAMESPACE,
            execution=common.WorkflowExecution(workflow_id=workflow_id),
            query=query_message.WorkflowQuery(query_type="status"),
        )
        try:
            await stub.QueryWorkflow(query, timeout=10)  # the first: connections and caches warm
            times = []
            server_cpu = tree_cpu_seconds(server_pid)
            for _ in range(queries):
                began = time.perf_counter()
                response = await stub.QueryWorkflow(query, timeout=10)
                times.append(time.perf_counter() - began)
                if response.query_result != ANSWER:
                    raise RuntimeError(f"the query answered {response.query_result}")
            server_cpu_ms = 1000 * (tree_cpu_seconds(server_pid) - server_cpu) / queries
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await stub.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(
                    namespace=NAMESPACE, workflow_execution=common.WorkflowExecution(workflow_id=workflow_id)
                ),
                timeout=10,
            )
    return {
        "query_p50_s": statistics.median(times),
        "query_server_cpu_ms": server_cpu_ms,
        "queries": queries,
        "answered": answered,
    }
