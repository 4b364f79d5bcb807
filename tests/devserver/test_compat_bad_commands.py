"""Commands the server refuses, compared with the real dev server: the order of its attribute
checks and their wording, and what the refusal leaves in history (the failed task and, at once,
its retry's WorkflowTaskScheduled, attempt 2) and hands to the next poll."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.command.v1 import (
    CancelTimerCommandAttributes,
    Command,
    ContinueAsNewWorkflowExecutionCommandAttributes,
    RecordMarkerCommandAttributes,
    RequestCancelExternalWorkflowExecutionCommandAttributes,
    ScheduleActivityTaskCommandAttributes,
    SignalExternalWorkflowExecutionCommandAttributes,
    StartChildWorkflowExecutionCommandAttributes,
    StartTimerCommandAttributes,
)
from temporalio.api.common.v1 import ActivityType, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.devserver import scenarios

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

FIVE = Duration(seconds=5)


def _activity(**attrs: Any) -> Command:
    return Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=ScheduleActivityTaskCommandAttributes(**attrs),
    )


CASES: dict[str, Command] = {
    "activity without type": _activity(activity_id="a", task_queue=TaskQueue(name="q"), start_to_close_timeout=FIVE),
    "activity without task queue": _activity(
        activity_id="a", activity_type=ActivityType(name="A"), start_to_close_timeout=FIVE
    ),
    "activity with an unnamed task queue": _activity(
        activity_id="a", activity_type=ActivityType(name="A"), task_queue=TaskQueue(), start_to_close_timeout=FIVE
    ),
    "activity with a reserved task queue": _activity(
        activity_id="a",
        activity_type=ActivityType(name="A"),
        task_queue=TaskQueue(name="/_sys/q"),
        start_to_close_timeout=FIVE,
    ),
    "activity without type nor task queue": _activity(activity_id="a", start_to_close_timeout=FIVE),
    "activity without id nor task queue": _activity(activity_type=ActivityType(name="A"), start_to_close_timeout=FIVE),
    "activity without id nor type": _activity(task_queue=TaskQueue(name="q"), start_to_close_timeout=FIVE),
    "activity without timeouts": _activity(
        activity_id="a", activity_type=ActivityType(name="A"), task_queue=TaskQueue(name="q")
    ),
    "activity with a negative heartbeat": _activity(
        activity_id="a",
        activity_type=ActivityType(name="A"),
        task_queue=TaskQueue(name="q"),
        start_to_close_timeout=FIVE,
        heartbeat_timeout=Duration(seconds=-1),
    ),
    "activity id too long": _activity(
        activity_id="a" * 1001, activity_type=ActivityType(name="A"), task_queue=TaskQueue(name="q")
    ),
    "negative timer": Command(
        command_type=CommandType.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=StartTimerCommandAttributes(
            timer_id="t", start_to_fire_timeout=Duration(seconds=-1)
        ),
    ),
    "cancel timer without id": Command(
        command_type=CommandType.COMMAND_TYPE_CANCEL_TIMER,
        cancel_timer_command_attributes=CancelTimerCommandAttributes(),
    ),
    "marker without name": Command(
        command_type=CommandType.COMMAND_TYPE_RECORD_MARKER,
        record_marker_command_attributes=RecordMarkerCommandAttributes(),
    ),
    "signal without workflow id": Command(
        command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signal_external_workflow_execution_command_attributes=SignalExternalWorkflowExecutionCommandAttributes(
            execution=WorkflowExecution(), signal_name="s"
        ),
    ),
    "signal without name": Command(
        command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signal_external_workflow_execution_command_attributes=SignalExternalWorkflowExecutionCommandAttributes(
            execution=WorkflowExecution(workflow_id="target")
        ),
    ),
    "cancel external without workflow id": Command(
        command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        request_cancel_external_workflow_execution_command_attributes=(
            RequestCancelExternalWorkflowExecutionCommandAttributes()
        ),
    ),
    "child without workflow id": Command(
        command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=StartChildWorkflowExecutionCommandAttributes(
            workflow_type=WorkflowType(name="Child")
        ),
    ),
    "child inheriting the build on another task queue": Command(
        command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=StartChildWorkflowExecutionCommandAttributes(
            workflow_id="child",
            workflow_type=WorkflowType(name="Child"),
            task_queue=TaskQueue(name="elsewhere"),
            inherit_build_id=True,
        ),
    ),
    "continue-as-new inheriting the build on another task queue": Command(
        command_type=CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continue_as_new_workflow_execution_command_attributes=ContinueAsNewWorkflowExecutionCommandAttributes(
            workflow_type=WorkflowType(name="Raw"), task_queue=TaskQueue(name="elsewhere"), inherit_build_id=True
        ),
    ),
    "child without type": Command(
        command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=StartChildWorkflowExecutionCommandAttributes(
            workflow_id="child"
        ),
    ),
}


def _row(event: Any) -> tuple[Any, ...]:
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        return (event.event_id, name, event.workflow_task_scheduled_event_attributes.attempt)
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        a = event.workflow_task_failed_event_attributes
        return (event.event_id, name, a.cause, a.failure.message, a.scheduled_event_id, a.started_event_id)
    return (event.event_id, name)


async def _refusals(address: str) -> dict[str, Any]:
    """For each case: the answer, the history right after it, what the next poll hands out and
    the history then."""
    await scenarios.client_for(address)
    out: dict[str, Any] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)

        async def history(execution: WorkflowExecution, client_name: str = "") -> list[tuple[Any, ...]]:
            response = await stub.GetWorkflowExecutionHistory(
                wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=execution),
                metadata=(("client-name", client_name),) if client_name else None,
            )
            return [_row(e) for e in response.history.events[3:]]

        async def one(name: str, command: Command) -> None:
            task_queue = scenarios.unique("tq-bad-command")
            execution = WorkflowExecution(workflow_id=scenarios.unique("bad-command"))
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=execution.workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=TaskQueue(name=task_queue),
                    request_id=str(uuid.uuid4()),
                    # Not the default 10 s: a CI run stalled that long under load, and the real
                    # server timed the task out before the refused completion came.
                    workflow_task_timeout=Duration(seconds=60),
                )
            )
            poll = wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue))
            task = await stub.PollWorkflowTaskQueue(poll, timeout=20)
            try:
                await stub.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace="default", task_token=task.task_token, identity="raw", commands=[command]
                    )
                )
                answer = "OK"
            except grpc.aio.AioRpcError as error:
                answer = f"{error.code().name} {error.details()}"
            after_answer = await history(execution)
            retry = await stub.PollWorkflowTaskQueue(poll, timeout=20)
            handed_out = (retry.attempt, retry.started_event_id, [_row(e) for e in retry.history.events[3:]])
            out[name] = (
                answer,
                after_answer,
                handed_out,
                await history(execution),
                await history(execution, "temporal-cli"),  # the CLI is not shown unwritten events
            )
            await stub.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
            )

        await asyncio.gather(*(one(name, command) for name, command in CASES.items()))
    return out


async def test_refused_commands_match_the_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_refusals(tempo_address), _refusals(real_address))
    differences = {name: (ours[name], real[name]) for name in CASES if ours[name] != real[name]}
    assert not differences, "\n".join(f"{k}:\n  ours {v[0]}\n  real {v[1]}" for k, v in differences.items())
    answer, after_answer, handed_out, after_poll, as_cli = real["activity without task queue"]
    assert answer == "INVALID_ARGUMENT BadScheduleActivityAttributes: taskQueue is not set"
    # The retry is transient, yet a client's history ends with it (scheduled, then started).
    assert after_answer[-1] == (5, "WORKFLOW_TASK_SCHEDULED", 2)
    assert handed_out[:2] == (2, 6)
    assert after_poll[-2:] == [(5, "WORKFLOW_TASK_SCHEDULED", 2), (6, "WORKFLOW_TASK_STARTED")]
    assert as_cli[-1][1] == "WORKFLOW_TASK_FAILED"
