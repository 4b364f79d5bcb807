"""Zero and tiny timers (issue 8, item 3), compared with the real dev server.

`workflow.sleep(0)` makes the official SDK send StartTimer with a zero duration; the
real server records TimerStarted and fires it at once. The raw matrix checks its
whole duration validation: zero, missing, sub-millisecond, negative, mixed signs,
longer than its 100-year cap.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.command.v1 import Command, StartTimerCommandAttributes
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.worker import Worker

from tests.devserver import compat, scenarios
from tests.devserver.compat_workflows import TinyTimersWorkflow

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


async def _tiny_timers(address: str) -> tuple[Any, list[tuple[Any, ...]]]:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-tiny")
    async with Worker(client, task_queue=task_queue, workflows=[TinyTimersWorkflow]):
        handle = await client.start_workflow(
            TinyTimersWorkflow.run, id=scenarios.unique("tiny-timers"), task_queue=task_queue
        )
        result = await asyncio.wait_for(handle.result(), 30)
    return result, compat.summary(await scenarios.events(handle))


async def test_zero_and_tiny_sleeps_with_the_official_sdk(tempo_address: str, real_address: str) -> None:
    (ours_result, ours), (real_result, real) = await asyncio.gather(
        _tiny_timers(tempo_address), _tiny_timers(real_address)
    )
    assert ours == real, compat.diff(ours, real)
    assert ours_result == real_result
    assert ("TIMER_STARTED", "1", Duration().ToTimedelta()) in real  # sleep(0): a real, zero timer


# name -> start_to_fire_timeout (None: not set) and timer id
CASES: dict[str, tuple[Duration | None, str]] = {
    "missing": (None, "t"),
    "zero": (Duration(), "t"),
    "one nanosecond": (Duration(nanos=1), "t"),
    "half a millisecond": (Duration(nanos=500_000), "t"),
    "one millisecond": (Duration(nanos=1_000_000), "t"),
    "nanos past a second": (Duration(seconds=1, nanos=2_000_000_000), "t"),
    "negative nanosecond": (Duration(nanos=-1), "t"),
    "negative second": (Duration(seconds=-1), "t"),
    "mixed signs": (Duration(seconds=1, nanos=-5), "t"),
    "200 years": (Duration(seconds=200 * 365 * 24 * 3600), "t"),
    "largest int64": (Duration(seconds=2**63 - 1), "t"),
    "no timer id": (Duration(seconds=1), ""),
    "timer id too long": (Duration(seconds=1), "t" * 1001),
}


def _timer_row(event: Any) -> tuple[Any, ...]:
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
        a = event.timer_started_event_attributes
        fire = a.start_to_fire_timeout
        return (name, a.timer_id, a.HasField("start_to_fire_timeout"), fire.seconds, fire.nanos)
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        a = event.workflow_task_failed_event_attributes
        return (name, a.cause, a.failure.message)
    return (name,)


async def _timer_matrix(address: str) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """For each case: the RespondWorkflowTaskCompleted outcome and the events after the first task
    (for accepted timers that fire within seconds, up to TimerFired)."""
    await scenarios.client_for(address)
    out = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)

        async def one(name: str, fire: Duration | None, timer_id: str) -> None:
            task_queue = scenarios.unique("tq-timer")
            workflow_id = scenarios.unique("timer")
            execution = WorkflowExecution(workflow_id=workflow_id)
            await stub.StartWorkflowExecution(
                wsv1.StartWorkflowExecutionRequest(
                    namespace="default",
                    workflow_id=workflow_id,
                    workflow_type=WorkflowType(name="Raw"),
                    task_queue=TaskQueue(name=task_queue),
                    request_id=str(uuid.uuid4()),
                )
            )
            task = await stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(
                    namespace="default", task_queue=TaskQueue(name=task_queue), identity="raw"
                ),
                timeout=20,
            )
            attrs = StartTimerCommandAttributes(timer_id=timer_id)
            if fire is not None:
                attrs.start_to_fire_timeout.CopyFrom(fire)
            command = Command(command_type=CommandType.COMMAND_TYPE_START_TIMER, start_timer_command_attributes=attrs)
            try:
                await stub.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace="default", task_token=task.task_token, identity="raw", commands=[command]
                    )
                )
                outcome = "OK"
            except grpc.aio.AioRpcError as error:
                outcome = f"{error.code().name} {error.details()}"

            async def history() -> list[Any]:
                response = await stub.GetWorkflowExecutionHistory(
                    wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=execution)
                )
                return list(response.history.events)

            fires_soon = outcome == "OK" and (fire is None or fire.seconds + fire.nanos / 1e9 < 5)
            if fires_soon:

                async def fired() -> list[Any] | None:
                    events = await history()
                    return events if any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in events) else None

                events = await scenarios.wait_until(fired, what=f"timer {name} fired")
            else:
                events = await history()
            # After a refused command only the failure is compared (what follows is the retry).
            rows = [_timer_row(e) for e in events[3:]]
            if outcome != "OK":
                rows = rows[:1]
            out[name] = (outcome, rows)
            await stub.TerminateWorkflowExecution(
                wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
            )

        await asyncio.gather(*(one(name, fire, timer_id) for name, (fire, timer_id) in CASES.items()))
    return out


async def test_start_timer_validation_matches_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_timer_matrix(tempo_address), _timer_matrix(real_address))
    differences = {name: (ours[name], real[name]) for name in CASES if ours[name] != real[name]}
    assert not differences, differences
    assert real["zero"][1][:3] == [
        ("WORKFLOW_TASK_COMPLETED",),
        ("TIMER_STARTED", "t", True, 0, 0),
        ("TIMER_FIRED",),
    ]
    assert real["200 years"][1][1] == ("TIMER_STARTED", "t", True, 100 * 365 * 24 * 3600, 0)
    assert real["negative second"][0].startswith(
        "INVALID_ARGUMENT BadStartTimerAttributes: An invalid StartToFireTimeout"
    )


async def _refused_again(address: str) -> dict[str, Any]:
    """A worker that keeps sending the same refused timer: attempt 1 is failed in history, later
    attempts are refused without a record and left to time out (the task stays started)."""
    await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-refused")
    workflow_id = scenarios.unique("refused")
    execution = WorkflowExecution(workflow_id=workflow_id)
    out: dict[str, Any] = {"polls": []}
    bad = Command(
        command_type=CommandType.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=StartTimerCommandAttributes(
            timer_id="t", start_to_fire_timeout=Duration(seconds=-1)
        ),
    )
    async with grpc.aio.insecure_channel(address) as channel:
        stub = WorkflowServiceStub(channel)
        await stub.StartWorkflowExecution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=TaskQueue(name=task_queue),
                request_id=str(uuid.uuid4()),
                workflow_task_timeout=Duration(seconds=2),
            )
        )
        for _ in range(3):
            task = await stub.PollWorkflowTaskQueue(
                wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue)),
                timeout=20,
            )
            events = [(e.event_id, EventType.Name(e.event_type)) for e in task.history.events]
            try:
                await stub.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace="default", task_token=task.task_token, identity="raw", commands=[bad]
                    )
                )
                answer = "OK"
            except grpc.aio.AioRpcError as error:
                answer = error.code().name
            described = await stub.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=execution)
            )
            pending = described.pending_workflow_task
            out["polls"].append((task.attempt, events, answer, pending.state, pending.attempt))
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=execution)
        )
        out["recorded"] = [_timer_row(e) for e in history.history.events[:4]]
        await stub.TerminateWorkflowExecution(
            wsv1.TerminateWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
        )
    return out


async def test_refused_command_retried_like_the_real_server(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_refused_again(tempo_address), _refused_again(real_address))
    assert ours == real
    started, scheduled = 2, 1  # PendingWorkflowTaskState
    assert [(p[0], p[3], p[4]) for p in real["polls"]] == [(1, scheduled, 2), (2, started, 2), (3, started, 3)]
