"""What a terminal shows after a program's output (a TUI session's escape sequences), as text:
a failed wait on a drawn screen says what was on it, not the last bytes of a stream of cursor
moves and colours."""

from __future__ import annotations

import re

_ESCAPE = re.compile(
    r"\x1b\[(?P<params>[0-9;?<=>]*)[ -/]*(?P<final>[@-~])"  # CSI: cursor moves, colours, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, links
    r"|\x1b[@-Z\\-_]"  # any other two-byte sequence
)


def screen_text(stream: str, width: int, height: int) -> str:
    """The screen ``width`` x ``height`` after ``stream``, one line a row, trailing blanks cut.

    Follows what a full-screen program uses to place its text (absolute and relative cursor
    moves, clearing the screen, new lines); colours and modes draw nothing and are skipped.
    """
    grid = [[" "] * width for _ in range(height)]
    row = column = 0

    def put(text: str) -> None:
        nonlocal row, column
        for char in text:
            if char == "\n":
                row, column = min(row + 1, height - 1), 0
            elif char == "\r":
                column = 0
            elif char >= " ":
                if column < width:
                    grid[row][column] = char
                column += 1

    position = 0
    for escape in _ESCAPE.finditer(stream):
        put(stream[position : escape.start()])
        position = escape.end()
        final, params = escape["final"], escape["params"]
        if final is None or params.startswith("?"):
            continue
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
        count = max(numbers[0], 1) if numbers else 1
        if final in "Hf":
            row = min(max(numbers[0] if numbers else 1, 1), height) - 1
            column = min(max(numbers[1] if len(numbers) > 1 else 1, 1), width) - 1
        elif final == "A":
            row = max(row - count, 0)
        elif final == "B":
            row = min(row + count, height - 1)
        elif final == "C":
            column = min(column + count, width - 1)
        elif final == "D":
            column = max(column - count, 0)
        elif final == "G":
            column = min(count, width) - 1
        elif final == "J" and numbers[:1] == [2]:
            grid = [[" "] * width for _ in range(height)]
    put(stream[position:])
    return "\n".join("".join(line).rstrip() for line in grid).rstrip("\n")
