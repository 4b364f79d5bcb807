"""What Rich itself draws for a table of `tempo_cli._plain_table` on a terminal, through the
app's own `rich_table` and console settings (`tempo_cli._cli._console`): the reference the
drawings without Rich (`tempo_cli._terminal_table`) are compared with, on random tables."""

from __future__ import annotations

import io

from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style

from tempo_cli._plain_table import Column, Rows, Styled, rich_table
from tempo_cli._render_text import STATUS_STYLES
from tempo_cli._terminal_table import EIGHT_BIT, STANDARD, TRUECOLOR

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


def tables(texts: st.SearchStrategy[str], max_columns: int, max_rows: int) -> st.SearchStrategy[Rows]:
    """Random tables of cells drawn from ``texts``, each column's options drawn too."""
    cells = st.one_of(texts, st.builds(Styled, texts, st.sampled_from(STYLES)))

    @st.composite
    def drawn(draw: st.DrawFn) -> Rows:
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
                max_size=max_columns,
            )
        )
        rows = draw(st.lists(st.tuples(*[cells] * len(columns)), max_size=max_rows))
        return Rows(columns, show_header=draw(st.booleans()), rows=rows)

    return drawn()


def described(table: Rows) -> str:
    """The table as a test's failure shows it."""
    columns = [(c.header, c.width, c.right, c.style, c.fold) for c in table.columns]
    return f"{columns} header={table.show_header} rows={[[repr(cell) for cell in row] for row in table.rows]}"
