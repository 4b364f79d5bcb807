"""The tables of `tempo_cli._plain_table` as Rich draws them in a terminal, without Rich.

Importing Rich is 37 ms, more than a whole `temporal workflow list` takes. A table whose
columns fit the terminal's width side by side, with plain one-cell characters and styles
made of the few words below, Rich draws simply: each cell padded to its column's width
(a space either side, none at the table's edges), each piece of text in its own pair of
ANSI codes. :func:`terminal_lines` draws such a table the same way, byte for byte
(tests/cli/test_terminal_table.py compares it with Rich on random tables), and answers None
for anything else (a table wider than the terminal, which Rich shrinks; a style it does
not know), which Rich then draws. :func:`terminal` tells which colours a terminal gets, as
Rich's `Console` finds out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tempo_cli._plain_table import Rows, Styled, laid_out

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


def _parsed(names: list[str]) -> list[_Style] | None:
    """The styles ``names`` name, None if one of them holds a word not known here."""
    styles = []
    for name in names:
        style = _parse(name)
        if style is None:
            return None
        styles.append(style)
    return styles


def terminal_lines(table: Rows, width: int, colors: str, no_color: bool) -> list[str] | None:
    """The lines Rich draws for ``table`` on a terminal ``width`` cells wide, trailing spaces
    removed (as the app prints them); None when Rich must draw it."""
    header = _Style(frozenset({_ATTRIBUTES["bold"]}))
    column_styles = _parsed([column.style for column in table.columns])
    cell_styles = [_parsed([cell.style if isinstance(cell, Styled) else "" for cell in row]) for row in table.rows]
    if column_styles is None or any(row is None for row in cell_styles):
        return None  # a style word not known here
    rows = laid_out(table) if table.columns else None
    if not rows:
        return None  # Rich's to draw (nothing, or an empty header a cell wide)
    widths = [len(cell) for cell in rows[0]]
    if sum(widths) + 2 * (len(widths) - 1) > width or 0 in widths:
        return None  # Rich shrinks the columns to fit (and makes an empty one a cell wide)
    lines = []
    for number, cells in enumerate(rows):
        # None for the header (all bold); a row's own styles otherwise.
        styles = None if table.show_header and number == 0 else cell_styles[number - table.show_header]
        pieces: list[str] = []
        for index, text in enumerate(cells):
            base = header if styles is None else column_styles[index]
            own = base if styles is None else base + styles[index]
            padding = _painted(" ", base, colors, no_color)
            if index > 0:
                pieces.append(padding)
            pieces.append(_painted(text, own, colors, no_color))
            if index < len(cells) - 1:
                pieces.append(padding)
        lines.append("".join(pieces).rstrip())
    return lines


def _painted(text: str, style: _Style, colors: str, no_color: bool) -> str:
    codes = style.codes(colors, no_color) if text else ""
    return f"\x1b[{codes}m{text}\x1b[0m" if codes else text
