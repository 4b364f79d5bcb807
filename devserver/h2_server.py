"""The server's transport: unary gRPC over HTTP/2 on the asyncio loop, cleartext or TLS.

Every method of Temporal's services is unary (long polls too: one request, one answer, late),
so the server needs only that much of gRPC: read a request's HEADERS and DATA, run the
method's handler as a task, and write HEADERS, DATA and trailers back, within the flow
control windows the client grants. grpcio's server did this with its C core and a Cython
bridge to asyncio that cost about 250 µs of CPU a call; here it is one ``asyncio.Protocol``
per connection, which takes about 30 µs, and the server no longer loads grpcio (60 ms of
its start-up).

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
import logging
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable
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

    def __init__(self, method: str, headers: list[tuple[str, str]], deadline: float | None) -> None:
        self.method = method
        self._headers = headers
        self._metadata: tuple[tuple[str, str | bytes], ...] | None = None
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
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
        "deadline_timer",
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
        self.body = bytearray()
        self.send_window = send_window
        # Response bytes the windows did not let out yet, then the trailers' frame.
        self.pending: list[bytes] = []
        self.task: asyncio.Task[None] | None = None
        self.deadline_timer: asyncio.TimerHandle | None = None
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
        self.loop = asyncio.get_running_loop()

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

    def data_received(self, data: bytes) -> None:
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
        end = len(buffer)
        try:
            while end - pos >= 9 and self.transport is not None:
                length = int.from_bytes(buffer[pos : pos + 3], "big")
                if length > _LARGEST_FRAME:
                    self._fail(frames.FRAME_SIZE_ERROR, "frame too large")
                    return
                kind = buffer[pos + 3]
                if not self.settled:  # a client's preface ends with its SETTINGS (RFC 9113 3.4)
                    if kind != SETTINGS:
                        raise _ProtocolError("the client's first frame is not SETTINGS")
                    self.settled = True
                if end - pos - 9 < length:
                    break
                flags = buffer[pos + 4]
                stream_id = int.from_bytes(buffer[pos + 5 : pos + 9], "big") & 0x7FFFFFFF
                payload = bytes(buffer[pos + 9 : pos + 9 + length])
                pos += 9 + length
                self._frame(kind, flags, stream_id, payload)
        except hpack.HpackError as err:
            self._fail(frames.COMPRESSION_ERROR, f"undecodable headers: {err}")
            return
        except _ProtocolError as err:
            self._fail(frames.PROTOCOL_ERROR, str(err))
            return
        del buffer[:pos]
        if self.unacknowledged > _CONNECTION_WINDOW // 2 and self.transport is not None:
            self._send(frames.frame(WINDOW_UPDATE, 0, 0, self.unacknowledged.to_bytes(4, "big")))
            self.unacknowledged = 0

    # ---- frames in ----------------------------------------------------------------------------

    def _frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        if self.header_block is not None and kind != CONTINUATION:
            raise _ProtocolError("a header block was interrupted")
        if kind == DATA:
            self.unacknowledged += len(payload)
            stream = self.streams.get(stream_id)
            if stream is None or stream.task is not None or stream.done:
                return  # a stream we answered already (refused, reset): its data is dropped
            stream.body += frames.unpadded(payload, flags)
            if len(stream.body) > self.server.max_request + 5:
                size = int.from_bytes(stream.body[1:5], "big") if len(stream.body) >= 5 else len(stream.body)
                self._refuse(stream, frames.RESOURCE_EXHAUSTED, _too_large(size, self.server.max_request))
                self._reset(stream, frames.NO_ERROR)  # answered: the rest of the request may stay unsent
            elif flags & END_STREAM:
                self._dispatch(stream)
        elif kind == HEADERS:
            payload = frames.unpadded(payload, flags)
            if flags & frames.PRIORITY_FLAG:
                payload = payload[5:]
            self.header_block = bytearray(payload)
            self.header_stream = stream_id
            self.header_ends_stream = bool(flags & END_STREAM)
            if flags & END_HEADERS:
                self._headers_done()
        elif kind == CONTINUATION:
            if self.header_block is None or stream_id != self.header_stream:
                raise _ProtocolError("CONTINUATION without HEADERS")
            self.header_block += payload
            if len(self.header_block) > _LARGEST_HEADER_BLOCK:
                raise _ProtocolError("a header block larger than the server reads")
            if flags & END_HEADERS:
                self._headers_done()
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

    def _headers_done(self) -> None:
        assert self.header_block is not None
        block, stream_id = bytes(self.header_block), self.header_stream
        self.header_block = None
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
        headers = dict(stream.headers)
        path = headers.get(":path", "")
        if not headers.get("content-type", "").startswith("application/grpc"):
            self._refuse(stream, frames.UNKNOWN, "not a gRPC request (content-type)", http_status="415")
            return
        method = self.server.methods.get(path)
        if method is None:
            self._refuse(stream, frames.UNIMPLEMENTED, "Method not found!")
            return
        if self.server.authorize is not None:
            refusal = self.server.authorize(path, headers)
            if refusal is not None:
                self._refuse(stream, frames.UNAUTHENTICATED, refusal)
                return
        message = self._message(stream, headers.get("grpc-encoding", "identity"))
        if message is None:
            return
        loop = asyncio.get_running_loop()
        deadline = None
        timeout = headers.get("grpc-timeout")
        if timeout is not None:
            seconds = frames.timeout_seconds(timeout)
            if seconds is not None:
                deadline = loop.time() + seconds
                stream.deadline_timer = loop.call_at(deadline, self._deadline_passed, stream)
        stream.context = CallContext(path, stream.headers, deadline)
        stream.task = loop.create_task(self._run(stream, method, message))

    def _message(self, stream: _Stream, encoding: str) -> bytes | None:
        body = stream.body
        stream.body = bytearray()
        if len(body) < 5 or len(body) - 5 != int.from_bytes(body[1:5], "big"):
            self._refuse(stream, frames.INTERNAL, "a unary request carries exactly one message")
            return None
        message = bytes(body[5:])
        if not body[0]:
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

    def _deadline_passed(self, stream: _Stream) -> None:
        stream.deadline_timer = None
        if not stream.done:
            self._refuse(stream, frames.DEADLINE_EXCEEDED, "Deadline Exceeded")

    # ---- frames out ---------------------------------------------------------------------------

    def _respond(self, stream: _Stream, payload: bytes) -> None:
        message = b"\x00" + len(payload).to_bytes(4, "big") + payload
        trailers = frames.frame(HEADERS, END_HEADERS | END_STREAM, stream.id, _OK_TRAILERS)
        head = frames.frame(HEADERS, END_HEADERS, stream.id, _RESPONSE_HEADERS)
        room = min(self.send_window, stream.send_window)
        transport = self.transport
        if transport is None:
            return
        if len(message) <= min(room, self.max_frame):  # the usual answer: one write
            self.send_window -= len(message)
            stream.send_window -= len(message)
            self._send(head + frames.frame(DATA, 0, stream.id, message) + trailers)
            self._end(stream)
            return
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
        if stream.deadline_timer is not None:
            stream.deadline_timer.cancel()
            stream.deadline_timer = None
        if cancel and stream.task is not None and not stream.task.done():
            stream.task.cancel()

    # ---- the connection -----------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        """Queue frames to go out: what the connection says in one turn of the event loop (the
        answers of the calls one read brought, as a rule) leaves in one write, since a send on
        loopback costs about as much as the server's work on a small call."""
        if not self.out:
            self.loop.call_soon(self._flush_out)
        self.out.append(data)

    def _flush_out(self) -> None:
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
