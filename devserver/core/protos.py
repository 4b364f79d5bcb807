"""Small helpers between Python values and protobuf well-known types."""

from __future__ import annotations

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp


def seconds_of(duration: Duration) -> float:
    """A Duration as float seconds (0.0 when unset)."""
    return duration.seconds + duration.nanos / 1e9


def duration(seconds: float) -> Duration:
    whole = int(seconds)
    return Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def timestamp(epoch_seconds: float) -> Timestamp:
    whole = int(epoch_seconds)
    return Timestamp(seconds=whole, nanos=round((epoch_seconds - whole) * 1e9))


def epoch_of(ts: Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9
