"""The lean path of the other groups' reads (`tempo_cli._lean_reads`): `tempo operator namespace
list`, `operator search-attribute list`, `schedule list` and `task-queue describe` printing to a
pipe make their calls without the SDK's client and answer exactly what the Typer app answers;
other output, settings from the environment, a failed call or a cell Rich must measure get the
app's answer, through the SDK's client."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any, cast

import pytest

from tempo_cli import _lean_reads
from tempo_cli._lean_session import Screen, Session
from tempo_cli._read_tables import TASK_QUEUE_TYPES
from tests.cli.answers import group_programs, run
from tests.cli.lean_answers import NOT_LEAN, answers
from tests.cli.startup_checks import env, run_reporting


def lean(modules: list[str]) -> bool:
    """Whether a run with these modules loaded answered on the lean path."""
    assert "tempo_cli._lean_reads" in modules
    return not any(module == name or module.startswith(name + ".") for module in modules for name in NOT_LEAN)


def answered_lean(group: str, args: list[str], environment: dict[str, str]) -> bool:
    out, code, modules = run_reporting([group, *args], environment)
    assert code == 0, (args, out)
    return lean(modules)


@pytest.mark.parametrize(
    ("group", "args"),
    [
        ("operator", ["namespace", "list"]),
        ("operator", ["search-attribute", "list"]),
        ("operator", ["-n", "default", "search-attribute", "list", "--color", "never"]),
        ("schedule", ["list"]),
        ("task-queue", ["describe", "--task-queue", "lean-nobody"]),
        (
            "task-queue",
            ["describe", "-t", "lean-nobody", "--task-queue-type", "activity", "--task-queue-type", "nexus"],
        ),
    ],
)
def test_the_reads_answer_as_the_app_without_the_sdk_client(
    group: str, args: list[str], server_address: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    argv = [*args, "--address", server_address]
    if group != "schedule":  # other tests' schedules may fire between the two runs: below, by ID
        tempo, app = answers(group, argv, environment)
        assert tempo == app, args
        assert tempo[0] == 0 and tempo[1] and tempo[2] == "", tempo
    assert answered_lean(group, argv, environment), args


def test_schedule_list_answers_as_the_app(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    schedule, schedule_app = group_programs("schedule")
    schedule_ids = [f"lean-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for schedule_id, spec in zip(
        schedule_ids, (["--cron", "0 0 1 1 *", "--paused"], ["--interval", "1h"]), strict=True
    ):
        args = ["create", "-s", schedule_id, *spec, "--type", "T", "-t", "q", "-w", schedule_id, *on]
        created = run(schedule_app, args, environment)
        assert created[0] == 0, created
    query = " OR ".join(f"ScheduleId = '{schedule_id}'" for schedule_id in schedule_ids)
    listed = ["list", "-q", query, *on]
    deadline = time.monotonic() + 20
    while len(run(schedule, listed, environment)[1].splitlines()) < 3:  # the real server lists them a bit later
        assert time.monotonic() < deadline, "the schedules were never listed"
        time.sleep(0.2)
    tempo, app = answers("schedule", listed, environment)
    assert tempo == app
    paused = {line.split()[0]: line.split()[2] for line in tempo[1].splitlines()[1:]}
    assert paused == {schedule_ids[0]: "true", schedule_ids[1]: "false"}
    assert answered_lean("schedule", listed, environment)


def _poller_cells(text: str) -> list[list[str]]:
    """The lines as cells, each poller's last access time (relative to now) left out."""
    lines = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]
    return [cells[:3] + cells[4:] if len(cells) == 5 and cells[1] in TASK_QUEUE_TYPES else cells for cells in lines]


def test_task_queue_describe_shows_pollers_as_the_app(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    argv = ["describe", "--task-queue", task_queue, "--address", server_address]
    deadline = time.monotonic() + 20
    while True:  # the worker's workflow and activity pollers, once both have polled
        tempo, app = answers("task-queue", argv, environment)
        if sum(line.startswith("UNVERSIONED") for line in tempo[1].split("Pollers:")[-1].splitlines()) >= 2:
            break
        assert time.monotonic() < deadline, tempo
        time.sleep(0.2)
    assert (tempo[0], tempo[2]) == (app[0], app[2]) == (0, "")
    assert _poller_cells(tempo[1]) == _poller_cells(app[1])
    assert answered_lean("task-queue", argv, environment)


@pytest.mark.parametrize(
    ("group", "args", "code"),
    [
        # (An unknown namespace: the lean path's, with the app's error: tests/cli/test_lean_errors.py.)
        ("operator", ["namespace", "list", "-o", "json"], 0),
        ("schedule", ["list", "-o", "jsonl"], 0),
        ("task-queue", ["describe", "-t", "lean-nobody", "--task-queue-type", "bogus"], 1),
        ("task-queue", ["describe", "-t", "lean-nobody", "--color", "always"], 0),
    ],
)
def test_what_it_does_not_answer_gets_the_apps_answer(
    group: str, args: list[str], code: int, server_address: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    argv = [*args, "--address", server_address]
    tempo, app = answers(group, argv, environment)
    assert tempo == app, args
    assert tempo[0] == code, tempo
    _, _, modules = run_reporting([group, *argv], environment)
    assert "tempo_cli._cli" in modules


def test_settings_from_the_environment_are_read_by_the_app(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path, TEMPORAL_ADDRESS=server_address)
    tempo, app = answers("operator", ["namespace", "list"], environment)
    assert tempo == app and tempo[0] == 0 and "NamespaceInfo.Name" in tempo[1]
    _, code, modules = run_reporting(["operator", "namespace", "list"], environment)
    assert code == 0 and "sdk.client" in modules and "tempo_cli._cli" in modules


@pytest.mark.parametrize(
    ("group", "args"),
    [
        ("operator", ["namespace", "list"]),
        ("operator", ["search-attribute", "list"]),
        ("schedule", ["list"]),
        ("task-queue", ["describe", "-t", "lean-nobody"]),
    ],
)
def test_a_server_that_is_not_there_gets_the_apps_error(group: str, args: list[str], tmp_path: Path) -> None:
    environment = env(tmp_path)
    tempo, app = answers(group, [*args, "--address", "127.0.0.1:1"], environment)
    assert tempo == app
    code, out, err = tempo
    assert (code, out) == (1, "") and err.startswith("error: ") and len(err.splitlines()) == 1, tempo


def test_a_cell_rich_measures_gets_the_apps_table(server_address: str, tmp_path: Path) -> None:
    # Wide characters: Rich lays the table out, so the lean path gives way before printing.
    environment = env(tmp_path)
    on = ["--address", server_address]
    schedule, schedule_app = group_programs("schedule")
    schedule_id = f"lean-日本-{uuid.uuid4().hex[:6]}"
    args = ["create", "-s", schedule_id, "--cron", "0 0 1 1 *", "--paused", "--type", "茶", "-t", "q", *on]
    assert run(schedule_app, [*args, "-w", schedule_id], environment)[0] == 0
    try:
        listed = ["list", "-q", f"ScheduleId = '{schedule_id}'", *on]
        deadline = time.monotonic() + 20
        while schedule_id not in run(schedule, listed, environment)[1]:
            assert time.monotonic() < deadline, "the schedule was never listed"
            time.sleep(0.2)
        tempo, app = answers("schedule", listed, environment)
        assert tempo == app and tempo[0] == 0
        _, _, modules = run_reporting(["schedule", *listed], environment)
        assert "rich" in modules and "tempo_cli._lean_reads" in modules
    finally:
        # Left on the shared server, its wide name would make every later unfiltered `schedule
        # list` there give way to Rich (the lean tests of other files would see that).
        run(schedule_app, ["delete", "-s", schedule_id, *on], environment)


class _PagedSession:
    """A session whose listing answers two pages: the first with a token, the second without."""

    def __init__(self) -> None:
        self.namespace = "default"
        self.screen = Screen()  # a pipe
        self.tokens: list[bytes] = []

    def read(self, method: str, request: Any, response_type: type[Any]) -> Any:
        from temporalio.api.schedule.v1 import ScheduleListEntry

        self.tokens.append(request.next_page_token)
        last = len(self.tokens) == 2
        entry = ScheduleListEntry(schedule_id=f"page-{len(self.tokens)}")
        return response_type(schedules=[entry], next_page_token=b"" if last else b"more")


def test_every_page_is_asked_for_with_the_token_of_the_one_before() -> None:
    session = _PagedSession()
    answered = _lean_reads._schedules(cast(Session, session), {"query": "x"})
    assert session.tokens == [b"", b"more"]
    assert [line.split()[0] for line in "".join(answered.out).splitlines()] == ["ScheduleId", "page-1", "page-2"]
