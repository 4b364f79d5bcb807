"""Raw-gRPC drivers for the workflow pause tests: the same requests to either server, and what
they answered, normalised so the two servers' answers compare equal (ids, times and sizes
that differ between any two runs are replaced or left out)."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import duration_pb2, json_format
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.devserver import scenarios

NS = "default"
PAUSE_FLAGS = ("--dynamic-config-value", "frontend.WorkflowPauseEnabled=true")
# Event fields that differ between any two runs of the same requests.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VOLATILE = {"eventTime", "taskId", "originalExecutionRunId", "firstExecutionRunId", "historySizeBytes"}


@dataclass
class Driver:
    """One workflow on one server, driven by raw requests; `answers` records what each call said."""

    stub: WorkflowServiceStub
    workflow_id: str
    task_queue: str
    answers: list[Any] = field(default_factory=list)

    @property
    def execution(self) -> common.WorkflowExecution:
        return common.WorkflowExecution(workflow_id=self.workflow_id)

    async def start(self, **kwargs: Any) -> wsv1.StartWorkflowExecutionResponse:
        response: wsv1.StartWorkflowExecutionResponse = await self.stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace=NS,
                workflow_id=self.workflow_id,
                workflow_type=common.WorkflowType(name="Paused"),
                task_queue=taskqueue.TaskQueue(name=self.task_queue),
                request_id=str(uuid.uuid4()),
                identity="driver",
                **kwargs,
            )
        )
        return response

    async def call(self, method: str, request: Any) -> Any:
        """Calls `method`; records "OK" or the error's code and message."""
        try:
            response = await getattr(self.stub, method)(request)
        except grpc.aio.AioRpcError as error:
            self.answers.append((method, error.code().name, self.normalise_text(error.details() or "")))
            return None
        self.answers.append((method, "OK"))
        return response

    async def pause(self, reason: str = "", request_id: str = "", **kwargs: Any) -> None:
        request = wsv1.PauseWorkflowExecutionRequest(
            namespace=NS, workflow_id=self.workflow_id, identity="operator", reason=reason, request_id=request_id
        )
        for name, value in kwargs.items():
            setattr(request, name, value)
        await self.call("PauseWorkflowExecution", request)

    async def unpause(self, reason: str = "", request_id: str = "", **kwargs: Any) -> None:
        request = wsv1.UnpauseWorkflowExecutionRequest(
            namespace=NS, workflow_id=self.workflow_id, identity="operator-2", reason=reason, request_id=request_id
        )
        for name, value in kwargs.items():
            setattr(request, name, value)
        await self.call("UnpauseWorkflowExecution", request)

    async def signal(self, name: str) -> None:
        await self.call(
            "SignalWorkflowExecution",
            wsv1.SignalWorkflowExecutionRequest(
                namespace=NS, workflow_execution=self.execution, signal_name=name, identity="driver", request_id=name
            ),
        )

    async def poll_workflow_task(self, timeout: float = 20) -> wsv1.PollWorkflowTaskQueueResponse:
        response: wsv1.PollWorkflowTaskQueueResponse = await self.stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(
                namespace=NS, task_queue=taskqueue.TaskQueue(name=self.task_queue), identity="worker"
            ),
            timeout=timeout,
        )
        return response

    async def poll_activity_task(self, timeout: float = 20) -> wsv1.PollActivityTaskQueueResponse:
        response: wsv1.PollActivityTaskQueueResponse = await self.stub.PollActivityTaskQueue(
            wsv1.PollActivityTaskQueueRequest(
                namespace=NS, task_queue=taskqueue.TaskQueue(name=self.task_queue), identity="worker"
            ),
            timeout=timeout,
        )
        return response

    async def complete_task(self, token: bytes, *commands: command_pb.Command) -> None:
        await self.call(
            "RespondWorkflowTaskCompleted",
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace=NS, task_token=token, identity="worker", commands=list(commands)
            ),
        )

    async def history(self) -> list[dict[str, Any]]:
        response = await self.stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=self.execution)
        )
        return [self.normalise(json_format.MessageToDict(event)) for event in response.history.events]

    async def long_poll(self, close_event_only: bool) -> tuple[list[str], bool]:
        """A history long poll (as followers and result waiters make): the event types it
        answered with, and whether it says to poll again."""
        filter_type = 2 if close_event_only else 1  # HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT / ALL_EVENT
        response = await self.stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace=NS, execution=self.execution, wait_new_event=True, history_event_filter_type=filter_type
            ),
            timeout=30,
        )
        types = [json_format.MessageToDict(event)["eventType"] for event in response.history.events]
        return types, bool(response.next_page_token)

    async def wait_for_event(self, event_type: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(event["eventType"] == event_type for event in await self.history()):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {event_type} in {self.workflow_id} within {timeout}s")
            await asyncio.sleep(0.1)

    async def describe(self) -> dict[str, Any]:
        """What describe says about the run's pause: status, pause info, search attributes,
        pending workflow task and activities."""
        response = await self.stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=self.execution)
        )
        info = response.workflow_execution_info
        pause = response.workflow_extended_info.pause_info
        fields = info.search_attributes.indexed_fields
        return self.normalise(
            {
                "status": info.status,
                "execution time - start time": (info.execution_time.ToNanoseconds() - info.start_time.ToNanoseconds())
                // 10**9,
                "pause info": (pause.identity, pause.reason, pause.HasField("paused_time"))
                if response.workflow_extended_info.HasField("pause_info")
                else None,
                "TemporalPauseInfo": json.loads(fields["TemporalPauseInfo"].data)
                if "TemporalPauseInfo" in fields
                else None,
                "pending workflow task": (response.pending_workflow_task.state, response.pending_workflow_task.attempt)
                if response.HasField("pending_workflow_task")
                else None,
                "pending activities": [(a.activity_id, a.state) for a in response.pending_activities],
            }
        )

    async def listed(self, query: str) -> list[int]:
        """The statuses of this workflow's runs that `query` finds."""
        response = await self.stub.ListWorkflowExecutions(
            wsv1.ListWorkflowExecutionsRequest(namespace=NS, query=f'WorkflowId="{self.workflow_id}" AND {query}')
        )
        return [execution.status for execution in response.executions]

    def normalise_text(self, text: str) -> str:
        text = text.replace(self.workflow_id, "<workflow id>").replace(self.task_queue, "<task queue>")
        return _UUID.sub("<uuid>", text)

    def normalise(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.normalise(v) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, list):
            return [self.normalise(v) for v in value]
        if isinstance(value, str):
            return self.normalise_text(value)
        return value


@asynccontextmanager
async def driver(address: str, prefix: str) -> AsyncIterator[Driver]:
    await scenarios.client_for(address)  # the server is ready
    async with grpc.aio.insecure_channel(address) as channel:
        yield Driver(WorkflowServiceStub(channel), scenarios.unique(prefix), scenarios.unique(f"tq-{prefix}"))


def start_timer(timer_id: str, seconds: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=command_type_pb2.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=command_pb.StartTimerCommandAttributes(
            timer_id=timer_id, start_to_fire_timeout=duration_pb2.Duration(seconds=seconds)
        ),
    )


def schedule_activity(activity_id: str, task_queue: str) -> command_pb.Command:
    return command_pb.Command(
        command_type=command_type_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=command_pb.ScheduleActivityTaskCommandAttributes(
            activity_id=activity_id,
            activity_type=common.ActivityType(name="Step"),
            task_queue=taskqueue.TaskQueue(name=task_queue),
            start_to_close_timeout=duration_pb2.Duration(seconds=30),
        ),
    )


def complete_workflow() -> command_pb.Command:
    return command_pb.Command(
        command_type=command_type_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        complete_workflow_execution_command_attributes=command_pb.CompleteWorkflowExecutionCommandAttributes(),
    )
