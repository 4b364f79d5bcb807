"""A retried start (the same request id again) on both servers: it finds the run it started
while that run is the workflow's current one, and only then.

The real server checks a start's request id against the current run only: once a newer run
of the workflow id exists, the first start's request id no longer finds the first run, and
the retry is a start like any other (here: refused, the newer run still running).
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import WorkflowIdReusePolicy
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.service import RPCError

from tests.devserver import scenarios

pytestmark = pytest.mark.real_server


async def _answers(address: str) -> list[str]:
    client = await scenarios.client_for(address)
    service = client.workflow_service
    workflow_id = scenarios.unique("retried-start")
    first_request, second_request = str(uuid.uuid4()), str(uuid.uuid4())
    runs: dict[str, str] = {}

    async def start(request_id: str) -> str:
        """Which run the start answered with ("run 1", "run 2", ...), or the error's status."""
        request = wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="NeverRuns"),
            task_queue=TaskQueue(name=scenarios.unique("nobody-polls")),
            request_id=request_id,
            identity="retried-start-test",
            workflow_id_reuse_policy=WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
        )
        try:
            response = await service.start_workflow_execution(request)
        except RPCError as err:
            return err.status.name
        return runs.setdefault(response.run_id, f"run {len(runs) + 1}")

    answers = [await start(first_request), await start(first_request)]
    await service.terminate_workflow_execution(
        wsv1.TerminateWorkflowExecutionRequest(
            namespace="default", workflow_execution=WorkflowExecution(workflow_id=workflow_id), reason="next run"
        )
    )
    answers += [await start(first_request)]  # the current run is closed and was started by it
    answers += [await start(second_request), await start(second_request), await start(first_request)]
    return answers


async def test_a_retried_start_finds_only_the_current_run(tempo_address: str, real_address: str) -> None:
    ours, theirs = await _answers(tempo_address), await _answers(real_address)
    assert ours == theirs
    # The first start's id finds its run while it is current (even closed); not after run 2.
    assert ours == ["run 1", "run 1", "run 1", "run 2", "run 2", "ALREADY_EXISTS"]
