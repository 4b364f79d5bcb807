"""The blocking transport (`sdk._h2_channel`, what `tempo workflow` commands call over):
the same answers and the same errors as grpcio, on both servers.

Each test makes the same calls with a client on grpcio and a client on the blocking
transport (``Client._connected_blocking``) and compares what they got. The blocking
client never suspends, so it runs inside the test's event loop as well as without one.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent import futures
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import status_pb2
from temporalio.api.errordetails.v1 import NamespaceNotFoundFailure
from temporalio.api.workflowservice.v1 import (
    GetSystemInfoRequest,
    GetSystemInfoResponse,
    ListWorkflowExecutionsRequest,
    ListWorkflowExecutionsResponse,
)

from sdk._h2_channel import CallFailed, H2Channel
from sdk.client import Client
from sdk.exceptions import RPCError, ServerUnreachableError, WorkflowAlreadyStartedError, WorkflowNotFoundError
from tempo_wire import frames
from tempo_wire.frames import DEADLINE_EXCEEDED
from tests.servers import free_port

T = TypeVar("T")
BIG = "x" * 300_000  # beyond every HTTP/2 window and frame size of a fresh connection


def run_without_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine of the blocking client outside any event loop, as the CLI does."""
    try:
        work.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    work.close()
    raise AssertionError("the blocking client suspended")


async def both(address: str) -> tuple[Client, Client]:
    return await Client.connect(address), await Client._connected_blocking(address)


async def test_the_calls_of_the_workflow_commands_answer_as_over_grpc(server_address: str) -> None:
    grpc_client, blocking = await both(server_address)
    workflow_id = f"blocking-{uuid.uuid4()}"
    try:
        # A start whose request is larger than the server's first windows: sent as they open.
        handle = await blocking.start_workflow("Nobody", BIG, id=workflow_id, task_queue="no-worker")
        for n in range(3):
            await blocking.get_workflow_handle(workflow_id).signal("more", n)
        over_grpc = await grpc_client.get_workflow_handle(workflow_id).describe()
        over_h2 = await blocking.get_workflow_handle(workflow_id).describe()
        assert over_h2.raw_description == over_grpc.raw_description
        assert over_h2.run_id == handle.result_run_id
        # A history response far larger than one frame and the first window.
        events_grpc = [e async for e in grpc_client.get_workflow_handle(workflow_id).fetch_history_events()]
        events_h2 = [e async for e in blocking.get_workflow_handle(workflow_id).fetch_history_events()]
        assert events_h2 == events_grpc
        assert len(events_h2[0].SerializeToString()) > 300_000
        query = f"WorkflowId = '{workflow_id}'"
        assert [r.raw async for r in blocking.list_workflows(query)] == [
            r.raw async for r in grpc_client.list_workflows(query)
        ]
        assert await blocking.count_workflows(query) == await grpc_client.count_workflows(query) == 1
        await blocking.get_workflow_handle(workflow_id).terminate("done")
        assert (await grpc_client.get_workflow_handle(workflow_id).describe()).close_time is not None
    finally:
        await grpc_client.close()
        await blocking.close()


async def test_failed_calls_raise_what_they_raise_over_grpc(server_address: str) -> None:
    grpc_client, blocking = await both(server_address)
    workflow_id = f"blocking-{uuid.uuid4()}"
    try:
        started = await grpc_client.start_workflow("Nobody", id=workflow_id, task_queue="no-worker")

        async def failures(client: Client) -> list[tuple[type[BaseException], Any, Any, str]]:
            seen: list[tuple[type[BaseException], Any, Any, str]] = []
            calls = [
                lambda: client.get_workflow_handle(f"{workflow_id}-missing").describe(),
                lambda: client.start_workflow("Nobody", id=workflow_id, task_queue="no-worker"),
                lambda: client.count_workflows("WorkflowId = = 'x'"),
                lambda: client.with_namespace("no-such-namespace").count_workflows(),
            ]
            for call in calls:
                with pytest.raises(RPCError) as caught:
                    await call()
                err = caught.value
                seen.append((type(err), err.status_code, getattr(err, "run_id", None), str(err)))
            return seen

        over_h2 = await failures(blocking)
        assert over_h2 == await failures(grpc_client)
        assert over_h2[0][0] is WorkflowNotFoundError
        already = over_h2[1][:3]
        assert already == (WorkflowAlreadyStartedError, grpc.StatusCode.ALREADY_EXISTS, started.result_run_id)
        assert over_h2[2][1] == grpc.StatusCode.INVALID_ARGUMENT
        await grpc_client.get_workflow_handle(workflow_id).terminate("done")
    finally:
        await grpc_client.close()
        await blocking.close()


async def test_nothing_listening_is_the_same_error() -> None:
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnreachableError) as over_grpc:
        await Client.connect(address)
    with pytest.raises(ServerUnreachableError) as over_h2:
        run_without_loop(Client._connected_blocking(address))
    assert str(over_h2.value) == str(over_grpc.value)


def test_a_host_by_name_is_resolved_and_an_unknown_name_is_unreachable(tempo_address: str) -> None:
    # The host goes to getaddrinfo as ASCII bytes (no `idna` codec to import): names resolve.
    port = tempo_address.rpartition(":")[2]
    client = run_without_loop(Client._connected_blocking(f"localhost:{port}"))
    assert run_without_loop(client.count_workflows("WorkflowId = 'nobody'")) == 0
    run_without_loop(client.close())
    with pytest.raises(ServerUnreachableError, match=r"no-such-host\.invalid"):
        run_without_loop(Client._connected_blocking(f"no-such-host.invalid:{port}"))


@pytest.fixture(params=["an HTTP/1 web server", "a server that hangs up"])
def not_grpc(request: pytest.FixtureRequest) -> Iterator[str]:
    """The address of something that is not a gRPC server."""
    listener = socket.create_server(("127.0.0.1", 0))
    answer = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n" if request.param.startswith("an HTTP") else b""

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


async def test_something_other_than_a_grpc_server_is_the_same_error(not_grpc: str) -> None:
    with pytest.raises(ServerUnreachableError) as over_grpc:
        await Client.connect(not_grpc)
    with pytest.raises(ServerUnreachableError) as over_h2:
        run_without_loop(Client._connected_blocking(not_grpc))
    assert str(over_h2.value) == str(over_grpc.value)


# ------------------------------------------------- against a grpcio server of the test's own


class _Service:
    """Answers GetSystemInfo and ListWorkflowExecutions; keeps what it was sent."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str | bytes]] = []
        self.delay = 0.0

    def get_system_info(self, request: GetSystemInfoRequest, context: grpc.ServicerContext) -> GetSystemInfoResponse:
        self.metadata.append(dict(context.invocation_metadata()))
        return GetSystemInfoResponse(server_version="test")

    def list_workflows(
        self, request: ListWorkflowExecutionsRequest, context: grpc.ServicerContext
    ) -> ListWorkflowExecutionsResponse:
        self.metadata.append(dict(context.invocation_metadata()))
        if self.delay:
            threading.Event().wait(self.delay)
        if request.namespace == "missing":
            detail = any_pb2.Any()
            detail.Pack(NamespaceNotFoundFailure(namespace="missing"))
            status = status_pb2.Status(
                code=grpc.StatusCode.NOT_FOUND.value[0], message="Namespace missing is not found: é%", details=[detail]
            )
            context.abort_with_status(_RichStatus(status))
        return ListWorkflowExecutionsResponse(next_page_token=request.query[:4000].encode() * 1000)


class _RichStatus(grpc.Status):  # type: ignore[misc]
    def __init__(self, status: status_pb2.Status) -> None:
        self.code = grpc.StatusCode.NOT_FOUND
        self.details = status.message
        self.trailing_metadata = (("grpc-status-details-bin", status.SerializeToString()),)


@pytest.fixture
def grpc_peer() -> Iterator[tuple[str, _Service]]:
    service = _Service()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "GetSystemInfo": grpc.unary_unary_rpc_method_handler(
            service.get_system_info,
            request_deserializer=GetSystemInfoRequest.FromString,
            response_serializer=GetSystemInfoResponse.SerializeToString,
        ),
        "ListWorkflowExecutions": grpc.unary_unary_rpc_method_handler(
            service.list_workflows,
            request_deserializer=ListWorkflowExecutionsRequest.FromString,
            response_serializer=ListWorkflowExecutionsResponse.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("temporal.api.workflowservice.v1.WorkflowService", handlers),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", service
    finally:
        server.stop(None)


def test_headers_travel_as_grpcio_reads_them(grpc_peer: tuple[str, _Service]) -> None:
    address, service = grpc_peer
    metadata: dict[str, str | bytes] = {
        "x-team": "deliveries",
        "x-trace-bin": bytes(range(256)),
        "authorization": "Bearer k",
    }
    client = run_without_loop(Client._connected_blocking(address, rpc_metadata=metadata))
    # A request of many frames, beyond the first windows, and a 4 MB answer.
    page = run_without_loop(client.list_workflows_page("q" * 100_000))
    assert page.next_page_token == b"q" * 4_000_000
    for seen in service.metadata:
        assert {key: seen.get(key) for key in metadata} == metadata
    run_without_loop(client.close())


def test_a_rich_error_keeps_its_detail_and_its_message(grpc_peer: tuple[str, _Service]) -> None:
    address, _ = grpc_peer
    client = run_without_loop(Client._connected_blocking(address, namespace="missing"))
    with pytest.raises(RPCError) as caught:
        run_without_loop(client.list_workflows_page())
    # Percent-encoded on the wire, the message comes back as sent; the namespace detail
    # keeps it from reading as a missing workflow.
    assert (caught.value.status_code, str(caught.value)) == (
        grpc.StatusCode.NOT_FOUND,
        "Namespace missing is not found: é%",
    )
    assert not isinstance(caught.value, WorkflowNotFoundError)


def test_a_late_answer_is_a_deadline_and_the_connection_goes_on(grpc_peer: tuple[str, _Service]) -> None:
    address, service = grpc_peer
    client = run_without_loop(Client._connected_blocking(address))
    service.delay = 1.5
    with pytest.raises(RPCError) as caught:
        run_without_loop(
            client._conn.call(client.service.ListWorkflowExecutions, ListWorkflowExecutionsRequest(), timeout=0.5)
        )
    assert caught.value.status_code == grpc.StatusCode.DEADLINE_EXCEEDED
    service.delay = 0
    page = run_without_loop(client.list_workflows_page("again"))
    assert page.next_page_token == b"again" * 1000


async def test_inside_an_event_loop_it_still_answers(tempo_address: str) -> None:
    # Blocking, but correct: nothing in it waits on the loop.
    client = await Client._connected_blocking(tempo_address)
    info = await client._conn.call(client.service.GetSystemInfo, GetSystemInfoRequest())
    assert info.capabilities.signal_and_query_header
    await asyncio.sleep(0)
    await client.close()


@pytest.fixture
def resets_when_time_runs_out() -> Iterator[str]:
    """A server that answers a call only by resetting its stream (CANCEL) once the call's
    grpc-timeout has run out, as the real server cancels a query no worker answers."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.sendall(frames.frame(frames.SETTINGS, 0, 0, b""))
            received = b""
            while b"grpc-timeout" not in received.lower() and len(received) < 65536:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                received += chunk
            for _ in range(5):  # pings keep the client's socket busy past the call's 300 ms
                time.sleep(0.1)
                conn.sendall(frames.frame(frames.PING, 0, 0, bytes(8)))
            conn.sendall(frames.frame(frames.RST_STREAM, 0, 1, frames.CANCEL.to_bytes(4, "big")))
            conn.recv(1024)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_stream_the_server_cancels_when_its_time_ran_out_is_a_deadline(resets_when_time_runs_out: str) -> None:
    channel = H2Channel(resets_when_time_runs_out)
    with pytest.raises(CallFailed) as caught:
        channel.unary("/temporal.api.workflowservice.v1.WorkflowService/QueryWorkflow", b"", [], 0.3)
    assert (caught.value.status, caught.value.code()) == (DEADLINE_EXCEEDED, grpc.StatusCode.DEADLINE_EXCEEDED)
