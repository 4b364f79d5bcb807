"""Unary gRPC calls over HTTP/2 without TLS, on a plain blocking socket.

Loading grpcio costs a process about 60 ms before it sends a byte (its Cython core imports
asyncio, which imports ssl, concurrent.futures and inspect), where the whole `temporal
workflow list` takes about 35 ms. A unary call is small: the connection preface and
SETTINGS once, then per call one HEADERS frame and the request in DATA frames, and the
answer's HEADERS, DATA and trailers. :class:`H2Channel` makes such calls one after another
on one connection, and nothing more (no TLS, no compression, no streaming, one call at a
time, blocking): the transport of short-lived clients such as a `tempo workflow` command
(``Connection(..., blocking=True)`` in :mod:`sdk._client_rpc`, and the `tempo workflow`
commands' lean path, :mod:`tempo_cli._lean_commands`). Anything else goes through grpcio.

A failed call raises :class:`CallFailed`, which answers ``code()``, ``details()`` and
``trailing_metadata()`` as grpcio's errors do, so it maps to the same Tempo exception
(:func:`sdk._client_rpc.map_error`).
"""

from __future__ import annotations

import socket
import time
from typing import Any

from tempo_wire import frames
from tempo_wire import hpack as _hpack
from tempo_wire.frames import CANCELLED, DEADLINE_EXCEEDED, INTERNAL, RESOURCE_EXHAUSTED, UNAVAILABLE, UNKNOWN

MAX_RESPONSE = 128 * 1024 * 1024
"""The largest response message taken, as grpcio's channels in sdk._client_rpc."""

# The HTTP/2 error codes of RST_STREAM as gRPC maps them (grpc/doc/PROTOCOL-HTTP2.md).
_RST_STATUS = {
    frames.NO_ERROR: INTERNAL,
    frames.REFUSED_STREAM: UNAVAILABLE,
    frames.CANCEL: CANCELLED,
    frames.ENHANCE_YOUR_CALM: RESOURCE_EXHAUSTED,
}
# What grpcio leaves out of a failed call's trailing metadata.
_NOT_METADATA = frozenset({"content-type", "grpc-status", "grpc-message"})


class CallFailed(Exception):
    """A call that ended without a response; shaped like grpcio's ``AioRpcError``."""

    def __init__(self, status: int, message: str, trailers: list[tuple[str, str | bytes]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.trailers = trailers or []

    def code(self) -> Any:
        """The status as grpcio names it (``grpc.StatusCode``): grpc loads only on failures."""
        from sdk._connect_options import status_code

        return status_code(self.status)

    def details(self) -> str:
        return self.message

    def trailing_metadata(self) -> list[tuple[str, str | bytes]]:
        return self.trailers


class H2Channel:
    """One HTTP/2 connection to ``host:port``, opened by the first call, carrying one call at a time.

    A connection that failed is dropped; the next call opens a new one.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._sock: socket.socket | None = None
        self._greeted = False
        self._unsent = b""
        self._buffer = b""
        self._decoder = _hpack.Decoder()
        self._max_frame = 16_384
        self._send_window = frames.DEFAULT_WINDOW  # the connection's
        self._initial_stream_window = frames.DEFAULT_WINDOW
        self._next_stream = 1
        self._call: _Call | None = None

    def unary(self, path: str, message: bytes, metadata: list[tuple[str, str]], timeout: float) -> bytes:
        """Send one request message to ``path`` (``/package.Service/Method``); its response message.

        Raises:
            CallFailed: A non-zero grpc-status, a reset stream, no server at the address
                (UNAVAILABLE), or no answer in ``timeout`` seconds (DEADLINE_EXCEEDED).
        """
        started = time.monotonic()
        budget_ms = max(1, int(timeout * 1000))
        try:
            if self._sock is None:
                self._connect(timeout)
            assert self._sock is not None
            self._sock.settimeout(timeout)
            headers = [
                (":method", "POST"),
                (":scheme", "http"),
                (":path", path),
                (":authority", self.address),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
                ("grpc-timeout", f"{budget_ms}m"),
                *metadata,
            ]
            return self._exchange(headers, b"\x00" + len(message).to_bytes(4, "big") + message)
        except CallFailed as failed:
            if failed.status in (UNAVAILABLE, INTERNAL):
                self.close()
            if failed.status == CANCELLED and time.monotonic() - started >= budget_ms / 1000:
                # The server cancels a call whose grpc-timeout ran out, by a hair before this
                # socket's timer would: the deadline, as grpcio's own timer calls it.
                raise CallFailed(DEADLINE_EXCEEDED, "Deadline Exceeded") from None
            raise
        except TimeoutError:
            self.close()  # the answer may still come: the next call must not read it
            raise CallFailed(DEADLINE_EXCEEDED, "Deadline Exceeded") from None
        except ConnectionError:  # closed or reset: grpcio's words, which connect_failure explains
            self.close()
            raise CallFailed(UNAVAILABLE, f"connection to {self.address} lost: Socket closed") from None
        except OSError as err:
            self.close()
            raise CallFailed(UNAVAILABLE, f"connection to {self.address} lost: {err}") from None
        except _hpack.HpackError as err:
            self.close()
            raise CallFailed(INTERNAL, f"undecodable headers from {self.address}: {err}") from None
        finally:
            self._call = None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._buffer = b""

    def _connect(self, timeout: float) -> None:
        host, _, port = self.address.rpartition(":")
        host = host.strip("[]")
        # Given a str, getaddrinfo encodes the host with the `idna` codec, whose import (with
        # `stringprep` and `unicodedata`) is 1-2 ms of a command's start; an ASCII name or
        # address needs no codec.
        name: str | bytes = host.encode("ascii") if host.isascii() else host
        try:
            sock = socket.create_connection((name, int(port)), timeout=timeout)  # type: ignore[arg-type]  # bytes too
        except TimeoutError:
            raise CallFailed(UNAVAILABLE, f"failed to connect to {self.address}: timed out") from None
        except OSError as err:
            raise CallFailed(UNAVAILABLE, f"failed to connect to {self.address}: {err.strerror or err}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._greeted = False
        self._decoder = _hpack.Decoder()
        self._max_frame = 16_384
        self._send_window = frames.DEFAULT_WINDOW
        self._initial_stream_window = frames.DEFAULT_WINDOW
        self._next_stream = 1
        settings = frames.setting(frames.SETTINGS_ENABLE_PUSH, 0) + frames.setting(
            frames.SETTINGS_INITIAL_WINDOW_SIZE, frames.MAX_WINDOW
        )
        # The connection's receive window as large as the streams': a response never waits on
        # us. Sent with the first call's frames, in one write.
        self._unsent = (
            frames.PREFACE
            + frames.frame(frames.SETTINGS, 0, 0, settings)
            + frames.frame(frames.WINDOW_UPDATE, 0, 0, (frames.MAX_WINDOW - frames.DEFAULT_WINDOW).to_bytes(4, "big"))
        )

    def _exchange(self, headers: list[tuple[str, str]], body: bytes) -> bytes:
        assert self._sock is not None
        call = self._call = _Call(self._next_stream, self._initial_stream_window)
        self._next_stream += 2
        out = [
            self._unsent,
            frames.frame(frames.HEADERS, frames.END_HEADERS, call.stream, _hpack.encode(list(headers))),
        ]
        self._unsent = b""
        sent = 0
        while sent < len(body):  # as much as the server's windows allow, then wait for more
            room = min(self._send_window, call.send_window, self._max_frame, len(body) - sent)
            if room <= 0:
                self._sock.sendall(b"".join(out))
                out = []
                self._read_frame()
                if call.trailers is not None:
                    break  # answered (an error, surely) before taking the whole request
                continue
            chunk = body[sent : sent + room]
            sent += room
            self._send_window -= room
            call.send_window -= room
            out.append(frames.frame(frames.DATA, frames.END_STREAM if sent == len(body) else 0, call.stream, chunk))
        if out:
            self._sock.sendall(b"".join(out))
        while call.trailers is None:
            self._read_frame()
        if self._next_stream > 1_000_000:  # stream ids run out at 2**31: start afresh long before
            self.close()
        return call.result()

    def _read_frame(self) -> None:
        call = self._call
        assert self._sock is not None and call is not None
        header = self._read(9)
        length = int.from_bytes(header[:3], "big")
        kind, flags = header[3], header[4]
        if not self._greeted:  # an HTTP/2 server's first frame is its SETTINGS
            if kind != frames.SETTINGS or flags & frames.ACK:
                said = "Trying to connect an http1.x server" if header.startswith(b"HTTP/") else "not an HTTP/2 server"
                raise CallFailed(UNAVAILABLE, said)
            self._greeted = True
        stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
        payload = self._read(length)
        ours = stream == call.stream
        if kind == frames.DATA and ours:
            call.data += frames.unpadded(payload, flags)
            if len(call.data) > MAX_RESPONSE + 5:
                raise CallFailed(RESOURCE_EXHAUSTED, f"response larger than {MAX_RESPONSE} bytes")
            if flags & frames.END_STREAM and call.trailers is None:
                call.trailers = []
        elif kind in (frames.HEADERS, frames.CONTINUATION):
            # Every header block is decoded, in order: they share the decoder's table.
            if kind == frames.HEADERS:
                payload = frames.unpadded(payload, flags)
                if flags & frames.PRIORITY_FLAG:
                    payload = payload[5:]
                call.block = bytearray(payload)
                call.block_ends_stream = bool(flags & frames.END_STREAM)
            else:
                call.block += payload
            if flags & frames.END_HEADERS:
                fields = self._decoder.decode(bytes(call.block))
                if ours:
                    call.header_block(fields)
        elif kind == frames.SETTINGS and not flags & frames.ACK:
            self._settings(payload)
            self._sock.sendall(frames.frame(frames.SETTINGS, frames.ACK, 0, b""))
        elif kind == frames.PING and not flags & frames.ACK:
            self._sock.sendall(frames.frame(frames.PING, frames.ACK, 0, payload))
        elif kind == frames.WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream == 0:
                self._send_window += increment
            elif ours:
                call.send_window += increment
        elif kind == frames.RST_STREAM and ours:
            error = int.from_bytes(payload[:4], "big")
            raise CallFailed(_RST_STATUS.get(error, INTERNAL), f"stream reset by the server (HTTP/2 error {error})")
        elif kind == frames.GOAWAY:
            last_stream = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if last_stream < call.stream:
                raise CallFailed(UNAVAILABLE, "the server is going away")

    def _settings(self, payload: bytes) -> None:
        for key, value in frames.settings_of(payload):
            if key == frames.SETTINGS_INITIAL_WINDOW_SIZE:
                if self._call is not None:
                    self._call.send_window += value - self._initial_stream_window
                self._initial_stream_window = value
            elif key == frames.SETTINGS_MAX_FRAME_SIZE:
                self._max_frame = value

    def _read(self, size: int) -> bytes:
        assert self._sock is not None
        while len(self._buffer) < size:
            chunk = self._sock.recv(max(65_536, size - len(self._buffer)))
            if not chunk:
                # A TLS server hangs up on a client that does not speak TLS.
                raise ConnectionError("closed by the server")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class _Call:
    """One stream's state: what the server answered so far."""

    def __init__(self, stream: int, send_window: int) -> None:
        self.stream = stream
        self.send_window = send_window
        self.headers: list[tuple[str, str]] | None = None
        self.trailers: list[tuple[str, str]] | None = None
        self.data = bytearray()
        self.block = bytearray()  # a header block continued in CONTINUATION frames
        self.block_ends_stream = False

    def header_block(self, fields: list[tuple[str, str]]) -> None:
        if self.headers is None:
            self.headers = fields
            if self.block_ends_stream:  # trailers-only: an error before any message
                self.trailers = fields
        else:
            self.trailers = fields

    def result(self) -> bytes:
        fields = dict(self.trailers or ())
        status_text = fields.get("grpc-status")
        if status_text is None:
            http_status = dict(self.headers or ()).get(":status", "")
            raise CallFailed(UNKNOWN if http_status == "200" else UNAVAILABLE, f"no grpc-status (HTTP {http_status})")
        status = int(status_text) if status_text.isdigit() else UNKNOWN
        if status:
            metadata: list[tuple[str, str | bytes]] = [
                (name, frames.binary_header_value(value) if name.endswith("-bin") else value)
                for name, value in self.trailers or ()
                if not name.startswith(":") and name not in _NOT_METADATA
            ]
            raise CallFailed(status, _percent_decoded(fields.get("grpc-message", "")), metadata)
        data = bytes(self.data)
        if len(data) < 5 or data[0] != 0:
            raise CallFailed(INTERNAL, "malformed or compressed response message")
        if len(data) - 5 != int.from_bytes(data[1:5], "big"):
            raise CallFailed(INTERNAL, "response message of the wrong length")
        return data[5:]


def _percent_decoded(text: str) -> str:
    """grpc-message is percent-encoded UTF-8 (grpc/doc/PROTOCOL-HTTP2.md)."""
    if "%" not in text:
        return text
    from urllib.parse import unquote  # only for a failed call's message

    return unquote(text, errors="replace")
