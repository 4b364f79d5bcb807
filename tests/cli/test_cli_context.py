"""The global options, parsed once per command: which one wins, and the one error path.

No server is needed: a malformed address is refused before anything connects, and the
refusal names the address the command resolved, so it shows which option won.
"""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner, Result

from tempo_cli.main import app

NO_ENV = {"TEMPORAL_ADDRESS": None, "TEMPORAL_NAMESPACE": None, "NO_COLOR": None}


def tempo(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={**NO_ENV, **(env or {})})


def refused_address(result: Result) -> str:
    """The address a command refused, from its one-line error."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    prefix, quoted, _ = lines[0].split("'", 2)
    assert prefix == "error: invalid server address "
    return quoted


@pytest.mark.parametrize("group", ["workflow", "activity"])
@pytest.mark.parametrize(
    ("before", "after", "env", "used"),
    [
        ((), (), "from-env", "from-env"),
        (("--address", "before"), (), "from-env", "before"),
        ((), ("--address", "after"), "from-env", "after"),
        (("--address", "before"), ("--address", "after"), "from-env", "after"),
    ],
)
def test_options_after_the_subcommand_win_then_before_then_the_environment(
    group: str, before: tuple[str, ...], after: tuple[str, ...], env: str | None, used: str
) -> None:
    command = ["count"] if group == "workflow" else ["pause", "-w", "wf", "-a", "1"]
    result = tempo(group, *before, *command, *after, env={"TEMPORAL_ADDRESS": env})
    assert refused_address(result) == used


def test_start_and_execute_take_the_same_options() -> None:
    workflow_group = typer.main.get_command(app).commands["workflow"]  # type: ignore[attr-defined]
    start, execute = workflow_group.commands["start"], workflow_group.commands["execute"]

    def flags(command: object) -> list[tuple[str, ...]]:
        return [tuple(p.opts) for p in command.params]  # type: ignore[attr-defined]

    assert flags(start) == flags(execute)
    assert ("--type",) in flags(start) and ("--static-details",) in flags(start)
    globals_start = flags(start).index(("--address",))
    assert flags(start)[globals_start : globals_start + 5] == [
        ("--address",),
        ("--namespace", "-n"),
        ("--output", "-o"),
        ("--color",),
        ("--tls",),
    ]
    assert flags(start)[-1] == ("--env-file",)


@pytest.mark.parametrize(
    "args",
    [
        ["server", "start-dev", "--port", "70000"],
        ["server", "start-dev", "--port", "0", "--search-attribute", "Color"],
        ["server", "start-dev", "--port", "0", "--dynamic-config-value", "limit.blobSize.error"],
        ["create", "--sample", "nope", "somewhere"],
        ["tui", "--address", "nonsense"],
    ],
)
def test_commands_without_a_server_connection_fail_with_the_same_one_line(args: list[str]) -> None:
    result = tempo(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
