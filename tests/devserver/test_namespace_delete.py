"""Deleting a namespace takes its schedules and batch jobs with it (OperatorService.DeleteNamespace):
a namespace registered again under the same name starts empty.

Tempo only: the real dev server deletes a namespace in the background and keeps its name
taken meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.batch.v1 import message_pb2 as batch_pb
from temporalio.api.common.v1 import WorkflowType
from temporalio.api.operatorservice.v1 import request_response_pb2 as opv1
from temporalio.api.operatorservice.v1.service_pb2_grpc import OperatorServiceStub
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflow.v1 import NewWorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

pytestmark = pytest.mark.timeout(60)
DAY = Duration(seconds=24 * 3600)


@pytest.fixture
def stubs(tempo_address: str) -> Iterator[tuple[WorkflowServiceStub, OperatorServiceStub]]:
    with grpc.insecure_channel(tempo_address) as channel:
        yield WorkflowServiceStub(channel), OperatorServiceStub(channel)


def _schedule() -> schedule_pb.Schedule:
    action = schedule_pb.ScheduleAction(
        start_workflow=NewWorkflowExecutionInfo(
            workflow_id="scheduled", workflow_type=WorkflowType(name="Nothing"), task_queue=TaskQueue(name="none")
        )
    )
    spec = schedule_pb.ScheduleSpec(interval=[schedule_pb.IntervalSpec(interval=Duration(seconds=3600))])
    return schedule_pb.Schedule(spec=spec, action=action, state=schedule_pb.ScheduleState(paused=True))


def test_a_namespace_registered_again_has_none_of_the_deleted_ones_schedules_or_batch_jobs(
    stubs: tuple[WorkflowServiceStub, OperatorServiceStub],
) -> None:
    workflows, operator = stubs
    namespace = f"deleted-{uuid.uuid4().hex[:8]}"
    workflows.RegisterNamespace(
        wsv1.RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=DAY)
    )
    workflows.CreateSchedule(
        wsv1.CreateScheduleRequest(namespace=namespace, schedule_id="hourly", schedule=_schedule(), request_id="r1")
    )
    workflows.StartBatchOperation(
        wsv1.StartBatchOperationRequest(
            namespace=namespace,
            job_id="sweep",
            visibility_query="WorkflowType = 'Nothing'",
            reason="test",
            termination_operation=batch_pb.BatchOperationTermination(),
        )
    )

    def holds() -> tuple[int, int]:
        schedules = workflows.ListSchedules(wsv1.ListSchedulesRequest(namespace=namespace)).schedules
        jobs = workflows.ListBatchOperations(wsv1.ListBatchOperationsRequest(namespace=namespace)).operation_info
        return len(schedules), len(jobs)

    assert holds() == (1, 1)
    operator.DeleteNamespace(opv1.DeleteNamespaceRequest(namespace=namespace))
    workflows.RegisterNamespace(
        wsv1.RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=DAY)
    )
    assert holds() == (0, 0)
