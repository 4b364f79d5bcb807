"""Enum values a request may carry that its enum does not define (proto3 enums are open: any
number decodes), answered as the real dev server answers them: see docs/wire/enums.md.

Each test runs on both servers; where Tempo deliberately differs (the real server answers
INTERNAL), the test says what each one answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2, update_pb2
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from tests.reliability.enum_cases import UNDEFINED, Requests

NAMESPACE = "default"
CommandType = command_type_pb2.CommandType
EventType = event_type_pb2.EventType


@pytest.fixture
def requests(server_address: str) -> Iterator[Requests]:
    with grpc.insecure_channel(server_address) as channel:
        yield Requests(channel, NAMESPACE)


def _refused(call: object) -> grpc.RpcError:
    assert isinstance(call, grpc.RpcError), f"answered OK: {call}"
    return call


def _answer(method: object, request: object, timeout: float = 10) -> object:
    try:
        return method(request, timeout=timeout)  # type: ignore[operator]
    except grpc.RpcError as error:
        return error


def _history(requests: Requests, execution: WorkflowExecution) -> list[int]:
    response = requests.stub.GetWorkflowExecutionHistory(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace=NAMESPACE, execution=execution), timeout=10
    )
    return [event.event_type for event in response.history.events]


@pytest.mark.parametrize("command_type", [UNDEFINED, 0], ids=["undefined", "unspecified"])
def test_an_unknown_command_type_is_refused_and_the_workflow_task_is_not_failed(
    requests: Requests, command_type: int
) -> None:
    execution, token = requests.workflow_task()
    request = wsv1.RespondWorkflowTaskCompletedRequest(
        namespace=NAMESPACE,
        task_token=token,
        commands=[command_pb.Command(command_type=command_type)],  # type: ignore[arg-type]
    )
    error = _refused(_answer(requests.stub.RespondWorkflowTaskCompleted, request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    named = "Unspecified" if command_type == 0 else str(command_type)
    assert error.details() == f"unknown command type: {named}"
    # The task is still the worker's (it times out); nothing was written.
    assert _history(requests, execution) == [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    ]


def test_an_update_waiting_for_an_unknown_stage_is_answered_at_once_with_the_stage_reached(
    requests: Requests,
) -> None:
    execution, _ = requests.settled()
    update = wsv1.UpdateWorkflowExecutionRequest(namespace=NAMESPACE, workflow_execution=execution)
    update.request.meta.update_id = "u"
    update.request.input.name = "probe"
    update.wait_policy.lifecycle_stage = UNDEFINED  # type: ignore[assignment]
    # No worker polls: waiting for ACCEPTED would last until the deadline.
    response = requests.stub.UpdateWorkflowExecution(update, timeout=5)
    assert response.stage == update_pb2.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
    poll = wsv1.PollWorkflowExecutionUpdateRequest(namespace=NAMESPACE)
    poll.update_ref.workflow_execution.CopyFrom(execution)
    poll.update_ref.update_id = "u"
    poll.wait_policy.lifecycle_stage = UNDEFINED  # type: ignore[assignment]
    polled = requests.stub.PollWorkflowExecutionUpdate(poll, timeout=5)
    assert polled.stage == update_pb2.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED


def test_an_unknown_value_the_server_does_not_act_on_is_kept_as_sent(requests: Requests) -> None:
    """A continue-as-new initiator of 999 is recorded as 999 on both runs, not refused or changed."""
    execution, token = requests.workflow_task()
    command = command_pb.Command(command_type=CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION)
    attributes = command.continue_as_new_workflow_execution_command_attributes
    attributes.workflow_type.name = "EnumProbe"
    attributes.task_queue.name = f"enum-probe-{uuid.uuid4().hex[:8]}"
    attributes.initiator = UNDEFINED  # type: ignore[assignment]
    requests.stub.RespondWorkflowTaskCompleted(
        wsv1.RespondWorkflowTaskCompletedRequest(namespace=NAMESPACE, task_token=token, commands=[command]), timeout=10
    )
    old = requests.stub.GetWorkflowExecutionHistory(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace=NAMESPACE, execution=execution), timeout=10
    )
    continued = old.history.events[-1].workflow_execution_continued_as_new_event_attributes
    assert continued.initiator == UNDEFINED
    new = requests.stub.GetWorkflowExecutionHistory(
        wsv1.GetWorkflowExecutionHistoryRequest(
            namespace=NAMESPACE,
            execution=WorkflowExecution(workflow_id=execution.workflow_id, run_id=continued.new_execution_run_id),
        ),
        timeout=10,
    )
    assert new.history.events[0].workflow_execution_started_event_attributes.initiator == UNDEFINED


@pytest.fixture
def on_tempo(request: pytest.FixtureRequest, server_address: str) -> bool:
    """Where the real server fails a request with an unknown enum in a switch's default
    branch, it answers INTERNAL "something went wrong, please retry"; Tempo refuses it as the
    client's mistake (issue 17), so that SDKs do not retry a request that cannot succeed."""
    return bool(request.node.callspec.params.get("server_address") == "tempo")


def test_an_unknown_reset_reapply_type(requests: Requests, on_tempo: bool) -> None:
    execution, _ = requests.settled()
    reset = wsv1.ResetWorkflowExecutionRequest(
        namespace=NAMESPACE,
        workflow_execution=execution,
        workflow_task_finish_event_id=4,
        request_id=str(uuid.uuid4()),
        reset_reapply_type=UNDEFINED,  # type: ignore[arg-type]
    )
    error = _refused(_answer(requests.stub.ResetWorkflowExecution, reset))
    if on_tempo:
        assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "unknown reset reapply type: 999")
    else:
        assert error.code() == grpc.StatusCode.INTERNAL


@pytest.mark.parametrize("policy", ["workflow_id_reuse_policy", "workflow_id_conflict_policy"])
def test_an_unknown_id_policy_where_it_decides(requests: Requests, on_tempo: bool, policy: str) -> None:
    """The reuse policy decides only after a closed run, the conflict policy only against a
    running one: there the unknown value is refused (a first start takes it as it is)."""
    execution = requests.start()
    if policy == "workflow_id_reuse_policy":
        requests.stub.TerminateWorkflowExecution(
            wsv1.TerminateWorkflowExecutionRequest(namespace=NAMESPACE, workflow_execution=execution), timeout=10
        )
    start = wsv1.StartWorkflowExecutionRequest(
        namespace=NAMESPACE, workflow_id=execution.workflow_id, request_id=str(uuid.uuid4())
    )
    start.workflow_type.name = "EnumProbe"
    start.task_queue.name = execution.workflow_id
    setattr(start, policy, UNDEFINED)
    error = _refused(_answer(requests.stub.StartWorkflowExecution, start))
    if on_tempo:
        words = "reuse" if policy == "workflow_id_reuse_policy" else "conflict"
        assert (error.code(), error.details()) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            f"unknown workflow ID {words} policy: 999",
        )
    else:
        assert error.code() == grpc.StatusCode.INTERNAL
    first = wsv1.StartWorkflowExecutionRequest()
    first.CopyFrom(start)
    first.workflow_id = first.task_queue.name = f"enum-probe-first-{uuid.uuid4().hex[:8]}"
    assert requests.stub.StartWorkflowExecution(first, timeout=10).started
