"""Every `tempo` command's --help shows examples (the first thing a new user reads)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tempo_cli.main import app


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(command, "commands"):  # a group
        for name, sub in command.commands.items():
            paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def _listed_in_help(prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The commands a user finds by reading `tempo --help`, then each group's --help, and so on."""
    result = CliRunner().invoke(app, [*prefix, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    paths = [prefix]
    if "\nCommands:\n" in result.output:
        for line in result.output.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0].splitlines():
            paths.extend(_listed_in_help((*prefix, line.split()[0])))
    return paths


def test_every_command_the_help_leads_to_is_covered() -> None:
    """The commands checked below are exactly those a user reaches through --help (every group
    walked, nothing hidden from the help)."""
    listed = _listed_in_help()
    assert sorted(listed) == sorted(COMMANDS)
    assert {("server", "start-dev"), ("workflow", "start"), ("workflow", "reset"), ("activity", "pause")} <= set(listed)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "tempo")
def test_help_has_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output
    assert "tempo " in result.output.split("Examples", 1)[1]
