"""`tempo task-queue describe|list-partition` on both servers: `-o json` is what the real
`temporal task-queue ...` prints for the same queue on the same server (but for what moves
between two calls: access times and task rates), with an official worker polling the queue."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tempo_cli.main import app as root
from tests.cli.answers import group_programs, run
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.startup_checks import env


def _task_queue(address: str, *args: str) -> Result:
    return CliRunner().invoke(
        root, ["task-queue", *args, "--address", address], env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None}
    )


def _eventually(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _steady(described: dict[str, Any]) -> dict[str, Any]:
    """What stays put between two calls: no access times, no rates."""
    pollers = [{k: v for k, v in p.items() if k != "lastAccessTime"} for p in described["pollers"] or []]
    stats = [
        {k: v for k, v in s.items() if not k.endswith("Rate") and k != "approximateBacklogAge"}
        for s in described["stats"] or []
    ]
    key = lambda row: (row["buildId"], row["taskQueueType"])  # noqa: E731
    return {
        "reachability": described["reachability"],
        "pollers": sorted(pollers, key=key),
        "stats": sorted(stats, key=key),
    }


def test_describe_shows_the_pollers_as_temporal_does(server_address: str, task_queue: str) -> None:
    def both_pollers() -> dict[str, Any] | None:
        described = json_out(_task_queue(server_address, "describe", "-t", task_queue, "-o", "json"))
        return described if len(described["pollers"] or []) == 2 else None

    ours = _eventually(both_pollers, "the worker's workflow and activity pollers")
    theirs = json.loads(real_cli(server_address, "task-queue", "describe", "-t", task_queue, "-o", "json").stdout)
    assert _steady(ours) == _steady(theirs)
    assert {p["taskQueueType"] for p in ours["pollers"]} == {"workflow", "activity"}
    assert all(p["buildId"] == "UNVERSIONED" and p["lastAccessTime"].endswith("Z") for p in ours["pollers"])
    text = _task_queue(server_address, "describe", "-t", task_queue).stdout
    assert text.splitlines()[0] == "Task Queue Statistics:"
    pollers_table = text.split("Pollers:\n")[1].splitlines()
    assert pollers_table[0].split() == ["BuildID", "TaskQueueType", "Identity", "LastAccessTime", "RatePerSecond"]
    rows = [line.split() for line in pollers_table[1:] if line.strip()]
    assert len(rows) == 2, text
    assert all(row[0] == "UNVERSIONED" and row[-1] == "100000" and row[-2] in ("ago", "now") for row in rows), text
    only_activities = json_out(
        _task_queue(server_address, "describe", "-t", task_queue, "--task-queue-type", "activity", "-o", "json")
    )
    assert [p["taskQueueType"] for p in only_activities["pollers"]] == ["activity"]
    reachable = json_out(
        _task_queue(server_address, "describe", "-t", task_queue, "--report-reachability", "-o", "json")
    )
    assert reachable["reachability"] == [{"buildId": "UNVERSIONED", "reachability": "reachable"}]
    legacy = json_out(_task_queue(server_address, "describe", "-t", task_queue, "--legacy-mode", "-o", "json"))
    assert [p["identity"] for p in legacy["pollers"]] == [p["identity"] for p in ours["pollers"][:1]]
    assert legacy["taskQueues"][0]["partition"] == 0


def test_describe_shows_the_backlog_of_a_queue_nobody_polls(server_address: str) -> None:
    queue = new_id("tq-backlog")
    for n in range(2):
        real_cli(server_address, "workflow", "start", "--type", "Order", "-t", queue, "-w", new_id(f"order-{n}"))

    def backlog_of_two() -> list[Any] | None:
        # (the real server refreshes its figures every few seconds)
        theirs = json.loads(real_cli(server_address, "task-queue", "describe", "-t", queue, "-o", "json").stdout)
        rows = [s for s in theirs["stats"] or [] if s["taskQueueType"] == "workflow"]
        return rows if rows and rows[0]["approximateBacklogCount"] == 2 else None

    _eventually(backlog_of_two, "the real CLI to see a backlog of two")
    ours = json_out(_task_queue(server_address, "describe", "-t", queue, "-o", "json"))
    (workflow,) = [s for s in ours["stats"] if s["taskQueueType"] == "workflow"]
    assert workflow["approximateBacklogCount"] == 2
    assert workflow["approximateBacklogAge"] not in ("", "0s")
    assert workflow["tasksAddRate"] > 0 and workflow["tasksDispatchRate"] == 0
    assert workflow["backlogIncreaseRate"] == workflow["tasksAddRate"]
    assert ours["pollers"] is None
    quiet = json_out(_task_queue(server_address, "describe", "-t", queue, "--disable-stats", "-o", "json"))
    assert quiet["stats"] is None
    bad = _task_queue(server_address, "describe", "-t", queue, "--task-queue-type", "signal")
    assert one_line_error(bad).startswith('invalid argument "signal" for "--task-queue-type" flag')
    unknown = _task_queue(server_address, "describe", "-t", queue, "-n", "no-such-namespace")
    assert one_line_error(unknown) == "unable to describe task queue: Namespace no-such-namespace is not found."


def test_list_partition_as_temporal_prints_it(server_address: str) -> None:
    """Tempo keeps each task queue in one partition, where the real dev server splits it into
    four: the first partition (the queue itself) and its owner are listed alike."""
    queue = new_id("tq-partitions")
    ours = json_out(_task_queue(server_address, "list-partition", "-t", queue, "-o", "json"))
    theirs = json.loads(real_cli(server_address, "task-queue", "list-partition", "-t", queue, "-o", "json").stdout)
    assert ours.keys() == theirs.keys() == {"workflowTaskQueuePartitions", "activityTaskQueuePartitions"}
    for kind in ours:
        assert ours[kind][0] == theirs[kind][0]
        assert ours[kind][0]["key"] == queue
        assert [p["key"] for p in ours[kind]] == [p["key"] for p in theirs[kind]][: len(ours[kind])]
    text = _task_queue(server_address, "list-partition", "-t", queue).stdout
    assert text.startswith("Workflow Task Queue Partitions\n") and "Activity Task Queue Partitions" in text
    assert "OwnerHostName" in text
    reserved = _task_queue(server_address, "list-partition", "-t", "/_sys/orders")
    assert (
        one_line_error(reserved)
        == "unable to list task queues: task queue name cannot start with reserved prefix /_sys/"
    )


_TIME_SHAPES = {
    "relative": r"now|1 (second|minute) ago|\d+ (seconds|minutes) ago",
    "iso": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
    "raw": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC",
}


def _poller_times(text: str) -> list[str]:
    """The LastAccessTime cells of a describe's Pollers table (`temporal` indents it)."""
    rows = [re.split(r" {2,}", line.strip()) for line in text.split("Pollers:\n")[1].splitlines() if line.strip()]
    assert rows[0][3] == "LastAccessTime", text
    return [row[3] for row in rows[1:] if len(row) == 5]


@pytest.mark.parametrize("time_format", ["relative", "iso", "raw"])
def test_the_pollers_times_follow_the_time_format_as_temporal(
    time_format: str, server_address: str, task_queue: str, tmp_path: Path
) -> None:
    def polled() -> str | None:
        text = _task_queue(server_address, "describe", "-t", task_queue, "--time-format", time_format).stdout
        return text if len(_poller_times(text)) == 2 else None

    ours = _eventually(polled, "the worker's workflow and activity pollers")
    argv = ["describe", "-t", task_queue, "--address", server_address, "--time-format", time_format]
    lean = run(group_programs("task-queue")[0], argv, env(tmp_path))
    theirs = real_cli(server_address, "task-queue", *argv[:3], "--time-format", time_format).stdout
    for text in (ours, lean[1], theirs):
        times = _poller_times(text)
        assert len(times) == 2 and all(re.fullmatch(_TIME_SHAPES[time_format], cell) for cell in times), text
    legacy = _task_queue(server_address, "describe", "-t", task_queue, "--legacy-mode", "--time-format", time_format)
    cells = [re.split(r" {2,}", line.strip()) for line in legacy.stdout.splitlines()[2:] if line.strip()]
    assert cells and all(re.fullmatch(_TIME_SHAPES[time_format], row[1]) for row in cells), legacy.stdout
