"""Values printed the way `temporal` (Go) prints them, so `tempo` output reads and parses the same:
durations (Go's ``time.Duration`` text, with the CLI's spacing), times relative to now (the
CLI's default ``--time-format relative``) or as its ``iso`` and ``raw`` formats, RFC 3339
timestamps and float32 numbers in JSON."""

from __future__ import annotations

import datetime
import enum
import re
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.protobuf.timestamp_pb2 import Timestamp

_NANOS_PER_UNIT = (("h", 3600 * 10**9), ("m", 60 * 10**9))


def _fraction(value: int, digits: int) -> str:
    """``value`` / 10**digits as Go prints it: no trailing zeros, no point if whole."""
    whole, part = divmod(value, 10**digits)
    text = f"{part:0{digits}d}".rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def go_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.5s``, ``2.601993601s``, ``250ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    if nanos < 1000:
        return f"{sign}{nanos}ns"
    if nanos < 10**6:
        return f"{sign}{_fraction(nanos, 3)}µs"
    if nanos < 10**9:
        return f"{sign}{_fraction(nanos, 6)}ms"
    out = ""
    for unit, size in _NANOS_PER_UNIT:
        count, nanos = divmod(nanos, size)
        if count or out:
            out += f"{count}{unit}"
    return f"{sign}{out}{_fraction(nanos, 9)}s"


def cli_duration(nanos: int) -> str:
    """A duration as `temporal` shows it in tables: Go's text, whole days split off, a space
    between the fields (``1m 12.73355402s``, ``3d 0h 0m 0s``)."""

    def days(match: re.Match[str]) -> str:
        hours = int(match.group(0)[:-1])
        return f"{hours // 24}d{hours % 24}h" if hours >= 24 else match.group(0)

    text = re.sub(r"\d+h", days, go_duration(nanos))
    return re.sub(r"[a-zµ]+", lambda m: m.group(0) + " ", text).strip()


_DAY = 86400
_MONTH = 30 * _DAY  # go-humanize's month and year: 30 days, 12 of them
_YEAR = 12 * _MONTH
# go-humanize's magnitudes (humanize.Time, which `temporal` formats times with): below each
# bound, the words, and what the difference is counted in (None: the words say it all).
_RELATIVE: tuple[tuple[float, str, int | None], ...] = (
    (1, "now", None),
    (2, "1 second {}", None),
    (60, "{} seconds {}", 1),
    (120, "1 minute {}", None),
    (3600, "{} minutes {}", 60),
    (7200, "1 hour {}", None),
    (_DAY, "{} hours {}", 3600),
    (2 * _DAY, "1 day {}", None),
    (7 * _DAY, "{} days {}", _DAY),
    (14 * _DAY, "1 week {}", None),
    (_MONTH, "{} weeks {}", 7 * _DAY),
    (2 * _MONTH, "1 month {}", None),
    (_YEAR, "{} months {}", _MONTH),
    (18 * _MONTH, "1 year {}", None),
    (2 * _YEAR, "2 years {}", None),
    (37 * _YEAR, "{} years {}", _YEAR),
    (float("inf"), "a long while {}", None),
)


def relative_time(when: datetime.datetime, now: datetime.datetime) -> str:
    """``2 seconds ago``, ``1 minute ago``, ``now``, ``3 weeks from now``: the CLI's relative
    times (go-humanize's Time)."""
    seconds = (now - when).total_seconds()
    suffix = "ago" if seconds >= 0 else "from now"
    seconds = abs(seconds)
    for bound, words, unit in _RELATIVE:
        if seconds < bound:
            if unit is None:
                return words.format(suffix)
            return words.format(int(seconds // unit), suffix)
    return "now"  # not reached: the last bound is infinite


class TimeFormat(enum.StrEnum):
    """`--time-format`: how tables show times, with `temporal`'s choices and default."""

    relative = "relative"
    iso = "iso"
    raw = "raw"


TIME_FORMATS = tuple(choice.value for choice in TimeFormat)


def iso_time(when: datetime.datetime) -> str:
    """Go's ``time.RFC3339`` of a time in UTC, the fraction of a second dropped
    (``2026-12-07T00:52:05Z``): how `temporal` shows the times of `workflow show` and
    `schedule list-matching-times` whatever its ``--time-format``, and a table's with ``iso``."""
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cli_time(when: datetime.datetime, nanos: int, time_format: str, now: datetime.datetime) -> str:
    """A time as `temporal` shows it in a table with ``--time-format``: ``2 seconds ago``
    (relative to ``now``), ``2026-12-07T00:52:05Z`` (iso: RFC 3339, whole seconds) or
    ``2026-12-07 00:52:05.989433891 +0000 UTC`` (raw: Go's ``time.Time.String()``). ``nanos``
    is the fraction of a second, which ``when`` holds only to the microsecond."""
    if time_format == TimeFormat.relative:
        return relative_time(when, now)
    if time_format == TimeFormat.iso:
        return iso_time(when)
    base = when.astimezone(datetime.UTC)
    fraction = f"{nanos:09d}".rstrip("0")
    return base.strftime("%Y-%m-%d %H:%M:%S") + (f".{fraction}" if fraction else "") + " +0000 UTC"


def cli_timestamp(timestamp: Timestamp, time_format: str, now: datetime.datetime) -> str:
    """:func:`cli_time` of a protobuf timestamp (its nanoseconds kept for the raw format)."""
    return cli_time(timestamp.ToDatetime(datetime.UTC), timestamp.nanos, time_format, now)


def rfc3339_nano(when: datetime.datetime, nanos: int) -> str:
    """Go's RFC 3339 with nanoseconds, trailing zeros dropped (``2026-12-04T21:29:57.854339109Z``)."""
    base = when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def float32_number(value: float) -> int | float:
    """A float32 as Go's JSON writes it: the shortest text that reads back as the same float32,
    a whole number without a fraction."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    if single == int(single) and abs(single) < 1e21:
        return int(single)
    for digits in range(1, 10):
        shortest = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shortest))[0] == single:
            return shortest
    return single


def float64_number(value: float) -> int | float:
    """A float64 as Go's JSON writes it: a whole number without a fraction."""
    return int(value) if value == int(value) else value
