"""Drawing DataTables as a busy machine does: the screen draws a table before the table's idle
turn, the one on which Textual's DataTable measures the rows just added."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from textual.events import Idle
from textual.pilot import Pilot
from textual.widgets import DataTable


def drawn_rows(table: DataTable[Any], rows: int) -> list[str]:
    """The table's first lines as the screen would draw them now (the header, then the rows)."""
    return [table.render_line(y).text for y in range(rows + 1)]


async def _skip(self: DataTable[Any], event: Idle) -> None:
    """An idle turn that does not come (yet)."""


@contextmanager
def idle_turns_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Inside, no DataTable gets its idle turn: whatever is drawn meanwhile is drawn before it,
    however quick the machine. The measuring left to it waits for the next turn after."""
    with monkeypatch.context() as patch:
        patch.setattr(DataTable, "_on_idle", _skip)
        yield


async def idle_turn(pilot: Pilot[Any], *tables: DataTable[Any]) -> None:
    """Give these tables their idle turn now (after ``idle_turns_held``)."""
    for table in tables:
        table.check_idle()
    await pilot.pause()
    await pilot.pause()
