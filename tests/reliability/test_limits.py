"""Limits as the real server enforces them, each tested on both servers where it can be:
pending activities, child workflows, external signals and cancel requests per run; gRPC
message sizes; very long ids and names; concurrent long polls. (History count and size and
blob limits are tested in tests/devserver/test_compat_history_limits.py.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from google.protobuf import duration_pb2
from grpc_status import rpc_status
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import ActivityType, Payload, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType, WorkflowTaskFailedCause
from temporalio.api.errordetails.v1 import ResourceExhaustedFailure
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.reliability.harness import connect
from tests.servers import ServerProcess, real_server, tempo_server

SERVERS = ["tempo", pytest.param("real", marks=pytest.mark.real_server)]
PENDING_LIMIT = 5


def make(kind: str, *extra: str) -> ServerProcess:
    return (tempo_server if kind == "tempo" else real_server)(*extra)


@pytest.fixture(params=SERVERS, scope="module")
async def limited(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A server whose per-run pending limits and concurrent-poll limit are small."""
    flags = []
    for key in (
        "limit.numPendingActivities.error",
        "limit.numPendingChildExecutions.error",
        "limit.numPendingSignals.error",
        "limit.numPendingCancelRequests.error",
    ):
        flags += ["--dynamic-config-value", f"{key}={PENDING_LIMIT}"]
    flags += ["--dynamic-config-value", "frontend.namespaceCount=3"]
    server = make(request.param, *flags).start(timeout=60)
    try:
        await connect(server.address)
        yield server.address
    finally:
        server.stop()


async def first_task(stub: WorkflowServiceStub) -> wsv1.PollWorkflowTaskQueueResponse:
    queue = f"limits-{uuid.uuid4().hex[:8]}"
    await stub.StartWorkflowExecution(
        wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=queue,
            workflow_type=WorkflowType(name="Limited"),
            task_queue=TaskQueue(name=queue),
            request_id=str(uuid.uuid4()),
            workflow_task_timeout=duration_pb2.Duration(seconds=2),
        )
    )
    return await stub.PollWorkflowTaskQueue(
        wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=queue)), timeout=20
    )


def activity(i: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=command_pb.ScheduleActivityTaskCommandAttributes(
            activity_id=f"a{i}",
            activity_type=ActivityType(name="Nothing"),
            task_queue=TaskQueue(name="nowhere"),
            start_to_close_timeout=duration_pb2.Duration(seconds=60),
        ),
    )


def child(i: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=command_pb.StartChildWorkflowExecutionCommandAttributes(
            namespace="default",
            workflow_id=f"child-{uuid.uuid4().hex[:8]}-{i}",
            workflow_type=WorkflowType(name="Child"),
            task_queue=TaskQueue(name="nowhere"),
        ),
    )


def signal(i: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signal_external_workflow_execution_command_attributes=command_pb.SignalExternalWorkflowExecutionCommandAttributes(
            namespace="default",
            execution=WorkflowExecution(workflow_id=f"missing-{uuid.uuid4().hex[:8]}"),
            signal_name="poke",
        ),
    )


def cancel(i: int) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        request_cancel_external_workflow_execution_command_attributes=command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes(
            namespace="default", workflow_id=f"missing-{uuid.uuid4().hex[:8]}"
        ),
    )


@pytest.mark.parametrize(
    ("command", "cause", "what"),
    [
        (
            activity,
            WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
            "pending activities",
        ),
        (
            child,
            WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
            "pending child",
        ),
        (signal, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED, "pending signals"),
        (
            cancel,
            WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
            "pending requests to cancel",
        ),
    ],
    ids=["activities", "children", "signals", "cancels"],
)
async def test_one_command_past_a_pending_limit_fails_the_workflow_task(
    limited: str, command: Callable[[int], command_pb.Command], cause: int, what: str
) -> None:
    async with grpc.aio.insecure_channel(limited) as channel:
        stub = WorkflowServiceStub(channel)
        task = await first_task(stub)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RespondWorkflowTaskCompleted(
                wsv1.RespondWorkflowTaskCompletedRequest(
                    namespace="default",
                    task_token=task.task_token,
                    commands=[command(i) for i in range(PENDING_LIMIT + 1)],
                )
            )
        history = await stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(namespace="default", execution=task.workflow_execution)
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert what in (refused.value.details() or "")
    failed = [e for e in history.history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert [e.workflow_task_failed_event_attributes.cause for e in failed] == [cause]
    assert f"limit of {PENDING_LIMIT}" in failed[0].workflow_task_failed_event_attributes.failure.message
    # Nothing the refused task asked for was recorded.
    kinds = {e.event_type for e in history.history.events}
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED not in kinds


async def test_exactly_the_limit_is_accepted(limited: str) -> None:
    async with grpc.aio.insecure_channel(limited) as channel:
        stub = WorkflowServiceStub(channel)
        task = await first_task(stub)
        await stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(
                namespace="default", task_token=task.task_token, commands=[activity(i) for i in range(PENDING_LIMIT)]
            )
        )
        described = await stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace="default", execution=task.workflow_execution)
        )
    assert len(described.pending_activities) == PENDING_LIMIT


async def test_task_polls_past_the_concurrent_limit_get_resource_exhausted(limited: str) -> None:
    # frontend.namespaceCount=3: the fourth waiting poll on the namespace is refused at once.
    async with grpc.aio.insecure_channel(limited) as channel:
        stub = WorkflowServiceStub(channel)
        queue = TaskQueue(name=f"crowded-{uuid.uuid4().hex[:6]}")
        request = wsv1.PollActivityTaskQueueRequest(namespace="default", task_queue=queue)
        waiting = [asyncio.ensure_future(stub.PollActivityTaskQueue(request, timeout=8)) for _ in range(3)]
        await asyncio.sleep(1.0)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.PollActivityTaskQueue(request, timeout=8)
        for call in waiting:
            call.cancel()
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    failure = ResourceExhaustedFailure()
    assert status.details[0].Unpack(failure)
    assert failure.cause == 2 and failure.scope == 1  # CONCURRENT_LIMIT, NAMESPACE


LONG = "x" * 1001


def _schedule(**fields: object) -> command_pb.Command:
    values: dict[str, object] = {
        "activity_id": "a",
        "activity_type": ActivityType(name="A"),
        "task_queue": TaskQueue(name="q"),
        "start_to_close_timeout": duration_pb2.Duration(seconds=5),
    }
    values.update(fields)
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=command_pb.ScheduleActivityTaskCommandAttributes(**values),  # type: ignore[arg-type]
    )


def _child(workflow_id: str, workflow_type: str) -> command_pb.Command:
    return command_pb.Command(
        command_type=CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=command_pb.StartChildWorkflowExecutionCommandAttributes(
            namespace="default",
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name=workflow_type),
            task_queue=TaskQueue(name="q"),
        ),
    )


# Each request with one id or name of 1001 characters, and what the real server answers
# (INVALID_ARGUMENT with these messages; "L" stands for the long value).
LONG_COMMANDS = {
    "activity id": (
        _schedule(activity_id=LONG),
        "BadScheduleActivityAttributes: activityId exceeds length limit. Length=1001 Limit=1000",
    ),
    "activity type": (
        _schedule(activity_type=ActivityType(name=LONG)),
        "BadScheduleActivityAttributes: activityType exceeds length limit. Length=1001 Limit=1000",
    ),
    "activity task queue": (
        _schedule(task_queue=TaskQueue(name=LONG)),
        "BadScheduleActivityAttributes: taskQueue length exceeds limit",
    ),
    "timer id": (
        command_pb.Command(
            command_type=CommandType.COMMAND_TYPE_START_TIMER,
            start_timer_command_attributes=command_pb.StartTimerCommandAttributes(
                timer_id=LONG, start_to_fire_timeout=duration_pb2.Duration(seconds=5)
            ),
        ),
        "BadStartTimerAttributes: TimerId on StartTimerCommand exceeds length limit. TimerId=L Length=1001 Limit=1000",
    ),
    "child workflow id": (
        _child(LONG, "C"),
        "BadStartChildExecutionAttributes: WorkflowId on StartChildWorkflowExecutionCommand exceeds length limit. "
        "WorkflowId=L Length=1001 Limit=1000 WorkflowType=C Namespace=default",
    ),
    "child workflow type": (
        _child("c", LONG),
        "BadStartChildExecutionAttributes: WorkflowType on StartChildWorkflowExecutionCommand exceeds length limit. "
        "WorkflowId=c WorkflowType=L Length=1001 Limit=1000 Namespace=default",
    ),
}


async def _refusal(call: object) -> tuple[str, str]:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        return error.code().name, (error.details() or "").replace(LONG, "L")
    return "OK", ""


async def test_long_ids_and_names_are_refused_as_the_real_server_refuses_them(limited: str) -> None:
    answers: dict[str, tuple[str, str]] = {}
    expected: dict[str, tuple[str, str]] = {}
    async with grpc.aio.insecure_channel(limited) as channel:
        stub = WorkflowServiceStub(channel)
        for name, (command, message) in LONG_COMMANDS.items():
            task = await first_task(stub)
            answers[name] = await _refusal(
                stub.RespondWorkflowTaskCompleted(
                    wsv1.RespondWorkflowTaskCompletedRequest(
                        namespace="default", task_token=task.task_token, commands=[command]
                    )
                )
            )
            expected[name] = ("INVALID_ARGUMENT", message)
        execution = (await first_task(stub)).workflow_execution
        requests = {
            "signal name": (
                stub.SignalWorkflowExecution(
                    wsv1.SignalWorkflowExecutionRequest(
                        namespace="default", workflow_execution=execution, signal_name=LONG
                    )
                ),
                "SignalName length exceeds limit.",
            ),
            "signal request id": (
                stub.SignalWorkflowExecution(
                    wsv1.SignalWorkflowExecutionRequest(
                        namespace="default", workflow_execution=execution, signal_name="s", request_id=LONG
                    )
                ),
                "RequestId length exceeds limit.",
            ),
            "namespace": (
                stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=LONG)),
                "Namespace length exceeds limit.",
            ),
            "poll task queue": (
                stub.PollActivityTaskQueue(
                    wsv1.PollActivityTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=LONG)), timeout=5
                ),
                "taskQueue length exceeds limit",
            ),
            "signal-with-start signal name": (
                stub.SignalWithStartWorkflowExecution(
                    wsv1.SignalWithStartWorkflowExecutionRequest(
                        namespace="default",
                        workflow_id=f"sws-{uuid.uuid4().hex[:6]}",
                        workflow_type=WorkflowType(name="T"),
                        task_queue=TaskQueue(name="q"),
                        signal_name=LONG,
                    )
                ),
                "signal name exceeds maximum allowed length (1001/1000)",
            ),
        }
        for name, (call, message) in requests.items():
            answers[name] = await _refusal(call)
            expected[name] = ("INVALID_ARGUMENT", message)
    assert answers == expected


@pytest.mark.parametrize(
    ("megabytes", "code"), [(3, "INVALID_ARGUMENT"), (5, "RESOURCE_EXHAUSTED"), (64, "RESOURCE_EXHAUSTED")]
)
async def test_requests_over_4_mib_are_refused_before_they_are_read(limited: str, megabytes: int, code: str) -> None:
    # 3 MiB passes gRPC and meets the 2 MiB blob limit; past 4 MiB gRPC itself refuses the request.
    big = 64 << 20
    async with grpc.aio.insecure_channel(
        limited, options=[("grpc.max_send_message_length", big), ("grpc.max_receive_message_length", big)]
    ) as channel:
        stub = WorkflowServiceStub(channel)
        request = wsv1.SignalWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id="nobody"),
            signal_name="s",
            input=Payloads(payloads=[Payload(data=b"x" * (megabytes << 20))]),
        )
        answer, _ = await _refusal(stub.SignalWorkflowExecution(request, timeout=60))
        # The server still answers afterwards.
        await stub.GetSystemInfo(wsv1.GetSystemInfoRequest(), timeout=10)
    assert answer == code
