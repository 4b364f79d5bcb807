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


def test_every_command_is_covered() -> None:
    assert ("server", "start-dev") in COMMANDS and ("workflow", "start") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "tempo")
def test_help_has_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output
    assert "tempo " in result.output.split("Examples", 1)[1]
