"""Cron strings as the real server's parser (robfig/cron, standard) reads them: what they accept,
and the next times they name (devserver/core/cron.py, no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devserver.core import cron

# A Friday, half a second past 15:59:30.
AT = datetime(2026, 12, 4, 15, 59, 30, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("* * * * *", "2026-12-04T16:00:00+00:00"),
        ("*/15 * * * *", "2026-12-04T16:00:00+00:00"),
        ("5,35 15 * * *", "2026-12-05T15:05:00+00:00"),
        ("0 9 * * MON-FRI", "2026-12-07T09:00:00+00:00"),
        ("0 0 1 JAN *", "2027-01-01T00:00:00+00:00"),
        # Both day fields restricted: the 13th or a Friday, whichever comes first.
        ("0 0 13 * 5", "2026-12-11T00:00:00+00:00"),
        ("0 0 13 * *", "2026-12-13T00:00:00+00:00"),
        ("0 0 29 2 *", "2028-02-29T00:00:00+00:00"),
        ("@hourly", "2026-12-04T16:00:00+00:00"),
        ("@daily", "2026-12-05T00:00:00+00:00"),
        ("@weekly", "2026-12-06T00:00:00+00:00"),
        ("@monthly", "2027-01-01T00:00:00+00:00"),
        ("@yearly", "2027-01-01T00:00:00+00:00"),
        # @every drops the fraction of a second, then adds the delay.
        ("@every 2s", "2026-12-04T15:59:32+00:00"),
        ("@every 1h30m", "2026-12-04T17:29:30+00:00"),
        ("CRON_TZ=America/New_York 0 6 * * *", "2026-12-05T06:00:00-05:00"),
    ],
)
def test_the_next_time_a_schedule_names(spec: str, expected: str) -> None:
    following = cron.parse(spec).next_after(AT)
    assert following is not None and following.isoformat() == expected


def test_a_time_on_the_schedule_is_not_its_own_next_time() -> None:
    on_the_hour = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert cron.parse("0 * * * *").next_after(on_the_hour) == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "* * * *",
        "0 0 * * * *",
        "61 * * * *",
        "* 24 * * *",
        "@bogus",
        "x * * * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "@every xs",
        "CRON_TZ=Nowhere/Else * * * * *",
    ],
)
def test_strings_the_real_parser_refuses(spec: str) -> None:
    with pytest.raises(cron.CronError):
        cron.parse(spec)


def test_a_date_that_never_comes_names_no_time() -> None:
    assert cron.parse("0 0 30 2 *").next_after(AT) is None


def test_the_backoff_counts_from_the_scheduled_time_to_the_first_time_not_past() -> None:
    scheduled = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    # A run scheduled at 16:00 that ends at 16:02:10 waits until 16:05 for a five-minute schedule.
    late = datetime(2026, 12, 4, 16, 2, 10, tzinfo=UTC)
    assert cron.backoff_for_next("*/5 * * * *", scheduled, late) == 170.0
    # Rounded up to whole seconds.
    assert cron.backoff_for_next("@every 2s", AT, AT) == 2.0
    assert cron.backoff_for_next("not cron", AT, AT) is None
