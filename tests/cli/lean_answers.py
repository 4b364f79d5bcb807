"""What the lean paths' tests share: the modules a lean run never loads, and a command line's
answer as users get it next to the Typer app's."""

from __future__ import annotations

import uuid

from tests.cli.answers import TEMPO, group_programs, run, settled_answers
from tests.cli.startup_checks import run_reporting_messages

NOT_LEAN = ("sdk.client", "tempo_cli._cli", "dataclasses", "rich", "grpc")
"""What the lean paths never load; the fast path (through the SDK's client) loads the first three."""


def answers(group: str, args: list[str], environment: dict[str, str]) -> tuple[tuple[int, str, str], ...]:
    """`tempo GROUP ARGS` as users run it, and the Typer app's answer to the same line."""
    tempo, app = group_programs(group)
    return settled_answers(tempo, app, args, environment)


def lean_answer(group: str, args: list[str], environment: dict[str, str]) -> tuple[int, str, list[str]]:
    """`tempo GROUP ARGS` in a fresh interpreter, which must answer on the lean path (loading
    none of :data:`NOT_LEAN`): its exit code, stdout, and the lines it wrote to stderr."""
    out, messages, code, modules = run_reporting_messages([group, *args], environment)
    assert ("tempo_cli._lean_commands" if group == "workflow" else "tempo_cli._lean_reads") in modules, args
    loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    assert not loaded, (args, loaded)
    return code, out, messages


def through_the_sdk_client(group: str, args: list[str], environment: dict[str, str]) -> tuple[int, str, list[str]]:
    """`tempo GROUP ARGS` in a fresh interpreter, which must have given way to the SDK's client
    (the fast path or the app): its exit code, stdout, and the lines it wrote to stderr."""
    out, messages, code, modules = run_reporting_messages([group, *args], environment)
    assert "tempo_cli._cli" in modules and "sdk.client" in modules, args
    return code, out, messages


STARTS = {
    "completed": ["--type", "Greeting", "-i", '"Ada"'],
    "failed": ["--type", "Failing", "-i", '"out of tea"'],
    "terminated": ["--type", "Waiter"],
    "continued": ["--type", "Countdown", "-i", "2"],
}
"""How a run of each kind starts (tests.sdk_client.workflows): it completes with "Hello, Ada!",
fails ("out of tea"), waits (to be terminated), or continues as new twice, then completes."""


def start_runs(
    prefix: str, kinds: tuple[str, ...], on: list[str], task_queue: str, env: dict[str, str]
) -> dict[str, str]:
    """A run of each kind of :data:`STARTS` started on ``task_queue`` (an official worker's),
    with an id of its own: the ids by kind."""
    ids = {kind: f"{prefix}-{kind}-{uuid.uuid4().hex[:8]}" for kind in kinds}
    for kind, workflow_id in ids.items():
        started = run(TEMPO, ["start", *on, "-t", task_queue, "-w", workflow_id, *STARTS[kind]], env)
        assert started[0] == 0, started
    return ids
