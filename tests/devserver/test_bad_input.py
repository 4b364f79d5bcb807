"""Bad input over raw gRPC: the right status codes and error details, and the server
keeps serving afterwards with its state intact. Codes are compared with the real
server through the `server_address` fixture where they make sense."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from grpc_status import rpc_status
from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import TaskQueueKind
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1 import service_pb2
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from devserver.grpc_service import WorkflowService
from tests.devserver.scenarios import client_for, unique

NS = "default"


@pytest.fixture
async def stub(server_address: str) -> AsyncIterator[WorkflowServiceStub]:
    await client_for(server_address)  # waits until the server is ready
    async with grpc.aio.insecure_channel(server_address) as channel:
        yield WorkflowServiceStub(channel)


async def failure(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


def detail_types(error: grpc.aio.AioRpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is None:
        return []
    return [d.type_url.rsplit("/", 1)[-1] for d in status.details]


def start_request(queue: str, workflow_id: str | None = None, **overrides: Any) -> wsv1.StartWorkflowExecutionRequest:
    fields: dict[str, Any] = {
        "namespace": NS,
        "workflow_id": workflow_id or unique("bad"),
        "workflow_type": WorkflowType(name="RawWorkflow"),
        "task_queue": TaskQueue(name=queue),
        "request_id": str(uuid.uuid4()),
    }
    fields.update(overrides)
    return wsv1.StartWorkflowExecutionRequest(**{k: v for k, v in fields.items() if v is not None})


async def still_serves(stub: WorkflowServiceStub, workflow_id: str) -> None:
    """The server answers, and a workflow started before the bad input is still there."""
    described = await stub.DescribeWorkflowExecution(
        wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id)),
        timeout=5,
    )
    assert described.workflow_execution_info.execution.workflow_id == workflow_id
    fresh = await stub.StartWorkflowExecution(start_request(unique("tq-after")), timeout=5)
    assert fresh.run_id


@pytest.fixture
async def survivor(stub: WorkflowServiceStub) -> AsyncIterator[str]:
    """A workflow that must survive every bad request."""
    workflow_id = unique("survivor")
    await stub.StartWorkflowExecution(start_request(unique("tq-survivor"), workflow_id))
    yield workflow_id
    await still_serves(stub, workflow_id)
    await stub.TerminateWorkflowExecution(
        wsv1.TerminateWorkflowExecutionRequest(
            namespace=NS, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )


async def test_unknown_namespace(stub: WorkflowServiceStub, survivor: str) -> None:
    for call in [
        stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace="nope")),
        stub.StartWorkflowExecution(start_request("tq", namespace="nope")),
        stub.PollWorkflowTaskQueue(
            wsv1.PollWorkflowTaskQueueRequest(namespace="nope", task_queue=TaskQueue(name="tq")), timeout=5
        ),
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace="nope", execution=WorkflowExecution(workflow_id=survivor))
        ),
    ]:
        error = await failure(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        assert "nope" in (error.details() or "")
        assert detail_types(error) == ["temporal.api.errordetails.v1.NamespaceNotFoundFailure"]


def _implemented_requests_with_a_namespace() -> list[str]:
    """WorkflowService methods Tempo implements whose request names a namespace (RegisterNamespace
    checks its request before it looks at the name, on both servers)."""
    service = service_pb2.DESCRIPTOR.services_by_name["WorkflowService"]
    return [
        method.name
        for method in service.methods
        if "namespace" in method.input_type.fields_by_name
        and method.name != "RegisterNamespace"
        and hasattr(getattr(WorkflowService, method.name), "__wrapped__")  # not an UNIMPLEMENTED stand-in
    ]


@pytest.mark.parametrize("method", _implemented_requests_with_a_namespace())
async def test_an_unknown_namespace_is_refused_before_the_rest_of_the_request(server_address: str, method: str) -> None:
    """An otherwise empty request (no ids, no token, no job, no patch) in an unknown namespace is
    NOT_FOUND for the namespace, not INVALID_ARGUMENT for a missing field: the namespace is looked
    up first."""
    await client_for(server_address)
    request_type = getattr(wsv1, f"{method}Request")
    async with grpc.aio.insecure_channel(server_address) as channel:
        call = channel.unary_unary(
            f"/temporal.api.workflowservice.v1.WorkflowService/{method}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=bytes,
        )
        error = await failure(call(request_type(namespace="nope"), timeout=10))
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "Namespace nope is not found.")
    assert detail_types(error) == ["temporal.api.errordetails.v1.NamespaceNotFoundFailure"]


async def test_empty_namespace(stub: WorkflowServiceStub, survivor: str) -> None:
    error = await failure(stub.StartWorkflowExecution(start_request("tq", namespace="")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = await failure(
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace="", execution=WorkflowExecution(workflow_id=survivor))
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"workflow_id": ""}, id="no-workflow-id"),
        pytest.param({"workflow_type": WorkflowType(name="")}, id="no-workflow-type"),
        pytest.param({"task_queue": TaskQueue(name="")}, id="no-task-queue"),
        pytest.param({"workflow_run_timeout": duration_pb2.Duration(seconds=-5)}, id="negative-timeout"),
    ],
)
async def test_start_missing_fields(stub: WorkflowServiceStub, survivor: str, overrides: dict[str, Any]) -> None:
    request = start_request("tq-missing", **overrides)
    if "workflow_id" in overrides:
        request.workflow_id = ""
    error = await failure(stub.StartWorkflowExecution(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()


async def test_unknown_workflow(stub: WorkflowServiceStub, survivor: str) -> None:
    missing = WorkflowExecution(workflow_id=unique("missing"))
    for call in [
        stub.DescribeWorkflowExecution(wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=missing)),
        stub.GetWorkflowExecutionHistory(wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=missing)),
        stub.SignalWorkflowExecution(
            wsv1.SignalWorkflowExecutionRequest(namespace=NS, workflow_execution=missing, signal_name="s")
        ),
        stub.TerminateWorkflowExecution(
            wsv1.TerminateWorkflowExecutionRequest(namespace=NS, workflow_execution=missing)
        ),
        stub.RequestCancelWorkflowExecution(
            wsv1.RequestCancelWorkflowExecutionRequest(namespace=NS, workflow_execution=missing)
        ),
    ]:
        error = await failure(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        assert detail_types(error) == ["temporal.api.errordetails.v1.NotFoundFailure"], error


async def test_unknown_run_id_of_known_workflow(stub: WorkflowServiceStub, survivor: str) -> None:
    error = await failure(
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(
                namespace=NS, execution=WorkflowExecution(workflow_id=survivor, run_id=str(uuid.uuid4()))
            )
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_malformed_run_id(stub: WorkflowServiceStub, survivor: str) -> None:
    error = await failure(
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(
                namespace=NS, execution=WorkflowExecution(workflow_id=survivor, run_id="not-a-uuid")
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("token", [b"garbage", b"\x00\xff\x10", b"tempo1:{not json"])
async def test_garbage_task_token(stub: WorkflowServiceStub, survivor: str, token: bytes) -> None:
    for call in [
        stub.RespondWorkflowTaskCompleted(wsv1.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=token)),
        stub.RespondWorkflowTaskFailed(wsv1.RespondWorkflowTaskFailedRequest(namespace=NS, task_token=token)),
        stub.RespondActivityTaskCompleted(wsv1.RespondActivityTaskCompletedRequest(namespace=NS, task_token=token)),
        stub.RespondActivityTaskFailed(wsv1.RespondActivityTaskFailedRequest(namespace=NS, task_token=token)),
        stub.RecordActivityTaskHeartbeat(wsv1.RecordActivityTaskHeartbeatRequest(namespace=NS, task_token=token)),
        stub.RespondQueryTaskCompleted(wsv1.RespondQueryTaskCompletedRequest(namespace=NS, task_token=token)),
    ]:
        error = await failure(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error


async def test_empty_task_token(stub: WorkflowServiceStub, survivor: str) -> None:
    error = await failure(
        stub.RespondWorkflowTaskCompleted(wsv1.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=b""))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_task_token_used_twice(stub: WorkflowServiceStub, survivor: str) -> None:
    task_queue = unique("tq-token")
    workflow_id = unique("token")
    await stub.StartWorkflowExecution(start_request(task_queue, workflow_id))
    task = await stub.PollWorkflowTaskQueue(
        wsv1.PollWorkflowTaskQueueRequest(
            namespace=NS, task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL), identity="t"
        ),
        timeout=10,
    )
    assert task.task_token and task.workflow_execution.workflow_id == workflow_id
    done = wsv1.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, identity="t")
    await stub.RespondWorkflowTaskCompleted(done)
    error = await failure(stub.RespondWorkflowTaskCompleted(done))
    assert error.code() == grpc.StatusCode.NOT_FOUND, error
    error = await failure(
        stub.RespondWorkflowTaskFailed(
            wsv1.RespondWorkflowTaskFailedRequest(namespace=NS, task_token=task.task_token, identity="t")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND, error
    history = await stub.GetWorkflowExecutionHistory(
        wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id))
    )
    assert len(history.history.events) == 4  # started, WFT scheduled/started/completed: nothing more
    await stub.TerminateWorkflowExecution(
        wsv1.TerminateWorkflowExecutionRequest(
            namespace=NS, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )


async def test_token_of_terminated_workflow(stub: WorkflowServiceStub, survivor: str) -> None:
    task_queue = unique("tq-token")
    workflow_id = unique("token")
    await stub.StartWorkflowExecution(start_request(task_queue, workflow_id))
    task = await stub.PollWorkflowTaskQueue(
        wsv1.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TaskQueue(name=task_queue), identity="t"),
        timeout=10,
    )
    await stub.TerminateWorkflowExecution(
        wsv1.TerminateWorkflowExecutionRequest(
            namespace=NS, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    error = await failure(
        stub.RespondWorkflowTaskCompleted(
            wsv1.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, identity="t")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND, error


async def test_signal_closed_workflow(stub: WorkflowServiceStub, survivor: str) -> None:
    workflow_id = unique("closed")
    await stub.StartWorkflowExecution(start_request(unique("tq"), workflow_id))
    execution = WorkflowExecution(workflow_id=workflow_id)
    await stub.TerminateWorkflowExecution(
        wsv1.TerminateWorkflowExecutionRequest(namespace=NS, workflow_execution=execution)
    )
    error = await failure(
        stub.SignalWorkflowExecution(
            wsv1.SignalWorkflowExecutionRequest(namespace=NS, workflow_execution=execution, signal_name="s")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await failure(
        stub.TerminateWorkflowExecution(
            wsv1.TerminateWorkflowExecutionRequest(namespace=NS, workflow_execution=execution)
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_bad_list_query(stub: WorkflowServiceStub, survivor: str) -> None:
    for query in ["WorkflowType = ", "NoSuchAttribute = 'x'", "WorkflowId = 'a' AND AND", "StartTime > 'yesterday'"]:
        error = await failure(
            stub.ListWorkflowExecutions(wsv1.ListWorkflowExecutionsRequest(namespace=NS, query=query))
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (query, error)
        error = await failure(
            stub.CountWorkflowExecutions(wsv1.CountWorkflowExecutionsRequest(namespace=NS, query=query))
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (query, error)


async def test_bad_history_page_token(stub: WorkflowServiceStub, survivor: str) -> None:
    error = await failure(
        stub.GetWorkflowExecutionHistory(
            wsv1.GetWorkflowExecutionHistoryRequest(
                namespace=NS, execution=WorkflowExecution(workflow_id=survivor), next_page_token=b"\x01garbage"
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unimplemented_rpc(tempo_address: str) -> None:
    """Ours only: the real server implements every WorkflowService method."""
    async with grpc.aio.insecure_channel(tempo_address) as channel:
        stub = WorkflowServiceStub(channel)
        error = await failure(
            stub.ListArchivedWorkflowExecutions(wsv1.ListArchivedWorkflowExecutionsRequest(namespace=NS))
        )
        assert error.code() == grpc.StatusCode.UNIMPLEMENTED
        assert "ListArchivedWorkflowExecutions" in (error.details() or "")
        info = await stub.GetSystemInfo(wsv1.GetSystemInfoRequest())
        assert info.capabilities.sdk_metadata


async def test_unknown_service_method(server_address: str) -> None:
    """A method no WorkflowService has at all: UNIMPLEMENTED from the gRPC layer."""
    await client_for(server_address)
    async with grpc.aio.insecure_channel(server_address) as channel:
        call = channel.unary_unary(
            "/temporal.api.workflowservice.v1.WorkflowService/NoSuchMethod",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        error = await failure(call(b""))
        assert error.code() == grpc.StatusCode.UNIMPLEMENTED
        info = await WorkflowServiceStub(channel).GetSystemInfo(wsv1.GetSystemInfoRequest())
        assert info.server_version


async def test_oversized_payload(stub: WorkflowServiceStub, survivor: str) -> None:
    """Payloads over 2 MB are refused (the real server's blob size limit)."""
    from temporalio.api.common.v1 import Payload, Payloads

    big = Payloads(payloads=[Payload(metadata={"encoding": b"binary/plain"}, data=b"x" * 2_500_000)])
    error = await failure(stub.StartWorkflowExecution(start_request(unique("tq-big"), input=big)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    error = await failure(
        stub.SignalWorkflowExecution(
            wsv1.SignalWorkflowExecutionRequest(
                namespace=NS, workflow_execution=WorkflowExecution(workflow_id=survivor), signal_name="s", input=big
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"workflow_id": "w" * 1100}, id="workflow-id"),
        pytest.param({"workflow_type": WorkflowType(name="t" * 1100)}, id="workflow-type"),
        pytest.param({"task_queue": TaskQueue(name="q" * 1100)}, id="task-queue"),
        pytest.param({"request_id": "r" * 1100}, id="request-id"),
    ],
)
async def test_start_field_length_limits(stub: WorkflowServiceStub, survivor: str, overrides: dict[str, Any]) -> None:
    error = await failure(stub.StartWorkflowExecution(start_request("tq-long", **overrides)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
