"""The server's HTTP/2 transport (devserver/h2_server.py) frame by frame, as RFC 9113 and
grpc/doc/PROTOCOL-HTTP2.md ask and as a client would notice.

A raw client (tests/devserver/h2_raw_client.py) chooses every frame it sends: tiny flow-control
windows, settings changed mid-stream, header blocks in CONTINUATION frames, padding, resets,
streams interleaved, deliberately broken header blocks and request bodies. It records all
the server sends and notes each breach of the rules it can see from its side (DATA beyond a
window, frames above its max frame size, frames after a stream's end, pseudo-headers in
trailers); every test ends by asserting there were none.

What grpcio's channel gets for the same call is the reference for the answers' content.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
import urllib.parse
import uuid
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub

from devserver import h2_server
from tempo_wire import frames, hpack
from tempo_wire.frames import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADERS,
    PADDED,
    PING,
    PRIORITY,
    PRIORITY_FLAG,
    RST_STREAM,
    SETTINGS,
    SETTINGS_INITIAL_WINDOW_SIZE,
    SETTINGS_MAX_FRAME_SIZE,
)
from tests.devserver.h2_raw_client import RawH2, StreamState, connected, grpc_message, request_headers
from tests.inprocess import devserver_in_process, tempo_in_process

NS = "default"
KIB = 1024
pytestmark = pytest.mark.timeout(60)


# ---- helpers -------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def describe_namespace(namespace: str = NS) -> bytes:
    return wsv1.DescribeNamespaceRequest(namespace=namespace).SerializeToString()


def history_request(workflow_id: str) -> wsv1.GetWorkflowExecutionHistoryRequest:
    return wsv1.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id))


def poll_request(queue: str, identity: str) -> bytes:
    return wsv1.PollWorkflowTaskQueueRequest(
        namespace=NS, task_queue=TaskQueue(name=queue), identity=identity
    ).SerializeToString()


async def start_workflow(stub: WorkflowServiceStub, input_size: int = 0, queue: str | None = None) -> str:
    """A workflow (no worker serves it) whose first event carries ``input_size`` bytes of input."""
    workflow_id = unique("h2-wire")
    await stub.StartWorkflowExecution(
        wsv1.StartWorkflowExecutionRequest(
            namespace=NS,
            workflow_id=workflow_id,
            workflow_type=WorkflowType(name="WireWorkflow"),
            task_queue=TaskQueue(name=queue or unique("tq-h2-no-worker")),
            input=Payloads(payloads=[Payload(data=bytes(range(256)) * (input_size // 256))]),
            request_id=str(uuid.uuid4()),
        ),
        timeout=5,
    )
    return workflow_id


async def wait_for_poller(stub: WorkflowServiceStub, queue: str, identity: str) -> None:
    """Until the server has a poll from ``identity`` on the workflow task queue ``queue``."""
    deadline = time.monotonic() + 5
    while True:
        described = await stub.DescribeTaskQueue(
            wsv1.DescribeTaskQueueRequest(
                namespace=NS, task_queue=TaskQueue(name=queue), task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            ),
            timeout=5,
        )
        if any(poller.identity == identity for poller in described.pollers):
            return
        assert time.monotonic() < deadline, f"no poll from {identity} on {queue} reached the server"
        await asyncio.sleep(0.02)


async def processed(h2: RawH2) -> None:
    """Until the server has read everything sent so far: it reads frames in order, so the ACK of
    a PING sent now comes after it handled the frames before it."""
    token = uuid.uuid4().bytes[:8]
    await h2.send(frames.frame(PING, 0, 0, token))
    await h2.wait_for(lambda: any(f.payload == token and f.flags & frames.ACK for f in h2.pings()), 5, "a PING ACK")


def frames_on(h2: RawH2, stream_id: int) -> list[Any]:
    return [f for f in h2.frames if f.stream == stream_id]


def assert_data_then_trailers(h2: RawH2, stream_id: int) -> None:
    """HEADERS, DATA..., then trailers (HEADERS with END_STREAM), and nothing else on the stream."""
    kinds = [(f.kind, bool(f.flags & END_STREAM)) for f in frames_on(h2, stream_id)]
    assert kinds[0] == (HEADERS, False), kinds
    assert kinds[-1] == (HEADERS, True), kinds
    assert all(kind == (DATA, False) for kind in kinds[1:-1]), kinds
    assert len(kinds) >= 3, kinds


def assert_ok(state: StreamState) -> None:
    assert state.reset is None, f"stream {state.id} was reset ({state.reset})"
    assert state.headers is not None and dict(state.headers).get(":status") == "200", state.headers
    assert dict(state.headers).get("content-type", "").startswith("application/grpc"), state.headers
    assert state.grpc_status == 0, (state.grpc_status, state.grpc_message)


def history_of(state: StreamState) -> wsv1.GetWorkflowExecutionHistoryResponse:
    assert_ok(state)
    return wsv1.GetWorkflowExecutionHistoryResponse.FromString(state.message())


@pytest.fixture(scope="module")
async def address() -> AsyncIterator[str]:
    async with tempo_in_process() as address:
        yield address


@pytest.fixture(scope="module")
async def stub(address: str) -> AsyncIterator[WorkflowServiceStub]:
    """A grpcio client of the same server: for set-up, and for what a well-known client gets."""
    async with grpc.aio.insecure_channel(address) as channel:
        yield WorkflowServiceStub(channel)


# ---- 1-4: flow control and frame sizes -----------------------------------------------------


async def test_a_response_waits_for_the_stream_window(address: str, stub: WorkflowServiceStub) -> None:
    """SETTINGS_INITIAL_WINDOW_SIZE 100: the ~20 KB answer comes 100 bytes, then as much as each
    WINDOW_UPDATE of the stream allows, never more; a connection WINDOW_UPDATE alone opens
    nothing; the trailers come after the last byte; the message is what grpcio gets."""
    workflow_id = await start_workflow(stub, 20 * KIB)
    request = history_request(workflow_id)
    expected = await stub.GetWorkflowExecutionHistory(request, timeout=5)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 100)]) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", request.SerializeToString())
        state = await h2.received(1, 100)
        assert len(state.data) == 100 and not state.ended
        assert await h2.quiet(0.2, stream_id=1) == [], "the server sent past the stream's window"

        await h2.grant(0, 5000)  # the connection's window: the stream's is still spent
        assert await h2.quiet(0.2, stream_id=1) == [], "the server sent past the stream's window"

        await h2.grant(1, 1000)
        await h2.received(1, 1100)
        assert len(state.data) == 1100 and not state.ended
        assert await h2.quiet(0.2, stream_id=1) == [], "the server sent past the stream's window"

        await h2.grant(1, 8000)  # less than the rest
        await h2.received(1, 9100)
        assert len(state.data) == 9100 and not state.ended
        assert await h2.quiet(0.2, stream_id=1) == []

        await h2.grant(1, 1 << 20)
        await h2.ended(1)
        assert history_of(state) == expected
        assert_data_then_trailers(h2, 1)
        assert h2.violations == []
        await h2.call(3, "DescribeNamespace", describe_namespace())  # the connection goes on
        await h2.grant(3, 1 << 20)
        assert_ok(await h2.ended(3))
        assert h2.violations == []


async def test_a_response_waits_for_the_connection_window(address: str, stub: WorkflowServiceStub) -> None:
    """Large stream windows, the connection's left at 65,535: a first answer of ~60 KB takes most
    of it, a second answer gets the rest and waits for the connection's WINDOW_UPDATE (a
    stream's does not help), as does a third, small one."""
    first_id = await start_workflow(stub, 60 * KIB)
    second_id = await start_workflow(stub, 20 * KIB)
    expected = await stub.GetWorkflowExecutionHistory(history_request(second_id), timeout=5)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24)]) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", history_request(first_id).SerializeToString())
        first = await h2.ended(1)
        assert_ok(first)
        left = frames.DEFAULT_WINDOW - len(first.data)
        assert 0 < left < 20 * KIB, left

        await h2.call(3, "GetWorkflowExecutionHistory", history_request(second_id).SerializeToString())
        second = await h2.received(3, left)
        assert len(second.data) == left and not second.ended
        assert await h2.quiet(0.2, stream_id=3) == [], "the server sent past the connection's window"

        await h2.grant(3, 1 << 20)
        await h2.call(5, "DescribeNamespace", describe_namespace())
        third = h2.stream(5)
        await asyncio.sleep(0.25)
        assert not second.ended and len(second.data) == left
        assert not third.ended and not third.data, frames_on(h2, 5)

        await h2.grant(0, 1 << 20)
        await h2.ended(3)
        await h2.ended(5)
        assert history_of(second) == expected
        assert_ok(third)
        assert wsv1.DescribeNamespaceResponse.FromString(third.message()).namespace_info.name == NS
        assert_data_then_trailers(h2, 3)
        assert_data_then_trailers(h2, 5)
        assert h2.violations == []


@pytest.mark.parametrize("advertised", [None, 16_384, 40_000])
async def test_no_data_frame_exceeds_the_max_frame_size(
    address: str, stub: WorkflowServiceStub, advertised: int | None
) -> None:
    """A ~100 KB answer with open windows: no frame above SETTINGS_MAX_FRAME_SIZE (16,384
    unless the client advertised more), so the answer is in several DATA frames."""
    workflow_id = await start_workflow(stub, 100 * KIB)
    request = history_request(workflow_id)
    expected = await stub.GetWorkflowExecutionHistory(request, timeout=5)
    settings = [(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24)]
    if advertised is not None:
        settings.append((SETTINGS_MAX_FRAME_SIZE, advertised))
    limit = advertised or frames.DEFAULT_MAX_FRAME
    async with connected(address, settings, connection_window=1 << 24) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", request.SerializeToString())
        state = await h2.ended(1)
        assert history_of(state) == expected
        assert max(state.data_frames) <= limit, state.data_frames
        assert len(state.data_frames) >= -(-len(state.data) // limit), state.data_frames
        assert all(len(f.payload) <= limit for f in h2.frames)
        assert_data_then_trailers(h2, 1)
        assert h2.violations == []


async def test_a_larger_initial_window_mid_stream_unblocks_a_stream(address: str, stub: WorkflowServiceStub) -> None:
    """RFC 9113 6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE changes the windows of open streams by
    the difference; the stream blocked after 100 bytes goes on without a WINDOW_UPDATE."""
    workflow_id = await start_workflow(stub, 20 * KIB)
    request = history_request(workflow_id)
    expected = await stub.GetWorkflowExecutionHistory(request, timeout=5)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 100)]) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", request.SerializeToString())
        state = await h2.received(1, 100)
        assert await h2.quiet(0.2, stream_id=1) == []
        assert len(state.data) == 100
        acks = len([f for f in h2.frames if f.kind == SETTINGS and f.flags & frames.ACK])

        await h2.change_settings([(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)])
        await h2.ended(1)
        assert history_of(state) == expected
        assert_data_then_trailers(h2, 1)
        assert len([f for f in h2.frames if f.kind == SETTINGS and f.flags & frames.ACK]) == acks + 1
        assert h2.violations == []


async def test_a_smaller_initial_window_mid_stream_can_make_a_window_negative(
    address: str, stub: WorkflowServiceStub
) -> None:
    """RFC 9113 6.9.2: lowering SETTINGS_INITIAL_WINDOW_SIZE from 10,000 to 100 after 10,000 bytes
    leaves the stream's window at -9,900; a WINDOW_UPDATE of 5,000 still leaves it negative
    (nothing may be sent), a larger one opens it."""
    workflow_id = await start_workflow(stub, 20 * KIB)
    request = history_request(workflow_id)
    expected = await stub.GetWorkflowExecutionHistory(request, timeout=5)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 10_000)]) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", request.SerializeToString())
        state = await h2.received(1, 10_000)
        assert await h2.quiet(0.2, stream_id=1) == []
        assert len(state.data) == 10_000

        await h2.change_settings([(SETTINGS_INITIAL_WINDOW_SIZE, 100)])
        await h2.grant(1, 5000)
        assert h2.stream_window(1) == -4900
        assert await h2.quiet(0.25, stream_id=1) == [], "the server sent on a stream whose window is negative"

        await h2.grant(1, 4900 + 1000)
        await h2.received(1, 11_000)
        assert len(state.data) == 11_000
        assert await h2.quiet(0.2, stream_id=1) == []

        await h2.grant(1, 1 << 20)
        await h2.ended(1)
        assert history_of(state) == expected
        assert h2.violations == []


async def test_a_reset_of_a_stream_blocked_by_flow_control(address: str, stub: WorkflowServiceStub) -> None:
    """A client that resets a stream whose answer waits for window gets nothing more on it,
    even when it opens the window afterwards; the connection goes on."""
    workflow_id = await start_workflow(stub, 20 * KIB)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 100)]) as h2:
        await h2.call(1, "GetWorkflowExecutionHistory", history_request(workflow_id).SerializeToString())
        await h2.received(1, 100)
        await h2.send(frames.frame(RST_STREAM, 0, 1, frames.CANCEL.to_bytes(4, "big")))
        await h2.send(frames.frame(frames.WINDOW_UPDATE, 0, 1, (1 << 20).to_bytes(4, "big")))
        await processed(h2)
        assert await h2.quiet(0.2, stream_id=1) == []
        assert len(h2.stream(1).data) == 100
        await h2.call(3, "DescribeNamespace", describe_namespace())
        await h2.grant(3, 1 << 20)
        assert_ok(await h2.ended(3))
        assert h2.violations == []


# ---- 5: connection-level frames ------------------------------------------------------------


async def test_settings_first_ping_and_settings_acknowledged(address: str) -> None:
    async with connected(address) as h2:
        await h2.next_frame(SETTINGS)
        first = h2.frames[0]
        assert first.kind == SETTINGS and not first.flags & frames.ACK and first.stream == 0, h2.frames[:3]
        assert len(first.payload) % 6 == 0
        server_settings = dict(frames.settings_of(first.payload))
        assert server_settings.get(frames.SETTINGS_ENABLE_PUSH, 0) == 0  # a server must not offer push
        assert server_settings.get(SETTINGS_MAX_FRAME_SIZE, 16_384) in range(16_384, 1 << 24)

        await h2.wait_for(lambda: any(f.kind == SETTINGS and f.flags & frames.ACK for f in h2.frames), 5, "ACK")
        ack = next(f for f in h2.frames if f.kind == SETTINGS and f.flags & frames.ACK)
        assert ack.payload == b"" and ack.stream == 0

        token = b"\x00tempo\xff\x01"
        await h2.send(frames.frame(PING, 0, 0, token))
        await h2.wait_for(lambda: any(f.flags & frames.ACK for f in h2.pings()), 5, "a PING ACK")
        pong = h2.pings()[0]
        assert (pong.flags & frames.ACK, pong.stream, pong.payload) == (frames.ACK, 0, token)

        acks = len([f for f in h2.frames if f.kind == SETTINGS and f.flags & frames.ACK])
        await h2.send(frames.frame(SETTINGS, 0, 0, frames.setting(frames.SETTINGS_HEADER_TABLE_SIZE, 4096)))
        await h2.wait_for(
            lambda: len([f for f in h2.frames if f.kind == SETTINGS and f.flags & frames.ACK]) == acks + 1,
            5,
            "a second SETTINGS ACK",
        )
        # A PING ACK from the client is not answered.
        await h2.send(frames.frame(PING, frames.ACK, 0, b"12345678"))
        await processed(h2)
        assert not any(f.payload == b"12345678" for f in h2.pings())
        await h2.call(1, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(1))
        assert h2.violations == []


# ---- 6: header blocks and padding ----------------------------------------------------------


def split(data: bytes, *cuts: int) -> list[bytes]:
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def continued_headers(stream_id: int, block: bytes) -> bytes:
    """HEADERS + 2 CONTINUATION frames, cut in the middle of fields."""
    first, second, third = split(block, 7, len(block) // 2 + 3)
    return (
        frames.frame(HEADERS, 0, stream_id, first)
        + frames.frame(CONTINUATION, 0, stream_id, second)
        + frames.frame(CONTINUATION, END_HEADERS, stream_id, third)
    )


def padded_priority_headers(stream_id: int, block: bytes) -> bytes:
    """HEADERS with PADDED and PRIORITY: pad length, dependency (exclusive bit, stream 0), weight,
    the block, 13 bytes of padding."""
    payload = bytes((13,)) + (0x80000000).to_bytes(4, "big") + bytes((200,)) + block + b"\x00" * 13
    return frames.frame(HEADERS, END_HEADERS | PADDED | PRIORITY_FLAG, stream_id, payload)


def padded_continued_headers(stream_id: int, block: bytes) -> bytes:
    """A PRIORITY frame first, then HEADERS with PADDED and one CONTINUATION."""
    first, second = split(block, 20)
    priority = frames.frame(PRIORITY, 0, stream_id, (0).to_bytes(4, "big") + bytes((15,)))
    return (
        priority
        + frames.frame(HEADERS, PADDED, stream_id, bytes((4,)) + first + b"\x00" * 4)
        + frames.frame(CONTINUATION, END_HEADERS, stream_id, second)
    )


def plain_data(stream_id: int, message: bytes) -> bytes:
    return frames.frame(DATA, END_STREAM, stream_id, message)


def padded_data(stream_id: int, message: bytes) -> bytes:
    """The message in two padded DATA frames (pad length 0 and 200), the last with END_STREAM."""
    first, second = split(message, 3)
    return frames.frame(DATA, PADDED, stream_id, b"\x00" + first) + frames.frame(
        DATA, PADDED | END_STREAM, stream_id, bytes((200,)) + second + b"\x00" * 200
    )


def empty_end_data(stream_id: int, message: bytes) -> bytes:
    """The message in a DATA frame, then END_STREAM on an empty DATA frame."""
    return frames.frame(DATA, 0, stream_id, message) + frames.frame(DATA, END_STREAM, stream_id, b"")


@pytest.mark.parametrize(
    ("headers_frames", "data_frames"),
    [
        pytest.param(continued_headers, plain_data, id="headers+continuation"),
        pytest.param(padded_priority_headers, plain_data, id="headers-padded-priority"),
        pytest.param(padded_continued_headers, padded_data, id="priority+padded-headers+continuation+padded-data"),
        pytest.param(padded_priority_headers, padded_data, id="padded-data"),
        pytest.param(continued_headers, empty_end_data, id="empty-data-ends-stream"),
    ],
)
async def test_header_blocks_and_padding(
    address: str,
    headers_frames: Callable[[int, bytes], bytes],
    data_frames: Callable[[int, bytes], bytes],
) -> None:
    metadata = [("x-team", "wire"), ("x-long", "v" * 300), ("x-bin-bin", "AAEC")]
    block = hpack.encode(request_headers("DescribeNamespace", extra=metadata))
    async with connected(address) as h2:
        for stream_id in (1, 3):  # twice: the second block decodes after the first
            await h2.send(headers_frames(stream_id, block), data_frames(stream_id, grpc_message(describe_namespace())))
            state = await h2.ended(stream_id)
            assert_ok(state)
            assert wsv1.DescribeNamespaceResponse.FromString(state.message()).namespace_info.name == NS
        assert h2.goaways() == []
        assert h2.violations == []


async def test_a_header_block_interrupted_by_another_frame_is_a_protocol_error(address: str) -> None:
    """RFC 9113 6.10: a HEADERS without END_HEADERS must be followed by its CONTINUATION."""
    block = hpack.encode(request_headers("DescribeNamespace"))
    async with connected(address) as h2:
        await h2.send(
            frames.frame(HEADERS, 0, 1, block[:10]),
            frames.frame(PING, 0, 0, b"\x00" * 8),
            frames.frame(CONTINUATION, END_HEADERS, 1, block[10:]),
        )
        await h2.closed_by_server()
        assert [code for _, code, _ in h2.goaways()] == [frames.PROTOCOL_ERROR]


# ---- 7-8: resets and deadlines -------------------------------------------------------------


async def test_a_reset_long_poll_does_not_take_the_next_task(address: str, stub: WorkflowServiceStub) -> None:
    queue = unique("tq-h2-reset-poll")
    async with connected(address) as h2:
        await h2.call(1, "PollWorkflowTaskQueue", poll_request(queue, "reset-poller"), timeout="30S")
        await wait_for_poller(stub, queue, "reset-poller")
        assert frames_on(h2, 1) == []
        await h2.send(frames.frame(RST_STREAM, 0, 1, frames.CANCEL.to_bytes(4, "big")))
        await processed(h2)
        await asyncio.sleep(0.05)  # the poll's handler unwinds

        workflow_id = await start_workflow(stub, queue=queue)
        await h2.call(3, "PollWorkflowTaskQueue", poll_request(queue, "second-poller"), timeout="5S")
        state = await h2.ended(3, timeout=6)
        assert_ok(state)
        polled = wsv1.PollWorkflowTaskQueueResponse.FromString(state.message())
        assert polled.task_token, "the workflow task went to the reset poll"
        assert polled.workflow_execution.workflow_id == workflow_id
        assert frames_on(h2, 1) == [], "the server answered a stream the client had reset"
        assert h2.violations == []


async def test_grpc_timeout_ends_a_held_call_with_deadline_exceeded(address: str, stub: WorkflowServiceStub) -> None:
    """A query of a workflow no worker serves waits until `grpc-timeout: 200m` has passed."""
    workflow_id = await start_workflow(stub)
    query = wsv1.QueryWorkflowRequest(
        namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id), query=WorkflowQuery(query_type="state")
    )
    async with connected(address) as h2:
        await processed(h2)
        sent = time.monotonic()
        await h2.call(1, "QueryWorkflow", query.SerializeToString(), timeout="200m")
        state = await h2.ended(1, timeout=3)
        elapsed = (state.ended_at or 0) - sent
        assert 0.19 < elapsed < 1.0, elapsed
        assert state.reset is None
        assert state.grpc_status == frames.DEADLINE_EXCEEDED, (state.grpc_status, state.grpc_message)
        assert dict(state.headers or []).get(":status") == "200"
        assert not state.data
        await h2.call(3, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(3))
        assert h2.violations == []


async def test_a_deadline_that_passes_while_the_answer_waits_for_window(
    address: str, stub: WorkflowServiceStub
) -> None:
    """The deadline passes after the answer's HEADERS and first bytes went out: the stream still
    ends as one answer may (trailers without pseudo-headers, or RST_STREAM), not with a second
    response header block."""
    workflow_id = await start_workflow(stub, 20 * KIB)
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 100)]) as h2:
        await h2.call(
            1, "GetWorkflowExecutionHistory", history_request(workflow_id).SerializeToString(), timeout="300m"
        )
        await h2.received(1, 100)
        state = await h2.ended(1, timeout=3)
        assert len(state.data) == 100
        if state.reset is None:
            assert state.trailers is not None
            assert state.grpc_status == frames.DEADLINE_EXCEEDED, state.trailers
        assert h2.violations == []


async def test_a_long_poll_reset_in_the_write_that_asked_for_it_does_not_take_the_next_task(
    address: str, stub: WorkflowServiceStub
) -> None:
    """The poll, and its RST_STREAM in the same write: the server reads both at once, so the
    reset comes before the poll's handler has gone on in a task of its own."""
    queue = unique("tq-h2-reset-at-once")
    headers = hpack.encode(request_headers("PollWorkflowTaskQueue", timeout="30S"))
    async with connected(address) as h2:
        await h2.send(
            frames.frame(HEADERS, END_HEADERS, 1, headers),
            frames.frame(DATA, END_STREAM, 1, grpc_message(poll_request(queue, "reset-at-once"))),
            frames.frame(RST_STREAM, 0, 1, frames.CANCEL.to_bytes(4, "big")),
        )
        await processed(h2)
        await asyncio.sleep(0.05)  # the poll's handler unwinds

        workflow_id = await start_workflow(stub, queue=queue)
        await h2.call(3, "PollWorkflowTaskQueue", poll_request(queue, "second-poller"), timeout="5S")
        state = await h2.ended(3, timeout=6)
        polled = wsv1.PollWorkflowTaskQueueResponse.FromString(state.message())
        assert polled.task_token, "the workflow task went to the reset poll"
        assert polled.workflow_execution.workflow_id == workflow_id
        assert frames_on(h2, 1) == [], "the server answered a stream the client had reset"
        assert h2.violations == []


async def test_each_held_call_ends_at_its_own_deadline(address: str, stub: WorkflowServiceStub) -> None:
    """Calls on one connection with deadlines in another order than they end: a call answered at
    once (100 ms), a held one of 1 s, then a held one of 300 ms. Each held call gets
    DEADLINE_EXCEEDED when its own deadline passes, not when another's does."""
    workflow_id = await start_workflow(stub)
    query = wsv1.QueryWorkflowRequest(
        namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id), query=WorkflowQuery(query_type="state")
    ).SerializeToString()
    async with connected(address) as h2:
        await processed(h2)
        sent = time.monotonic()
        await h2.call(1, "DescribeNamespace", describe_namespace(), timeout="100m")
        await h2.call(3, "QueryWorkflow", query, timeout="1S")
        await h2.call(5, "QueryWorkflow", query, timeout="300m")
        assert_ok(await h2.ended(1))
        short = await h2.ended(5, timeout=3)
        assert not h2.stream(3).ended, "the 1 s call ended with the 300 ms one"
        long = await h2.ended(3, timeout=3)
        for state, seconds in ((short, 0.3), (long, 1.0)):
            elapsed = (state.ended_at or 0) - sent
            assert seconds - 0.01 < elapsed < seconds + 0.5, (state.id, elapsed)
            assert state.grpc_status == frames.DEADLINE_EXCEEDED, (state.grpc_status, state.grpc_message)
            assert state.reset is None and not state.data
        await h2.call(7, "DescribeNamespace", describe_namespace(), timeout="50m")
        assert_ok(await h2.ended(7))
        await h2.call(9, "QueryWorkflow", query, timeout="200m")
        sent = time.monotonic()
        state = await h2.ended(9, timeout=3)
        assert 0.1 < (state.ended_at or 0) - sent < 0.7
        assert state.grpc_status == frames.DEADLINE_EXCEEDED
        assert h2.violations == []


async def test_frames_that_arrive_a_few_bytes_at_a_time(address: str) -> None:
    """The preface, the SETTINGS and two calls, read by the server in pieces of 7 bytes cut
    anywhere (in frame headers too): both calls answered, as if all was sent at once."""
    calls = b"".join(
        frames.frame(HEADERS, END_HEADERS, stream_id, hpack.encode(request_headers("DescribeNamespace")))
        + frames.frame(DATA, 0, stream_id, grpc_message(describe_namespace()))
        + frames.frame(DATA, END_STREAM, stream_id, b"")
        for stream_id in (1, 3)
    )
    async with connected(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)], piece=7) as h2:
        await processed(h2)
        for at in range(0, len(calls), 7):
            await h2.send(calls[at : at + 7])
            await asyncio.sleep(0.001)
        for stream_id in (1, 3):
            state = await h2.ended(stream_id)
            assert_ok(state)
            assert wsv1.DescribeNamespaceResponse.FromString(state.message()).namespace_info.name == NS
        assert h2.goaways() == []
        assert h2.violations == []


# ---- 9: a broken header block --------------------------------------------------------------


async def test_an_undecodable_header_block_is_a_compression_error(address: str) -> None:
    """An indexed field (255) beyond both tables: GOAWAY(COMPRESSION_ERROR) naming the last stream
    the server took, then the connection closes; other connections are served."""
    async with connected(address) as h2:
        await h2.call(1, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(1))
        await h2.send(
            frames.frame(HEADERS, END_HEADERS, 3, b"\xff\x80\x01"),
            frames.frame(DATA, END_STREAM, 3, grpc_message(describe_namespace())),
        )
        await h2.closed_by_server()
        assert len(h2.goaways()) == 1, h2.frames
        last_stream, code, _debug = h2.goaways()[0]
        assert code == frames.COMPRESSION_ERROR
        assert last_stream == 1
        assert h2.stream(3).headers is None
    async with connected(address) as again:
        await again.call(1, "DescribeNamespace", describe_namespace())
        assert_ok(await again.ended(1))


# ---- 10: streams interleaved ---------------------------------------------------------------


async def test_interleaved_streams_get_their_own_answers(address: str) -> None:
    """20 calls, HEADERS of all first, then their DATA in two halves each, in another order:
    each stream gets its own answer (odd ones ask for a namespace that does not exist)."""
    ids = [1 + 2 * i for i in range(20)]
    names = {stream_id: NS if n % 2 == 0 else f"missing-ns-{stream_id}" for n, stream_id in enumerate(ids)}
    async with connected(address) as h2:
        await h2.send(
            *(
                frames.frame(HEADERS, END_HEADERS, stream_id, hpack.encode(request_headers("DescribeNamespace")))
                for stream_id in ids
            )
        )
        messages = {stream_id: grpc_message(describe_namespace(names[stream_id])) for stream_id in ids}
        await h2.send(*(frames.frame(DATA, 0, stream_id, messages[stream_id][:4]) for stream_id in reversed(ids)))
        order = ids[::2] + ids[1::2]
        await h2.send(*(frames.frame(DATA, END_STREAM, stream_id, messages[stream_id][4:]) for stream_id in order))
        for stream_id in ids:
            state = await h2.ended(stream_id)
            if names[stream_id] == NS:
                assert_ok(state)
                assert wsv1.DescribeNamespaceResponse.FromString(state.message()).namespace_info.name == NS
            else:
                assert state.grpc_status == grpc.StatusCode.NOT_FOUND.value[0], state.status_fields
                assert names[stream_id] in state.grpc_message, (stream_id, state.grpc_message)
        assert {f.stream for f in h2.frames if f.kind in (HEADERS, DATA)} == set(ids)
        assert h2.violations == []


# ---- 11: requests a gRPC server refuses ----------------------------------------------------


async def test_a_content_type_that_is_not_grpc(address: str) -> None:
    """PROTOCOL-HTTP2.md: the server SHOULD answer HTTP 415; it answers trailers-only, with a
    grpc-status too, and the connection goes on."""
    async with connected(address) as h2:
        headers = request_headers("DescribeNamespace", content_type="application/json")
        await h2.send_headers(1, headers)
        await h2.send_data(1, grpc_message(describe_namespace()))
        state = await h2.ended(1)
        assert state.reset is None and state.trailers_only, frames_on(h2, 1)
        fields = dict(state.headers or [])
        assert fields[":status"] == "415", fields
        assert state.grpc_status not in (None, 0), fields
        await h2.call(3, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(3))
        assert h2.violations == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(grpc_message(describe_namespace()) * 2, id="two-messages"),
        pytest.param(grpc_message(describe_namespace())[:-2], id="prefix-announces-more"),
        pytest.param(grpc_message(describe_namespace()) + b"\x00\x00", id="trailing-bytes"),
        pytest.param(b"\x00\x00\x00", id="shorter-than-a-prefix"),
        pytest.param(b"", id="no-message"),
    ],
)
async def test_a_body_that_is_not_exactly_one_message(address: str, body: bytes) -> None:
    async with connected(address) as h2:
        await h2.send_headers(1, request_headers("DescribeNamespace"), end_stream=not body)
        if body:
            await h2.send_data(1, body)
        state = await h2.ended(1)
        assert state.reset is None, state.reset
        assert state.grpc_status not in (None, 0), state.status_fields
        assert not state.data
        await h2.call(3, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(3))
        assert h2.violations == []


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [pytest.param("gzip", gzip.compress, id="gzip"), pytest.param("deflate", zlib.compress, id="deflate")],
)
async def test_a_compressed_request(
    address: str, stub: WorkflowServiceStub, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    expected = await stub.DescribeNamespace(wsv1.DescribeNamespaceRequest(namespace=NS), timeout=5)
    async with connected(address) as h2:
        headers = request_headers("DescribeNamespace", extra=[("grpc-encoding", encoding)])
        await h2.send_headers(1, headers)
        await h2.send_data(1, grpc_message(compress(describe_namespace()), compressed=True))
        state = await h2.ended(1)
        assert_ok(state)
        answer = wsv1.DescribeNamespaceResponse.FromString(state.message())
        assert answer.namespace_info == expected.namespace_info
        # The flag off: the same header, an uncompressed message.
        await h2.send_headers(3, headers)
        await h2.send_data(3, grpc_message(describe_namespace()))
        assert_ok(await h2.ended(3))
        assert h2.violations == []


async def test_a_small_request_that_inflates_past_the_limit_is_refused(address: str) -> None:
    """5 MiB of zeros gzip to about 5 KiB: what the server holds an uncompressed request to
    (4 MiB) holds the inflated one too, with grpcio's status and words."""
    bomb = gzip.compress(b"\x00" * (5 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    async with connected(address) as h2:
        await h2.send_headers(1, request_headers("DescribeNamespace", extra=[("grpc-encoding", "gzip")]))
        await h2.send_data(1, grpc_message(bomb, compressed=True))
        state = await h2.ended(1)
        assert state.reset is None
        assert state.grpc_status == frames.RESOURCE_EXHAUSTED, state.status_fields
        assert "Received message larger than max" in state.status_fields.get("grpc-message", ""), state.status_fields
        await h2.call(3, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(3))
        assert h2.violations == []


@pytest.mark.parametrize(
    ("encoding", "status"),
    [
        pytest.param("snappy", frames.UNIMPLEMENTED, id="snappy"),
        pytest.param(None, None, id="compressed-flag-without-encoding"),
        pytest.param("gzip", None, id="gzip-that-is-not-gzip"),
    ],
)
async def test_a_compressed_request_the_server_cannot_read(
    address: str, encoding: str | None, status: int | None
) -> None:
    extra = [("grpc-encoding", encoding)] if encoding else []
    async with connected(address) as h2:
        await h2.send_headers(1, request_headers("DescribeNamespace", extra=extra))
        await h2.send_data(1, grpc_message(describe_namespace(), compressed=True))
        state = await h2.ended(1)
        assert state.reset is None
        if status is None:
            assert state.grpc_status not in (None, 0), state.status_fields
        else:
            assert state.grpc_status == status, state.status_fields
        await h2.call(3, "DescribeNamespace", describe_namespace())
        assert_ok(await h2.ended(3))
        assert h2.violations == []


# ---- 12: graceful stop ---------------------------------------------------------------------


class _WriteLog(asyncio.Transport):
    """A connection's transport that keeps each write's bytes, then writes them."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self._transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _write_with(writes: list[bytes], stream_id: int) -> int:
    """The index of the write that carried the trailers (END_STREAM) of ``stream_id``."""
    for index, data in enumerate(writes):
        pos = 0
        while pos + 9 <= len(data):
            length = int.from_bytes(data[pos : pos + 3], "big")
            kind, flags = data[pos + 3], data[pos + 4]
            stream = int.from_bytes(data[pos + 5 : pos + 9], "big") & 0x7FFFFFFF
            if kind == HEADERS and flags & END_STREAM and stream == stream_id:
                return index
            pos += 9 + length
    raise AssertionError(f"no write ended stream {stream_id}: {writes!r}")


async def test_a_long_poll_woken_by_a_call_answers_in_that_calls_write() -> None:
    """A worker's poll waits on the connection its client also calls on (as the official SDKs
    do): a start that hands the poll its task is answered in the same write as the poll, not
    in one write each (a write on loopback costs about what the server's work on a call does)."""
    queue = unique("tq-h2-one-write")
    async with devserver_in_process() as server, connected(f"127.0.0.1:{server.port}") as h2:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await h2.call(1, "PollWorkflowTaskQueue", poll_request(queue, "same-connection"), timeout="30S")
            await wait_for_poller(WorkflowServiceStub(channel), queue, "same-connection")
        (connection,) = [c for c in server.rpc._connections if 1 in c.streams]
        assert connection.transport is not None
        log = connection.transport = _WriteLog(connection.transport)
        start = wsv1.StartWorkflowExecutionRequest(
            namespace=NS,
            workflow_id=unique("h2-one-write"),
            workflow_type=WorkflowType(name="WireWorkflow"),
            task_queue=TaskQueue(name=queue),
            request_id=str(uuid.uuid4()),
        )
        await h2.call(3, "StartWorkflowExecution", start.SerializeToString(), timeout="5S")
        assert_ok(await h2.ended(3, timeout=5))
        polled = await h2.ended(1, timeout=5)
        assert_ok(polled)
        task = wsv1.PollWorkflowTaskQueueResponse.FromString(polled.message())
        assert task.workflow_execution.workflow_id == start.workflow_id
        assert _write_with(log.writes, 1) == _write_with(log.writes, 3), log.writes
        assert h2.violations == []


async def test_a_stopping_server_says_goaway_and_ends_calls_in_flight() -> None:
    """A long poll (stream 1) and a query no worker answers (stream 3) are in flight."""
    queue = unique("tq-h2-stop")
    async with tempo_in_process() as address:
        h2 = await RawH2.open(address)
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                stub = WorkflowServiceStub(channel)
                await h2.call(1, "PollWorkflowTaskQueue", poll_request(queue, "at-stop"), timeout="30S")
                await wait_for_poller(stub, queue, "at-stop")
                workflow_id = await start_workflow(stub)
            query = wsv1.QueryWorkflowRequest(
                namespace=NS, execution=WorkflowExecution(workflow_id=workflow_id), query=WorkflowQuery(query_type="q")
            )
            await h2.call(3, "QueryWorkflow", query.SerializeToString(), timeout="30S")
            await asyncio.sleep(0.2)  # the query reached its handler
            assert frames_on(h2, 1) == frames_on(h2, 3) == []
            stopping = time.monotonic()
        except BaseException:
            await h2.close()
            raise
    try:
        grace = 2.0  # ServerConfig.shutdown_grace
        await h2.closed_by_server(timeout=grace + 1)
        assert h2.closed_at is not None and h2.closed_at - stopping < grace + 0.5
        goaways = h2.goaways()
        assert len(goaways) == 1, h2.frames
        last_stream, code, _debug = goaways[0]
        assert code == frames.NO_ERROR and last_stream == 3, goaways
        goaway_at = next(n for n, f in enumerate(h2.frames) if f.kind == frames.GOAWAY)
        for stream_id in (1, 3):
            state = h2.stream(stream_id)
            assert state.ended, f"stream {stream_id} was not ended before the connection closed: {h2.frames!r}"
            assert all(n > goaway_at for n, f in enumerate(h2.frames) if f.stream == stream_id), h2.frames
            if state.reset is None:
                assert state.grpc_status is not None, state.status_fields
        # Today: the poll answers empty (OK), the query UNAVAILABLE "server is shutting down".
        assert h2.violations == []
    finally:
        await h2.close()


async def test_a_stopping_server_finishes_an_answer_that_waits_for_window() -> None:
    """An answer already computed but held by flow control is a call in flight too: within the
    grace period the client's WINDOW_UPDATE lets it finish."""
    async with tempo_in_process() as address:
        async with grpc.aio.insecure_channel(address) as channel:
            workflow_id = await start_workflow(WorkflowServiceStub(channel), 20 * KIB)
        h2 = await RawH2.open(address, [(SETTINGS_INITIAL_WINDOW_SIZE, 100)])
        try:
            await h2.call(1, "GetWorkflowExecutionHistory", history_request(workflow_id).SerializeToString())
            await h2.received(1, 100)

            async def open_window_on_goaway() -> None:
                await h2.wait_for(lambda: h2.goaways() or h2.closed, 5, "GOAWAY")
                if not h2.closed:
                    await h2.grant(1, 1 << 20)

            opener = asyncio.create_task(open_window_on_goaway())
        except BaseException:
            await h2.close()
            raise
    try:
        await opener
        await h2.closed_by_server(timeout=3)
        assert [code for _, code, _ in h2.goaways()] == [frames.NO_ERROR]
        state = h2.stream(1)
        assert state.ended, f"the connection closed in the middle of an answer: {len(state.data)} bytes of it sent"
        history_of(state)
        assert h2.violations == []
    finally:
        await h2.close()


@pytest.mark.parametrize(
    "message",
    ["workflow not found", "100% done", "wörkflow 'ü' not found", "tab\there\nnewline", "日本語", "~!@#$^&*()[]{}"],
)
def test_grpc_message_is_percent_encoded_as_grpc_says(message: str) -> None:
    # Everything printable in ASCII but "%" as is, every other byte of the UTF-8 as %XX
    # (grpc/doc/PROTOCOL-HTTP2.md): what urllib's quote makes with that safe set.
    printable_but_percent = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
    assert h2_server._percent_encoded(message) == urllib.parse.quote(message, safe=printable_but_percent)
