"""The README's table of `temporal` commands says which ones `tempo` has, and is kept true."""

from __future__ import annotations

from pathlib import Path

from tests.cli.command_table import HEADING, section, tempo_commands, temporal_commands

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_what_the_two_clis_have() -> None:
    text = README.read_text()
    assert HEADING in text, "the README has the table"
    start = text.index(HEADING)
    end = text.index("\n## ", start)
    assert text[start:end].rstrip() + "\n" == section(), "regenerate it: python -m tests.cli.command_table"


def test_tempo_has_no_command_the_real_cli_lacks_beyond_its_own() -> None:
    """Commands of tempo's own (tui, create, codec or test helpers) are named; the rest mirror `temporal`."""
    own = {"tui", "create", "codec-server"}
    assert tempo_commands() - own - set(temporal_commands()) == set()
