"""Cron strings as Temporal reads them, and the next time they name.

The real server parses `cron_schedule` with robfig/cron's standard parser: five fields
(minute, hour, day of month, month, day of week), or a descriptor (`@yearly`, `@annually`,
`@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`), optionally
after `CRON_TZ=<zone>` (or `TZ=<zone>`). Fields take `*`, `?`, numbers, names (JAN-DEC,
SUN-SAT), ranges `a-b`, steps `/n` and lists `a,b`. When both the day of month and the day
of week are restricted, a day matching either one matches. Times are whole seconds; the next
time is always strictly after the one given.

Pure: no clock is read here. Schedules (issue 18) build on the same parser.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


class CronError(ValueError):
    """A cron string the real server's parser refuses."""


@dataclass(frozen=True)
class _Field:
    """One field of a cron expression: its range and the names it accepts."""

    name: str
    low: int
    high: int
    names: dict[str, int]


_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _DAYS),
)
# robfig/cron's descriptors (schedule cron strings take the same ones: core/schedule_spec.py).
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# How far ahead a schedule is searched before it is judged to never fire (as robfig/cron).
_SEARCH_YEARS = 5


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron string: the set of values each field allows, or a constant delay."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days_of_month: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    # Whether the day fields were unrestricted (`*` or `?`): then both must match.
    any_day_of_month: bool = True
    any_day_of_week: bool = True
    every: float = 0.0  # seconds, for `@every`
    zone: tzinfo = UTC

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after `moment` that the schedule names, or None if none comes."""
        if self.every:
            # robfig/cron: drop the fraction of a second, then add the delay.
            return moment.replace(microsecond=0) + timedelta(seconds=self.every)
        local = moment.astimezone(self.zone).replace(microsecond=0) + timedelta(seconds=1)
        local = local.replace(second=0)
        if local <= moment.astimezone(self.zone):
            local += timedelta(minutes=1)
        limit = local.year + _SEARCH_YEARS
        naive = local.replace(tzinfo=None)
        while naive.year <= limit:
            if naive.month not in self.months:
                naive = _first_of_next_month(naive)
                continue
            if not self._day_matches(naive):
                naive = (naive + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if naive.hour not in self.hours:
                naive = (naive + timedelta(hours=1)).replace(minute=0)
                continue
            if naive.minute not in self.minutes:
                naive += timedelta(minutes=1)
                continue
            return _in_zone(naive, self.zone)
        return None

    def _day_matches(self, day: datetime) -> bool:
        in_month = day.day in self.days_of_month
        in_week = (day.isoweekday() % 7) in self.days_of_week
        if self.any_day_of_month or self.any_day_of_week:
            return in_month and in_week
        return in_month or in_week


def parse(text: str) -> CronSchedule:
    """A cron string, as robfig/cron's standard parser reads it; CronError if it does not."""
    spec = text.strip()
    zone: tzinfo = UTC
    if spec.startswith(("CRON_TZ=", "TZ=")):
        head, _, spec = spec.partition(" ")
        name = head.split("=", 1)[1]
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # with the first CRON_TZ: 1 ms of every start

        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise CronError(f"provided bad location {name}") from err
        spec = spec.strip()
    if spec.startswith("@every "):
        seconds = _duration(spec.removeprefix("@every ").strip())
        if seconds < 1:
            seconds = 1.0  # robfig/cron rounds shorter delays up to a second
        return CronSchedule(every=float(math.floor(seconds)), zone=zone)
    if spec.startswith("@"):
        if spec not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec]
    parts = spec.split()
    if len(parts) != len(_FIELDS):
        raise CronError(f"expected exactly 5 fields, found {len(parts)}: {spec}")
    values = [_parse_field(part, field) for part, field in zip(parts, _FIELDS, strict=True)]
    return CronSchedule(
        minutes=values[0][0],
        hours=values[1][0],
        days_of_month=values[2][0],
        months=values[3][0],
        days_of_week=values[4][0],
        any_day_of_month=values[2][1],
        any_day_of_week=values[4][1],
        zone=zone,
    )


def backoff_seconds(text: str, scheduled: float, now: float) -> float | None:
    """`backoff_for_next` for times as seconds since the epoch (the core's clock)."""
    return backoff_for_next(text, datetime.fromtimestamp(scheduled, UTC), datetime.fromtimestamp(now, UTC))


def backoff_for_next(text: str, scheduled: datetime, now: datetime) -> float | None:
    """Whole seconds from `now` to the schedule's next time after `scheduled` that is not before
    `now` (the real server's GetBackoffForNextSchedule), or None if the string does not parse
    or names no time."""
    try:
        schedule = parse(text)
    except CronError:
        return None
    if now < scheduled:
        following: datetime | None = scheduled
    else:
        following = schedule.next_after(scheduled)
        while following is not None and following < now:
            following = schedule.next_after(following)
    if following is None:
        return None
    return float(math.ceil((following - now).total_seconds()))


def _parse_field(text: str, field: _Field) -> tuple[frozenset[int], bool]:
    allowed: set[int] = set()
    unrestricted = False
    for part in text.split(","):
        span, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"failed to parse int from {step_text}")
            step = int(step_text)
        if span in ("*", "?"):
            low, high = field.low, field.high
            unrestricted = unrestricted or step == 1
        else:
            first, dash, last = span.partition("-")
            low = _value(first, field)
            high = _value(last, field) if dash else (field.high if slash else low)
        if low < field.low or high > field.high:
            raise CronError(f"{field.name} out of range ({field.low}-{field.high}): {part}")
        if low > high:
            raise CronError(f"beginning of range ({low}) beyond end of range ({high}): {part}")
        allowed.update(range(low, high + 1, step))
    return frozenset(allowed), unrestricted


def _value(text: str, field: _Field) -> int:
    if text.lower() in field.names:
        return field.names[text.lower()]
    if not re.fullmatch(r"\d+", text):
        raise CronError(f"failed to parse int from {text}")
    return int(text)


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float:
    """A Go duration string (`1h30m`, `90s`, `1.5h`) in seconds."""
    matches = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not matches or "".join(number + unit for number, unit in matches) != text:
        raise CronError(f"failed to parse duration @every {text}")
    return sum(float(number) * _UNITS[unit] for number, unit in matches)


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0)


def _in_zone(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as an aware time; a time a DST change skips moves forward."""
    aware = naive.replace(tzinfo=zone)
    if zone is UTC:
        return aware
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:  # in a gap: the clock jumped over it
        return (aware.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    return aware
