"""Identifiers the server mints: run ids (UUIDv7, like the real server) and task ids."""

from __future__ import annotations

import itertools
import os
import time

# Without the `uuid` module: it imports `platform`, together 1.5 ms of the server's start-up.

_task_ids = itertools.count(1_048_576)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class _RandomBits:
    """Random integers cut from the operating system's random bytes, fetched 4 KiB at a time.

    Every workflow mints a handful of ids (its run id, a request id per task it hands out, a
    query's id), and each `os.urandom` is a system call: on a machine where those are dear (a
    virtual machine's, say), they were 2-3% of the server's CPU per workflow. The bytes are as
    random as `os.urandom`'s; a forked child fetches its own (it must not repeat its parent's).
    """

    _POOL = 4096

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        os.register_at_fork(after_in_child=self.drop)

    def drop(self) -> None:
        self._pool, self._at = b"", 0

    def take(self, nbytes: int) -> int:
        at = self._at
        if at + nbytes > len(self._pool):
            self._pool, at = os.urandom(self._POOL), 0
        self._at = at + nbytes
        return int.from_bytes(self._pool[at : at + nbytes], "big")


_random_bits = _RandomBits()


def new_run_id() -> str:
    """A UUIDv7: time-ordered, so runs sort by creation like on Temporal."""
    millis = time.time_ns() // 1_000_000
    rand = _random_bits.take(10)
    return _uuid_text(_v7(millis, rand))


def random_uuid() -> str:
    """A random UUID (version 4, the RFC 4122 variant), written as `str(uuid.uuid4())` is."""
    value = _random_bits.take(16)
    value = (value & ~(0xF000 << 64)) | (4 << 76)
    value = (value & ~(0xC000 << 48)) | (0x8000 << 48)
    return _uuid_text(value)


def is_uuid(text: str) -> bool:
    """Whether `uuid.UUID(text)` reads ``text`` (the real server's check of a run id)."""
    hyphens_in_place = len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-"
    if hyphens_in_place and _HEX_DIGITS.issuperset(text.replace("-", "")):
        return True
    import uuid  # the other spellings it reads: braces, `urn:uuid:`, no hyphens

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _uuid_text(value: int) -> str:
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _v7(millis: int, rand: int) -> int:
    rand_a = rand & 0xFFF
    rand_b = (rand >> 12) & ((1 << 62) - 1)
    return (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b


def next_task_id() -> int:
    return next(_task_ids)


def advance_task_ids(past: int) -> None:
    """Make later task ids larger than `past` (used after loading stored history)."""
    global _task_ids
    current = next(_task_ids)
    _task_ids = itertools.count(max(current, past + 1))
