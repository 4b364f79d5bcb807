"""The tables the everyday commands print, as data, and how they look without Rich.

Importing Rich costs about 30 ms, an eighth of a `tempo workflow list`. When the output is
not a terminal (a pipe, a file: what scripts read), a table of plain text is laid out
here exactly as Rich lays it out there (borderless, no colour, never wrapped); in a
terminal, or with a cell Rich measures differently (wide or combining characters, control
characters), the same :class:`Rows` become a Rich table (:func:`rich_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table


# Plain classes, not dataclasses: making a dataclass runs generated code (about 0.3 ms each),
# and these load with every `tempo workflow` command (tempo_cli._lean_commands).
class Styled:
    """A cell's text with a Rich style (colours only show in a terminal)."""

    __slots__ = ("style", "text")

    def __init__(self, text: str, style: str = "") -> None:
        self.text = text
        self.style = style

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Styled) and (self.text, self.style) == (other.text, other.style)

    def __hash__(self) -> int:
        return hash((self.text, self.style))

    def __repr__(self) -> str:
        return f"Styled(text={self.text!r}, style={self.style!r})"


Cell = str | Styled


class Column:
    """A column: its header, a fixed width (else its widest cell's), which side it keeps to,
    a style for all its cells, and whether long cells wrap onto more lines (in a terminal;
    otherwise they are cut with an ellipsis)."""

    __slots__ = ("fold", "header", "right", "style", "width")

    def __init__(
        self, header: str = "", width: int | None = None, right: bool = False, style: str = "", fold: bool = False
    ) -> None:
        self.header = header
        self.width = width
        self.right = right
        self.style = style
        self.fold = fold


class Rows:
    """A borderless table: columns two spaces apart, cells padded to their column's width."""

    __slots__ = ("columns", "rows", "show_header")

    def __init__(
        self, columns: Sequence[Column], show_header: bool = True, rows: list[tuple[Cell, ...]] | None = None
    ) -> None:
        self.columns = columns
        self.show_header = show_header
        self.rows: list[tuple[Cell, ...]] = [] if rows is None else rows

    def add_row(self, *cells: Cell) -> None:
        self.rows.append(cells)


def _text(cell: Cell) -> str:
    return cell.text if isinstance(cell, Styled) else cell


def one_cell_per_char(text: str) -> bool:
    # Latin (below the combining marks at U+0300) and the ellipsis are one cell each for Rich
    # too; anything else, and control characters, Rich measures itself.
    return all((" " <= c < "\x7f") or ("\xa0" <= c < "\u0300") or c == "…" for c in text)


def plain_lines(table: Rows) -> list[str] | None:
    """The lines Rich prints for ``table`` on a wide non-terminal, trailing spaces removed;
    None when a cell needs Rich to measure it."""
    rows = laid_out(table)
    return None if rows is None else ["  ".join(cells).rstrip() for cells in rows]


def laid_out(table: Rows) -> list[list[str]] | None:
    """Each line's cells (the header's first, when it is shown), each padded to its column's
    width as Rich lays a table out when it has the room; None when a cell needs Rich to
    measure or fold it. (`_terminal_table` lays tables out for a terminal on its own, narrowed
    to its width as Rich narrows them.)"""
    texts = [[_text(cell) for cell in row] for row in table.rows]
    if table.show_header:
        texts.insert(0, [column.header for column in table.columns])
    if not all(one_cell_per_char(text) for row in texts for text in row):
        return None
    widths = []
    for index, column in enumerate(table.columns):
        widest = max((len(row[index]) for row in texts), default=0)
        widths.append(column.width if column.width is not None else widest)
    rows = []
    for row in texts:
        cells = []
        for text, width, column in zip(row, widths, table.columns, strict=True):
            if column.right:
                text = text.rstrip()  # as Rich right-justifies a line
            if len(text) > width:
                if column.fold:
                    return None  # onto more lines: Rich's way of folding
                text = text[: width - 1] + "…"
            cells.append(text.rjust(width) if column.right else text.ljust(width))
        rows.append(cells)
    return rows


def rich_table(table: Rows) -> Table:
    """The same table for Rich to print (in a terminal: coloured, fitted to its width)."""
    from rich.table import Table
    from rich.text import Text

    rich = Table(box=None, show_header=table.show_header, pad_edge=False, header_style="bold")
    for column in table.columns:
        rich.add_column(
            column.header,
            justify="right" if column.right else "left",
            width=column.width,
            style=column.style or None,
            no_wrap=not column.fold,
            overflow="fold" if column.fold else "ellipsis",
        )
    for row in table.rows:
        rich.add_row(*(Text(cell.text, style=cell.style) if isinstance(cell, Styled) else Text(cell) for cell in row))
    return rich
