"""How Rich fits a borderless table to a terminal narrower than its content, without Rich.

`tempo_cli._plain_table.rich_table` gives Rich a table with no border, a space of padding
either side of each cell (none at the table's edges), and columns that either keep to one
line (cut with an ellipsis) or fold onto more lines. Rich gives each column its widest
cell's width; when the sum is more than the terminal's width it first narrows the columns
that may fold (the widest ones first, down towards the next widest), then, if that is not
enough, takes what is still missing from all the columns alike. Each cell is then wrapped
at word boundaries (a word longer than a line is chopped) or cut to its column's width.

:func:`column_widths` and :func:`cell_lines` answer the same widths and lines for cells of
one-cell characters (`_plain_table.one_cell_per_char`), where a text's length is its width;
tests/cli/test_terminal_table_narrow.py compares them with Rich on random tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

# A word as Rich wraps text: the whitespace before it (only a text's first word has any),
# its characters, and the whitespace after it, which stays on the word's line.
_WORD = re.compile(r"\s*\S+\s*")


class Fit:
    """What decides a column's width: its set width (None: its widest cell's), whether its
    cells fold onto more lines (else they keep to one), and the lengths of its cells."""

    __slots__ = ("fixed", "fold", "lengths")

    def __init__(self, fixed: int | None, fold: bool, lengths: Sequence[int]) -> None:
        self.fixed = fixed
        self.fold = fold
        self.lengths = lengths


def padding(index: int, count: int) -> tuple[int, int]:
    """The spaces left and right of the cells of column ``index`` of ``count``: one between
    two columns, none at the table's edges."""
    return (1 if index > 0 else 0), (1 if index < count - 1 else 0)


def column_widths(columns: Sequence[Fit], width: int) -> list[int] | None:
    """Each column's width, padding included, on a terminal ``width`` cells wide, as Rich
    gives it; None when there is no room at all. (Columns narrower than their share keep
    what they cannot give, so the sum may still pass ``width``: Rich then crops the lines.)"""
    if width < 1:
        return None
    count = len(columns)
    pads = [sum(padding(index, count)) for index in range(count)]
    widths = [_widest(column, pad, width) or 1 for column, pad in zip(columns, pads, strict=True)]
    if sum(widths) <= width:
        return widths
    # Columns that fold and have no set width give way first; the others keep their width
    # unless even that is not enough.
    widths = _narrowed(widths, [column.fixed is None and column.fold for column in columns], width)
    if sum(widths) > width:
        widths = _taken(sum(widths) - width, [1] * count, widths, widths)
    # Rich measures each column again within its new width.
    return [_widest(column, pad, room) for column, pad, room in zip(columns, pads, widths, strict=True)]


def _widest(column: Fit, pad: int, room: int) -> int:
    """How wide the column's cells want to be within ``room`` cells, their padding included."""
    if room < 1:
        return 0
    if column.fixed is not None:
        return min(column.fixed + pad, room)
    if not column.lengths:
        return room
    if room - pad < 1:
        return room  # no room for any text: the cell takes all there is
    return min(max(column.lengths) + pad, room)


def _narrowed(widths: list[int], narrowing: list[bool], width: int) -> list[int]:
    """``widths`` with the widest of the ``narrowing`` columns cut, down to the next widest
    and again, until the total is ``width`` or they are all as narrow as they can be."""
    if not any(narrowing):
        return widths
    excess = sum(widths) - width
    while excess > 0 and any(widths):  # (widths are never negative)
        candidates = [size for size, narrows in zip(widths, narrowing, strict=True) if narrows]
        widest = max(candidates)
        gap = widest - max((size for size in candidates if size != widest), default=0)
        if not gap:
            break
        shares = [1 if narrows and size == widest else 0 for size, narrows in zip(widths, narrowing, strict=True)]
        widths = _taken(excess, shares, [min(excess, gap)] * len(widths), widths)
        excess = sum(widths) - width
    return widths


def _taken(total: int, shares: list[int], limits: list[int], widths: list[int]) -> list[int]:
    """``widths`` less ``total`` cells shared out by ``shares``, none losing more than its
    limit; the rounding (Python's, half to even, of a float) is Rich's, so each column ends
    up exactly as wide as there."""
    shares = [share if limit else 0 for share, limit in zip(shares, limits, strict=True)]
    remaining_shares = sum(shares)
    left = total
    result = []
    for share, limit, size in zip(shares, limits, widths, strict=True):
        if share and remaining_shares > 0:
            cut = min(limit, round(share * left / remaining_shares))
            result.append(size - cut)
            left -= cut
            remaining_shares -= share
        else:
            result.append(size)
    return result


def cell_lines(text: str, width: int, fold: bool, right: bool) -> list[str]:
    """The lines of a cell's ``text`` in a column ``width`` characters wide (padding left
    out), each exactly that long: wrapped between words (a longer word chopped) when the
    column ``fold``s, else cut with an ellipsis; kept to the ``right`` or to the left."""
    pieces = [_trimmed(piece, width) for piece in _wrapped(text, width)] if fold else [text]
    lines = []
    for piece in pieces:
        if right:
            piece = piece.rstrip()
        if len(piece) > width:
            piece = piece[:width] if fold else piece[: width - 1] + "…"
        lines.append(piece.rjust(width) if right else piece.ljust(width))
    return lines


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters (their trailing spaces
    aside): each word (with the spaces after it) goes on the line it fits, else starts the
    next one; a word longer than a line is chopped into lines of its own, its last piece
    starting a line the next words may join."""
    breaks = []
    used = 0  # characters on the current line, trailing spaces included
    for word in _WORD.finditer(text):
        start, chars = word.start(), word.group()
        length = len(chars.rstrip())
        if length <= width - used:
            used += len(chars)
        elif length > width:
            for offset in range(0, len(chars), width):
                if start + offset:
                    breaks.append(start + offset)
                used = len(chars[offset : offset + width])
        elif used and start:
            breaks.append(start)
            used = len(chars)
    ends = [0, *breaks, len(text)]
    return [text[begin:end] for begin, end in pairwise(ends)]


def _trimmed(line: str, width: int) -> str:
    """``line`` without the trailing spaces that take it past ``width`` characters."""
    excess = len(line) - width
    if excess <= 0:
        return line
    spaces = len(line) - len(line.rstrip())
    return line[: len(line) - min(spaces, excess)]
