"""Schedule specs (devserver/core/schedule_spec.py): canonical form and action times, no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb

from devserver.core.schedule_spec import CompiledSpec, SpecError, canonicalize, clean, parse_cron_string


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=datetime.fromisoformat(text).tzinfo or UTC).timestamp())


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def compiled(**fields: object) -> CompiledSpec:
    return CompiledSpec(canonicalize(schedule_pb.ScheduleSpec(**fields)))  # type: ignore[arg-type]


def times(spec: CompiledSpec, start: str, count: int) -> list[str]:
    out, cursor = [], float(epoch(start))
    for _ in range(count):
        nxt = spec.next_time(cursor)
        assert nxt is not None
        out.append(iso(nxt.next))
        cursor = nxt.next
    return out


def interval(seconds: int, phase: int = 0) -> schedule_pb.IntervalSpec:
    spec = schedule_pb.IntervalSpec()
    spec.interval.FromSeconds(seconds)
    if phase:
        spec.phase.FromSeconds(phase)
    return spec


def test_interval_counts_from_the_epoch_with_its_phase() -> None:
    spec = compiled(interval=[interval(3600, 15 * 60)])
    assert times(spec, "2024-05-01T10:20:00+00:00", 2) == ["2024-05-01T11:15:00Z", "2024-05-01T12:15:00Z"]


def test_interval_next_time_is_strictly_after() -> None:
    spec = compiled(interval=[interval(10)])
    assert times(spec, "2024-05-01T10:00:00+00:00", 1) == ["2024-05-01T10:00:10Z"]


def test_calendar_text_fields_become_ranges_with_defaults() -> None:
    structured = canonicalize(
        schedule_pb.ScheduleSpec(calendar=[schedule_pb.CalendarSpec(hour="9-17/4", day_of_week="mon-fri,7")])
    ).structured_calendar[0]
    assert [(r.start, r.end, r.step) for r in structured.hour] == [(9, 17, 4)]
    assert [(r.start, r.end, r.step) for r in structured.second] == [(0, 0, 0)]
    assert [(r.start, r.end, r.step) for r in structured.day_of_month] == [(1, 31, 0)]
    assert len(structured.year) == 0
    # Sunday written as 7 becomes 0, in a range of its own.
    assert [(r.start, r.end) for r in structured.day_of_week] == [(1, 5), (0, 0)]


def test_clean_fills_ends_and_steps_as_describe_shows_them() -> None:
    spec = clean(canonicalize(schedule_pb.ScheduleSpec(calendar=[schedule_pb.CalendarSpec(hour="3")])))
    hour = spec.structured_calendar[0].hour[0]
    assert (hour.start, hour.end, hour.step) == (3, 3, 1)


def test_calendar_matches_every_field_including_both_day_fields() -> None:
    # The 13th that is a Friday, at noon: day of month AND day of week (unlike robfig cron).
    spec = compiled(calendar=[schedule_pb.CalendarSpec(hour="12", day_of_month="13", day_of_week="fri")])
    assert times(spec, "2024-01-01T00:00:00+00:00", 2) == ["2024-09-13T12:00:00Z", "2024-12-13T12:00:00Z"]


def test_cron_string_with_seconds_and_year_and_comment() -> None:
    structured, every, zone = parse_cron_string("30 */15 * * * * 2030 # quarter hours")
    assert every is None and zone == "" and structured is not None
    assert structured.comment == "quarter hours"
    assert [r.start for r in structured.second] == [30]
    assert [r.start for r in structured.year] == [2030]
    spec = compiled(cron_string=["30 */15 * * * * 2030"])
    assert times(spec, "2024-01-01T00:00:00+00:00", 2) == ["2030-01-01T00:00:30Z", "2030-01-01T00:15:30Z"]


def test_cron_every_with_phase_is_an_interval() -> None:
    spec = canonicalize(schedule_pb.ScheduleSpec(cron_string=["@every 14h/3h"]))
    assert len(spec.structured_calendar) == 0
    assert (spec.interval[0].interval.seconds, spec.interval[0].phase.seconds) == (14 * 3600, 3 * 3600)


def test_cron_time_zone_moves_to_the_spec() -> None:
    spec = canonicalize(schedule_pb.ScheduleSpec(cron_string=["CRON_TZ=America/New_York 0 9 * * *"]))
    assert spec.timezone_name == "America/New_York"
    assert times(CompiledSpec(spec), "2024-07-01T00:00:00+00:00", 1) == ["2024-07-01T13:00:00Z"]


def test_time_zone_follows_daylight_saving() -> None:
    spec = compiled(calendar=[schedule_pb.CalendarSpec(hour="9")], timezone_name="Europe/Paris")
    assert times(spec, "2024-03-30T00:00:00+00:00", 2) == ["2024-03-30T08:00:00Z", "2024-03-31T07:00:00Z"]


def test_repeated_hour_happens_twice_and_skipped_hour_not_at_all() -> None:
    spec = compiled(calendar=[schedule_pb.CalendarSpec(hour="2", minute="30")], timezone_name="America/New_York")
    # 2024-11-03 01:30 happens twice in New York; 02:30 once. 2024-03-10 02:30 never happens.
    assert times(spec, "2024-03-09T12:00:00+00:00", 2) == ["2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"]
    repeated = compiled(calendar=[schedule_pb.CalendarSpec(hour="1", minute="30")], timezone_name="America/New_York")
    assert times(repeated, "2024-11-03T00:00:00+00:00", 3) == [
        "2024-11-03T05:30:00Z",
        "2024-11-03T06:30:00Z",
        "2024-11-04T06:30:00Z",
    ]


def test_start_end_and_excluded_times() -> None:
    spec = schedule_pb.ScheduleSpec(
        interval=[interval(3600)], exclude_calendar=[schedule_pb.CalendarSpec(hour="12", minute="*")]
    )
    spec.start_time.FromSeconds(epoch("2024-01-01T10:00:00+00:00"))
    spec.end_time.FromSeconds(epoch("2024-01-01T14:00:00+00:00"))
    got = CompiledSpec(canonicalize(spec))
    # The start time itself counts; noon is excluded; nothing after the end time.
    assert times(got, "2023-01-01T00:00:00+00:00", 4) == [
        "2024-01-01T10:00:00Z",
        "2024-01-01T11:00:00Z",
        "2024-01-01T13:00:00Z",
        "2024-01-01T14:00:00Z",
    ]
    assert got.next_time(epoch("2024-01-01T14:00:00+00:00")) is None


def test_jitter_is_deterministic_and_below_the_next_time() -> None:
    spec = schedule_pb.ScheduleSpec(interval=[interval(60)])
    spec.jitter.FromSeconds(3600)
    got = CompiledSpec(canonicalize(spec))
    first = got.next_time(epoch("2024-01-01T00:00:30+00:00"), "seed")
    assert first is not None and first == got.next_time(epoch("2024-01-01T00:00:30+00:00"), "seed")
    assert first.nominal == epoch("2024-01-01T00:01:00+00:00")
    assert first.nominal <= first.next < first.nominal + 60


def test_matching_times_between() -> None:
    spec = compiled(interval=[interval(10)])
    start = epoch("2024-01-01T00:00:00+00:00")
    assert [iso(t) for t in spec.times_between(start, start + 30)] == [
        "2024-01-01T00:00:10Z",
        "2024-01-01T00:00:20Z",
        "2024-01-01T00:00:30Z",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (schedule_pb.ScheduleSpec(cron_string=["* * *"]), "CronString does not have 5-7 fields"),
        (schedule_pb.ScheduleSpec(calendar=[schedule_pb.CalendarSpec(hour="25")]), "Hour is not in range [0-23]"),
        (
            schedule_pb.ScheduleSpec(calendar=[schedule_pb.CalendarSpec(minute="5-2")]),
            "Minute End is before Start or not in range [0-59]",
        ),
        (schedule_pb.ScheduleSpec(calendar=[schedule_pb.CalendarSpec(second="1/2/3")]), "Second has too many slashes"),
        (schedule_pb.ScheduleSpec(interval=[interval(0)]), "interval is too small"),
        (schedule_pb.ScheduleSpec(interval=[interval(10, 10)]), "phase cannot be greater than Interval"),
        (
            schedule_pb.ScheduleSpec(cron_string=["CRON_TZ=Europe/Paris 0 0 * * *", "0 1 * * *"]),
            "conflicting timezone names",
        ),
        (schedule_pb.ScheduleSpec(timezone_name="Mars/Olympus"), "unknown time zone Mars/Olympus"),
    ],
)
def test_bad_specs_are_refused_with_the_real_messages(spec: schedule_pb.ScheduleSpec, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        canonicalize(spec)
    assert str(caught.value) == message
