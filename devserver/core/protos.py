"""Small helpers between Python values and protobuf well-known types."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

_Enum = TypeVar("_Enum")


def with_value_names(enum: _Enum) -> _Enum:
    """A protobuf enum (its wrapper object) whose value names are plain attributes.

    `EventType.EVENT_TYPE_...` on the wrapper protobuf generates goes through its
    `__getattr__` (a descriptor lookup inside a try) every time; the core reads such names
    dozens of times per workflow. The copy is of the same class, with the same methods and
    values, so callers and type checkers see no difference; the shared wrapper is untouched.
    """
    names = object.__new__(type(enum))
    vars(names).update(vars(enum))
    vars(names).update(enum.items())  # type: ignore[attr-defined]
    return names


def seconds_of(duration: Duration) -> float:
    """A Duration as float seconds (0.0 when unset)."""
    return duration.seconds + duration.nanos / 1e9


# The real server caps durations at 100 years (and rejects negative ones) before recording them.
MAX_DURATION_SECONDS = 100 * 365 * 24 * 3600


def duration_error(value: Duration) -> str | None:
    """Why the real server refuses a duration (its wording), or None if it takes it."""
    if (value.seconds > 0 and value.nanos < 0) or (value.seconds < 0 and value.nanos > 0):
        return "duration has seconds and nanos with different signs"
    if seconds_of(value) < 0:
        return "negative duration"
    return None


def capped(value: Duration) -> Duration:
    """A valid duration as the real server records it: at most 100 years."""
    if seconds_of(value) > MAX_DURATION_SECONDS:
        return Duration(seconds=MAX_DURATION_SECONDS)
    return Duration(seconds=value.seconds, nanos=value.nanos)


# Durations and times a client sends may be any int64 of seconds; what the server computes from
# them is kept within what protobuf and datetime can hold (reliability helper: found by fuzzing,
# a continue-as-new with a backoff of 2**63 s failed the call with INTERNAL).
_LARGEST_SECONDS = 315_576_000_000  # protobuf's documented Duration range, ~10,000 years
_LATEST_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z


def duration(seconds: float) -> Duration:
    whole, nanos = duration_parts(seconds)
    return Duration(seconds=whole, nanos=nanos)


def duration_parts(seconds: float) -> tuple[int, int]:
    """The seconds and nanoseconds of a Duration (clamped to what one can hold)."""
    seconds = max(-_LARGEST_SECONDS, min(_LARGEST_SECONDS, seconds))
    whole = int(seconds)
    return whole, round((seconds - whole) * 1e9)


def set_duration(target: Duration, seconds: float) -> None:
    """Set a message's Duration field in place (no Duration made and copied in)."""
    target.seconds, target.nanos = duration_parts(seconds)


def epoch_parts(epoch_seconds: float) -> tuple[int, int]:
    """The seconds and nanoseconds of a Timestamp of an epoch (clamped to 0 .. year 9999)."""
    epoch_seconds = max(0.0, min(_LATEST_EPOCH, epoch_seconds))
    whole = int(epoch_seconds)
    return whole, round((epoch_seconds - whole) * 1e9)


def timestamp(epoch_seconds: float) -> Timestamp:
    seconds, nanos = epoch_parts(epoch_seconds)
    return Timestamp(seconds=seconds, nanos=nanos)


def set_timestamp(target: Timestamp, epoch_seconds: float) -> None:
    """Set a message's Timestamp field in place (no Timestamp made and copied in)."""
    target.seconds, target.nanos = epoch_parts(epoch_seconds)


def clamp_epoch(epoch_seconds: float) -> float:
    """An epoch that datetime can represent (0 .. year 9999)."""
    return max(0.0, min(_LATEST_EPOCH, epoch_seconds))
