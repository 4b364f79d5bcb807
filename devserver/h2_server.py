"""The server's transport: unary gRPC over HTTP/2 on the asyncio loop, cleartext or TLS.

Every method of Temporal's services is unary (long polls too: one request, one answer, late),
so the server needs only that much of gRPC: read a request's HEADERS and DATA, run the
method's handler, and write HEADERS, DATA and trailers back, within the flow control windows
the client grants. grpcio's server did this with its C core and a Cython bridge to asyncio
that cost about 250 µs of CPU a call; here it is one ``asyncio.Protocol`` per connection, and
the server no longer loads grpcio (60 ms of its start-up). A handler runs as soon as its
request is read, and goes on in a task only if it has to wait (most calls do not): a call
answered at once costs the transport about 10 µs, its answer written with the others of the
same read.

What a client notices is grpcio's: the same statuses and messages for an unknown method, a
request over the size limit, a request that is not one message, a deadline that passes (the
handler is cancelled, the client told DEADLINE_EXCEEDED) and a client that resets its call
(the handler is cancelled). Garbage on a connection closes that connection and nothing else.
On stop, every connection is told GOAWAY; calls in flight get the grace period to finish.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import contextvars
import logging
import socket
import struct
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from devserver.listen_address import LISTEN_BACKLOG, listening_socket
from tempo_wire import frames, hpack
from tempo_wire.frames import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADERS,
    PING,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
)

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("tempo.transport")

# What the server grants each stream and the connection: a stream carries one request of at
# most max_request bytes, so its window never needs topping up; the connection's is topped up
# once half of it has been used.
_STREAM_WINDOW = 16 * 1024 * 1024
_CONNECTION_WINDOW = 1 << 30
_LARGEST_FRAME = (1 << 24) - 1  # the largest frame HTTP/2 allows (RFC 9113 4.2)
_LARGEST_HEADER_BLOCK = 1 << 20  # a caller's metadata, compressed; grpcio read 8 KiB uncompressed
_RESPONSE_HEADERS = hpack.encode([(":status", "200"), ("content-type", "application/grpc")])
_OK_TRAILERS = hpack.encode([("grpc-status", "0")])
# Request headers that are HTTP/2's or gRPC's own, not the caller's metadata.
_NOT_METADATA = frozenset({"content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding"})
# A frame's 9-byte header (RFC 9113 4.1): the length's top byte and the rest of it, the type,
# the flags, the stream (its reserved bit included).
_FRAME_HEADER = struct.Struct(">BHBBI")
_MESSAGE_PREFIX = struct.Struct(">BI")  # a gRPC message's compressed flag and length
# An answer's HEADERS frame, then its DATA frame's header and the message's prefix: all but the
# message itself, packed at once; then the trailers' frame.
_ANSWER_HEAD = struct.Struct(f">BHBBI{len(_RESPONSE_HEADERS)}sBHBBIBI")
_OK_TRAILERS_FRAME = struct.Struct(f">BHBBI{len(_OK_TRAILERS)}s")
_LAST = END_HEADERS | END_STREAM
# How early asyncio runs a timer (its clock's resolution): a deadline due within this has passed.
_CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution


@dataclass(frozen=True, slots=True)
class Method:
    """A unary method: how to decode its request, the handler, how to encode its response."""

    decode: Callable[[bytes], Any]
    run: Callable[[Any, CallContext], Awaitable[Any]]
    encode: Callable[[Any], bytes]


class CallAborted(Exception):
    """Raised by :meth:`CallContext.abort`: the call ends with this status instead of a response."""

    def __init__(self, code: Any, message: str, status_details: bytes = b"") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_details = status_details


class CallContext:
    """What a handler may ask of its call (the part of grpcio's ``ServicerContext`` Tempo used)."""

    __slots__ = ("_code", "_deadline", "_ended", "_headers", "_loop", "_metadata", "method")

    def __init__(
        self,
        method: str,
        headers: list[tuple[str, str]],
        deadline: float | None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.method = method
        self._headers = headers
        self._metadata: tuple[tuple[str, str | bytes], ...] | None = None
        self._deadline = deadline
        self._loop = asyncio.get_running_loop() if loop is None else loop
        self._code: Any = None
        self._ended = False

    def invocation_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        """The caller's metadata: its own headers, ``-bin`` values decoded to bytes."""
        if self._metadata is None:  # made when asked: few handlers ask
            self._metadata = tuple(
                (name, frames.binary_header_value(value) if name.endswith("-bin") else value)
                for name, value in self._headers
                if name[0] != ":" and name not in _NOT_METADATA
            )
        return self._metadata

    def time_remaining(self) -> float | None:
        """Seconds until the caller's deadline (negative once passed); None without one."""
        return None if self._deadline is None else self._deadline - self._loop.time()

    def cancelled(self) -> bool:
        """The call is over without this handler's answer: reset, deadline passed, or disconnected."""
        return self._ended

    def code(self) -> Any:
        """The status the handler aborted with, if it did."""
        return self._code

    async def abort(self, code: Any, details: str = "", *, status_details: bytes = b"") -> NoReturn:
        """End the call with ``code`` (a status code enum whose ``value[0]`` is its number) and
        ``details``; ``status_details`` is a serialized ``google.rpc.Status`` for clients that read
        rich errors (grpc-status-details-bin)."""
        self._code = code
        raise CallAborted(code, details, status_details)


class _Stream:
    __slots__ = (
        "body",
        "context",
        "deadline",
        "done",
        "headers",
        "headers_sent",
        "id",
        "pending",
        "send_window",
        "task",
    )

    def __init__(self, stream_id: int, headers: list[tuple[str, str]], send_window: int) -> None:
        self.id = stream_id
        self.headers = headers
        # The request as it arrives: its first DATA payload as is, a bytearray once a second adds to it.
        self.body: bytes | bytearray = b""
        self.send_window = send_window
        # Response bytes the windows did not let out yet, then the trailers' frame.
        self.pending: list[bytes] = []
        # The handler's task, once it has to wait for something (until then it runs in _dispatch).
        self.task: asyncio.Task[None] | None = None
        self.deadline: float | None = None  # the loop's time the caller's grpc-timeout ends the call
        self.context: CallContext | None = None
        self.done = False
        self.headers_sent = False  # the answer's HEADERS went out: an error now goes in trailers


class H2Server:
    """Serves registered unary methods to every connection on its listening sockets.

    ``authorize(method, metadata)`` (optional) says why a call is refused UNAUTHENTICATED, or
    None to let it through.
    """

    def __init__(
        self,
        max_request: int,
        authorize: Callable[[str, dict[str, str]], str | None] | None = None,
    ) -> None:
        self.methods: dict[str, Method] = {}
        self.max_request = max_request
        self.authorize = authorize
        self._connections: set[_Connection] = set()
        self._listener: asyncio.Server | None = None
        self.stopping = False

    def add_method(self, path: str, method: Method) -> None:
        self.methods[path] = method

    async def listen(
        self, host: str, port: int, tls: ssl.SSLContext | None = None, sock: socket.socket | None = None
    ) -> int:
        """Listen on ``host:port`` (0: any free port), or on ``sock`` if given (a socket already
        listening there); the port. Raises OSError when it cannot."""
        loop = asyncio.get_running_loop()
        if sock is None:
            sock = listening_socket(host, port)
        if sock is not None:
            self._listener = await loop.create_server(lambda: _Connection(self), sock=sock, ssl=tls)
        else:  # a host name: asyncio resolves it, and listens on each of its addresses
            self._listener = await loop.create_server(
                lambda: _Connection(self), host, port, ssl=tls, reuse_address=True, backlog=LISTEN_BACKLOG
            )
        return int(self._listener.sockets[0].getsockname()[1])

    async def stop(self, grace: float) -> None:
        """Stop listening, tell every connection GOAWAY, give calls in flight ``grace`` seconds."""
        self.stopping = True
        if self._listener is not None:
            self._listener.close()
        for connection in list(self._connections):
            connection.go_away()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        # Calls in flight finish: handlers that still run, answers still waiting for window.
        while any(connection.streams for connection in self._connections) and loop.time() < deadline:
            running = [task for connection in self._connections for task in connection.tasks()]
            if running:
                await asyncio.wait(running, timeout=min(0.05, max(0.0, deadline - loop.time())))
            else:
                await asyncio.sleep(0.01)
        running = [task for connection in self._connections for task in connection.tasks()]
        for connection in list(self._connections):
            connection.close()
        if running:  # cancelled by the close: let them unwind before the store closes
            await asyncio.wait(running, timeout=1.0)
        if self._listener is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._listener.wait_closed(), timeout=1.0)


class _Connection(asyncio.Protocol):
    """One client connection: its frames in, its streams' frames out."""

    def __init__(self, server: H2Server) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.greeted = False
        self.settled = False
        self.decoder = hpack.Decoder()
        self.streams: dict[int, _Stream] = {}
        self.blocked: dict[int, _Stream] = {}  # streams with output waiting for window
        self.header_block: bytearray | None = None  # a block continued in CONTINUATION frames
        self.header_stream = 0
        self.header_ends_stream = False
        self.send_window = frames.DEFAULT_WINDOW
        self.initial_window = frames.DEFAULT_WINDOW
        self.max_frame = frames.DEFAULT_MAX_FRAME
        self.unacknowledged = 0  # request bytes taken since the connection window was topped up
        self.last_stream = 0
        self.going_away = False
        self.out: list[bytes] = []  # frames queued by _send
        self.reading = False  # in data_received, which writes what it queued when it is done
        self.flush_due = False  # a _flush_out is on the loop's ready queue
        self.loop = asyncio.get_running_loop()
        # One timer for the streams' deadlines, due at the soonest (or sooner: it stays when the
        # stream it was set for ends, and looks again when it fires).
        self.deadline_timer: asyncio.TimerHandle | None = None
        self.deadline_at = 0.0
        # What _dispatch made of the header lists the decoder gave (it hands out the same list
        # for the same block), by the list's id.
        self.calls: dict[int, _Call] = {}

    # ---- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.server.stopping:
            transport.close()
            return
        self.server._connections.add(self)
        settings = (
            frames.setting(frames.SETTINGS_ENABLE_PUSH, 0)
            + frames.setting(frames.SETTINGS_INITIAL_WINDOW_SIZE, _STREAM_WINDOW)
            + frames.setting(frames.SETTINGS_MAX_FRAME_SIZE, _LARGEST_FRAME)
        )
        transport.write(
            frames.frame(SETTINGS, 0, 0, settings)
            + frames.frame(WINDOW_UPDATE, 0, 0, (_CONNECTION_WINDOW - frames.DEFAULT_WINDOW).to_bytes(4, "big"))
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._connections.discard(self)
        for stream in list(self.streams.values()):
            self._end(stream, cancel=True)
        self.streams.clear()
        self.blocked.clear()
        self.transport = None
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
            self.deadline_timer = None

    def data_received(self, data: bytes) -> None:
        # What the frames ask to send leaves in one write at the end (the answers of the calls
        # whose handlers finished at once among them). While some of this connection's calls
        # wait (long polls, queries), that write is made at the start of the next turn instead,
        # after the handlers this read woke (a poll handed the task a call brought, a query
        # given its answer) have had their step: their answers join it, rather than each
        # leaving in a write a turn later. The official SDKs send a client's calls and its
        # worker's polls over one connection: under their load this saves a third of the writes.
        self.reading = True
        try:
            if self.buffer or not self.greeted:
                self._buffered(data)
            else:  # whole frames, as a rule: read them where they are
                pos = self._frames(data, 0, len(data))
                if pos < len(data) and self.transport is not None:
                    self.buffer += memoryview(data)[pos:]
            if self.unacknowledged > _CONNECTION_WINDOW // 2 and self.transport is not None:
                self._send(frames.frame(WINDOW_UPDATE, 0, 0, self.unacknowledged.to_bytes(4, "big")))
                self.unacknowledged = 0
        finally:
            self.reading = False
            if self.streams:  # calls wait: what this read woke may answer in the next turn
                self._flush_soon()
            elif self.out:
                self._flush_out()

    def _buffered(self, data: bytes) -> None:
        """Frames that follow on from an earlier read: from the connection's buffer."""
        buffer = self.buffer
        buffer += data
        pos = 0
        if not self.greeted:
            if len(buffer) < len(frames.PREFACE):
                if not frames.PREFACE.startswith(bytes(buffer)):
                    self._hang_up("not an HTTP/2 client")
                return
            if not buffer.startswith(frames.PREFACE):
                self._hang_up("not an HTTP/2 client")
                return
            self.greeted = True
            pos = len(frames.PREFACE)
        # The whole frames at the front leave the buffer in one copy; an incomplete one waits
        # there for the rest (copying it on each read would make a large frame cost its size
        # squared), its header checked at once as any other's.
        end, whole = len(buffer), pos
        while end - whole >= 9:
            length = (buffer[whole] << 16) | (buffer[whole + 1] << 8) | buffer[whole + 2]
            if end - whole - 9 < length:
                break
            whole += 9 + length
        chunk = bytes(buffer[pos:whole])
        del buffer[:whole]
        if chunk:
            self._frames(chunk, 0, len(chunk))
        if len(buffer) >= 9 and self.transport is not None:
            self._frames(bytes(buffer[:9]), 0, 9)

    def _frames(self, data: bytes, pos: int, end: int) -> int:
        """Handle the whole frames in ``data[pos:end]``; where the first incomplete one starts."""
        unpack = _FRAME_HEADER.unpack_from
        streams = self.streams
        try:
            while end - pos >= 9 and self.transport is not None:
                high, low, kind, flags, stream_id = unpack(data, pos)
                length = (high << 16) | low
                if length > _LARGEST_FRAME:
                    self._fail(frames.FRAME_SIZE_ERROR, "frame too large")
                    return end
                if not self.settled:  # a client's preface ends with its SETTINGS (RFC 9113 3.4)
                    if kind != SETTINGS:
                        raise _ProtocolError("the client's first frame is not SETTINGS")
                    self.settled = True
                if end - pos - 9 < length:
                    break
                start = pos + 9
                pos = start + length
                stream_id &= 0x7FFFFFFF
                if kind != DATA or self.header_block is not None:
                    self._frame(kind, flags, stream_id, data[start:pos])
                    continue
                # DATA, two of the three frames of a call as a rule: here rather than in _frame.
                self.unacknowledged += length
                stream = streams.get(stream_id)
                if stream is None or stream.context is not None or stream.done:
                    continue  # a stream we answered already (refused, reset): its data is dropped
                if length:
                    payload = data[start:pos]
                    if flags & frames.PADDED:
                        payload = frames.unpadded(payload, flags)
                    if not stream.body:
                        stream.body = payload
                    elif payload:
                        if isinstance(stream.body, bytes):
                            stream.body = bytearray(stream.body)
                        stream.body += payload
                    if len(stream.body) > self.server.max_request + 5:
                        self._too_large(stream)
                        continue
                if flags & END_STREAM:
                    self._dispatch(stream)
        except hpack.HpackError as err:
            self._fail(frames.COMPRESSION_ERROR, f"undecodable headers: {err}")
            return end
        except _ProtocolError as err:
            self._fail(frames.PROTOCOL_ERROR, str(err))
            return end
        return pos

    # ---- frames in ----------------------------------------------------------------------------

    def _frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        """Any frame but DATA on a connection between header blocks (_frames reads those)."""
        if self.header_block is not None and kind != CONTINUATION:
            raise _ProtocolError("a header block was interrupted")
        if kind == HEADERS:
            if flags & frames.PADDED:
                payload = frames.unpadded(payload, flags)
            if flags & frames.PRIORITY_FLAG:
                payload = payload[5:]
            self.header_stream = stream_id
            self.header_ends_stream = bool(flags & END_STREAM)
            if flags & END_HEADERS:  # the block whole in this frame, as a rule
                self._headers_done(payload)
            else:
                self.header_block = bytearray(payload)
        elif kind == CONTINUATION:
            if self.header_block is None or stream_id != self.header_stream:
                raise _ProtocolError("CONTINUATION without HEADERS")
            self.header_block += payload
            if len(self.header_block) > _LARGEST_HEADER_BLOCK:
                raise _ProtocolError("a header block larger than the server reads")
            if flags & END_HEADERS:
                block = bytes(self.header_block)
                self.header_block = None
                self._headers_done(block)
        elif kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self.send_window += increment
            elif (stream := self.streams.get(stream_id)) is not None:
                stream.send_window += increment
            if self.blocked:
                self._flush_blocked()
        elif kind == SETTINGS:
            if not flags & frames.ACK:
                self._settings(payload)
        elif kind == PING:
            if not flags & frames.ACK and self.transport is not None:
                self._send(frames.frame(PING, frames.ACK, 0, payload))
        elif kind == RST_STREAM:
            stream = self.streams.get(stream_id)
            if stream is not None:
                self._end(stream, cancel=True)
        # PRIORITY, PUSH_PROMISE (never sent to a server), GOAWAY (the client leaves when it
        # likes) and unknown frames change nothing.

    def _too_large(self, stream: _Stream) -> None:
        body = stream.body
        size = int.from_bytes(body[1:5], "big") if len(body) >= 5 else len(body)
        self._refuse(stream, frames.RESOURCE_EXHAUSTED, _too_large(size, self.server.max_request))
        self._reset(stream, frames.NO_ERROR)  # answered: the rest of the request may stay unsent

    def _headers_done(self, block: bytes) -> None:
        stream_id = self.header_stream
        fields = self.decoder.decode(block)  # every block, in order: they share the table
        if stream_id in self.streams:
            return  # trailers from a client: a unary call has none to say
        if stream_id % 2 == 0 or stream_id <= self.last_stream:
            raise _ProtocolError(f"a new stream may not have the id {stream_id} (RFC 9113 5.1.1)")
        self.last_stream = stream_id
        stream = _Stream(stream_id, fields, self.initial_window)
        self.streams[stream_id] = stream
        if self.going_away:
            self._reset(stream, frames.REFUSED_STREAM)
        elif self.header_ends_stream:
            self._dispatch(stream)

    def _settings(self, payload: bytes) -> None:
        for key, value in frames.settings_of(payload):
            if key == frames.SETTINGS_INITIAL_WINDOW_SIZE:
                for stream in self.streams.values():
                    stream.send_window += value - self.initial_window
                self.initial_window = value
            elif key == frames.SETTINGS_MAX_FRAME_SIZE:
                self.max_frame = max(frames.DEFAULT_MAX_FRAME, min(value, _LARGEST_FRAME))
        if self.transport is not None:
            self._send(frames.frame(SETTINGS, frames.ACK, 0, b""))
        if self.blocked:
            self._flush_blocked()

    # ---- a call -------------------------------------------------------------------------------

    def _dispatch(self, stream: _Stream) -> None:
        fields = stream.headers
        call = self.calls.get(id(fields))
        if call is None or call[0] is not fields:
            call = _call_of(fields)
            if len(self.calls) >= _CALLS_KEPT:
                self.calls.clear()
            self.calls[id(fields)] = call  # it keeps the list, so its id is not another's
        _, path, grpc, encoding, seconds, headers = call
        if not grpc:
            self._refuse(stream, frames.UNKNOWN, "not a gRPC request (content-type)", http_status="415")
            return
        method = self.server.methods.get(path)
        if method is None:
            self._refuse(stream, frames.UNIMPLEMENTED, "Method not found!")
            return
        if self.server.authorize is not None:
            refusal = self.server.authorize(path, dict(headers))
            if refusal is not None:
                self._refuse(stream, frames.UNAUTHENTICATED, refusal)
                return
        message = self._message(stream, encoding)
        if message is None:
            return
        loop = self.loop
        deadline = None
        if seconds is not None:
            deadline = stream.deadline = loop.time() + seconds
            if self.deadline_timer is None or deadline < self.deadline_at:
                if self.deadline_timer is not None:
                    self.deadline_timer.cancel()
                self.deadline_timer = loop.call_at(deadline, self._deadlines_passed)
                self.deadline_at = deadline
        stream.context = CallContext(path, fields, deadline, loop)
        # The handler runs now, as its task's first step would (in a copy of the context, as a
        # task's): most calls need nothing they must wait for, and are answered without a task
        # and the turns of the loop it takes. One that has to wait goes on in a task.
        run = self._run(stream, method, message)
        variables = contextvars.copy_context()
        if sys.version_info >= (3, 12):  # asyncio's own eager start: the task is current meanwhile
            task = asyncio.Task(run, loop=loop, context=variables, eager_start=True)
            if not task.done():
                stream.task = task
            return
        # Python 3.11: the first step outside any task (asyncio.current_task() is None in it,
        # which only asyncio.timeout and TaskGroup mind; Tempo's handlers use neither).
        try:
            waiting = variables.run(run.send, None)
        except StopIteration:
            return
        stream.task = loop.create_task(_Resumed(run, waiting), context=variables)

    def _message(self, stream: _Stream, encoding: str) -> bytes | None:
        body = stream.body
        stream.body = b""
        if len(body) < 5:
            self._refuse(stream, frames.INTERNAL, "a unary request carries exactly one message")
            return None
        compressed, size = _MESSAGE_PREFIX.unpack_from(body)
        if len(body) - 5 != size:
            self._refuse(stream, frames.INTERNAL, "a unary request carries exactly one message")
            return None
        message = bytes(body[5:])
        if not compressed:
            return message
        wbits = _WBITS.get(encoding)
        if wbits is not None:
            # zlib's own gzip reader (gzip.decompress parses the header in Python), bounded: a
            # small request must not inflate past the limit an uncompressed one is held to.
            limit = self.server.max_request
            inflater = zlib.decompressobj(wbits)
            try:
                inflated = inflater.decompress(message, limit + 1)
                whole = inflater.eof and not inflater.unused_data
            except zlib.error:
                inflated, whole = b"", False
            if not whole:
                if len(inflated) > limit:
                    self._refuse(stream, frames.RESOURCE_EXHAUSTED, _too_large(len(inflated), limit))
                else:
                    self._refuse(stream, frames.INTERNAL, f"the request does not decompress as {encoding}")
                return None
            return inflated
        if encoding == "identity":  # compressed, it says, but not how
            self._refuse(stream, frames.INTERNAL, "a compressed request without grpc-encoding")
        else:
            self._refuse(stream, frames.UNIMPLEMENTED, f"Compression algorithm '{encoding}' not supported")
        return None

    async def _run(self, stream: _Stream, method: Method, message: bytes) -> None:
        context = stream.context
        assert context is not None
        try:
            response = method.encode(await method.run(method.decode(message), context))
        except CallAborted as aborted:
            if not stream.done:
                self._refuse(stream, aborted.code.value[0], aborted.message, aborted.status_details)
            return
        except asyncio.CancelledError:
            # Cancelled by us (reset, deadline, disconnect, stop) or the handler gave up on a call
            # it found over: nobody waits for an answer, but an open stream is told so.
            if not stream.done:
                self._refuse(stream, frames.CANCELLED, "Cancelled")
            return
        except Exception as exc:  # a handler's bug: the caller gets INTERNAL, the log the traceback
            log.exception("unexpected error in %s", context.method)
            if not stream.done:
                self._refuse(stream, frames.UNKNOWN, f"Unexpected {type(exc)}: {exc}")
            return
        if not stream.done:
            self._respond(stream, response)

    def _deadlines_passed(self) -> None:
        """The deadline timer: end the calls whose deadline has passed, wait for the next."""
        self.deadline_timer = None
        now = self.loop.time() + _CLOCK_RESOLUTION
        soonest: float | None = None
        for stream in list(self.streams.values()):
            deadline = stream.deadline
            if deadline is None or stream.done:
                continue
            if deadline <= now:
                self._refuse(stream, frames.DEADLINE_EXCEEDED, "Deadline Exceeded")
            elif soonest is None or deadline < soonest:
                soonest = deadline
        if soonest is not None and self.transport is not None:
            self.deadline_timer = self.loop.call_at(soonest, self._deadlines_passed)
            self.deadline_at = soonest

    # ---- frames out ---------------------------------------------------------------------------

    def _respond(self, stream: _Stream, payload: bytes) -> None:
        if self.transport is None:
            return
        size = len(payload) + 5
        if size <= self.send_window and size <= stream.send_window and size <= self.max_frame:
            # The usual answer: all of it at once, the message not copied until the write.
            self.send_window -= size
            stream.send_window -= size
            sid = stream.id
            head = _ANSWER_HEAD.pack(
                0, len(_RESPONSE_HEADERS), HEADERS, END_HEADERS, sid, _RESPONSE_HEADERS,
                size >> 16, size & 0xFFFF, DATA, 0, sid, 0, len(payload),
            )  # fmt: skip
            trailers = _OK_TRAILERS_FRAME.pack(0, len(_OK_TRAILERS), HEADERS, _LAST, sid, _OK_TRAILERS)
            if not self.reading:
                self._flush_soon()
            self.out += (head, payload, trailers)
            self._end(stream)
            return
        message = b"\x00" + len(payload).to_bytes(4, "big") + payload
        trailers = frames.frame(HEADERS, END_HEADERS | END_STREAM, stream.id, _OK_TRAILERS)
        head = frames.frame(HEADERS, END_HEADERS, stream.id, _RESPONSE_HEADERS)
        self._send(head)
        stream.headers_sent = True
        stream.pending = [message, trailers]
        self._send_pending(stream)

    def _send_pending(self, stream: _Stream) -> None:
        """Send what the windows allow of the stream's waiting output; the trailers last."""
        transport = self.transport
        if transport is None:
            return
        out: list[bytes] = []
        while stream.pending:
            data = stream.pending[0]
            if len(stream.pending) == 1:  # only the trailers are left
                out.append(data)
                stream.pending.clear()
                break
            room = min(self.send_window, stream.send_window, self.max_frame, len(data))
            if room <= 0:
                break
            out.append(frames.frame(DATA, 0, stream.id, data[:room]))
            self.send_window -= room
            stream.send_window -= room
            stream.pending[0] = data[room:]
            if not stream.pending[0]:
                stream.pending.pop(0)
        if out:
            self._send(b"".join(out))
        if stream.pending:
            self.blocked[stream.id] = stream
        else:
            self.blocked.pop(stream.id, None)
            self._end(stream)

    def _flush_blocked(self) -> None:
        for stream in list(self.blocked.values()):
            if self.send_window <= 0:
                return
            self._send_pending(stream)

    def _refuse(
        self, stream: _Stream, status: int, message: str, status_details: bytes = b"", http_status: str = "200"
    ) -> None:
        """End the stream with a non-OK status: a trailers-only response, or trailers after the
        headers of an answer that was on its way (its unsent data is dropped)."""
        fields: list[tuple[str, str | bytes]] = []
        if not stream.headers_sent:
            fields += [(":status", http_status), ("content-type", "application/grpc")]
        fields.append(("grpc-status", str(status)))
        if message:
            fields.append(("grpc-message", _percent_encoded(message)))
        if status_details:
            fields.append(("grpc-status-details-bin", binascii.b2a_base64(status_details, newline=False).rstrip(b"=")))
        if self.transport is not None:
            block = hpack.encode(fields)
            self._send(frames.frame(HEADERS, END_HEADERS | END_STREAM, stream.id, block))
        self._end(stream, cancel=True)

    def _reset(self, stream: _Stream, error: int) -> None:
        if self.transport is not None:
            self._send(frames.frame(RST_STREAM, 0, stream.id, error.to_bytes(4, "big")))
        self._end(stream, cancel=True)

    def _end(self, stream: _Stream, cancel: bool = False) -> None:
        """The stream is over: forget it; with ``cancel``, stop its handler if it still runs."""
        stream.done = True
        if stream.context is not None:
            stream.context._ended = True
        self.streams.pop(stream.id, None)
        self.blocked.pop(stream.id, None)
        stream.pending = []
        if cancel and stream.task is not None and not stream.task.done():
            stream.task.cancel()

    # ---- the connection -----------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        """Queue frames to go out: what the connection says in one turn of the event loop (the
        answers of the calls one read brought, as a rule) leaves in one write, since a send on
        loopback costs about as much as the server's work on a small call."""
        if not self.reading:  # data_received writes what it queued itself
            self._flush_soon()
        self.out.append(data)

    def _flush_soon(self) -> None:
        """Write what is queued at the next turn of the loop (once, however often asked)."""
        if not self.flush_due:
            self.flush_due = True
            self.loop.call_soon(self._flush_out)

    def _flush_out(self) -> None:
        self.flush_due = False
        out, self.out = self.out, []
        if out and self.transport is not None:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def tasks(self) -> Iterable[asyncio.Task[None]]:
        return [s.task for s in self.streams.values() if s.task is not None and not s.task.done()]

    def go_away(self) -> None:
        self.going_away = True
        if self.transport is not None:
            payload = self.last_stream.to_bytes(4, "big") + frames.NO_ERROR.to_bytes(4, "big")
            self._send(frames.frame(GOAWAY, 0, 0, payload))

    def close(self) -> None:
        if self.transport is not None:
            self._flush_out()
            self.transport.close()
        self.connection_lost(None)

    def _fail(self, error: int, reason: str) -> None:
        """A connection error (RFC 9113 5.4.1): GOAWAY with ``error``, then hang up."""
        log.debug("closing a connection: %s", reason)
        if self.transport is not None:
            payload = self.last_stream.to_bytes(4, "big") + error.to_bytes(4, "big") + reason.encode()
            self._send(frames.frame(GOAWAY, 0, 0, payload))
        self._hang_up(reason)

    def _hang_up(self, reason: str) -> None:
        log.debug("hanging up: %s", reason)
        self.buffer.clear()
        if self.transport is not None:
            self._flush_out()
            self.transport.close()


class _ProtocolError(Exception):
    """A peer that breaks HTTP/2's rules: the connection ends."""


class _Resumed(Coroutine[Any, Any, None]):
    """A handler's coroutine that :meth:`_Connection._dispatch` started and that waits for
    ``waiting``, to go on in a task: the task's first step is handed ``waiting`` (as if it had
    started the coroutine itself), the rest goes to the coroutine; a task cancelled before its
    first step cancels the coroutine where it waits, as it would any task's."""

    __slots__ = ("_coro", "_started", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting
        self._started = False

    def send(self, value: Any) -> Any:
        if self._started:
            return self._coro.send(value)
        self._started = True
        waiting, self._waiting = self._waiting, None
        return waiting

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._started = True
        self._waiting = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # pragma: no cover - asyncio throws one argument

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, None]:
        return (yield from self._coro.__await__())  # pragma: no cover - only tasks run it


_CALLS_KEPT = 64
_Call = tuple[list[tuple[str, str]], str, bool, str, "float | None", dict[str, str]]


def _call_of(fields: list[tuple[str, str]]) -> _Call:
    """What a call's headers say: the headers, the path, whether it is gRPC, the request's
    encoding, the seconds its grpc-timeout allows (None without one), the headers as a dict."""
    headers = dict(fields)
    timeout = headers.get("grpc-timeout")
    return (
        fields,
        headers.get(":path", ""),
        headers.get("content-type", "").startswith("application/grpc"),
        headers.get("grpc-encoding", "identity"),
        None if timeout is None else frames.timeout_seconds(timeout),
        headers,
    )


# zlib's window bits for the request encodings gRPC names: a gzip member, a zlib stream.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _too_large(size: int, limit: int) -> str:
    return f"Received message larger than max ({size} vs. {limit})"


def _percent_encoded(message: str) -> str:
    """grpc-message as gRPC percent-encodes it (grpc/doc/PROTOCOL-HTTP2.md): printable ASCII but
    "%" as is, every other byte of its UTF-8 as %XX."""
    if message.isascii() and message.isprintable() and "%" not in message:
        return message
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x25 else f"%{b:02X}" for b in message.encode())
