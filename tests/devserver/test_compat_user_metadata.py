"""User metadata (summaries and details) on both servers (issue 8, item 2).

Start requests (start, signal-with-start, update-with-start) carry the workflow's static
summary and details; the real server puts them on WorkflowExecutionStarted and answers them
in DescribeWorkflowExecution's `execution_config.user_metadata`. Every command's
`user_metadata` goes on the event the command makes (timer, activity, marker, child, external
signal and cancel, close events...); a child's static summary comes from its initiated event.
A run started by continue-as-new has none. Histories and answers must be the same on both.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from google.protobuf import duration_pb2
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import ActivityType, Memo, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.sdk.v1 import UserMetadata
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.converter import default

from tests.devserver import compat_app, scenarios
from tests.devserver.compat_app import QuickWorkflow, SummarizedWorkflow

pytestmark = pytest.mark.real_server

ET = EventType
C = CommandType
_converter = default().payload_converter


def _text(payload: Any) -> Any:
    return _converter.from_payload(payload) if payload.ByteSize() else None


def with_metadata(history: list[HistoryEvent]) -> list[tuple[str, Any, Any]]:
    """The events that carry user metadata: type, summary, details."""
    return [
        (scenarios.name(e.event_type), _text(e.user_metadata.summary), _text(e.user_metadata.details))
        for e in history
        if e.HasField("user_metadata")
    ]


def _worker(client: Client, task_queue: str) -> Any:
    return scenarios.worker(client, task_queue, workflows=compat_app.WORKFLOWS, activities=[compat_app.echo])


async def _official_sdk(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-meta")
    workflow_id = scenarios.unique("meta")
    out: dict[str, Any] = {}
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            SummarizedWorkflow.run,
            workflow_id + "-child",
            id=workflow_id,
            task_queue=task_queue,
            static_summary="order 3",
            static_details="three **pizzas**",
        )
        assert await handle.result() == "summarized"
        described = await handle.describe()
        out["describe"] = (await described.static_summary(), await described.static_details())
        history = await scenarios.events(handle)
        out["history"] = scenarios.summarize(history)
        out["metadata"] = with_metadata(history)
        child = client.get_workflow_handle(workflow_id + "-child")
        out["child metadata"] = with_metadata(await scenarios.events(child))
        child_described = await child.describe()
        out["child describe"] = (await child_described.static_summary(), await child_described.static_details())

        # Signal-with-start and update-with-start carry them too.
        signalled = await client.start_workflow(
            SummarizedWorkflow.run,
            workflow_id + "-sws-child",
            id=workflow_id + "-sws",
            task_queue=task_queue,
            start_signal="poke",
            static_summary="signalled",
        )
        await signalled.result()
        out["signal-with-start"] = with_metadata(await scenarios.events(signalled))[:1]
        operation = WithStartWorkflowOperation(
            compat_app.RollOverWorkflow.run,
            0,
            id=workflow_id + "-uws",
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary="updated",
            static_details="with start",
        )
        try:
            await client.execute_update_with_start_workflow("no-such-update", start_workflow_operation=operation)
        except Exception as err:  # the workflow has no such update: the worker rejects it
            out["update-with-start error"] = type(err).__name__
        started = await operation.workflow_handle()
        await started.signal(compat_app.RollOverWorkflow.finish)
        await started.result()
        out["update-with-start"] = with_metadata(await scenarios.events(started))[:1]
        described = await started.describe()
        out["update-with-start describe"] = (await described.static_summary(), await described.static_details())
        # A workflow started without them has none.
        plain = await client.start_workflow(QuickWorkflow.run, id=workflow_id + "-plain", task_queue=task_queue)
        await plain.result()
        described = await plain.describe()
        out["plain describe"] = (
            await described.static_summary(),
            described.raw_description.execution_config.HasField("user_metadata"),
        )
    return out


async def test_official_sdk_summaries(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_official_sdk(tempo_address), _official_sdk(real_address))
    assert ours == real
    assert real["describe"] == ("order 3", "three **pizzas**")
    assert real["metadata"] == [
        ("WORKFLOW_EXECUTION_STARTED", "order 3", "three **pizzas**"),
        ("TIMER_STARTED", "short nap", None),
        ("ACTIVITY_TASK_SCHEDULED", "echo remotely", None),
        ("MARKER_RECORDED", "echo locally", None),  # the local activity's marker
        ("START_CHILD_WORKFLOW_EXECUTION_INITIATED", "the child", "a quick child"),
        ("TIMER_STARTED", "brief wait", None),
    ]
    assert real["child metadata"] == [("WORKFLOW_EXECUTION_STARTED", "the child", "a quick child")]
    assert real["child describe"] == ("the child", "a quick child")
    assert real["signal-with-start"] == [("WORKFLOW_EXECUTION_STARTED", "signalled", None)]
    assert real["update-with-start describe"] == ("updated", "with start")
    assert real["plain describe"] == (None, False)


def _metadata(text: str) -> UserMetadata:
    return UserMetadata(summary=_converter.to_payload(text), details=_converter.to_payload(text + " details"))


async def _every_command(address: str) -> dict[str, Any]:
    """A raw worker gives every kind of command user metadata."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-meta-raw")
    workflow_id = scenarios.unique("meta-raw")
    queue = TaskQueue(name=task_queue)
    await service.start_workflow_execution(
        wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="Raw"),
            task_queue=queue,
            request_id=str(uuid.uuid4()),
            user_metadata=_metadata("start"),
        )
    )

    async def next_task() -> Any:
        return await service.poll_workflow_task_queue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=queue, identity="raw")
        )

    async def complete(task: Any, commands: list[command_pb.Command]) -> None:
        await service.respond_workflow_task_completed(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace="default", task_token=task.task_token, identity="raw", commands=commands
            )
        )

    missing = WorkflowExecution(workflow_id="nobody-" + workflow_id)
    first = await next_task()
    await complete(
        first,
        [
            command_pb.Command(
                command_type=C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                user_metadata=_metadata("activity"),
                schedule_activity_task_command_attributes=command_pb.ScheduleActivityTaskCommandAttributes(
                    activity_id="a1",
                    activity_type=ActivityType(name="act"),
                    task_queue=TaskQueue(name=task_queue + "-nobody"),
                    start_to_close_timeout=duration_pb2.Duration(seconds=10),
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_START_TIMER,
                user_metadata=_metadata("timer"),
                start_timer_command_attributes=command_pb.StartTimerCommandAttributes(
                    timer_id="t1", start_to_fire_timeout=duration_pb2.Duration(seconds=100)
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_RECORD_MARKER,
                user_metadata=_metadata("marker"),
                record_marker_command_attributes=command_pb.RecordMarkerCommandAttributes(marker_name="m"),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
                user_metadata=_metadata("properties"),
                modify_workflow_properties_command_attributes=command_pb.ModifyWorkflowPropertiesCommandAttributes(
                    upserted_memo=Memo(fields={"k": _converter.to_payload("v")})
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
                user_metadata=_metadata("signal"),
                signal_external_workflow_execution_command_attributes=(
                    command_pb.SignalExternalWorkflowExecutionCommandAttributes(
                        namespace="default", execution=missing, signal_name="sig"
                    )
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                user_metadata=_metadata("cancel external"),
                request_cancel_external_workflow_execution_command_attributes=(
                    command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes(
                        namespace="default", workflow_id=missing.workflow_id
                    )
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
                user_metadata=_metadata("child"),
                start_child_workflow_execution_command_attributes=command_pb.StartChildWorkflowExecutionCommandAttributes(
                    namespace="default",
                    workflow_id=workflow_id + "-child",
                    workflow_type=WorkflowType(name="RawChild"),
                    task_queue=TaskQueue(name=task_queue + "-child"),
                    parent_close_policy=2,  # ABANDON: the child outlives its parent's run
                ),
            ),
        ],
    )

    async def outcomes_in() -> bool:
        described = await service.describe_workflow_execution(
            wsv1.DescribeWorkflowExecutionRequest(
                namespace="default", execution=WorkflowExecution(workflow_id=workflow_id)
            )
        )
        return described.workflow_execution_info.history_length >= 15  # child started, both failures

    await scenarios.wait_until(outcomes_in, what="the child start and the external failures")
    second = await next_task()
    await complete(
        second,
        [
            command_pb.Command(
                command_type=C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
                user_metadata=_metadata("cancel activity"),
                request_cancel_activity_task_command_attributes=command_pb.RequestCancelActivityTaskCommandAttributes(
                    scheduled_event_id=5
                ),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_CANCEL_TIMER,
                user_metadata=_metadata("cancel timer"),
                cancel_timer_command_attributes=command_pb.CancelTimerCommandAttributes(timer_id="t1"),
            ),
            command_pb.Command(
                command_type=C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
                user_metadata=_metadata("continue as new"),
                continue_as_new_workflow_execution_command_attributes=(
                    command_pb.ContinueAsNewWorkflowExecutionCommandAttributes(
                        workflow_type=WorkflowType(name="Raw"), task_queue=queue
                    )
                ),
            ),
        ],
    )
    out: dict[str, Any] = {}
    execution = WorkflowExecution(workflow_id=workflow_id, run_id=first.workflow_execution.run_id)
    history = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=execution)
    )
    out["first run"] = with_metadata(list(history.history.events))
    described = await service.describe_workflow_execution(
        wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=execution)
    )
    out["first run describe"] = described.execution_config.user_metadata
    latest = WorkflowExecution(workflow_id=workflow_id)
    history = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=latest)
    )
    out["second run"] = with_metadata(list(history.history.events))
    described = await service.describe_workflow_execution(
        wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=latest)
    )
    out["second run describe"] = described.execution_config.HasField("user_metadata")
    child = WorkflowExecution(workflow_id=workflow_id + "-child")
    history = await service.get_workflow_execution_history(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=child)
    )
    out["child"] = with_metadata(list(history.history.events))
    for execution in (latest, child):
        await service.terminate_workflow_execution(
            wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
        )
    return out


async def test_every_command_keeps_its_metadata(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_every_command(tempo_address), _every_command(real_address))
    assert ours == real
    assert [row[:2] for row in real["first run"]] == [
        ("WORKFLOW_EXECUTION_STARTED", "start"),
        ("ACTIVITY_TASK_SCHEDULED", "activity"),
        ("TIMER_STARTED", "timer"),
        ("MARKER_RECORDED", "marker"),
        ("WORKFLOW_PROPERTIES_MODIFIED", "properties"),
        ("SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED", "signal"),
        ("REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED", "cancel external"),
        ("START_CHILD_WORKFLOW_EXECUTION_INITIATED", "child"),
        ("ACTIVITY_TASK_CANCEL_REQUESTED", "cancel activity"),
        ("TIMER_CANCELED", "cancel timer"),
        ("WORKFLOW_EXECUTION_CONTINUED_AS_NEW", "continue as new"),
    ]
    assert real["first run describe"] == _metadata("start")
    assert real["second run"] == [] and real["second run describe"] is False
    assert real["child"] == [("WORKFLOW_EXECUTION_STARTED", "child", "child details")]
