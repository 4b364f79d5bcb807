"""The lean path of `tempo workflow count`, `operator namespace describe`, `operator cluster
system|describe|health`, `schedule describe` and `task-queue list-partition`
(`tempo_cli._lean_commands`, `tempo_cli._lean_reads`): printing to a pipe they make their calls
without the SDK's client and answer exactly what the Typer app answers; a GROUP BY count, JSON
output, a deprecated argument, a failed call or a cell Rich must measure get the app's answer."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.cli.answers import comparable, group_programs, run
from tests.cli.lean_answers import NOT_LEAN, answers
from tests.cli.startup_checks import env, run_reporting


def same_and_lean(group: str, args: list[str], environment: dict[str, str]) -> str:
    """`tempo GROUP ARGS` answers as the app, exit code 0, on the lean path; its stdout."""
    tempo, app = answers(group, args, environment)
    assert tempo == app, args
    assert tempo[0] == 0 and tempo[1] and tempo[2] == "", tempo
    _, code, modules = run_reporting([group, *args], environment)
    assert code == 0
    lean_path = "tempo_cli._lean_commands" if group == "workflow" else "tempo_cli._lean_reads"
    assert lean_path in modules, args
    loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    assert not loaded, (args, loaded)
    return tempo[1]


def the_apps(group: str, args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    """`tempo GROUP ARGS` answers as the app, through the SDK's client (not the lean path)."""
    tempo, app = answers(group, args, environment)
    assert comparable(tempo) == comparable(app), args  # JSON's maps come in any order
    _, _, modules = run_reporting([group, *args], environment)
    assert "tempo_cli._cli" in modules, args
    return tempo


@pytest.mark.parametrize(
    ("group", "args", "shows"),
    [
        ("operator", ["cluster", "system"], "SupportsSchedules"),
        ("operator", ["cluster", "describe"], "PersistenceStore"),
        ("operator", ["cluster", "describe", "--detail"], "HistoryShardCount"),
        ("operator", ["cluster", "health"], "SERVING"),
        ("operator", ["namespace", "describe"], "NamespaceInfo.Name                    default"),
        ("operator", ["-n", "default", "namespace", "describe", "--color", "never"], "NamespaceInfo.Id"),
        ("task-queue", ["list-partition", "-t", "lean-nobody"], "Activity Task Queue Partitions"),
        ("workflow", ["count", "-q", "WorkflowId = 'lean-nobody'"], "Total: 0"),
    ],
)
def test_the_reads_answer_as_the_app_without_the_sdk_client(
    group: str, args: list[str], shows: str, server_address: str, tmp_path: Path
) -> None:
    out = same_and_lean(group, [*args, "--address", server_address], env(tmp_path))
    assert shows in out


def test_a_namespace_is_described_by_its_id(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    by_name = same_and_lean("operator", ["namespace", "describe", *on], environment)
    namespace_id = dict(line.split(maxsplit=1) for line in by_name.splitlines() if " " in line)["NamespaceInfo.Id"]
    assert same_and_lean("operator", ["namespace", "describe", "--namespace-id", namespace_id, *on], environment) == (
        by_name
    )


def test_workflows_are_counted_as_the_app_counts_them(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow, _ = group_programs("workflow")
    prefix = f"lean-count-{uuid.uuid4().hex[:8]}"
    for n in range(2):
        # On a queue of their own: their backlog would change other tests' task-queue statistics.
        started = run(workflow, ["start", *on, "--type", "T", "-t", prefix, "-w", f"{prefix}-{n}"], environment)
        assert started[0] == 0, started
    counted = ["count", *on, "-q", f"WorkflowId STARTS_WITH '{prefix}'"]
    deadline = time.monotonic() + 20
    while run(workflow, counted, environment)[1] != "Total: 2\n":  # the real server counts them a bit later
        assert time.monotonic() < deadline, "the workflows were never counted"
        time.sleep(0.2)
    assert same_and_lean("workflow", counted, environment) == "Total: 2\n"
    grouped = ["count", *on, "-q", f"WorkflowId STARTS_WITH '{prefix}' GROUP BY ExecutionStatus"]
    assert the_apps("workflow", grouped, environment)[1] == "Total: 2\nGroup total: 2, values: Running\n"


def _created_schedule(schedule_id: str, notes: str, on: list[str], environment: dict[str, str]) -> None:
    _, schedule_app = group_programs("schedule")
    args = ["create", "-s", schedule_id, "--cron", "0 0 1 1 *", "--paused", "--type", "T", "-t", "q"]
    created = run(schedule_app, [*args, "-w", schedule_id, "--notes", notes, *on], environment)
    assert created[0] == 0, created


def test_a_schedule_is_described_as_the_app_describes_it(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    schedule_id = f"lean-{uuid.uuid4().hex[:8]}"
    _created_schedule(schedule_id, "lean notes", on, environment)
    out = same_and_lean("schedule", ["describe", "-s", schedule_id, *on], environment)
    rows = dict(line.split(maxsplit=1) for line in out.splitlines())
    assert rows["ScheduleId"] == schedule_id and rows["Paused"] == "true" and rows["Notes"] == "lean notes"
    assert rows["Workflow"] == f"T ({schedule_id} on q)" and rows["Spec"] == "1 calendar(s)"


def test_a_cell_rich_measures_gets_the_apps_description(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    schedule_id = f"lean-{uuid.uuid4().hex[:8]}"
    # Wide characters in the notes only: `schedule list` (other tests') does not show them.
    _created_schedule(schedule_id, "日本の茶", on, environment)
    assert "日本の茶" in the_apps("schedule", ["describe", "-s", schedule_id, *on], environment)[1]


@pytest.mark.parametrize(
    ("group", "args", "code"),
    [
        # (A namespace, schedule or filter the server refuses: the lean path's, with the app's
        # error: tests/cli/test_lean_errors.py.)
        ("operator", ["cluster", "describe", "-o", "json"], 0),
        ("operator", ["cluster", "health", "-o", "json"], 0),
        ("operator", ["namespace", "describe", "default"], 0),  # the deprecated argument: a warning
        ("task-queue", ["list-partition", "-t", "lean-nobody", "-o", "json"], 0),
    ],
)
def test_what_it_does_not_answer_gets_the_apps_answer(
    group: str, args: list[str], code: int, server_address: str, tmp_path: Path
) -> None:
    assert the_apps(group, [*args, "--address", server_address], env(tmp_path))[0] == code


def test_settings_from_the_environment_are_read_by_the_app(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path, TEMPORAL_ADDRESS=server_address)
    assert the_apps("operator", ["cluster", "system"], environment)[1].startswith("ServerVersion")


@pytest.mark.parametrize(
    ("group", "args"),
    [
        ("workflow", ["count"]),
        ("operator", ["namespace", "describe"]),
        ("operator", ["cluster", "system"]),
        ("operator", ["cluster", "describe"]),
        ("operator", ["cluster", "health"]),
        ("schedule", ["describe", "-s", "lean-nobody"]),
        ("task-queue", ["list-partition", "-t", "lean-nobody"]),
    ],
)
def test_a_server_that_is_not_there_gets_the_apps_error(group: str, args: list[str], tmp_path: Path) -> None:
    tempo, app = answers(group, [*args, "--address", "127.0.0.1:1"], env(tmp_path))
    assert tempo == app
    code, out, err = tempo
    assert (code, out) == (1, "") and err.startswith("error: ") and len(err.splitlines()) == 1, tempo
