"""A raw HTTP/2 client for wire-level tests of the server's transport (devserver/h2_server.py).

It speaks HTTP/2 frame by frame over ``asyncio.open_connection``: the test decides every frame
it sends (windows, settings, padding, CONTINUATION, resets, interleaving), and every frame the
server sends is kept, in order, with its decoded header block. While it reads, the client
checks what RFC 9113 asks of the server towards this client and records each breach in
:attr:`RawH2.violations` rather than failing at once, so that a test can assert on them:

- no DATA frame beyond the open send window, of the stream or the connection (6.9.1);
- no frame larger than the SETTINGS_MAX_FRAME_SIZE the client advertised (4.2);
- nothing on a stream after its END_STREAM or a reset (5.1);
- no pseudo-header fields in trailers (8.1).

Frames are built with :mod:`tempo_wire.frames` and header blocks with :mod:`tempo_wire.hpack`,
the code the server's client side shares; the server's header blocks are decoded with
``tempo_wire.hpack.Decoder`` (tests/sdk/test_hpack.py checks it against python-hyper's).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

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

WORKFLOW_SERVICE = "/temporal.api.workflowservice.v1.WorkflowService"
FRAME_NAMES = (
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
)


def grpc_message(body: bytes, compressed: bool = False) -> bytes:
    """One length-prefixed gRPC message (grpc/doc/PROTOCOL-HTTP2.md)."""
    return bytes((1 if compressed else 0,)) + len(body).to_bytes(4, "big") + body


def request_headers(
    method: str,
    *,
    timeout: str | None = None,
    content_type: str = "application/grpc",
    extra: Iterable[tuple[str, str | bytes]] = (),
    authority: str = "localhost",
) -> list[tuple[str, str | bytes]]:
    """The header list of a unary call to ``method`` of the WorkflowService (or a full path)."""
    path = method if method.startswith("/") else f"{WORKFLOW_SERVICE}/{method}"
    fields: list[tuple[str, str | bytes]] = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", authority),
        ("content-type", content_type),
        ("te", "trailers"),
    ]
    if timeout is not None:
        fields.append(("grpc-timeout", timeout))
    fields.extend(extra)
    return fields


def window_update(stream_id: int, increment: int) -> bytes:
    return frames.frame(WINDOW_UPDATE, 0, stream_id, increment.to_bytes(4, "big"))


@dataclass
class Frame:
    kind: int
    flags: int
    stream: int
    payload: bytes
    at: float  # time.monotonic() when it was read
    headers: list[tuple[str, str]] | None = None  # a HEADERS frame's decoded block (with its CONTINUATIONs)

    def __repr__(self) -> str:
        name = FRAME_NAMES[self.kind] if self.kind < len(FRAME_NAMES) else f"type {self.kind}"
        detail = f" {self.headers}" if self.headers is not None else f" {len(self.payload)} bytes"
        return f"<{name} flags={self.flags:#x} stream={self.stream}{detail}>"


@dataclass
class StreamState:
    """What the server sent on one stream."""

    id: int
    headers: list[tuple[str, str]] | None = None  # the first header block
    trailers: list[tuple[str, str]] | None = None  # a second header block
    data: bytearray = field(default_factory=bytearray)
    data_frames: list[int] = field(default_factory=list)  # each DATA frame's length
    reset: int | None = None  # the RST_STREAM error code
    ended: bool = False  # END_STREAM seen, or a reset
    ended_at: float | None = None

    @property
    def trailers_only(self) -> bool:
        return self.trailers is None and self.ended and self.headers is not None and self.reset is None

    @property
    def status_fields(self) -> dict[str, str]:
        """The block that carries grpc-status: the trailers, or the headers of a trailers-only answer."""
        block = self.trailers if self.trailers is not None else (self.headers or [])
        return dict(block)

    @property
    def grpc_status(self) -> int | None:
        value = self.status_fields.get("grpc-status")
        return None if value is None else int(value)

    @property
    def grpc_message(self) -> str:
        from urllib.parse import unquote

        return unquote(self.status_fields.get("grpc-message", ""))

    def message(self) -> bytes:
        """The one response message of a unary answer, its 5-byte prefix checked and removed."""
        data = bytes(self.data)
        assert len(data) >= 5, f"the answer's body is {len(data)} bytes"
        assert data[0] == 0, "the answer is flagged compressed"
        length = int.from_bytes(data[1:5], "big")
        assert len(data) == 5 + length, f"the prefix says {length} bytes, the body has {len(data) - 5}"
        return data[5:]


class RawH2:
    """One HTTP/2 connection; a background task reads and records the server's frames.

    ``settings`` are sent in the client's first SETTINGS frame. ``connection_window`` is the
    connection's receive window the client opens at once (65,535, HTTP/2's initial one,
    unless more is asked: the rest in a WINDOW_UPDATE after the preface).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.decoder = hpack.Decoder()
        self.frames: list[Frame] = []
        self.streams: dict[int, StreamState] = {}
        self.violations: list[str] = []
        self.closed = False
        self.closed_at: float | None = None
        self.server_settings: list[tuple[int, int]] | None = None
        self.ack_settings = True
        # The client's view of its receive windows, to check the server's DATA against.
        self.initial_window = frames.DEFAULT_WINDOW
        self.max_frame = frames.DEFAULT_MAX_FRAME
        self.connection_window = frames.DEFAULT_WINDOW
        self.stream_windows: dict[int, int] = {}
        self._changed = asyncio.Condition()
        self._reading: asyncio.Task[None] | None = None
        self._continued: tuple[int, int, bytearray] | None = None

    @classmethod
    async def open(
        cls,
        address: str,
        settings: Iterable[tuple[int, int]] = (),
        connection_window: int = frames.DEFAULT_WINDOW,
        piece: int = 0,
    ) -> RawH2:
        host, port = address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        client = cls(reader, writer)
        settings = list(settings)
        client._apply_own_settings(settings)
        out = frames.PREFACE + frames.frame(SETTINGS, 0, 0, b"".join(frames.setting(k, v) for k, v in settings))
        if connection_window > frames.DEFAULT_WINDOW:
            out += window_update(0, connection_window - frames.DEFAULT_WINDOW)
            client.connection_window = connection_window
        if piece:  # the preface and SETTINGS a few bytes at a time, each its own write
            for at in range(0, len(out), piece):
                await client.send(out[at : at + piece])
                await asyncio.sleep(0.001)
        else:
            writer.write(out)
            await writer.drain()
        client._reading = asyncio.create_task(client._read())
        return client

    # ---- sending ------------------------------------------------------------------------------

    async def send(self, *raw: bytes) -> None:
        self.writer.write(b"".join(raw))
        await self.writer.drain()

    async def send_headers(
        self, stream_id: int, headers: list[tuple[str, str | bytes]], end_stream: bool = False
    ) -> None:
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        await self.send(frames.frame(HEADERS, flags, stream_id, hpack.encode(headers)))

    async def send_data(self, stream_id: int, data: bytes, end_stream: bool = True) -> None:
        await self.send(frames.frame(DATA, END_STREAM if end_stream else 0, stream_id, data))

    async def call(
        self,
        stream_id: int,
        method: str,
        message: bytes,
        *,
        timeout: str | None = None,
        extra: Iterable[tuple[str, str | bytes]] = (),
    ) -> None:
        """Send a unary call (HEADERS, then DATA with the message); its answer arrives in the background."""
        headers = request_headers(method, timeout=timeout, extra=extra)
        await self.send(
            frames.frame(HEADERS, END_HEADERS, stream_id, hpack.encode(headers)),
            frames.frame(DATA, END_STREAM, stream_id, grpc_message(message)),
        )

    async def grant(self, stream_id: int, increment: int) -> None:
        """A WINDOW_UPDATE (stream 0: the connection's), counted in the client's view of its windows."""
        if stream_id == 0:
            self.connection_window += increment
        else:
            self.stream_windows[stream_id] = self.stream_window(stream_id) + increment
        await self.send(window_update(stream_id, increment))

    async def change_settings(self, settings: Iterable[tuple[int, int]]) -> None:
        """A SETTINGS frame; its INITIAL_WINDOW_SIZE applies to the open streams (RFC 9113 6.9.2)
        from when the server reads it, which for our checks is when it was sent: nothing of the
        server's crosses it except DATA the old window allowed, which the old one counted."""
        settings = list(settings)
        self._apply_own_settings(settings)
        await self.send(frames.frame(SETTINGS, 0, 0, b"".join(frames.setting(k, v) for k, v in settings)))

    def _apply_own_settings(self, settings: list[tuple[int, int]]) -> None:
        for key, value in settings:
            if key == frames.SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - self.initial_window
                for stream_id in self.stream_windows:
                    self.stream_windows[stream_id] += delta
                self.initial_window = value
            elif key == frames.SETTINGS_MAX_FRAME_SIZE:
                self.max_frame = value

    def stream_window(self, stream_id: int) -> int:
        return self.stream_windows.get(stream_id, self.initial_window)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    # ---- waiting ------------------------------------------------------------------------------

    def stream(self, stream_id: int) -> StreamState:
        return self.streams.setdefault(stream_id, StreamState(stream_id))

    async def wait_for(self, condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
        """Until ``condition()`` holds (checked after each frame the server sends)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"waited {timeout} s for {what or condition}; the server sent {self.frames[-12:]!r}"
                    + (" and closed" if self.closed else "")
                ) from None

    async def ended(self, stream_id: int, timeout: float = 5.0) -> StreamState:
        """The stream once the server has ended it (END_STREAM or RST_STREAM)."""
        state = self.stream(stream_id)
        await self.wait_for(lambda: state.ended or self.closed, timeout, f"the end of stream {stream_id}")
        assert state.ended, f"the connection closed before stream {stream_id} ended: {self.frames[-12:]!r}"
        return state

    async def received(self, stream_id: int, size: int, timeout: float = 5.0) -> StreamState:
        """The stream once at least ``size`` bytes of DATA have arrived on it."""
        state = self.stream(stream_id)
        await self.wait_for(
            lambda: len(state.data) >= size or state.ended or self.closed, timeout, f"{size} bytes on {stream_id}"
        )
        return state

    async def quiet(self, seconds: float = 0.25, stream_id: int | None = None) -> list[Frame]:
        """What the server sends in the next ``seconds`` (on ``stream_id``, if given)."""
        before = len(self.frames)
        await asyncio.sleep(seconds)
        return [f for f in self.frames[before:] if stream_id is None or f.stream == stream_id]

    async def next_frame(self, kind: int, timeout: float = 5.0, after: int = 0) -> Frame:
        """The first frame of ``kind`` from the ``after``-th on."""

        def found() -> Frame | None:
            return next((f for f in self.frames[after:] if f.kind == kind), None)

        await self.wait_for(lambda: found() is not None or self.closed, timeout, FRAME_NAMES[kind])
        frame = found()
        assert frame is not None, f"the connection closed before a {FRAME_NAMES[kind]}: {self.frames!r}"
        return frame

    async def closed_by_server(self, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: self.closed, timeout, "the server to close the connection")

    # ---- reading ------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            while True:
                head = await self.reader.readexactly(9)
                length = int.from_bytes(head[:3], "big")
                payload = await self.reader.readexactly(length)
                frame = Frame(
                    head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF, payload, time.monotonic()
                )
                self._record(frame)
                async with self._changed:
                    self._changed.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed = True
            self.closed_at = time.monotonic()
            with contextlib.suppress(RuntimeError):
                async with self._changed:
                    self._changed.notify_all()

    def _violation(self, text: str) -> None:
        self.violations.append(f"{text} (frame #{len(self.frames)})")

    def _record(self, frame: Frame) -> None:
        if len(frame.payload) > self.max_frame:
            self._violation(f"a {len(frame.payload)}-byte frame, above the client's max frame size {self.max_frame}")
        if self._continued is not None and frame.kind != CONTINUATION:
            self._violation(f"a header block interrupted by {frame!r}")
        if frame.kind == HEADERS:
            block = frames.unpadded(frame.payload, frame.flags)
            if frame.flags & frames.PRIORITY_FLAG:
                block = block[5:]
            if frame.flags & END_HEADERS:
                frame.headers = self.decoder.decode(block)
                self._headers(frame.stream, frame.headers, frame.flags & END_STREAM, frame.at)
            else:
                self._continued = (frame.stream, frame.flags, bytearray(block))
        elif frame.kind == CONTINUATION:
            if self._continued is None or self._continued[0] != frame.stream:
                self._violation("a CONTINUATION without its HEADERS")
            else:
                self._continued[2].extend(frame.payload)
                if frame.flags & END_HEADERS:
                    stream_id, flags, pieces = self._continued
                    self._continued = None
                    frame.headers = self.decoder.decode(bytes(pieces))
                    self._headers(stream_id, frame.headers, flags & END_STREAM, frame.at)
        elif frame.kind == DATA:
            state = self.stream(frame.stream)
            if state.ended:
                self._violation(f"DATA on stream {frame.stream} after it ended")
            if state.headers is None:
                self._violation(f"DATA on stream {frame.stream} before its HEADERS")
            size = len(frame.payload)
            self.connection_window -= size
            self.stream_windows[frame.stream] = self.stream_window(frame.stream) - size
            if self.connection_window < 0:
                self._violation(f"DATA of {size} bytes overran the connection window by {-self.connection_window}")
            if self.stream_windows[frame.stream] < 0:
                overrun = -self.stream_windows[frame.stream]
                self._violation(f"DATA of {size} bytes overran stream {frame.stream}'s window by {overrun}")
            state.data += frames.unpadded(frame.payload, frame.flags)
            state.data_frames.append(size)
            if frame.flags & END_STREAM:
                state.ended, state.ended_at = True, frame.at
        elif frame.kind == RST_STREAM:
            state = self.stream(frame.stream)
            state.reset = int.from_bytes(frame.payload[:4], "big")
            state.ended, state.ended_at = True, frame.at
        elif frame.kind == SETTINGS and not frame.flags & frames.ACK:
            if self.server_settings is None:
                self.server_settings = frames.settings_of(frame.payload)
            if self.ack_settings:
                self.writer.write(frames.frame(SETTINGS, frames.ACK, 0, b""))
        self.frames.append(frame)

    def _headers(self, stream_id: int, fields: list[tuple[str, str]], end_stream: int, at: float) -> None:
        state = self.stream(stream_id)
        if state.ended:
            self._violation(f"HEADERS on stream {stream_id} after it ended: {fields}")
        if state.headers is None:
            state.headers = fields
        elif state.trailers is None:
            state.trailers = fields
            pseudo = [name for name, _ in fields if name.startswith(":")]
            if pseudo:
                self._violation(f"pseudo-header fields {pseudo} in the trailers of stream {stream_id}")
            if not end_stream:
                self._violation(f"trailers without END_STREAM on stream {stream_id}")
        else:
            self._violation(f"a third header block on stream {stream_id}: {fields}")
        if end_stream:
            state.ended, state.ended_at = True, at

    def goaways(self) -> list[tuple[int, int, bytes]]:
        """Each GOAWAY's (last stream id, error code, debug data)."""
        return [
            (
                int.from_bytes(f.payload[:4], "big") & 0x7FFFFFFF,
                int.from_bytes(f.payload[4:8], "big"),
                f.payload[8:],
            )
            for f in self.frames
            if f.kind == GOAWAY
        ]

    def pings(self) -> list[Frame]:
        return [f for f in self.frames if f.kind == PING]


@contextlib.asynccontextmanager
async def connected(
    address: str,
    settings: Iterable[tuple[int, int]] = (),
    connection_window: int = frames.DEFAULT_WINDOW,
    piece: int = 0,
) -> AsyncIterator[RawH2]:
    """A :class:`RawH2` for the ``async with`` block, closed after it; ``piece``: its preface
    and SETTINGS sent that many bytes at a time."""
    client = await RawH2.open(address, settings, connection_window, piece)
    try:
        yield client
    finally:
        await client.close()
