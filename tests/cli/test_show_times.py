"""`tempo workflow show` and `tempo schedule list-matching-times` print times as `temporal`
prints them there: RFC 3339 in UTC, in whole seconds (``2026-12-07T00:52:05Z``, the fraction
dropped, not rounded), whatever `temporal`'s ``--time-format`` and the local time zone; on both
servers, by the lean path and the app alike. Their JSON keeps the server's times."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path

import pytest
from temporalio.api.history.v1 import HistoryEvent

from tempo_cli._go_format import TIME_FORMATS, iso_time
from tempo_cli._render_text import event_time
from tests.cli.answers import TEMPO, group_programs, run, same_answer
from tests.cli.cli_results import real_cli
from tests.cli.startup_checks import env

_KOLKATA = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\w+)")  # a history row: its id, time and type


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime.datetime(2026, 12, 7, 0, 52, 5, 999999, tzinfo=datetime.UTC), "2026-12-07T00:52:05Z"),
        (datetime.datetime(2026, 12, 7, 0, 52, 5, tzinfo=datetime.UTC), "2026-12-07T00:52:05Z"),  # no ".000"
        # A time of another zone shows in UTC.
        (datetime.datetime(2026, 12, 7, 6, 22, 5, tzinfo=_KOLKATA), "2026-12-07T00:52:05Z"),
    ],
)
def test_a_time_shows_in_whole_seconds_utc(when: datetime.datetime, shown: str) -> None:
    assert iso_time(when) == shown


def test_an_events_time_shows_in_whole_seconds_and_an_unset_one_empty() -> None:
    event = HistoryEvent(event_id=1)
    assert event_time(event) == ""
    event.event_time.FromJsonString("2026-12-07T00:52:05.123456789Z")
    assert event_time(event) == "2026-12-07T00:52:05Z"


def _history_rows(out: str) -> list[tuple[str, str, str]]:
    """A history table's rows: id, time, type (`temporal` titles it "Progress:" and indents it;
    Tempo adds a Details column)."""
    return [(match[1], match[2], match[3]) for match in map(_ROW.match, out.splitlines()) if match]


def test_show_prints_the_times_temporal_prints(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path, TZ="Asia/Kolkata")  # the local zone changes nothing
    on = ["--address", server_address]
    workflow_id = f"show-times-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Report", "-t", "show-times-nobody", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    assert run(TEMPO, ["terminate", *on, "-w", workflow_id, "--reason", "done"], environment)[0] == 0

    code, out, _ = same_answer(["show", *on, "-w", workflow_id], environment)  # the lean path's, the app's
    ours = _history_rows(out)
    assert code == 0 and [row[2] for row in ours][-1] == "WorkflowExecutionTerminated", out
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[1]) for row in ours), out
    for option in ([], *(["--time-format", choice] for choice in TIME_FORMATS)):
        theirs = real_cli(server_address, "workflow", "show", "-w", workflow_id, *option).stdout
        assert _history_rows(theirs) == ours, (option, out, theirs)
    # JSON keeps the server's times, to the nanosecond.
    events = json.loads(same_answer(["show", *on, "-w", workflow_id, "-o", "json"], environment)[1])["events"]
    assert [event["eventTime"][:19] + "Z" for event in events] == [row[1] for row in ours]


def test_list_matching_times_prints_the_times_temporal_prints(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path, TZ="Asia/Kolkata")
    users, app = group_programs("schedule")
    on = ["--address", server_address]
    schedule_id = f"matching-times-{uuid.uuid4().hex[:8]}"
    workflow = ["-w", f"{schedule_id}-wf", "--type", "Report", "-t", "reports", "--paused"]
    assert run(users, ["create", *on, "-s", schedule_id, "--interval", "90m/17s", *workflow], environment)[0] == 0
    window = ["-s", schedule_id, "--start-time", "2026-12-07T00:00:00Z", "--end-time", "2026-12-07T05:00:00Z"]

    ours = run(users, ["list-matching-times", *on, *window], environment)
    assert ours == run(app, ["list-matching-times", *on, *window], environment)
    expected = ["Time", "2026-12-07T00:00:17Z", "2026-12-07T01:30:17Z", "2026-12-07T03:00:17Z", "2026-12-07T04:30:17Z"]
    assert ours[0] == 0 and ours[1].split() == expected, ours
    for option in ([], *(["--time-format", choice] for choice in TIME_FORMATS)):
        theirs = real_cli(server_address, "schedule", "list-matching-times", *window, *option).stdout
        assert theirs.split() == expected, (option, theirs)  # `temporal` centres the header
    code, out, _ = run(users, ["list-matching-times", *on, *window, "-o", "json"], environment)
    assert (code, json.loads(out)) == (0, {"startTime": expected[1:]})
