"""A run's start time as the servers show it, to the nanosecond, finds the run in a List
Filter on both servers: `StartTime = '<the time describe shows>'` counts it, and the times on
either side of it bound it the same way.

Times in a filter are read to the microsecond (a fraction beyond is cut off); a run's times
must be cut the same way, not rounded, or a run started at .xxxxxx600 ns would not be found
by its own start time.
"""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import WorkflowType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from tests.devserver import scenarios

pytestmark = pytest.mark.real_server

RUNS = 8  # started at random nanoseconds: one in two would be missed if times were rounded


async def _counts(address: str) -> list[list[int]]:
    client = await scenarios.client_for(address)
    service = client.workflow_service
    prefix = scenarios.unique("time-filter")
    queue = scenarios.unique("nobody-polls")
    started: dict[str, str] = {}
    for index in range(RUNS):
        workflow_id = f"{prefix}-{index}"
        await service.start_workflow_execution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="NeverRuns"),
                task_queue=TaskQueue(name=queue),
                request_id=scenarios.unique("request"),
            )
        )
        described = await client.get_workflow_handle(workflow_id).describe()
        started[workflow_id] = described.raw_description.workflow_execution_info.start_time.ToJsonString()

    async def count(query: str) -> int:
        response = await service.count_workflow_executions(
            wsv1.CountWorkflowExecutionsRequest(namespace="default", query=query)
        )
        return int(response.count)

    async def visible() -> bool:  # visibility may lag on the real server
        return await count(f"WorkflowId STARTS_WITH '{prefix}'") == RUNS

    await scenarios.wait_until(visible, what="visibility caught up")
    counts = []
    for workflow_id, start_time in started.items():
        scope = f"WorkflowId = '{workflow_id}' AND StartTime"
        counts.append(
            [
                await count(f"{scope} = '{start_time}'"),
                await count(f"{scope} >= '{start_time}'"),
                await count(f"{scope} <= '{start_time}'"),
                await count(f"{scope} BETWEEN '{start_time}' AND '{start_time}'"),
            ]
        )
        await client.get_workflow_handle(workflow_id).terminate()
    return counts


async def test_a_runs_start_time_finds_it_on_both_servers(tempo_address: str, real_address: str) -> None:
    ours, theirs = await _counts(tempo_address), await _counts(real_address)
    assert ours == theirs
    assert ours == [[1, 1, 1, 1]] * RUNS
