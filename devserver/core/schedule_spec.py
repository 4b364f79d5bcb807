"""Schedule specs as the real server reads them, and the action times they name.

A `ScheduleSpec` names times three ways: calendars (`CalendarSpec`, text fields such as
"1-5/2,8"; `StructuredCalendarSpec`, the same as ranges), cron strings, and intervals
(every `interval`, offset by `phase`, counted from the epoch). The real server turns
calendars and cron strings into structured calendars when a schedule is created
(`canonicalize`); DescribeSchedule shows that canonical form (`clean` fills in default
range ends and steps). Schedule cron strings are not robfig/cron's: five fields, or six
with a year, or seven with seconds first and a year last; an optional `# comment`;
`CRON_TZ=`/`TZ=`; `@every <interval>[/<phase>]`; a day must match both the day-of-month
and day-of-week fields (they are ANDed, as every calendar field).

`CompiledSpec.next_time(after)` is the first time strictly after `after` that a calendar
or interval names, not excluded, within start/end time, with its jitter. Times are whole
seconds (jitter adds milliseconds). Pure: nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from temporalio.api.schedule.v1 import message_pb2 as schedule_pb

from devserver.core import cron
from devserver.core.protos import seconds_of

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_COMMENT = 200
# How many excluded times in a row are skipped before the search gives up (None: no more
# times). The real server searches on to year 2100; this bound keeps one search under a second.
_MAX_EXCLUDED = 5000

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]  # fmt: skip
_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_PREDEFINED = cron.DESCRIPTORS
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


_END_OF_CALENDAR = int(datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())


class SpecError(ValueError):
    """A spec the real server refuses; the message is the real one (after "Invalid schedule spec: ")."""


# ---- canonical form -------------------------------------------------------------------------


def canonicalize(spec: schedule_pb.ScheduleSpec) -> schedule_pb.ScheduleSpec:
    """The spec with calendars and cron strings as structured calendars (a copy); SpecError if invalid."""
    out = schedule_pb.ScheduleSpec()
    out.CopyFrom(spec)
    del out.calendar[:]
    del out.exclude_calendar[:]
    del out.cron_string[:]
    for cal in spec.calendar:
        out.structured_calendar.append(structured_of(cal))
    for cal in spec.exclude_calendar:
        out.exclude_structured_calendar.append(structured_of(cal))
    unset = object()
    cron_zone: object = unset
    for text in spec.cron_string:
        structured, interval, zone = parse_cron_string(text)
        if cron_zone is not unset and zone != cron_zone:
            raise SpecError("conflicting timezone names")
        cron_zone = zone
        if structured is not None:
            out.structured_calendar.append(structured)
        if interval is not None:
            out.interval.append(interval)
    if isinstance(cron_zone, str) and cron_zone:
        if (out.timezone_name and out.timezone_name != cron_zone) or out.timezone_data:
            raise SpecError("conflicting timezone names")
        out.timezone_name = cron_zone
    for structured in out.structured_calendar:
        _check_structured(structured)
    for interval in out.interval:
        every, phase = seconds_of(interval.interval), seconds_of(interval.phase)
        if every < 1:
            raise SpecError("interval is too small")
        if phase < 0:
            raise SpecError("phase is negative")
        if phase >= every:
            raise SpecError("phase cannot be greater than Interval")
    _zone(out)
    return out


def clean(spec: schedule_pb.ScheduleSpec) -> schedule_pb.ScheduleSpec:
    """The spec as DescribeSchedule shows it: each range with its end (at least its start) and step."""
    out = schedule_pb.ScheduleSpec()
    out.CopyFrom(spec)
    for cal in list(out.structured_calendar) + list(out.exclude_structured_calendar):
        for ranges in (cal.second, cal.minute, cal.hour, cal.day_of_month, cal.month, cal.year, cal.day_of_week):
            for r in ranges:
                r.end = max(r.end, r.start)
                r.step = r.step or 1
    return out


def structured_of(cal: schedule_pb.CalendarSpec) -> schedule_pb.StructuredCalendarSpec:
    """A CalendarSpec's text fields as ranges (empty fields take the real server's defaults)."""
    errors: list[str] = []

    def ranges(text: str, name: str, default: str, low: int, high: int, mode: str) -> list[schedule_pb.Range]:
        try:
            return _ranges(text, name, default, low, high, mode)
        except SpecError as err:
            errors.append(str(err))
            return []

    out = schedule_pb.StructuredCalendarSpec(
        second=ranges(cal.second, "Second", "0", 0, 59, "int"),
        minute=ranges(cal.minute, "Minute", "0", 0, 59, "int"),
        hour=ranges(cal.hour, "Hour", "0", 0, 23, "int"),
        day_of_week=ranges(cal.day_of_week, "DayOfWeek", "*", 0, 7, "dow"),
        day_of_month=ranges(cal.day_of_month, "DayOfMonth", "*", 1, 31, "int"),
        month=ranges(cal.month, "Month", "*", 1, 12, "month"),
        year=ranges(cal.year, "Year", "*", MIN_YEAR, MAX_YEAR, "year"),
        comment=cal.comment,
    )
    if errors:
        raise SpecError(", ".join(errors))
    return out


def parse_cron_string(
    text: str,
) -> tuple[schedule_pb.StructuredCalendarSpec | None, schedule_pb.IntervalSpec | None, str]:
    """A schedule cron string: (calendar or None, interval or None, its time zone name or "")."""
    text = text.strip()
    zone = ""
    if text.startswith(("TZ=", "CRON_TZ=")):
        head, sep, rest = text.partition(" ")
        if not sep:
            raise SpecError("CronString has time zone but missing fields")
        text = rest
        zone = head.partition("=")[2]
    text, _, comment = text.partition("#")
    text, comment = text.strip(), comment.strip()
    if text.startswith("@every"):
        _, sep, rest = text.partition(" ")
        if not sep:
            raise SpecError("CronString does not have interval after @every")
        every, _, phase = rest.partition("/")
        interval = schedule_pb.IntervalSpec()
        interval.interval.FromNanoseconds(round(_go_duration(every) * 1e9))
        if phase:
            interval.phase.FromNanoseconds(round(_go_duration(phase) * 1e9))
        return None, interval, ""
    text = _PREDEFINED.get(text, text)
    fields = text.split()
    cal = schedule_pb.CalendarSpec(comment=comment)
    if len(fields) == 5:
        cal.minute, cal.hour, cal.day_of_month, cal.month, cal.day_of_week = fields
    elif len(fields) == 6:
        cal.minute, cal.hour, cal.day_of_month, cal.month, cal.day_of_week, cal.year = fields
    elif len(fields) == 7:
        cal.second, cal.minute, cal.hour, cal.day_of_month, cal.month, cal.day_of_week, cal.year = fields
    else:
        raise SpecError("CronString does not have 5-7 fields")
    return structured_of(cal), None, zone


def _go_duration(text: str) -> float:
    """A duration as Go's time.ParseDuration reads it (plus `d` for days, as the real server's)."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body == "0":
        return 0.0
    total, pos = 0.0, 0
    for match in _GO_DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise SpecError(f'time: invalid duration "{text}"')
    return sign * total


def _ranges(text: str, name: str, default: str, low: int, high: int, mode: str) -> list[schedule_pb.Range]:
    text = text.strip() or default
    if text == "*" and mode == "year":
        return []  # every year is an empty list
    out: list[schedule_pb.Range] = []
    for part in text.split(","):
        step, has_step = 1, False
        if part.count("/") > 1:
            raise SpecError(f"{name} has too many slashes")
        if "/" in part:
            part, step_text = part.split("/")
            if not step_text:
                raise SpecError(f"{name} missing step value")
            step = _atoi(step_text)
            if step < 1:
                raise SpecError(f"{name} has invalid Step")
            has_step = True
        start, end = low, high
        if part != "*":
            if "-" in part:
                if part.count("-") > 1:
                    raise SpecError(f"{name} has too many dashes")
                first, last = part.split("-")
                start = _value(first, low, high, mode, f"{name} Start is not in range [{low}-{high}]")
                end = _value(last, start, high, mode, f"{name} End is before Start or not in range [{low}-{high}]")
            else:
                start = _value(part, low, high, mode, f"{name} is not in range [{low}-{high}]")
                if not has_step:
                    end = start
        if mode == "dow" and end == 7:
            # Sunday may be written 7: it becomes 0, in a range of its own when needed.
            if (7 - start) % step == 0 and (step > 1 or start > 1):
                out.append(schedule_pb.Range(start=0))
                if start == 7:
                    continue
            end = 6
        out.append(schedule_pb.Range(start=start, end=0 if end == start else end, step=0 if step == 1 else step))
    return out


def _atoi(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise SpecError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def _value(text: str, low: int, high: int, mode: str, message: str) -> int:
    names = _MONTHS if mode == "month" else _DAYS if mode == "dow" else None
    if names is not None and len(text) >= (3 if mode == "month" else 2):
        lowered = text.lower()
        for i, candidate in enumerate(names):
            if candidate.startswith(lowered):
                value = i + 1 if mode == "month" else i
                if not low <= value <= high:
                    raise SpecError(message)
                return value
    if not re.fullmatch(r"[+-]?\d+", text):
        raise SpecError(message)
    value = int(text)
    if not low <= value <= high:
        raise SpecError(message)
    return value


def _check_structured(cal: schedule_pb.StructuredCalendarSpec) -> None:
    errors: list[str] = []
    fields = (
        (cal.second, "Second", 0, 59),
        (cal.minute, "Minute", 0, 59),
        (cal.hour, "Hour", 0, 23),
        (cal.day_of_month, "DayOfMonth", 1, 31),
        (cal.month, "Month", 1, 12),
        (cal.year, "Year", MIN_YEAR, MAX_YEAR),
        (cal.day_of_week, "DayOfWeek", 0, 6),
    )
    for ranges, name, low, high in fields:
        for r in ranges:
            if not low <= r.start <= high:
                errors.append(f"{name} Start is not in range [{low}-{high}]")
            if r.end != 0 and (r.end < r.start or r.end > high):
                errors.append(f"{name} End is before Start or not in range [{low}-{high}]")
            if r.step < 0:
                errors.append(f"{name} has invalid Step")
    if len(cal.comment) > MAX_COMMENT:
        errors.append("comment is too long")
    if errors:
        raise SpecError("invalid calendar spec: " + ", ".join(errors))


def _zone(spec: schedule_pb.ScheduleSpec) -> ZoneInfo | None:
    name = spec.timezone_name
    if spec.timezone_data:
        raise SpecError("timezone_data is not supported by this server")
    if name in ("", "UTC"):
        return None
    if name == "Local":
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # with the first zone: 1 ms of every start

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError(f"unknown time zone {name}") from None


# ---- next times -----------------------------------------------------------------------------


def _values(ranges: Iterable[schedule_pb.Range], low: int, high: int) -> frozenset[int]:
    """The values a field's ranges allow."""
    out: set[int] = set()
    for r in ranges:
        step = r.step or 1
        end = max(r.end, r.start)
        out.update(range(r.start, end + 1, step))
    return frozenset(v for v in out if low <= v <= high)


@dataclass(frozen=True)
class _Calendar:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    years: frozenset[int] | None  # None: every year

    @classmethod
    def of(cls, cal: schedule_pb.StructuredCalendarSpec) -> _Calendar:
        years = _values(cal.year, MIN_YEAR, MAX_YEAR) if len(cal.year) else None
        return cls(
            seconds=_values(cal.second, 0, 59),
            minutes=_values(cal.minute, 0, 59),
            hours=_values(cal.hour, 0, 23),
            days_of_month=_values(cal.day_of_month, 1, 31),
            months=_values(cal.month, 1, 12),
            days_of_week=_values(cal.day_of_week, 0, 6),
            years=years,
        )

    def matches_local(self, t: datetime) -> bool:
        return (
            (self.years is None or t.year in self.years)
            and t.month in self.months
            and t.day in self.days_of_month
            and t.isoweekday() % 7 in self.days_of_week
            and t.hour in self.hours
            and t.minute in self.minutes
            and t.second in self.seconds
        )

    def next_local(self, t: datetime) -> datetime | None:
        """The first wall-clock time at or after the naive `t` that matches."""
        while t.year <= MAX_YEAR:
            if self.years is not None and t.year not in self.years:
                t = datetime(t.year + 1, 1, 1)
                continue
            if t.month not in self.months:
                t = datetime(t.year + 1, 1, 1) if t.month == 12 else datetime(t.year, t.month + 1, 1)
                continue
            if t.day not in self.days_of_month or t.isoweekday() % 7 not in self.days_of_week:
                t = datetime(t.year, t.month, t.day) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
                continue
            if t.second not in self.seconds:
                t += timedelta(seconds=1)
                continue
            return t
        return None

    def next(self, after: int, zone: ZoneInfo | None) -> int | None:
        """The first instant (epoch seconds) strictly after `after` that matches in `zone`.

        A wall-clock time that a DST change skips does not happen; one it repeats happens
        twice (as on the real server).
        """
        if zone is None:
            local = self.next_local(datetime.fromtimestamp(after + 1, UTC).replace(tzinfo=None))
            return None if local is None else int(local.replace(tzinfo=UTC).timestamp())
        # Search from an hour earlier in wall-clock time: a repeated hour may hold the answer.
        start = datetime.fromtimestamp(after, zone).replace(tzinfo=None) - timedelta(hours=1)
        best: int | None = None
        local = self.next_local(start)
        while local is not None:
            for fold in (0, 1):
                aware = local.replace(tzinfo=zone, fold=fold)
                if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
                    continue  # skipped by a DST change
                instant = int(aware.timestamp())
                if instant > after and (best is None or instant < best):
                    best = instant
            if best is not None:
                best_local = datetime.fromtimestamp(best, zone).replace(tzinfo=None)
                if local > best_local + timedelta(hours=2):
                    break
            local = self.next_local(local + timedelta(seconds=1))
        return best


@dataclass(frozen=True)
class NextTime:
    nominal: int  # epoch seconds, before jitter
    next: float  # epoch seconds, with jitter


class CompiledSpec:
    """A canonical spec ready to name times."""

    def __init__(self, spec: schedule_pb.ScheduleSpec) -> None:
        self.spec = spec
        self.zone = _zone(spec)
        self.calendars = [_Calendar.of(cal) for cal in spec.structured_calendar]
        self.excludes = [_Calendar.of(cal) for cal in spec.exclude_structured_calendar]
        self.intervals = [
            (max(int(seconds_of(iv.interval)), 1), max(int(seconds_of(iv.phase)), 0)) for iv in spec.interval
        ]
        self.start = seconds_of_time(spec.start_time) if spec.HasField("start_time") else None
        self.end = seconds_of_time(spec.end_time) if spec.HasField("end_time") else None
        self.jitter = seconds_of(spec.jitter)

    def _raw_next(self, after: int) -> int | None:
        found: list[int] = []
        for cal in self.calendars:
            nxt = cal.next(after, self.zone)
            if nxt is not None:
                found.append(nxt)
        for every, phase in self.intervals:
            found.append(((after - phase) // every + 1) * every + phase)
        return min(found) if found else None

    def _excluded(self, instant: int) -> bool:
        if not self.excludes:
            return False
        local = datetime.fromtimestamp(instant, self.zone or UTC).replace(tzinfo=None)
        return any(cal.matches_local(local) for cal in self.excludes)

    def next_time(self, after: float, seed: str = "") -> NextTime | None:
        """The first action time strictly after `after` (whole seconds), or None if none comes."""
        cursor = int(after // 1)
        if self.start is not None:
            cursor = max(cursor, int(self.start // 1) - 1)
        if cursor >= _END_OF_CALENDAR:
            return None  # nothing is named after year 2100 (as on the real server)
        cursor = max(cursor, 0)
        for _ in range(_MAX_EXCLUDED):
            nominal = self._raw_next(cursor)
            if nominal is None or (self.end is not None and nominal > self.end):
                return None
            if datetime.fromtimestamp(nominal, UTC).year > MAX_YEAR:
                return None
            if not self._excluded(nominal):
                break
            cursor = nominal
        else:
            return None
        if self.jitter <= 0:
            return NextTime(nominal, float(nominal))
        max_jitter = self.jitter
        following = self._raw_next(nominal)
        if following is not None:
            max_jitter = min(max_jitter, following - nominal)
        return NextTime(nominal, nominal + _jitter(seed, nominal, max_jitter))

    def times_between(self, start: float, end: float, seed: str = "", limit: int = 1000) -> list[float]:
        """Action times t with start < t <= end (ListScheduleMatchingTimes), at most `limit`."""
        out: list[float] = []
        cursor = start
        while len(out) < limit:
            nxt = self.next_time(cursor, seed)
            if nxt is None or nxt.next > end:
                break
            out.append(nxt.next)
            cursor = nxt.next
        return out


def _jitter(seed: str, nominal: int, max_jitter: float) -> float:
    """A deterministic offset in [0, max_jitter), whole milliseconds, from the time and the seed."""
    ms = int(max(max_jitter, 0.0) * 1000)
    if ms <= 0:
        return 0.0
    digest = hashlib.blake2b(f"{nominal}:{seed}".encode(), digest_size=4).digest()
    return ((int.from_bytes(digest, "big") * min(ms, 0xFFFFFFFF)) >> 32) / 1000.0


def seconds_of_time(ts: object) -> float:
    return ts.seconds + ts.nanos / 1e9  # type: ignore[attr-defined]
