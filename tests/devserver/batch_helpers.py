"""Helpers for the batch-operation tests: start idle workflows, wait for a job, compare histories."""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.service import RPCError

# Fields that differ between two servers for the same history: times, ids, identities.
_VOLATILE = {"eventTime", "taskId", "identity", "requestId", "originalExecutionRunId", "firstExecutionRunId"}


async def idle_workflows(client: Client, workflow_type: str, count: int) -> list[str]:
    """Start `count` runs of `workflow_type` on a queue no worker polls; their ids (the same
    on both servers for the same type, so their histories compare)."""
    ids = [f"{workflow_type}-{i}" for i in range(count)]
    for workflow_id in ids:
        await client.start_workflow(workflow_type, id=workflow_id, task_queue=f"idle-{workflow_type}")
    return ids


async def wait_visible(client: Client, query: str, count: int) -> None:
    """Wait until visibility lists `count` runs for `query` (the real server's index lags)."""
    for _ in range(200):
        response = await client.workflow_service.count_workflow_executions(
            wsv1.CountWorkflowExecutionsRequest(namespace="default", query=query)
        )
        if response.count == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{query!r} never matched {count} runs")


async def start_job(client: Client, request: wsv1.StartBatchOperationRequest) -> None:
    """Start a batch job once the namespace's one running job (another test's) has ended.

    Both servers run one job per namespace at a time; a test sharing the server with an earlier
    test may find that test's job still winding down.
    """
    for _ in range(600):
        try:
            await client.workflow_service.start_batch_operation(request)
            return
        except RPCError as error:
            if "Max concurrent batch operations" not in error.message:
                raise
        await asyncio.sleep(0.05)
    raise AssertionError("another batch job kept running for 30 s")


async def finished_job(client: Client, job_id: str) -> wsv1.DescribeBatchOperationResponse:
    """Describe the job once it is no longer running."""
    request = wsv1.DescribeBatchOperationRequest(namespace="default", job_id=job_id)
    for _ in range(600):
        response = await client.workflow_service.describe_batch_operation(request)
        if response.state != BatchOperationState.BATCH_OPERATION_STATE_RUNNING:
            return response
        await asyncio.sleep(0.05)
    raise AssertionError(f"batch job {job_id} still running")


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
    for _ in range(200):
        if await client.get_workflow_handle(workflow_id).query("count") == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} never had {count} items")
