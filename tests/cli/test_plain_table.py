"""Tables printed without Rich (to pipes and files) are the lines Rich prints for them."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tempo_cli._plain_table import Column, Rows, Styled, plain_lines, rich_table

# Printable Latin, the ellipsis, and a few characters Rich measures itself (wide, combining,
# control): for those the plain layout must step aside.
TEXT = st.text(alphabet=st.sampled_from("ab Z09-:_.{}\"'[]é…漢\u0301\t"), max_size=12)
COLUMNS = st.lists(
    st.builds(
        Column,
        header=TEXT,
        width=st.one_of(st.none(), st.integers(1, 8)),
        right=st.booleans(),
        style=st.sampled_from(["", "bold"]),
        fold=st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


def printed_by_rich(table: Rows) -> list[str]:
    """As the CLI prints to a non-terminal: wide, no colour, trailing spaces removed."""
    console = Console(file=io.StringIO(), width=10_000, soft_wrap=True, markup=False, highlight=False, emoji=False)
    with console.capture() as captured:
        console.print(rich_table(table))
    return [line.rstrip() for line in captured.get().splitlines()]


@settings(max_examples=300, deadline=None)
@given(columns=COLUMNS, data=st.data(), show_header=st.booleans())
def test_plain_lines_are_richs_lines(columns: list[Column], data: st.DataObject, show_header: bool) -> None:
    cell = st.one_of(TEXT, st.builds(Styled, TEXT, st.sampled_from(["", "bold blue"])))
    rows = data.draw(st.lists(st.tuples(*[cell for _ in columns]), max_size=4))
    table = Rows(columns, show_header=show_header, rows=rows)
    lines = plain_lines(table)
    if lines is not None:
        assert lines == printed_by_rich(table)


def test_the_everyday_tables_are_plain() -> None:
    table = Rows([Column("Status"), Column("WorkflowId")], rows=[(Styled("Running", "bold blue"), "order-3")])
    assert plain_lines(table) == ["Status   WorkflowId", "Running  order-3"]
    assert plain_lines(Rows([Column("ID", width=5, right=True)], rows=[("12",)])) == ["   ID", "   12"]
    assert plain_lines(Rows([Column("Type", width=4)], show_header=False, rows=[("Signaled",)])) == ["Sig…"]
    assert plain_lines(Rows([Column("Name")], rows=[("漢字",)])) is None  # Rich measures wide characters
