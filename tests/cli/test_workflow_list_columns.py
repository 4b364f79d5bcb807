"""`tempo workflow list`'s table is `temporal workflow list`'s: the columns Status, WorkflowId,
Type and StartTime (the run id and close time are in `-o json`), the start time per
`--time-format relative|iso|raw` (relative by default), which fit an 80-column terminal
beside a realistic workflow id and type; a bad --time-format is a one-line error."""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.workflow.v1 import WorkflowExecutionInfo

from tempo_cli._go_format import TIME_FORMATS, cli_time
from tempo_cli._render_text import workflow_list_table
from tempo_cli._terminal_table import EIGHT_BIT, terminal_lines
from tests.cli.answers import APP, TEMPO, comparable, run, same_answer
from tests.cli.cli_results import real_cli
from tests.cli.startup_checks import env, run_reporting

_NOW = datetime.datetime(2026, 12, 7, 0, 52, 30, tzinfo=datetime.UTC)
_STARTED = datetime.datetime(2026, 12, 7, 0, 52, 5, 989433, tzinfo=datetime.UTC)
# `temporal`'s relative times of the last days (go-humanize's words).
_RELATIVE = re.compile(r"now|1 (second|minute|hour|day) ago|\d+ (seconds|minutes|hours|days) ago")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_HEADER = ["Status", "WorkflowId", "Type", "StartTime"]


@pytest.mark.parametrize(
    ("time_format", "nanos", "shown"),
    [
        ("relative", 989433891, "24 seconds ago"),
        ("iso", 989433891, "2026-12-07T00:52:05Z"),
        ("raw", 989433891, "2026-12-07 00:52:05.989433891 +0000 UTC"),
        ("raw", 989433000, "2026-12-07 00:52:05.989433 +0000 UTC"),  # Go drops trailing zeros
        ("raw", 0, "2026-12-07 00:52:05 +0000 UTC"),  # and the point of a whole second
    ],
)
def test_each_time_format_shows_a_time_as_temporal_does(time_format: str, nanos: int, shown: str) -> None:
    started = _STARTED.replace(microsecond=nanos // 1000)
    assert cli_time(started, nanos, time_format, _NOW) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.3, "now"),
        (1, "1 second ago"),
        (59, "59 seconds ago"),
        (60, "1 minute ago"),
        (150, "2 minutes ago"),
        (3600, "1 hour ago"),
        (3 * 3600 + 5, "3 hours ago"),
        (86400 * 3, "3 days ago"),
    ],
)
def test_relative_times_are_worded_as_temporal_words_them(seconds: float, shown: str) -> None:
    started = _NOW - datetime.timedelta(seconds=seconds)
    assert cli_time(started, started.microsecond * 1000, "relative", _NOW) == shown


def _runs(count: int) -> list[WorkflowExecutionInfo]:
    from temporalio.api.common.v1 import WorkflowExecution, WorkflowType

    runs = []
    for number in range(count):
        info = WorkflowExecutionInfo(
            execution=WorkflowExecution(workflow_id=f"order-fulfillment-2026-12-07-{number:08x}", run_id="r" * 36),
            type=WorkflowType(name="OrderFulfillmentWorkflow"),
            status=5 if number else 1,  # type: ignore[arg-type]  # Terminated, Running
        )
        info.start_time.FromDatetime(_STARTED)
        info.close_time.FromDatetime(_NOW)
        runs.append(info)
    return runs


@pytest.mark.parametrize("time_format", TIME_FORMATS)
def test_on_80_columns_every_header_and_status_and_time_is_whole(time_format: str) -> None:
    table = workflow_list_table(_runs(2), time_format, _NOW)
    lines = terminal_lines(table, 80, EIGHT_BIT, True)
    assert lines is not None
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    assert all(len(line.rstrip()) <= 80 for line in plain), plain
    assert plain[0].split() == _HEADER, plain  # no header cut ("Sta…") nor a column dropped
    time_shown = cli_time(_STARTED, _STARTED.microsecond * 1000, time_format, _NOW)
    rows = [line for line in plain if line.startswith(("Running", "Terminated"))]
    assert len(rows) == 2 and all(line.rstrip().endswith(time_shown) for line in rows), plain
    # A long workflow id folds onto the next lines, whole (nothing cut with an ellipsis).
    start, end = plain[0].index("WorkflowId"), plain[0].index("Type")
    ids = "".join(line[start:end].strip() for line in plain[1:])
    assert ids == "order-fulfillment-2026-12-07-00000000order-fulfillment-2026-12-07-00000001", plain
    assert "…" not in "".join(plain) and "r" * 36 not in "".join(plain)  # and no run id


# ---------------------------------------------------------------- against the real `temporal`


def _cells(out: str) -> list[list[str]]:
    """A table's lines as cells (`temporal` indents its tables and centres their headers;
    Tempo's tables do neither)."""
    return [re.split(r" {2,}", line.strip()) for line in out.splitlines()]


def _seconds_ago(cell: str) -> tuple[int, int]:
    """A relative time in seconds, and the unit it is counted in."""
    if cell == "now":
        return 0, 1
    number, unit = cell.split()[:2]
    size = _UNITS[unit.removesuffix("s")]
    return int(number) * size, size


@pytest.fixture
def listed(server_address: str, tmp_path: Path) -> tuple[str, str, list[str]]:
    """A server's address, a query matching two runs of this test (with realistic ids, the
    older terminated), once its list shows them, and their ids, newest first."""
    environment = env(tmp_path)
    on = ["--address", server_address]
    prefix = f"order-fulfillment-{uuid.uuid4().hex[:8]}"
    ids = [f"{prefix}-{suffix}" for suffix in ("a1b2c3d4", "e5f6a7b8")]
    for workflow_id in ids:
        start = ["start", *on, "--type", "OrderFulfillmentWorkflow", "-t", "list-columns-nobody", "-w", workflow_id]
        assert run(TEMPO, start, environment)[0] == 0
    assert run(TEMPO, ["terminate", *on, "-w", ids[0], "--reason", "r"], environment)[0] == 0
    query = f"WorkflowId STARTS_WITH '{prefix}'"
    deadline = time.monotonic() + 30
    while True:  # visibility lags a moment behind
        listed = json.loads(run(TEMPO, ["list", *on, "-q", query, "-o", "json"], environment)[1])
        if [info["status"] for info in listed] == [
            "WORKFLOW_EXECUTION_STATUS_RUNNING",
            "WORKFLOW_EXECUTION_STATUS_TERMINATED",
        ]:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.2)
    return server_address, query, ids[::-1]


@pytest.mark.parametrize("time_format", [None, *TIME_FORMATS])
def test_the_table_is_the_real_clis(
    time_format: str | None, listed: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    address, query, ids = listed
    option = [] if time_format is None else ["--time-format", time_format]
    asked = time.monotonic()
    ours = same_answer(["list", "--address", address, "-q", query, *option], env(tmp_path))
    theirs = real_cli(address, "workflow", "list", "-q", query, *option).stdout
    between = time.monotonic() - asked  # at most this long after ours, theirs was printed
    ours_cells, theirs_cells = _cells(ours[1]), _cells(theirs)
    assert ours_cells[0] == theirs_cells[0] == _HEADER, (ours, theirs)
    expected = [["Running", ids[0], "OrderFulfillmentWorkflow"], ["Terminated", ids[1], "OrderFulfillmentWorkflow"]]
    assert [row[:3] for row in ours_cells[1:]] == [row[:3] for row in theirs_cells[1:]] == expected, (ours, theirs)
    if time_format in ("iso", "raw"):
        assert ours_cells == theirs_cells, (ours, theirs)
        return
    for our_row, their_row in zip(ours_cells[1:], theirs_cells[1:], strict=True):
        assert _RELATIVE.fullmatch(our_row[3]) and _RELATIVE.fullmatch(their_row[3]), (ours, theirs)
        (ours_ago, unit), (theirs_ago, their_unit) = _seconds_ago(our_row[3]), _seconds_ago(their_row[3])
        assert -unit <= theirs_ago - ours_ago <= between + max(unit, their_unit), (ours, theirs, between)


@pytest.mark.parametrize(
    ("args", "value"),
    [(["--time-format", "bogus"], "bogus"), (["--time-format=ISO", "-o", "json"], "ISO")],
)
def test_a_time_format_not_of_the_choices_is_a_one_line_error(args: list[str], value: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    for program in (TEMPO, APP):  # as users run it (lean and fast paths first), and the app
        code, out, err = run(program, ["list", *args, "--address", "127.0.0.1:1"], environment)
        assert (code, out) == (2, ""), (program, err)
        assert err == f"error: --time-format: '{value}' is not one of 'relative', 'iso', 'raw'\n", err


def test_the_help_shows_the_option_and_its_choices(tmp_path: Path) -> None:
    code, out, _ = run(TEMPO, ["list", "--help"], env(tmp_path, COLUMNS="200"))
    assert code == 0 and "--time-format" in out, out
    assert "relative" in out and "iso" in out and "raw" in out


def test_json_is_the_servers_whatever_the_time_format(listed: tuple[str, str, list[str]], tmp_path: Path) -> None:
    address, query, ids = listed
    environment = env(tmp_path)
    for output in ("json", "jsonl"):
        line = ["list", "--address", address, "-q", query, "-o", output]
        plain = comparable(same_answer(line, environment))
        assert plain == comparable(same_answer([*line, "--time-format", "raw"], environment))
        documents: Any = plain[1]  # the runs' protobuf JSON, as the server sent them
        assert [doc["execution"]["workflowId"] for doc in documents] == ids
        assert all("runId" in doc["execution"] and "closeTime" in doc for doc in documents[1:])
    _, code, modules = run_reporting(
        ["workflow", "list", "--address", address, "-o", "json", "--time-format", "iso"], environment
    )
    assert code == 0 and "sdk.client" not in modules  # the lean path's JSON
