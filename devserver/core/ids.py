"""Identifiers the server mints: run ids (UUIDv7, like the real server) and task ids."""

from __future__ import annotations

import itertools
import os
import time
import uuid

_task_ids = itertools.count(1_048_576)


def new_run_id() -> str:
    """A UUIDv7: time-ordered, so runs sort by creation like on Temporal."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return str(uuid.UUID(int=_v7(millis, rand)))


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
