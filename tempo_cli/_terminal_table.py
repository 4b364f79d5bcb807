"""The tables of `tempo_cli._plain_table` as Rich draws them in a terminal, without Rich.

Importing Rich is 37 ms, more than a whole `temporal workflow list` takes. A table of plain
one-cell characters, with styles made of the few words below, Rich draws simply: each
column as wide as its widest cell, or, when the table is wider than the terminal, narrowed
as `_terminal_wrap` works out; each cell cut with an ellipsis or folded onto more lines to
its column's width, padded (a space either side, none at the table's edges), each piece of
text in its own pair of ANSI codes. :func:`terminal_lines` draws such a table the same way,
byte for byte (tests/cli/test_terminal_table.py and test_terminal_table_narrow.py compare it
with Rich on random tables), and answers None for anything else (a character Rich measures
itself, a style it does not know), which Rich then draws. :func:`terminal` tells which
colours a terminal gets, as Rich's `Console` finds out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from tempo_cli._plain_table import Rows, Styled
from tempo_cli._terminal_wrap import Fit, cell_lines, column_widths, padding

STANDARD, EIGHT_BIT, TRUECOLOR = "standard", "256", "truecolor"
"""Rich's colour systems on a terminal that is not Windows' legacy console."""

_ATTRIBUTES = {"bold": 1, "dim": 2, "italic": 3, "underline": 4, "reverse": 7, "strike": 9}
_BASE_COLORS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_STANDARD_COLORS = {
    name: number for number, name in enumerate([*_BASE_COLORS, *(f"bright_{name}" for name in _BASE_COLORS)])
}
# Colours of the 256 a table uses (by Rich's names), with the standard colour Rich shows
# instead on a 16-colour terminal (its nearest, as tests/cli/test_terminal_table.py checks).
_EIGHT_BIT_COLORS = {"dark_orange": (208, 9)}


class _Style:
    """Attributes (SGR numbers) and a foreground colour: all that the tables' styles hold."""

    __slots__ = ("attributes", "color")

    def __init__(self, attributes: frozenset[int] = frozenset(), color: str | None = None) -> None:
        self.attributes = attributes
        self.color = color

    def __add__(self, other: _Style) -> _Style:
        return _Style(self.attributes | other.attributes, other.color or self.color)

    def codes(self, colors: str, no_color: bool) -> str:
        codes = [str(number) for number in sorted(self.attributes)]
        if self.color is not None and not no_color:
            codes.append(_color_code(self.color, colors))
        return ";".join(codes)


def _color_code(name: str, colors: str) -> str:
    number = _STANDARD_COLORS.get(name)
    if number is None:
        number, nearest = _EIGHT_BIT_COLORS[name]
        if colors != STANDARD:
            return f"38;5;{number}"
        number = nearest
    return str(30 + number) if number < 8 else str(90 + number - 8)


def _parse(style: str) -> _Style | None:
    """The style a string of words names (`bold green`), None for any word not known here."""
    attributes: set[int] = set()
    color = None
    for word in style.split():
        if word in _ATTRIBUTES:
            attributes.add(_ATTRIBUTES[word])
        elif word in _STANDARD_COLORS or word in _EIGHT_BIT_COLORS:
            color = word
        else:
            return None
    return _Style(frozenset(attributes), color)


def terminal(environ: Mapping[str, str], color_option: str) -> tuple[int, str, bool] | None:
    """``(width, colour system, no colour)`` of the terminal the standard streams are on, as
    Rich's `Console` finds them for the app (`tempo_cli._cli._console`) in ``environ``; None
    when Rich would see it otherwise (a dumb terminal, variables that force or deny one)."""
    if any(name in environ for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")):
        return None
    if environ.get("TERM", "").lower() in ("dumb", "unknown") or color_option not in ("auto", "never"):
        return None
    width = 0
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        colors = TRUECOLOR
    else:
        kind = environ.get("TERM", "").strip().lower().rpartition("-")[2]
        colors = EIGHT_BIT if kind in ("256color", "kitty") else STANDARD
    no_color = color_option == "never" or environ.get("NO_COLOR", "") != ""
    return width or 80, colors, no_color


# A character that is not one cell wide for Rich as it is here, as `one_cell_per_char` sees
# them (printable ASCII, Latin below the combining marks, the ellipsis): one search over a
# long table's cells is much quicker than a test of each character.
_NOT_ONE_CELL = re.compile("[^ -~\xa0-\u02ff\u2026]")


def _styles(table: Rows) -> tuple[list[_Style], list[list[_Style]]] | None:
    """Each column's style, and each cell's with its column's; None if a style holds a word
    not known here. Each is parsed once: a long list's cells share a few."""
    parsed: dict[str, _Style | None] = {}
    column_styles = []
    for column in table.columns:
        style = parsed[column.style] = _parse(column.style)
        if style is None:
            return None
        column_styles.append(style)
    combined: dict[tuple[int, str], _Style | None] = {}
    cell_styles = []
    for row in table.rows:
        styles = []
        for index, cell in enumerate(row):
            name = cell.style if isinstance(cell, Styled) else ""
            if (index, name) not in combined:
                own = parsed[name] if name in parsed else parsed.setdefault(name, _parse(name))
                combined[index, name] = None if own is None else column_styles[index] + own
            style = combined[index, name]
            if style is None:
                return None
            styles.append(style)
        cell_styles.append(styles)
    return column_styles, cell_styles


def terminal_lines(table: Rows, width: int, colors: str, no_color: bool) -> list[str] | None:
    """The lines Rich draws for ``table`` on a terminal ``width`` cells wide, trailing spaces
    removed (as the app prints them); None when Rich must draw it."""
    styled = _styles(table)
    if styled is None:
        return None  # a style word not known here
    column_styles, cell_styles = styled
    texts = [[cell.text if isinstance(cell, Styled) else cell for cell in row] for row in table.rows]
    if table.show_header:
        texts.insert(0, [column.header for column in table.columns])
    if not table.columns or not texts or any(_NOT_ONE_CELL.search(text) for row in texts for text in row):
        return None  # Rich's to draw (nothing; or characters it measures itself)
    count = len(table.columns)
    fits = [
        Fit(column.width, column.fold, [len(row[index]) for row in texts]) for index, column in enumerate(table.columns)
    ]
    widths = column_widths(fits, width)
    pads = [padding(index, count) for index in range(count)]
    if widths is None:
        return None
    header = _Style(frozenset({_ATTRIBUTES["bold"]}))
    codes: dict[_Style, str] = {}  # each style's codes, worked out once
    lines = []
    for number, texts_of_row in enumerate(texts):
        heading = table.show_header and number == 0
        # The header is all bold; a row's cells have their column's style and their own.
        bases = [header] * count if heading else column_styles
        owns = bases if heading else cell_styles[number - table.show_header]
        # A column with no room for text beside its padding draws nothing (then blank lines).
        cells = [
            cell_lines(text, size - left - right, column.fold, column.right) if size - left - right >= 1 else []
            for text, size, (left, right), column in zip(texts_of_row, widths, pads, table.columns, strict=True)
        ]
        for pieces in _row(cells, widths, pads, bases, owns, heading):
            painted = []
            for text, style in _cropped(pieces, width):
                code = codes.get(style)
                if code is None:
                    code = codes[style] = style.codes(colors, no_color)
                painted.append(f"\x1b[{code}m{text}\x1b[0m" if code and text else text)
            lines.append("".join(painted))
    return [line.rstrip() for line in lines]


def _row(
    cells: list[list[str]],
    widths: list[int],
    pads: list[tuple[int, int]],
    bases: list[_Style],
    owns: list[_Style],
    heading: bool,
) -> list[list[tuple[str, _Style]]]:
    """The pieces of each line of a row, and their styles: each cell's lines between its
    padding (in its column's style), and a cell with fewer lines than the row blank lines
    of its column's style, below its text (above, in the header, which Rich puts at the
    bottom of its row)."""
    height = max(len(cell) for cell in cells)
    if not height:
        return [[(" " * sum(widths), _Style())]]  # Rich's unstyled line for a row of nothing
    lines = []
    for line in range(height):
        pieces = []
        for index, cell in enumerate(cells):
            at = line - (height - len(cell)) if heading else line
            if 0 <= at < len(cell):
                left, right = pads[index]
                pieces += [(" " * left, bases[index]), (cell[at], owns[index]), (" " * right, bases[index])]
            else:
                pieces.append((" " * widths[index], bases[index]))
        lines.append(pieces)
    return lines


def _cropped(pieces: list[tuple[str, _Style]], width: int) -> list[tuple[str, _Style]]:
    """The pieces of a line that fit ``width`` cells (the last one cut), as Rich crops a line
    when the columns it could not narrow enough are wider than the terminal."""
    kept = []
    used = 0
    for text, style in pieces:
        if used + len(text) >= width:
            kept.append((text[: width - used], style))
            break
        kept.append((text, style))
        used += len(text)
    return kept
