"""Helpers for the batch-operation tests: start idle workflows, wait for a job, compare histories."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf.json_format import MessageToDict
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.service import RPCError

# Fields that differ between two servers for the same history: times, ids, identities.
_VOLATILE = {"eventTime", "taskId", "identity", "requestId", "originalExecutionRunId", "firstExecutionRunId"}

WAIT = 60.0
"""Seconds a wait for a server gets: the suite's four processes on two cores (each with its own
two servers) can slow the real server's visibility and batch worker to many seconds."""


T = TypeVar("T")


async def _poll(done: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT) -> T:
    """Ask ``done()`` (a coroutine function) every 50 ms until it answers something other than
    None; that answer. Fails with ``what`` after ``timeout`` seconds (a deadline, not a number
    of tries: a loaded machine makes each try slower)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await done()
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (waited {timeout:.0f} s)")
        await asyncio.sleep(0.05)


async def idle_workflows(client: Client, workflow_type: str, count: int) -> list[str]:
    """Start `count` runs of `workflow_type` on a queue no worker polls; their ids (the same
    on both servers for the same type, so their histories compare)."""
    ids = [f"{workflow_type}-{i}" for i in range(count)]
    for workflow_id in ids:
        await client.start_workflow(workflow_type, id=workflow_id, task_queue=f"idle-{workflow_type}")
    return ids


async def wait_visible(client: Client, query: str, count: int) -> None:
    """Wait until visibility lists `count` runs for `query` (the real server's index lags)."""

    async def counted() -> bool | None:
        response = await client.workflow_service.count_workflow_executions(
            wsv1.CountWorkflowExecutionsRequest(namespace="default", query=query)
        )
        return True if response.count == count else None

    await _poll(counted, f"{query!r} never matched {count} runs")


async def start_job(client: Client, request: wsv1.StartBatchOperationRequest) -> None:
    """Start a batch job once the namespace's one running job (another test's) has ended.

    Both servers run one job per namespace at a time; a test sharing the server with an earlier
    test may find that test's job still winding down.
    """

    async def started() -> bool | None:
        try:
            await client.workflow_service.start_batch_operation(request)
            return True
        except RPCError as error:
            if "Max concurrent batch operations" not in error.message:
                raise
        return None

    await _poll(started, "another batch job kept running", timeout=2 * WAIT)


async def finished_job(client: Client, job_id: str) -> wsv1.DescribeBatchOperationResponse:
    """Describe the job once it is no longer running."""
    request = wsv1.DescribeBatchOperationRequest(namespace="default", job_id=job_id)

    async def finished() -> wsv1.DescribeBatchOperationResponse | None:
        response = await client.workflow_service.describe_batch_operation(request)
        return response if response.state != BatchOperationState.BATCH_OPERATION_STATE_RUNNING else None

    return await _poll(finished, f"batch job {job_id} still running")


async def listed_closed(client: Client, job_id: str) -> batch_pb.BatchOperationInfo:
    """The job as ListBatchOperations shows it, once it shows it closed.

    The real server lists jobs from its visibility store, which learns a job has ended a moment
    after DescribeBatchOperation says so (on a busy machine, seconds later); until then it lists
    the job as running (or not at all) and counts it against the namespace's one running job
    (StartBatchOperation then refuses any job, even a duplicate ID, as RESOURCE_EXHAUSTED).
    """
    request = wsv1.ListBatchOperationsRequest(namespace="default")

    async def closed() -> batch_pb.BatchOperationInfo | None:
        listed = await client.workflow_service.list_batch_operations(request)
        info = next((op for op in listed.operation_info if op.job_id == job_id), None)
        return info if info is not None and info.HasField("close_time") else None

    return await _poll(closed, f"batch job {job_id} never listed as closed")


def job_summary(response: wsv1.DescribeBatchOperationResponse) -> dict[str, Any]:
    """What must match across servers: everything but the job id and times."""
    summary = MessageToDict(response)
    for key in ("jobId", "startTime", "closeTime"):
        summary.pop(key, None)
    return summary


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


async def history_after_start(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """The run's events after its started event, without times, ids and identities."""
    events = [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]
    return [_strip(MessageToDict(event)) for event in events[1:]]


async def identities(client: Client, workflow_id: str) -> list[str]:
    """The identities the run's events after the first carry."""
    events = [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]
    found = []
    for event in events[1:]:
        attributes = MessageToDict(event)
        for key, value in attributes.items():
            if key.endswith("Attributes") and "identity" in value:
                found.append(value["identity"])
    return found


async def wait_for_items(client: Client, workflow_id: str, count: int) -> None:
    """Wait until the Waiter workflow (tests/sdk_client/workflows.py) has `count` items."""

    async def has() -> bool | None:
        return True if await client.get_workflow_handle(workflow_id).query("count") == count else None

    await _poll(has, f"{workflow_id} never had {count} items")
