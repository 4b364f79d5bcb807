"""Request ids: the idempotency key of each call that changes something (and a workflow id
nobody chose). Apart from the client, so that the `tempo` commands' lean path
(`tempo_cli._lean_commands`) makes them the same way without loading it."""

from __future__ import annotations

import os


def request_id() -> str:
    """A new random UUID as text, exactly as ``str(uuid.uuid4())`` makes it: a request id (an
    idempotency key), a default workflow id. Not through `uuid`, which loads `platform` (2 ms of
    a `tempo` command)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
