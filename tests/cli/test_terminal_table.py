"""Tables drawn for a terminal without Rich (tempo_cli._terminal_table) are byte for byte what
Rich draws there for the app (tempo_cli._cli.CliContext.print_table): on random tables, in
each colour system, with and without colour."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style

from tempo_cli._plain_table import Column, Rows, Styled, rich_table
from tempo_cli._render_text import STATUS_STYLES
from tempo_cli._terminal_table import EIGHT_BIT, STANDARD, TRUECOLOR, terminal, terminal_lines

# The styles the commands' tables use, and a few more of the words the drawing knows.
STYLES = ["", "bold", "yellow", "bold red", "cyan", "dim", "italic underline", *STATUS_STYLES.values()]
SYSTEMS = {STANDARD: "standard", EIGHT_BIT: "256", TRUECOLOR: "truecolor"}


def rich_lines(table: Rows, width: int, colors: str, no_color: bool) -> list[str]:
    """What the app prints for ``table`` on such a terminal."""
    # Rich keeps each style's codes for the first colour system it was drawn in: one per
    # process in the app, several here.
    Style.parse.cache_clear()
    Style._add.cache_clear()
    console = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system=SYSTEMS[colors],  # type: ignore[arg-type]
        width=width,
        no_color=no_color or None,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    with console.capture() as captured:
        console.print(rich_table(table))
    return [line.rstrip() for line in captured.get().splitlines()]


texts = st.text(alphabet=st.sampled_from("ab Z-:…é7 "), max_size=14)
cells = st.one_of(texts, st.builds(Styled, texts, st.sampled_from(STYLES)))


@st.composite
def tables(draw: st.DrawFn) -> Rows:
    columns = draw(
        st.lists(
            st.builds(
                Column,
                header=texts,
                width=st.one_of(st.none(), st.integers(1, 12)),
                right=st.booleans(),
                style=st.sampled_from(STYLES),
                fold=st.booleans(),
            ),
            min_size=1,
            max_size=5,
        )
    )
    rows = draw(st.lists(st.tuples(*[cells] * len(columns)), max_size=5))
    return Rows(columns, show_header=draw(st.booleans()), rows=rows)


@settings(max_examples=400, deadline=None)
@given(tables(), st.integers(10, 120), st.sampled_from(list(SYSTEMS)), st.booleans())
def test_a_table_drawn_without_rich_is_the_one_rich_draws(table: Rows, width: int, colors: str, no_color: bool) -> None:
    lines = terminal_lines(table, width, colors, no_color)
    if lines is not None:
        assert lines == rich_lines(table, width, colors, no_color), _described(table)


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


def test_a_table_wider_than_the_terminal_is_left_to_rich() -> None:
    table = Rows([Column("Workflow Id"), Column("Type")])
    table.add_row("w" * 30, "t" * 30)
    assert terminal_lines(table, 62, STANDARD, False) is not None
    assert terminal_lines(table, 61, STANDARD, False) is None


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


def _described(table: Rows) -> str:
    columns = [(c.header, c.width, c.right, c.style, c.fold) for c in table.columns]
    return f"{columns} header={table.show_header} rows={[[repr(cell) for cell in row] for row in table.rows]}"
