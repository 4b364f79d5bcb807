"""Column widths for DataTables set as soon as rows are added or cells change.

Textual's DataTable measures added and changed cells only on its next idle turn, but caches
the lines it draws before then (under keys that leave the column widths out) and draws them
again afterwards. On a busy machine the screen draws a table in between, and every column of
automatic width stays cut to its header's width ("▶ Runn  secret-f83a  Secr") until its rows
change again: for good in a table filled once. A table whose height follows its rows escapes
it when the measuring changes its height (a resize drops the cached lines), not when it is
refreshed with as many rows; a table of fixed height never escapes it. So every table of the
TUI whose columns fit their cells and that can be refilled calls one of these right after
adding rows or changing cells, and the idle turn finds nothing left to widen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from rich.console import ConsoleRenderable, RichCast
from rich.text import Text
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


def widen_columns(table: DataTable[Any], rows: Iterable[RowKey] | None = None) -> None:
    """Widen each column of automatic width now to its header and the cells of ``rows`` (every
    row by default), as the idle turn would after rows are added: a column never narrows here,
    as it does not there (a table cleared and refilled keeps its widths)."""
    columns = [(index, column) for index, column in enumerate(table.ordered_columns) if column.auto_width]
    if not columns:
        return
    console = table.app.console
    keys = list(table.rows) if rows is None else [key for key in rows if key in table.rows]
    for key in keys:
        cells = table.get_row(key)
        for index, column in columns:
            if index < len(cells):
                column.content_width = max(column.content_width, _width(console, cells[index]))
    for _, column in columns:
        column.content_width = max(column.content_width, measure(console, column.label, 1))


def fit_columns(table: DataTable[Any]) -> None:
    """Give each column of automatic width now exactly the width of its header or its widest
    cell, as the idle turn would after cells change (they may have grown or shrunk)."""
    for column in table.ordered_columns:
        if column.auto_width:
            column.content_width = 0
    widen_columns(table)


def _width(console: Any, value: object) -> int:
    """The cells a value takes in a table row of height one, measured as DataTable measures
    it: a string is markup and only its first line shows; a Text's styles take none. Plain
    strings and Text skip Rich's measuring, which also finds the widest word: this runs for
    every cell of a long history."""
    if isinstance(value, Text):
        return _text_width(value)
    if isinstance(value, (ConsoleRenderable, RichCast)):  # as rich's is_renderable, but for a str
        return measure(console, value, 1)
    line = (f"{value:.2f}" if isinstance(value, float) else str(value)).split("\n", 1)[0]
    if isinstance(value, str) and "[" in line:
        return _text_width(Text.from_markup(line))
    return cell_len(line)


def _text_width(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.splitlines()), default=0)
