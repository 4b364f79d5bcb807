"""Small helpers between Python values and protobuf well-known types."""

from __future__ import annotations

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp


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


def duration(seconds: float) -> Duration:
    whole = int(seconds)
    return Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def timestamp(epoch_seconds: float) -> Timestamp:
    whole = int(epoch_seconds)
    return Timestamp(seconds=whole, nanos=round((epoch_seconds - whole) * 1e9))
