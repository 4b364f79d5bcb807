"""An activity that outlives its start-to-close timeout (issue 8, item 9), on both servers.

When the server times an attempt out, the worker still runs it; the worker learns the attempt
is gone from the NOT_FOUND answer to its next heartbeat (or, without heartbeats, from its own
backstop 5 s after the timeout), cancels the activity and frees its thread. The official
SDK's own test of this counts on the real server's timing: a timeout shorter than about a
second takes effect after about a second there. Each scenario runs with the official SDK on
our server and on the real one; the outcomes must be the same.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.protobuf import duration_pb2
from temporalio import activity
from temporalio.api.command.v1 import Command, ScheduleActivityTaskCommandAttributes
from temporalio.api.common.v1 import ActivityType, RetryPolicy, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.service import RPCError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
)

from tests.devserver import compat_app, scenarios
from tests.devserver.compat_app import CANCELLATIONS, TimedOutActivityWorkflow

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

ET = EventType


class HoldCompletionUntilCancelled(Interceptor):
    """Holds a finished `returns_at_once` back (as a slow completion path would) until the
    worker cancels it, and records how it was told."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Hold(next)


class _Hold(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        info = activity.info()
        if info.activity_type == "returns_at_once":
            for _ in range(1200):  # a generous minute
                if activity.is_cancelled():
                    details = activity.cancellation_details()
                    CANCELLATIONS[info.workflow_id] = dict(vars(details)) if details else {}
                    break
                await asyncio.sleep(0.05)
        return result


async def _timed_out_activity(address: str, activity_name: str, start_to_close_ms: int, heartbeat_ms: int) -> Any:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-late")
    workflow_id = scenarios.unique(f"late-{activity_name}")
    # One activity thread and one slot: the probe activity runs only once the timed-out one let go.
    with ThreadPoolExecutor(max_workers=1) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=compat_app.WORKFLOWS,
            activities=compat_app.ACTIVITIES,
            activity_executor=executor,
            max_concurrent_activities=1,
            interceptors=[HoldCompletionUntilCancelled()],
            workflow_runner=UnsandboxedWorkflowRunner(),  # the sandbox's checks cost CPU, not wire behaviour
        ):
            handle = await client.start_workflow(
                TimedOutActivityWorkflow.run,
                args=[activity_name, start_to_close_ms, heartbeat_ms],
                id=workflow_id,
                task_queue=task_queue,
            )
            result = await asyncio.wait_for(handle.result(), 120)
    history = await scenarios.events(handle)
    scheduled = next(e for e in history if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    timed_out = next(e for e in history if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
    delay = (timed_out.event_time.ToDatetime() - scheduled.event_time.ToDatetime()).total_seconds()
    return {
        "result": result,
        "cancellation": CANCELLATIONS.pop(workflow_id, None),
        "history": scenarios.summarize(history),
        "timeout after at least 0.9 s": delay >= 0.9,
    }


async def test_late_heartbeat_cancels_a_thread_activity(tempo_address: str, real_address: str) -> None:
    """A sync activity heartbeats past its 1 s start-to-close timeout: the heartbeat's NOT_FOUND
    cancels it (not_found, not timed_out: the worker's own backstop did not fire) and its thread
    runs the next activity."""
    ours, real = await asyncio.gather(
        _timed_out_activity(tempo_address, "heartbeat_past_deadline", 1000, 1000),
        _timed_out_activity(real_address, "heartbeat_past_deadline", 1000, 1000),
    )
    assert ours == real
    assert real["result"] == ["TimeoutError: START_TO_CLOSE", "probe"]
    assert real["cancellation"]["not_found"] is True
    assert real["cancellation"]["timed_out"] is False


async def test_activity_held_past_a_short_timeout_is_cancelled(tempo_address: str, real_address: str) -> None:
    """The official SDK's test_sync_activity_cancel_after_return_does_not_kill_thread_pool_worker,
    our version: a 200 ms timeout takes effect after about a second (as on the real server), the
    worker's backstop cancels the held activity, and the thread is free again."""
    ours, real = await asyncio.gather(
        _timed_out_activity(tempo_address, "returns_at_once", 200, 0),
        _timed_out_activity(real_address, "returns_at_once", 200, 0),
    )
    assert ours == real
    assert real["result"] == ["TimeoutError: START_TO_CLOSE", "probe"]
    assert real["cancellation"]["timed_out"] is True
    assert real["timeout after at least 0.9 s"] is True


# ---- what a worker is told about an attempt that is gone (raw calls) --------------------------


async def _answer(call: Any) -> Any:
    try:
        await call
    except RPCError as err:
        return (err.status.name, err.message)
    return "OK"


async def _late_answers(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    service = client.workflow_service
    out: dict[str, Any] = {}
    for attempts in (1, 3):
        task_queue = scenarios.unique("tq-late-raw")
        workflow_id = scenarios.unique("late-raw")
        queue = TaskQueue(name=task_queue)
        await service.start_workflow_execution(
            wsv1.StartWorkflowExecutionRequest(
                namespace="default",
                workflow_id=workflow_id,
                workflow_type=WorkflowType(name="Raw"),
                task_queue=queue,
                request_id=str(uuid.uuid4()),
            )
        )
        task = await service.poll_workflow_task_queue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=queue, identity="raw")
        )
        schedule = ScheduleActivityTaskCommandAttributes(
            activity_id="a1",
            activity_type=ActivityType(name="act"),
            task_queue=queue,
            start_to_close_timeout=duration_pb2.Duration(seconds=1),
            # A retry waits long enough for the late calls to find it scheduled, not started.
            retry_policy=RetryPolicy(maximum_attempts=attempts, initial_interval=duration_pb2.Duration(seconds=30)),
        )
        await service.respond_workflow_task_completed(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace="default",
                task_token=task.task_token,
                identity="raw",
                commands=[
                    Command(
                        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                        schedule_activity_task_command_attributes=schedule,
                    )
                ],
            )
        )
        started = await service.poll_activity_task_queue(
            wsv1.PollActivityTaskQueueRequest(namespace="default", task_queue=queue, identity="raw")
        )
        token = started.task_token
        out[f"{attempts}: heartbeat in time"] = await _answer(
            service.record_activity_task_heartbeat(
                wsv1.RecordActivityTaskHeartbeatRequest(namespace="default", task_token=token)
            )
        )

        async def timed_out(workflow_id: str = workflow_id) -> bool:
            described = await service.describe_workflow_execution(
                wsv1.DescribeWorkflowExecutionRequest(
                    namespace="default", execution=WorkflowExecution(workflow_id=workflow_id)
                )
            )
            return not described.pending_activities or described.pending_activities[0].attempt > 1

        await scenarios.wait_until(timed_out, timeout=30, what="the start-to-close timeout")
        by_id = {"namespace": "default", "workflow_id": workflow_id, "activity_id": "a1"}
        out[f"{attempts}: late heartbeat"] = await _answer(
            service.record_activity_task_heartbeat(
                wsv1.RecordActivityTaskHeartbeatRequest(namespace="default", task_token=token)
            )
        )
        out[f"{attempts}: late heartbeat by id"] = await _answer(
            service.record_activity_task_heartbeat_by_id(wsv1.RecordActivityTaskHeartbeatByIdRequest(**by_id))
        )
        for verb in ("completed", "failed", "canceled"):
            rpc = getattr(service, f"respond_activity_task_{verb}")
            request = getattr(wsv1, f"RespondActivityTask{verb.title()}Request")
            out[f"{attempts}: late {verb}"] = await _answer(rpc(request(namespace="default", task_token=token)))
        for verb in ("failed", "canceled", "completed"):  # completed last: it closes the activity
            rpc = getattr(service, f"respond_activity_task_{verb}_by_id")
            request = getattr(wsv1, f"RespondActivityTask{verb.title()}ByIdRequest")
            out[f"{attempts}: {verb} by id"] = await _answer(rpc(request(**by_id, identity="by-id")))
        history = await service.get_workflow_execution_history(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace="default", execution=WorkflowExecution(workflow_id=workflow_id)
            )
        )
        events = list(history.history.events)
        out[f"{attempts}: history"] = scenarios.summarize(events)
        out[f"{attempts}: started by"] = [
            e.activity_task_started_event_attributes.identity
            for e in events
            if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED
        ]
        await service.terminate_workflow_execution(
            wsv1.TerminateWorkflowExecutionRequest(
                namespace="default", workflow_execution=WorkflowExecution(workflow_id=workflow_id)
            )
        )
    return out


async def test_worker_told_its_attempt_is_gone(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_late_answers(tempo_address), _late_answers(real_address))
    assert ours == real
    gone = ("NOT_FOUND", "invalid activityID or activity already timed out or invoking workflow is completed")
    assert real["1: late heartbeat"] == real["3: late heartbeat"] == gone
    assert real["1: late heartbeat by id"][1].startswith("cannot find pending activity with ActivityID a1")
    # An attempt waiting for its retry is known by id, but only a started one takes heartbeats
    # and failures; completing it by id needs no start.
    assert real["3: late heartbeat by id"] == real["3: failed by id"] == gone
    assert real["3: completed by id"] == "OK"
    assert real["3: started by"] == ["by-id"]
