"""The server's gRPC-over-HTTP/2 transport as a client sees it.

These tests pin down what today's transport (grpcio's server) does, so that a replacement
(a hand-written asyncio HTTP/2 server) can be checked against it: many calls on one
connection, message size limits both ways, flow control on large answers, deadlines and
cancellations reaching the handlers, unknown methods, undecodable requests, error details
in trailers, request metadata, garbage on the socket, and shutdown with calls in flight.

Most tests share one in-process server (tests/inprocess.py); the raw-socket tests start a
subprocess server each, so that what it writes to stderr can be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
import temporalio.client
from google.rpc import status_pb2
from temporalio.api.common.v1 import Header, Payload, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.errordetails.v1 import message_pb2 as errordetails
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from tests.inprocess import tempo_in_process
from tests.servers import ServerProcess, running, tempo_server

NS = "default"
KIB = 1024
MIB = 1024 * KIB
MAX_REQUEST = 4 * MIB  # the largest request message the server reads (grpc-go's default, too)
WORKFLOW_SERVICE = "/temporal.api.workflowservice.v1.WorkflowService"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


# ---- helpers -------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def start_request(workflow_id: str, queue: str, **fields: Any) -> wsv1.StartWorkflowExecutionRequest:
    return wsv1.StartWorkflowExecutionRequest(
        namespace=NS,
        workflow_id=workflow_id,
        workflow_type=WorkflowType(name=fields.pop("workflow_type", "TransportWorkflow")),
        task_queue=TaskQueue(name=queue),
        request_id=str(uuid.uuid4()),
        **fields,
    )


def poll_request(queue: str, identity: str = "transport-test") -> wsv1.PollWorkflowTaskQueueRequest:
    return wsv1.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TaskQueue(name=queue), identity=identity)


def history_request(workflow_id: str, **fields: Any) -> wsv1.GetWorkflowExecutionHistoryRequest:
    return wsv1.GetWorkflowExecutionHistoryRequest(
        namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id), **fields
    )


async def answers(stub: WorkflowServiceStub) -> None:
    """The server still serves on this channel."""
    described = await stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=NS), timeout=5)
    assert described.namespace_info.name == NS


async def failure(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


def status_details(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The google.rpc.Status the server put in the `grpc-status-details-bin` trailer."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError(f"no grpc-status-details-bin in {error.trailing_metadata()!r}")


async def wait_for_poller(stub: WorkflowServiceStub, queue: str, identity: str) -> None:
    """Until the server has a poll from `identity` on the workflow task queue `queue`."""
    deadline = time.monotonic() + 10
    while True:
        described = await stub.DescribeTaskQueue(
            wsv1.DescribeTaskQueueRequest(
                namespace=NS,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=5,
        )
        if any(poller.identity == identity for poller in described.pollers):
            return
        assert time.monotonic() < deadline, f"no poll from {identity} on {queue} reached the server"
        await asyncio.sleep(0.02)


async def gets_the_task(stub: WorkflowServiceStub, queue: str, workflow_id: str) -> None:
    """A new poll on `queue` gets the first workflow task of `workflow_id` (not an empty answer
    after the poll's wait, as when another poller holds the task)."""
    polled = await stub.PollWorkflowTaskQueue(poll_request(queue, "second-poller"), timeout=6)
    assert polled.task_token, "the workflow task went to a poller that was gone"
    assert polled.workflow_execution.workflow_id == workflow_id


def sized_describe_namespace(total: int) -> bytes:
    """A DescribeNamespaceRequest{namespace: "default"} of exactly `total` bytes, padded with
    an unknown length-delimited field (which the server's decoder accepts and skips)."""

    def varint(value: int) -> bytes:
        out = bytearray()
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
        return bytes(out)

    head = wsv1.DescribeNamespaceRequest(namespace=NS).SerializeToString() + varint((1000 << 3) | 2)
    padding = total - len(head) - len(varint(total))  # a first guess at the length's length
    while len(head) + len(varint(padding)) + padding > total:
        padding -= 1
    body = head + varint(padding) + b"z" * padding
    assert len(body) == total
    return body


@pytest.fixture(scope="module")
async def address() -> AsyncIterator[str]:
    async with tempo_in_process() as address:
        yield address


@pytest.fixture
async def channel(address: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield channel


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> WorkflowServiceStub:
    return WorkflowServiceStub(channel)


# ---- many calls on one connection ----------------------------------------------------------


async def test_many_concurrent_calls_on_one_channel(stub: WorkflowServiceStub) -> None:
    described = await asyncio.gather(
        *(stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=NS), timeout=20) for _ in range(300))
    )
    assert [d.namespace_info.name for d in described] == [NS] * 300


async def test_pending_long_polls_do_not_hold_up_other_calls_on_the_channel(stub: WorkflowServiceStub) -> None:
    """A worker's many pollers share one connection with its other calls: 200 waiting polls
    (more than HTTP/2's customary 100 concurrent streams) leave room for more calls."""
    queue = unique("tq-many-polls")
    polls = [stub.PollWorkflowTaskQueue(poll_request(queue, f"poller-{i}"), timeout=30) for i in range(200)]
    await wait_for_poller(stub, queue, "poller-199")
    started = time.monotonic()
    described = await asyncio.gather(
        *(stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=NS), timeout=5) for _ in range(50))
    )
    assert len(described) == 50
    assert time.monotonic() - started < 3
    assert all(not poll.done() for poll in polls)
    for poll in polls:
        poll.cancel()
    for poll in polls:
        with contextlib.suppress(asyncio.CancelledError):
            await poll
    await answers(stub)


# ---- message sizes and flow control --------------------------------------------------------


async def test_a_request_over_4_mib_is_refused_and_the_channel_keeps_working(stub: WorkflowServiceStub) -> None:
    workflow_id = unique("too-big")
    big = Payloads(payloads=[Payload(data=b"x" * (5 * MIB))])
    error = await failure(stub.StartWorkflowExecution(start_request(workflow_id, "tq-big", input=big), timeout=10))
    # Today: "SERVER: Received message larger than max (5242957 vs. 4194304)" (grpc-go says
    # "grpc: received message larger than max (... vs. 4194304)").
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    assert "larger than max" in (error.details() or "").lower()
    await answers(stub)
    missing = await failure(
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id))
        )
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND  # the refused start started nothing


async def test_the_request_size_limit_is_exactly_4_mib(channel: grpc.aio.Channel) -> None:
    describe = channel.unary_unary(f"{WORKFLOW_SERVICE}/DescribeNamespace")
    for size in (MAX_REQUEST - 1, MAX_REQUEST):
        answer = await describe(sized_describe_namespace(size), timeout=10)
        assert wsv1.DescribeNamespaceResponse.FromString(answer).namespace_info.name == NS
    error = await failure(describe(sized_describe_namespace(MAX_REQUEST + 1), timeout=10))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "4194305" in (error.details() or "")
    assert wsv1.DescribeNamespaceResponse.FromString(await describe(sized_describe_namespace(100))).namespace_info


async def test_a_request_just_under_4_mib_arrives_intact(stub: WorkflowServiceStub) -> None:
    """Nearly 4 MB of request body (two payloads under the 2 MB blob limit), far more than
    HTTP/2's initial 64 KB window: the server must keep opening its receive window."""
    workflow_id = unique("nearly-4mib")
    first, second = random.Random(1).randbytes(1900 * KIB), random.Random(2).randbytes(1900 * KIB)
    request = start_request(
        workflow_id,
        "tq-nearly-4mib",
        input=Payloads(payloads=[Payload(data=first)]),
        header=Header(fields={"blob": Payload(data=second)}),
    )
    assert 3.7 * MIB < request.ByteSize() < MAX_REQUEST
    await stub.StartWorkflowExecution(request, timeout=10)
    history = await stub.GetWorkflowExecutionHistory(history_request(workflow_id), timeout=10)
    started = history.history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].data == first
    assert started.header.fields["blob"].data == second


async def test_a_history_of_several_megabytes_arrives_intact(address: str) -> None:
    """An answer of ~6 MB, sent in many DATA frames under the client's flow-control windows;
    four of them at once on one connection share its window."""
    workflow_id = unique("big-history")
    signals = 30
    async with grpc.aio.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)]) as channel:
        stub = WorkflowServiceStub(channel)
        await stub.StartWorkflowExecution(start_request(workflow_id, unique("tq-big-history")), timeout=5)
        for i in range(signals):
            await stub.SignalWorkflowExecution(
                wsv1.SignalWorkflowExecutionRequest(
                    namespace=NS,
                    workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                    signal_name="fill",
                    input=Payloads(payloads=[Payload(data=bytes([i]) * (200 * KIB))]),
                    request_id=str(uuid.uuid4()),
                ),
                timeout=5,
            )

        def check(response: wsv1.GetWorkflowExecutionHistoryResponse) -> None:
            assert response.ByteSize() > 6 * 1000 * 1000
            assert not response.next_page_token
            signalled = [
                event.workflow_execution_signaled_event_attributes
                for event in response.history.events
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
            ]
            assert len(signalled) == signals
            assert len(response.history.events) == signals + 2  # started, first task scheduled
            for i, attributes in enumerate(signalled):
                assert attributes.input.payloads[0].data == bytes([i]) * (200 * KIB)

        request = history_request(workflow_id, maximum_page_size=1000)
        check(await stub.GetWorkflowExecutionHistory(request, timeout=20))
        for response in await asyncio.gather(
            *(stub.GetWorkflowExecutionHistory(request, timeout=20) for _ in range(4))
        ):
            check(response)
        await answers(stub)


# ---- deadlines and cancellation ------------------------------------------------------------


async def test_a_long_poll_answers_empty_a_second_before_the_client_deadline(stub: WorkflowServiceStub) -> None:
    """The server reads the call's deadline (grpc-timeout) and answers an empty poll a second
    before it, so the client sees an answer, not DEADLINE_EXCEEDED."""
    queue = unique("tq-empty")
    started = time.monotonic()
    polled = await stub.PollWorkflowTaskQueue(poll_request(queue), timeout=2.0)
    elapsed = time.monotonic() - started
    assert polled.task_token == b""
    assert 0.6 < elapsed < 1.8, elapsed
    # With a second or less left there is no wait at all.
    started = time.monotonic()
    polled = await stub.PollWorkflowTaskQueue(poll_request(queue), timeout=1.0)
    assert polled.task_token == b""
    assert time.monotonic() - started < 0.9
    await answers(stub)


async def test_a_client_deadline_ends_a_call_the_server_holds(stub: WorkflowServiceStub) -> None:
    """A query of a workflow no worker serves waits for an answer until the caller's deadline."""
    workflow_id = unique("unanswered-query")
    await stub.StartWorkflowExecution(start_request(workflow_id, unique("tq-no-worker")), timeout=5)
    started = time.monotonic()
    error = await failure(
        stub.QueryWorkflow(
            wsv1.QueryWorkflowRequest(
                namespace=NS,
                execution=WorkflowExecution(workflow_id=workflow_id),
                query=WorkflowQuery(query_type="state"),
            ),
            timeout=1.0,
        )
    )
    elapsed = time.monotonic() - started
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.9 < elapsed < 2.5, elapsed
    await answers(stub)


async def test_a_cancelled_long_poll_does_not_take_the_task(stub: WorkflowServiceStub) -> None:
    queue = unique("tq-cancelled-poll")
    call = stub.PollWorkflowTaskQueue(poll_request(queue, "cancelled-poller"), timeout=30)
    await wait_for_poller(stub, queue, "cancelled-poller")
    assert call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await call.code() == grpc.StatusCode.CANCELLED
    await asyncio.sleep(0.3)  # the RST_STREAM reaches the server and ends its handler
    workflow_id = unique("after-cancel")
    await stub.StartWorkflowExecution(start_request(workflow_id, queue), timeout=5)
    await gets_the_task(stub, queue, workflow_id)


_DOOMED_POLLER = """
import sys
import grpc
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

address, queue = sys.argv[1:]
with grpc.insecure_channel(address) as channel:
    WorkflowServiceStub(channel).PollWorkflowTaskQueue(
        wsv1.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=queue), identity="doomed"),
        timeout=60,
    )
"""


async def test_a_poller_whose_connection_drops_does_not_take_the_task(address: str, stub: WorkflowServiceStub) -> None:
    """A worker process killed mid-poll: its TCP connection closes without any HTTP/2 goodbye."""
    queue = unique("tq-killed-poller")
    worker = await asyncio.create_subprocess_exec(sys.executable, "-c", _DOOMED_POLLER, address, queue)
    try:
        await wait_for_poller(stub, queue, "doomed")
    finally:
        worker.kill()
        await worker.wait()
    await asyncio.sleep(0.3)  # the server notices the closed connection and ends the handler
    workflow_id = unique("after-kill")
    await stub.StartWorkflowExecution(start_request(workflow_id, queue), timeout=5)
    await gets_the_task(stub, queue, workflow_id)


# ---- routing and decoding ------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        f"{WORKFLOW_SERVICE}/NoSuchMethod",
        "/no.such.v1.Service/Method",
        "/grpc.health.v1.Health/Watch",  # a streaming method the server does not serve
    ],
)
async def test_an_unknown_method_is_unimplemented(channel: grpc.aio.Channel, method: str) -> None:
    error = await failure(channel.unary_unary(method)(b"", timeout=5))
    # Today's message: "Method not found!" (grpc-go: "unknown service ..." / "unknown method ...").
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    await answers(WorkflowServiceStub(channel))


async def test_an_undecodable_request_is_invalid_argument(
    channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    error = await failure(channel.unary_unary(f"{WORKFLOW_SERVICE}/DescribeNamespace")(b"\xff\xff\xff", timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Today: "request is not a valid temporal.api.workflowservice.v1.DescribeNamespaceRequest:
    # Error parsing message with type '...DescribeNamespaceRequest': Wire format was corrupt"
    assert (error.details() or "").startswith(
        "request is not a valid temporal.api.workflowservice.v1.DescribeNamespaceRequest"
    )
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
    await answers(WorkflowServiceStub(channel))


async def test_health_check_answers_serving(channel: grpc.aio.Channel) -> None:
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    assert await check(b"", timeout=5) == b"\x08\x01"
    # HealthCheckRequest{service: ...}: a service the server serves is SERVING, another is
    # unknown (the official SDK's check_health(service=...) expects NOT_FOUND).
    served = b"temporal.api.workflowservice.v1.WorkflowService"
    assert await check(b"\x0a" + bytes([len(served)]) + served, timeout=5) == b"\x08\x01"
    error = await failure(check(b"\x0a\x08whatever", timeout=5))
    assert error.code() == grpc.StatusCode.NOT_FOUND


# ---- error details -------------------------------------------------------------------------


async def test_not_found_carries_its_failure_in_the_status_details(stub: WorkflowServiceStub) -> None:
    workflow_id = unique("missing")
    error = await failure(
        stub.DescribeWorkflowExecution(
            wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id)),
            timeout=5,
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"workflow not found for ID: {workflow_id}"
    status = status_details(error)
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0]
    assert status.message == error.details()
    assert len(status.details) == 1
    assert status.details[0].Is(errordetails.NotFoundFailure.DESCRIPTOR)


async def test_already_started_carries_the_running_run_in_the_status_details(stub: WorkflowServiceStub) -> None:
    workflow_id = unique("twice")
    first = start_request(workflow_id, "tq-twice")
    started = await stub.StartWorkflowExecution(first, timeout=5)
    again = start_request(workflow_id, "tq-twice")
    error = await failure(stub.StartWorkflowExecution(again, timeout=5))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == (
        f"Workflow execution is already running. WorkflowId: {workflow_id}, RunId: {started.run_id}."
    )
    status = status_details(error)
    assert status.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    assert len(status.details) == 1
    failure_details = errordetails.WorkflowExecutionAlreadyStartedFailure()
    assert status.details[0].Unpack(failure_details)
    assert failure_details.run_id == started.run_id
    assert failure_details.start_request_id == first.request_id


# ---- request metadata ----------------------------------------------------------------------


async def test_the_client_name_header_reaches_the_server(stub: WorkflowServiceStub) -> None:
    """The Temporal CLI and UI (client-name temporal-cli / temporal-ui) are not shown a
    workflow task's unwritten (transient) events; other clients are."""
    queue = unique("tq-transient")
    workflow_id = unique("transient")
    await stub.StartWorkflowExecution(start_request(workflow_id, queue), timeout=5)
    polled = await stub.PollWorkflowTaskQueue(poll_request(queue), timeout=5)
    await stub.RespondWorkflowTaskFailed(
        wsv1.RespondWorkflowTaskFailedRequest(task_token=polled.task_token, identity="transport-test"), timeout=5
    )
    written = [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    ]
    transient = [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]  # the retry, attempt 2

    async def event_types(metadata: tuple[tuple[str, str | bytes], ...] | None) -> list[int]:
        history = await stub.GetWorkflowExecutionHistory(history_request(workflow_id), metadata=metadata, timeout=5)
        return [event.event_type for event in history.history.events]

    assert await event_types(None) == written + transient
    assert await event_types((("client-name", "temporal-go"),)) == written + transient
    assert await event_types((("client-name", "temporal-cli"),)) == written
    assert await event_types((("client-name", "temporal-ui"),)) == written
    # A binary header beside it changes nothing.
    assert await event_types((("x-test-bin", b"\x00\x01"), ("client-name", "temporal-cli"))) == written


async def test_binary_metadata_does_not_break_a_call(stub: WorkflowServiceStub) -> None:
    for metadata in (
        (("x-test-bin", b"\x00\x01"),),
        (("x-test-bin", bytes(range(256))), ("x-plain", "text value"), ("x-empty-bin", b"")),
    ):
        described = await stub.DescribeNamespace(
            wsv1.DescribeNamespaceRequest(namespace=NS), metadata=metadata, timeout=5
        )
        assert described.namespace_info.name == NS


# ---- the official SDK's own HTTP/2 stack ---------------------------------------------------


async def test_the_sdk_client_works_beside_grpcio_channels(address: str) -> None:
    """The Python SDK talks through its Rust core (tonic/hyper's h2), grpcio through C-core."""
    workflow_type = unique("SdkSanity")
    async with grpc.aio.insecure_channel(address) as first, grpc.aio.insecure_channel(address) as second:
        starter, reader = WorkflowServiceStub(first), WorkflowServiceStub(second)
        client = await temporalio.client.Client.connect(address, namespace=NS)
        ids = [unique("sdk-sanity") for _ in range(3)]
        await asyncio.gather(
            *(
                starter.StartWorkflowExecution(start_request(i, "tq-sdk", workflow_type=workflow_type), timeout=5)
                for i in ids
            )
        )
        query = f"WorkflowType = '{workflow_type}'"

        async def listed() -> list[str]:
            return [execution.id async for execution in client.list_workflows(query)]

        counted, found, described = await asyncio.gather(
            client.count_workflows(query),
            listed(),
            asyncio.gather(
                *(
                    reader.DescribeWorkflowExecution(
                        wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=i)),
                        timeout=5,
                    )
                    for i in ids
                )
            ),
        )
        assert counted.count == 3
        assert sorted(found) == sorted(ids)
        assert [d.workflow_execution_info.execution.workflow_id for d in described] == ids
        assert (await client.get_workflow_handle(ids[0]).describe()).id == ids[0]


# ---- garbage on the socket -----------------------------------------------------------------


@contextlib.contextmanager
def subprocess_server() -> Iterator[ServerProcess]:
    """`tempo server start-dev` of its own; after it stops, its stderr shows no traceback."""
    server = tempo_server()
    with running(server):
        yield server
    stderr = server.log()
    assert "Traceback" not in stderr, stderr


def connection_ends(port: int, payload: bytes, within: float = 5.0) -> bytes:
    """Send `payload` on a fresh connection; return what the server sent before it closed."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=within) as sock:
        sock.sendall(payload)
        deadline = time.monotonic() + within
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise AssertionError(f"the server kept the connection open for {within} s") from None
            if not chunk:
                break
            received += chunk
    return bytes(received)


def still_serves(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        described = WorkflowServiceStub(channel).DescribeNamespace(
            wsv1.DescribeNamespaceRequest(namespace=NS), timeout=5
        )
    assert described.namespace_info.name == NS


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", id="http1-request"),
        pytest.param(HTTP2_PREFACE + random.Random(7).randbytes(1000), id="garbage-after-preface"),
        pytest.param(random.Random(8).randbytes(1000), id="garbage-without-preface"),
    ],
)
def test_garbage_on_the_socket_ends_that_connection_only(payload: bytes) -> None:
    # Today the server sends its SETTINGS and a WINDOW_UPDATE (46 bytes) and closes at once,
    # without a GOAWAY, whatever the garbage; an HTTP/1.1 request gets no HTTP/1.1 answer.
    with subprocess_server() as server:
        still_serves(server.address)
        connection_ends(server.port, payload)
        still_serves(server.address)


# ---- shutdown ------------------------------------------------------------------------------


async def test_calls_in_flight_when_the_server_stops_are_answered() -> None:
    async with tempo_in_process() as address:
        channel = grpc.aio.insecure_channel(address)
        stub = WorkflowServiceStub(channel)
        queue = unique("tq-shutdown")
        workflow_id = unique("shutdown")
        await stub.StartWorkflowExecution(start_request(workflow_id, unique("tq-no-worker")), timeout=5)
        poll = stub.PollWorkflowTaskQueue(poll_request(queue, "at-shutdown"), timeout=30)
        query = stub.QueryWorkflow(
            wsv1.QueryWorkflowRequest(
                namespace=NS,
                execution=WorkflowExecution(workflow_id=workflow_id),
                query=WorkflowQuery(query_type="state"),
            ),
            timeout=30,
        )
        await wait_for_poller(stub, queue, "at-shutdown")
        await asyncio.sleep(0.2)  # the query has reached the server too
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    try:
        assert stopped < 1.5, f"the server took {stopped:.2f} s to stop"
        polled = await asyncio.wait_for(poll, 5)
        assert polled.task_token == b""  # an empty answer, at once
        error = await failure(asyncio.wait_for(query, 5))
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert error.details() == "server is shutting down"
        gone = await failure(stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=NS), timeout=5))
        assert gone.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await channel.close()
