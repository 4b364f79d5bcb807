"""HTTP/2 frames (RFC 9113) and the gRPC message framing on top (grpc/doc/PROTOCOL-HTTP2.md).

Only what both of Tempo's ends need: the frame and flag numbers, building a frame, reading
a padded payload, the settings, the deadline header and the status codes by number.
"""

from __future__ import annotations

import binascii
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS = 1, 2, 3
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE = 4, 5, 6

MAX_WINDOW = (1 << 31) - 1
DEFAULT_WINDOW = 65_535
DEFAULT_MAX_FRAME = 16_384

# HTTP/2 error codes (RFC 9113 section 7).
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR = 0x0, 0x1, 0x2, 0x3, 0x6
REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x7, 0x8, 0x9, 0xB

# gRPC status codes by number (grpc/doc/statuscodes.md).
OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, UNAUTHENTICATED = 8, 12, 13, 14, 16

# grpc-timeout units (the header is 1-8 digits and one of these).
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


_FRAME_HEADER = struct.Struct(">BHBBI")  # a 24-bit length, the type, the flags, the stream


def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    length = len(payload)
    return _FRAME_HEADER.pack(length >> 16, length & 0xFFFF, kind, flags, stream) + payload


def setting(key: int, value: int) -> bytes:
    return key.to_bytes(2, "big") + value.to_bytes(4, "big")


def settings_of(payload: bytes) -> list[tuple[int, int]]:
    """The (identifier, value) pairs of a SETTINGS frame's payload."""
    return [
        (int.from_bytes(payload[at : at + 2], "big"), int.from_bytes(payload[at + 2 : at + 6], "big"))
        for at in range(0, len(payload) - 5, 6)
    ]


def unpadded(payload: bytes, flags: int) -> bytes:
    if not flags & PADDED or not payload:
        return payload
    return payload[1 : len(payload) - payload[0]]


def timeout_seconds(header: str) -> float | None:
    """The seconds a ``grpc-timeout`` value allows; None when it is not one."""
    unit = _TIMEOUT_UNITS.get(header[-1:])
    digits = header[:-1]
    if unit is None or not digits.isdigit() or len(digits) > 8:
        return None
    return int(digits) * unit


def binary_header_value(value: str) -> bytes:
    """A ``-bin`` header's value: base64, padded or not (gRPC sends it unpadded); a value that
    is not base64 is kept as its bytes."""
    try:
        return binascii.a2b_base64(value + "=" * (-len(value) % 4))
    except binascii.Error:
        return value.encode("latin-1")
