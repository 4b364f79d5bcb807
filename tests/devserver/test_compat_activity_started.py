"""Which build ran an activity, as the history tells it, on both servers.

An activity's ActivityTaskStarted event is written when its attempt ends, and the real
server stamps it with the version the worker sent with its answer (`worker_version` of
RespondActivityTaskCompleted and RespondActivityTaskFailed): `temporal workflow show` and the
Web UI then say which build ran the activity. An answer without a stamp, or by id, leaves the
event without one. Ours must do the same.

(The official Python SDK sends the stamp only to a server that says it does build-id
versioning, which Tempo does not claim: the calls here are raw, as any worker's.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkerVersionStamp, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.service import WorkflowService

from tests.devserver import scenarios
from tests.devserver.by_id_driver import NS, by_id, waiting_activity

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(120)]

STAMP = WorkerVersionStamp(build_id="build-of-the-worker")
_GIVE_UP = Failure(message="no", application_failure_info=ApplicationFailureInfo(type="E", non_retryable=True))


async def _started_event(service: WorkflowService, workflow_id: str) -> tuple[bool, str]:
    """Whether the run's ActivityTaskStarted carries a version stamp, and its build id."""
    read = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id))
    )
    (started,) = [
        event.activity_task_started_event_attributes
        for event in read.history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    return started.HasField("worker_version"), started.worker_version.build_id


async def _answers(address: str) -> dict[str, Any]:
    service = (await scenarios.client_for(address)).workflow_service
    out: dict[str, Any] = {}
    for case in ("completed", "completed, no stamp", "failed", "failed, no stamp"):
        workflow_id, token = await waiting_activity(service, attempts=1, started=True)
        version = {} if case.endswith("no stamp") else {"worker_version": STAMP}
        if case.startswith("completed"):
            await service.respond_activity_task_completed(
                wsv1.RespondActivityTaskCompletedRequest(namespace=NS, task_token=token, identity="w", **version)
            )
        else:
            await service.respond_activity_task_failed(
                wsv1.RespondActivityTaskFailedRequest(
                    namespace=NS, task_token=token, identity="w", failure=_GIVE_UP, **version
                )
            )
        out[case] = await _started_event(service, workflow_id)
    workflow_id, _ = await waiting_activity(service, attempts=1, started=True)
    await by_id(service, "completed", workflow_id)
    out["completed by id"] = await _started_event(service, workflow_id)
    return out


async def test_an_activitys_started_event_names_the_build_that_answered(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_answers(tempo_address), _answers(real_address))
    assert ours == real
    assert real["completed"] == real["failed"] == (True, STAMP.build_id)
    assert real["completed, no stamp"] == real["failed, no stamp"] == real["completed by id"] == (False, "")
