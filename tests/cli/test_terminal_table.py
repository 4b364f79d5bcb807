"""Tables drawn for a terminal without Rich (tempo_cli._terminal_table) are byte for byte what
Rich draws there for the app (tempo_cli._cli.CliContext.print_table): on random tables, in
each colour system, with and without colour."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tempo_cli._plain_table import Column, Rows, Styled
from tempo_cli._render_text import STATUS_STYLES
from tempo_cli._terminal_table import EIGHT_BIT, STANDARD, TRUECOLOR, terminal, terminal_lines
from tests.cli.rich_drawing import SYSTEMS, described, rich_lines, tables

texts = st.text(alphabet=st.sampled_from("ab Z-:…é7 "), max_size=14)


@settings(max_examples=400, deadline=None)
@given(tables(texts, max_columns=5, max_rows=5), st.integers(10, 120), st.sampled_from(list(SYSTEMS)), st.booleans())
def test_a_table_drawn_without_rich_is_the_one_rich_draws(table: Rows, width: int, colors: str, no_color: bool) -> None:
    lines = terminal_lines(table, width, colors, no_color)
    if lines is not None:
        assert lines == rich_lines(table, width, colors, no_color), described(table)


def test_the_commands_tables_are_drawn_without_rich_when_they_fit() -> None:
    table = Rows([Column("Status"), Column("Workflow Id"), Column("Type"), Column("Start Time")])
    for status, style in STATUS_STYLES.items():
        table.add_row(Styled(f"status {status}", style), f"order-{status}", "OrderWorkflow", "2026-12-06 12:00:00")
    keys = Rows([Column(style="bold"), Column(fold=True)], show_header=False)
    keys.add_row("Workflow Id", "order-1")
    for colors in SYSTEMS:
        for no_color in (False, True):
            for drawn in (table, keys):
                lines = terminal_lines(drawn, 100, colors, no_color)
                assert lines is not None
                assert lines == rich_lines(drawn, 100, colors, no_color)


def test_a_table_wider_than_the_terminal_is_shrunk_as_rich_shrinks_it() -> None:
    table = Rows([Column("Workflow Id"), Column("Type")])
    table.add_row("w" * 30, "t" * 30)
    for width in (62, 61, 40):
        lines = terminal_lines(table, width, STANDARD, False)
        assert lines == rich_lines(table, width, STANDARD, False)
    # One column short: Rich takes it from the last column (half a cell rounds to even: 0).
    shrunk = terminal_lines(table, 61, STANDARD, False)
    assert shrunk is not None and shrunk[1] == "w" * 30 + "  " + "t" * 28 + "…"


def test_the_terminal_is_seen_as_rich_sees_it() -> None:
    assert terminal({"COLUMNS": "132", "TERM": "xterm-256color"}, "auto") == (132, EIGHT_BIT, False)
    assert terminal({"COLUMNS": "90", "COLORTERM": "truecolor", "NO_COLOR": "1"}, "auto") == (90, TRUECOLOR, True)
    assert terminal({"COLUMNS": "90", "TERM": "xterm"}, "never") == (90, STANDARD, True)
    for forcing in ({"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}, {"TERM": "dumb"}):
        assert terminal({"COLUMNS": "90", **forcing}, "auto") is None
    assert terminal({"COLUMNS": "90"}, "always") is None
    for environ in ({"TERM": "xterm-256color"}, {"COLORTERM": "24bit"}, {"TERM": "xterm-16color"}, {}):
        console = Console(file=io.StringIO(), force_terminal=True, _environ=environ)
        seen = terminal(environ, "auto")
        assert seen is not None and SYSTEMS[seen[1]] == console.color_system
