"""How the UI writes times, durations and values: pure functions, no Textual.

Times are shown in one zone the user picks (local by default, UTC with a key), never
relative to "now", so a screen reads the same whenever it is drawn (and snapshot
tests stay stable).
"""

from __future__ import annotations

import datetime
import json
from typing import Any


def zone(utc: bool) -> datetime.tzinfo | None:
    """The zone times are shown in: UTC, or ``None`` for the machine's local zone."""
    return datetime.UTC if utc else None


def zone_name(tz: datetime.tzinfo | None) -> str:
    """What to call the zone times are shown in: ``UTC``, or the local zone's abbreviation
    (``CET``), or its offset (``+0530``) where it has none."""
    if tz is not None:
        return datetime.datetime.now(tz).tzname() or "UTC"
    local = datetime.datetime.now().astimezone()
    name = local.tzname() or ""
    return name if name.isalpha() else local.strftime("%z")


def timestamp(when: datetime.datetime | None, tz: datetime.tzinfo | None, *, with_zone: bool = False) -> str:
    """``2024-05-01 12:34:56`` in the given zone (``None``: local), or empty; ``with_zone``
    adds the zone's name (where no column header says it)."""
    if when is None:
        return ""
    text = when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {zone_name(tz)}" if with_zone else text


def short_timestamp(when: datetime.datetime | None, tz: datetime.tzinfo | None) -> str:
    """``05-01 12:34:56``: the year left out, for narrow screens."""
    if when is None:
        return ""
    return when.astimezone(tz).strftime("%m-%d %H:%M:%S")


def time_of_day(when: datetime.datetime | None, tz: datetime.tzinfo | None) -> str:
    """``12:34:56.789`` in the given zone: history events of one run share their date."""
    if when is None:
        return ""
    local = when.astimezone(tz)
    return local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def duration(seconds: float | None) -> str:
    """A short human duration: ``850ms``, ``2.5s``, ``3m 05s``, ``2h 03m``, ``4d 02h``."""
    if seconds is None:
        return ""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def between(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    """Seconds from ``start`` to ``end``; ``None`` unless both are known."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def one_line(value: Any, limit: int = 120) -> str:
    """A value as one line of JSON, shortened with an ellipsis past ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty(value: Any) -> str:
    """A value as indented JSON, for detail views."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
