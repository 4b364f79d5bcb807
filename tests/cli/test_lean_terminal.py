"""The lean paths' reads on a terminal (`tempo_cli._lean_session.Screen`): `tempo workflow list|
count|describe|show|query` and the operator, schedule and task-queue reads draw what the Typer app
draws there, byte for byte, colours included, without loading Rich or the SDK's client (a
table wider than the terminal too: test_lean_terminal_narrow.py); colours forced by the
environment, and a start or a signal are drawn by the app itself."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.cli.answers import TEMPO, group_programs, run
from tests.cli.startup_checks import env
from tests.cli.terminal_drawing import drawn, drawn_lean, same_drawing


@pytest.fixture
def workflow(server_address: str, task_queue: str, tmp_path: Path) -> str:
    """A running workflow (its worker answers the `count` query) that was signalled once."""
    environment = env(tmp_path)
    workflow_id = f"drawn-{uuid.uuid4().hex[:8]}"
    on = ["--address", server_address]
    assert run(TEMPO, ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id], environment)[0] == 0
    assert run(TEMPO, ["signal", *on, "-w", workflow_id, "--name", "add", "-i", '"tea"'], environment)[0] == 0
    return workflow_id


def test_the_reads_draw_on_a_terminal_as_the_app_without_rich(
    server_address: str, workflow: str, tmp_path: Path
) -> None:
    environment = {**env(tmp_path), "TERM": "xterm-256color"}
    on = ["--address", server_address]
    schedule_id = f"drawn-{uuid.uuid4().hex[:8]}"
    create = ["create", "-s", schedule_id, "--cron", "0 0 1 1 *", "--paused", "--type", "T", "-t", "q", "-w", "w"]
    assert run(group_programs("schedule")[1], [*create, *on], environment)[0] == 0
    reads = [
        ("workflow", ["list", *on, "-q", f"WorkflowId = '{workflow}'"]),
        ("workflow", ["count", *on, "-q", f"WorkflowId = '{workflow}'"]),
        ("workflow", ["describe", *on, "-w", workflow]),
        ("workflow", ["show", *on, "-w", workflow]),
        ("workflow", ["query", *on, "-w", workflow, "--name", "count"]),
        ("operator", ["namespace", "list", *on]),
        ("operator", ["search-attribute", "list", *on]),
        ("schedule", ["list", *on, "-q", "ScheduleId = 'drawn-none'"]),  # others' may be wide
        ("task-queue", ["describe", *on, "--task-queue", "drawn-nobody"]),
        ("operator", ["namespace", "describe", *on]),
        ("operator", ["cluster", "system", *on]),
        ("operator", ["cluster", "describe", *on, "--detail"]),
        ("operator", ["cluster", "health", *on]),
        ("schedule", ["describe", *on, "-s", schedule_id]),
        ("task-queue", ["list-partition", *on, "--task-queue", "drawn-nobody"]),
    ]
    for group, args in reads:
        shown = same_drawing(group, args, environment)
        assert drawn_lean(group, args, environment), (group, args)
        if group == "workflow" and args[0] in ("list", "describe", "show"):
            assert b"\x1b[1m" in shown  # bold headers or keys: a terminal's drawing
    listed = same_drawing("workflow", ["list", *on, "-q", f"WorkflowId = '{workflow}'"], environment)
    assert f"\x1b[1;34mRunning\x1b[0m  {workflow}".encode() in listed  # the status in its colour


@pytest.mark.parametrize(
    "environment_or_option",
    [{"NO_COLOR": "1"}, {"TERM": "xterm"}, {"COLORTERM": "truecolor"}, ["--color", "never"]],
)
def test_colours_follow_the_terminal_and_the_options_as_in_the_app(
    server_address: str, workflow: str, tmp_path: Path, environment_or_option: dict[str, str] | list[str]
) -> None:
    extra = environment_or_option if isinstance(environment_or_option, dict) else {}
    option = environment_or_option if isinstance(environment_or_option, list) else []
    environment = {**env(tmp_path), **extra}
    args = ["describe", "--address", server_address, "-w", workflow, *option]
    shown = same_drawing("workflow", args, environment)
    assert drawn_lean("workflow", args, environment)
    if extra.get("NO_COLOR") or option:
        assert b"\x1b[3" not in shown and b"\x1b[1m" in shown  # no colour, bold kept (as Rich does)


def test_what_rich_must_force_is_drawn_by_the_app(server_address: str, workflow: str, tmp_path: Path) -> None:
    # (A table wider than the terminal is drawn without Rich: tests/cli/test_lean_terminal_narrow.py.)
    environment = env(tmp_path)
    listing = ["list", "--address", server_address, "-q", f"WorkflowId = '{workflow}'"]
    forced = {**environment, "FORCE_COLOR": "1"}
    same_drawing("workflow", listing, forced)
    assert not drawn_lean("workflow", listing, forced)


def test_a_start_and_a_signal_on_a_terminal_are_the_apps(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    workflow_id = f"drawn-start-{uuid.uuid4().hex[:8]}"
    on = ["--address", server_address]
    assert b"Running execution:" in drawn(
        [*TEMPO, "start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id], environment
    )
    assert not drawn_lean("workflow", ["signal", *on, "-w", workflow_id, "--name", "add", "-i", '"tea"'], environment)
