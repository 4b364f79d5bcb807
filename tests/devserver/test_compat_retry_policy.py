"""A retry policy given in part is recorded with Temporal's defaults filled in, on a workflow
start and on a child a workflow starts, as the real server records it."""

from __future__ import annotations

import uuid

from google.protobuf.duration_pb2 import Duration
from google.protobuf.json_format import MessageToDict
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import CommandType
from temporalio.api.taskqueue.v1 import message_pb2 as tq
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client


async def _recorded_policies(address: str) -> tuple[dict[str, object], dict[str, object]]:
    client = await Client.connect(address)
    service = client.workflow_service
    queue = f"retry-{uuid.uuid4().hex[:8]}"
    workflow_id = f"retry-parent-{uuid.uuid4().hex[:8]}"
    partial = common.RetryPolicy(initial_interval=Duration(seconds=2), maximum_attempts=3)
    await service.start_workflow_execution(
        wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=common.WorkflowType(name="Parent"),
            task_queue=tq.TaskQueue(name=queue),
            request_id=str(uuid.uuid4()),
            retry_policy=partial,
        )
    )
    task = await service.poll_workflow_task_queue(
        wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=tq.TaskQueue(name=queue), identity="raw")
    )
    child = command_pb.StartChildWorkflowExecutionCommandAttributes(
        namespace="default",
        workflow_id=f"{workflow_id}-child",
        workflow_type=common.WorkflowType(name="Child"),
        task_queue=tq.TaskQueue(name=queue),
        retry_policy=common.RetryPolicy(initial_interval=Duration(seconds=3)),
    )
    await service.respond_workflow_task_completed(
        wsv1.RespondWorkflowTaskCompletedRequest(
            namespace="default",
            task_token=task.task_token,
            identity="raw",
            commands=[
                command_pb.Command(
                    command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
                    start_child_workflow_execution_command_attributes=child,
                )
            ],
        )
    )
    history = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(
            namespace="default", execution=common.WorkflowExecution(workflow_id=workflow_id)
        )
    )
    started = history.history.events[0].workflow_execution_started_event_attributes.retry_policy
    initiated = next(
        event.start_child_workflow_execution_initiated_event_attributes.retry_policy
        for event in history.history.events
        if event.HasField("start_child_workflow_execution_initiated_event_attributes")
    )
    return MessageToDict(started), MessageToDict(initiated)


async def test_partial_retry_policies_are_recorded_with_defaults(tempo_address: str, real_address: str) -> None:
    ours = await _recorded_policies(tempo_address)
    real = await _recorded_policies(real_address)
    assert ours == real
    assert ours[0] == {
        "initialInterval": "2s",
        "backoffCoefficient": 2.0,
        "maximumInterval": "200s",
        "maximumAttempts": 3,
    }
    assert ours[1] == {"initialInterval": "3s", "backoffCoefficient": 2.0, "maximumInterval": "300s"}
