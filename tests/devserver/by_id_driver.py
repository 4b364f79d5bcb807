"""Raw calls for test_compat_activity_by_id.py: a run whose one activity waits on a task queue no
worker polls (taken by a raw poll when a case wants it started), the four calls that answer an
activity by id, and a history summary with who started and answered the activity."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

from google.protobuf import duration_pb2
from temporalio.api.command.v1 import (
    Command,
    RequestCancelActivityTaskCommandAttributes,
    ScheduleActivityTaskCommandAttributes,
)
from temporalio.api.common.v1 import ActivityType, Payload, Payloads, RetryPolicy, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.service import RPCError, WorkflowService

from tests.devserver import scenarios

ET = EventType
NS = "default"
ACTIVITY_ID = "a1"
VERBS = ("completed", "failed", "canceled", "heartbeat")
_RESULT = Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])


async def answer(call: Awaitable[Any]) -> Any:
    """ "OK" (with what a heartbeat is told), or the error's status and message with the ids this
    test drew (they differ between the servers) taken out."""
    try:
        response = await call
    except RPCError as err:
        message = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<run>", err.message)
        return (err.status.name, re.sub(r"by-id-[0-9a-f]{10}", "<workflow>", message))
    if isinstance(response, wsv1.RecordActivityTaskHeartbeatByIdResponse):
        return ("OK", response.cancel_requested, response.activity_paused, response.activity_reset)
    return "OK"


async def waiting_activity(service: WorkflowService, *, attempts: int = 0, started: bool = False) -> tuple[str, bytes]:
    """A run (its workflow id) with activity a1 scheduled and, if `started`, taken by a raw poll
    as "poller" (then also its task token)."""
    queue = TaskQueue(name=scenarios.unique("tq-by-id"))
    workflow_id = scenarios.unique("by-id")
    await service.start_workflow_execution(
        wsv1.StartWorkflowExecutionRequest(
            namespace=NS,
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="Raw"),
            task_queue=queue,
            request_id=str(uuid.uuid4()),
            # Nothing here times out while the test runs, on a loaded machine too.
            workflow_task_timeout=duration_pb2.Duration(seconds=60),
        )
    )
    schedule = ScheduleActivityTaskCommandAttributes(
        activity_id=ACTIVITY_ID,
        activity_type=ActivityType(name="act"),
        task_queue=queue,
        start_to_close_timeout=duration_pb2.Duration(seconds=600),
        retry_policy=RetryPolicy(maximum_attempts=attempts, initial_interval=duration_pb2.Duration(seconds=30)),
    )
    await _complete_task(
        service,
        queue,
        Command(
            command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
            schedule_activity_task_command_attributes=schedule,
        ),
    )
    token = b""
    if started:
        task = await service.poll_activity_task_queue(
            wsv1.PollActivityTaskQueueRequest(namespace=NS, task_queue=queue, identity="poller")
        )
        token = task.task_token
    return workflow_id, token


async def request_cancel(service: WorkflowService, workflow_id: str) -> None:
    """The workflow asks to cancel its activity (woken by a signal for the task that does)."""
    await service.signal_workflow_execution(
        wsv1.SignalWorkflowExecutionRequest(
            namespace=NS, workflow_execution=WorkflowExecution(workflow_id=workflow_id), signal_name="cancel it"
        )
    )
    described = await service.describe_workflow_execution(
        wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id))
    )
    queue = TaskQueue(name=described.execution_config.task_queue.name)
    cancel = RequestCancelActivityTaskCommandAttributes(scheduled_event_id=5)
    await _complete_task(
        service,
        queue,
        Command(
            command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
            request_cancel_activity_task_command_attributes=cancel,
        ),
    )


async def _complete_task(service: WorkflowService, queue: TaskQueue, command: Command) -> None:
    task = await service.poll_workflow_task_queue(
        wsv1.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=queue, identity="raw")
    )
    await service.respond_workflow_task_completed(
        wsv1.RespondWorkflowTaskCompletedRequest(
            namespace=NS, task_token=task.task_token, identity="raw", commands=[command]
        )
    )


def by_id(service: WorkflowService, verb: str, workflow_id: str, **fields: Any) -> Awaitable[Any]:
    """The by-id call for `verb`, with a result, failure or details as `temporal activity` sends."""
    base: dict[str, Any] = {
        "namespace": NS,
        "workflow_id": workflow_id,
        "activity_id": ACTIVITY_ID,
        "identity": "by-id",
    }
    base.update(fields)
    if verb == "completed":
        return service.respond_activity_task_completed_by_id(
            wsv1.RespondActivityTaskCompletedByIdRequest(**base, result=_RESULT)
        )
    if verb == "failed":
        return service.respond_activity_task_failed_by_id(
            wsv1.RespondActivityTaskFailedByIdRequest(**base, failure=Failure(message="boom"))
        )
    if verb == "canceled":
        return service.respond_activity_task_canceled_by_id(
            wsv1.RespondActivityTaskCanceledByIdRequest(**base, details=_RESULT)
        )
    return service.record_activity_task_heartbeat_by_id(
        wsv1.RecordActivityTaskHeartbeatByIdRequest(**base, details=_RESULT)
    )


async def outcome(service: WorkflowService, workflow_id: str) -> dict[str, Any]:
    """The run's history (with who started and answered its activity) and its pending activity."""
    execution = WorkflowExecution(workflow_id=workflow_id)
    read = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=execution)
    )
    described = await service.describe_workflow_execution(
        wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=execution)
    )
    return {
        "history": activity_summary(read.history.events),
        "pending": [
            (p.activity_id, p.state, p.attempt, p.last_worker_identity, p.HasField("last_started_time"))
            for p in described.pending_activities
        ],
    }


def activity_summary(history: Sequence[HistoryEvent]) -> list[tuple[Any, ...]]:
    """`scenarios.summarize` plus who started the activity (which attempt, from a poll or not)
    and who answered it with what."""
    rows = []
    for event, row in zip(history, scenarios.summarize(history), strict=True):
        if event.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            row += (started.identity, "polled" if started.request_id else "not polled")
        elif event.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            row += (completed.identity, [p.data for p in completed.result.payloads])
        elif event.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            row += (event.activity_task_failed_event_attributes.identity,)
        elif event.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            canceled = event.activity_task_canceled_event_attributes
            row += (
                canceled.identity,
                [p.data for p in canceled.details.payloads],
                canceled.latest_cancel_requested_event_id,
            )
        rows.append(row)
    return rows


async def terminate(service: WorkflowService, workflow_id: str) -> None:
    await service.terminate_workflow_execution(
        wsv1.TerminateWorkflowExecutionRequest(
            namespace=NS, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
