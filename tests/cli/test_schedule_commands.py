"""`tempo schedule ...` on both servers; `-o json` is what
the real `temporal schedule ...` prints for the same schedule on the same server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tempo_cli.main import app as root
from tests.cli.answers import group_programs, run
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.startup_checks import env


def _schedule(address: str, *args: str) -> Result:
    return CliRunner().invoke(
        root, ["schedule", *args, "--address", address], env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None}
    )


def _listed(address: str, schedule_id: str) -> list[Any]:
    """`tempo schedule list -o json` once the schedule shows in it (the real server lists it a moment later)."""
    for _ in range(100):
        entries = [e for e in json_out(_schedule(address, "list", "-o", "json")) if e["scheduleId"] == schedule_id]
        if entries:
            return entries
        time.sleep(0.1)
    raise AssertionError(f"{schedule_id} never listed")


def test_a_schedules_life_from_the_command_line(server_address: str) -> None:
    schedule_id = new_id("cli-schedule")
    created = _schedule(server_address, "create", "-s", schedule_id, "--interval", "1h", "-w", f"{schedule_id}-wf",
                        "--type", "Report", "-t", "reports", "--paused", "--notes", "not yet")  # fmt: skip
    assert created.exit_code == 0 and created.stderr.strip() == "Schedule created", created.output
    described = json_out(_schedule(server_address, "describe", "-s", schedule_id, "-o", "json"))
    theirs = json.loads(real_cli(server_address, "schedule", "describe", "-s", schedule_id, "-o", "json").stdout)
    assert described == theirs
    assert described["schedule"]["state"] == {"paused": True, "notes": "not yet"}
    assert [i["interval"] for i in described["schedule"]["spec"]["interval"]] == ["3600s"]
    (entry,) = _listed(server_address, schedule_id)
    assert entry["info"]["workflowType"] == {"name": "Report"} and entry["info"]["paused"] is True
    text = _schedule(server_address, "describe", "-s", schedule_id)
    assert "Workflow       Report (" in text.stdout and "Paused         true" in text.stdout

    assert _schedule(server_address, "toggle", "-s", schedule_id, "--unpause", "--reason", "go").exit_code == 0
    triggered = _schedule(server_address, "trigger", "-s", schedule_id)
    assert triggered.stderr.strip() == "Trigger request sent"
    for _ in range(100):
        described = json_out(_schedule(server_address, "describe", "-s", schedule_id, "-o", "json"))
        if described["info"].get("actionCount") == "1":
            break
        time.sleep(0.1)
    assert described["schedule"]["state"] == {"notes": "go"}
    assert described["info"]["actionCount"] == "1", "the trigger started one workflow"

    assert _schedule(server_address, "delete", "-s", schedule_id).stderr.strip() == "Schedule deleted"
    assert one_line_error(_schedule(server_address, "describe", "-s", schedule_id)) == "schedule not found"


def test_mistakes_are_one_line(server_address: str) -> None:
    schedule_id = new_id("cli-bad")
    bad_cron = _schedule(server_address, "create", "-s", schedule_id, "--cron", "bogus", "-w", "w", "--type", "X",
                         "-t", "q")  # fmt: skip
    assert "CronString does not have 5-7 fields" in one_line_error(bad_cron)
    bad_policy = _schedule(server_address, "trigger", "-s", schedule_id, "--overlap-policy", "Sometimes")
    assert one_line_error(bad_policy).startswith("invalid --overlap-policy 'Sometimes'")
    both = _schedule(server_address, "toggle", "-s", schedule_id, "--pause", "--unpause")
    assert one_line_error(both) == "give exactly one of --pause and --unpause"


def test_update_backfill_and_matching_times(server_address: str) -> None:
    """`update` replaces the spec, `list-matching-times` shows when it matches (as `temporal`
    prints it), and `backfill` takes the missed actions of a paused schedule."""
    schedule_id = new_id("cli-backfill")
    workflow = ["-w", f"{schedule_id}-wf", "--type", "Report", "-t", "reports"]
    assert (
        _schedule(server_address, "create", "-s", schedule_id, "--interval", "1h", *workflow, "--paused").exit_code == 0
    )
    updated = _schedule(server_address, "update", "-s", schedule_id, "--interval", "2h", *workflow, "--paused")
    assert updated.exit_code == 0 and updated.stdout == "", updated.output
    described = json_out(_schedule(server_address, "describe", "-s", schedule_id, "-o", "json"))
    assert [i["interval"] for i in described["schedule"]["spec"]["interval"]] == ["7200s"]

    window = ["--start-time", "2026-01-01T00:00:00Z", "--end-time", "2026-01-01T06:00:00Z"]
    matching = json_out(_schedule(server_address, "list-matching-times", "-s", schedule_id, *window, "-o", "json"))
    theirs = real_cli(server_address, "schedule", "list-matching-times", "-s", schedule_id, *window, "-o", "json")
    assert matching == json.loads(theirs.stdout)
    assert matching == {"startTime": ["2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z", "2026-01-01T06:00:00Z"]}
    text = _schedule(server_address, "list-matching-times", "-s", schedule_id, *window)
    assert "2026-01-01T04:00:00" in text.stdout

    filled = _schedule(server_address, "backfill", "-s", schedule_id, *window, "--overlap-policy", "AllowAll")
    assert filled.exit_code == 0 and filled.stderr.strip() == "Backfill request sent", filled.output
    for _ in range(100):
        described = json_out(_schedule(server_address, "describe", "-s", schedule_id, "-o", "json"))
        if described["info"].get("actionCount") == "4":
            break
        time.sleep(0.1)
    assert described["info"]["actionCount"] == "4", "a paused schedule still takes the backfilled actions"
    # Both servers backfill the start of the range too (list-matching-times starts after it).
    scheduled = sorted(action["scheduleTime"] for action in described["info"]["recentActions"])
    assert scheduled == ["2026-01-01T00:00:00Z", *matching["startTime"]]

    bad_time = _schedule(server_address, "backfill", "-s", schedule_id, "--start-time", "May 1st", "--end-time", "x")
    assert one_line_error(bad_time).startswith("invalid --start-time 'May 1st'")
    missing = _schedule(server_address, "update", "-s", new_id("nope"), "--interval", "1h", *workflow)
    assert one_line_error(missing) == "schedule not found"


_TIME_SHAPES = {
    "relative": r"now|1 (second|minute|hour) (ago|from now)|\d+ (seconds|minutes) (ago|from now)",
    "iso": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
    "raw": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC",
}


def _list_cells(text: str) -> list[list[str]]:
    """`schedule list`'s cells but the workflow's (Tempo: its type; `temporal`: the action as
    JSON), which `temporal` indents and centres."""
    rows = [re.split(r" {2,}", line.strip()) for line in text.splitlines() if line.strip()]
    return [[row[0], *row[2:]] for row in rows]


@pytest.mark.parametrize("time_format", [None, "relative", "iso", "raw"])
def test_list_shows_next_and_last_run_times_as_temporal(
    time_format: str | None, server_address: str, tmp_path: Path
) -> None:
    schedule_id = new_id("cli-schedule-times")
    created = _schedule(server_address, "create", "-s", schedule_id, "--interval", "1h", "-w", f"{schedule_id}-wf",
                        "--type", "Report", "-t", "reports-nobody")  # fmt: skip
    assert created.exit_code == 0, created.output
    try:
        assert _schedule(server_address, "trigger", "-s", schedule_id).exit_code == 0
        deadline = time.monotonic() + 30
        while not _listed(server_address, schedule_id)[0]["info"].get("recentActions"):  # the list lags
            assert time.monotonic() < deadline, "the triggered run never listed"
            time.sleep(0.2)
        args = [
            "list",
            "-q",
            f"ScheduleId = '{schedule_id}'",
            *([] if time_format is None else ["--time-format", time_format]),
        ]
        ours = _schedule(server_address, *args).stdout
        lean = run(group_programs("schedule")[0], [*args, "--address", server_address], env(tmp_path))[1]
        theirs = real_cli(server_address, "schedule", *args).stdout
        ours_cells, lean_cells, theirs_cells = (_list_cells(text) for text in (ours, lean, theirs))
        assert ours_cells[0] == theirs_cells[0] == ["ScheduleId", "Paused", "NextRunTime", "LastRunTime"]
        shape = _TIME_SHAPES[time_format or "relative"]
        for cells in (ours_cells, lean_cells, theirs_cells):
            assert len(cells) == 2 and cells[1][:2] == [schedule_id, "false"], cells
            assert all(re.fullmatch(shape, cell) for cell in cells[1][2:]), cells
        if time_format in ("iso", "raw"):  # times that do not tick with the clock: the very cells
            assert ours_cells == lean_cells == theirs_cells, (ours, lean, theirs)
    finally:
        _schedule(server_address, "delete", "-s", schedule_id)
