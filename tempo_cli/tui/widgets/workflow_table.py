"""The list of workflow runs: refreshed in place, keeping the cursor and the scroll position."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from sdk.client import WorkflowExecution
from tempo_cli.tui.formatting import timestamp
from tempo_cli.tui.styles import Palette

COLUMNS = [
    ("status", "Status"),
    ("workflow_id", "Workflow ID"),
    ("type", "Type"),
    ("start", "Start"),
    ("close", "Close"),
    ("task_queue", "Task queue"),
    ("history", "Events"),
]


class WorkflowTable(DataTable[object]):
    """One page of runs, one row per run, keyed by run ID."""

    @dataclass
    class Opened(Message):
        """The user pressed Enter on a run."""

        execution: WorkflowExecution
        table: WorkflowTable

        @property
        def control(self) -> WorkflowTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._runs: dict[str, WorkflowExecution] = {}
        self._keys: list[str] = []
        self._cells: dict[str, tuple[object, ...]] = {}

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def current(self) -> WorkflowExecution | None:
        """The run under the cursor."""
        if not self._keys or not 0 <= self.cursor_row < len(self._keys):
            return None
        return self._runs.get(self._keys[self.cursor_row])

    @property
    def runs(self) -> list[WorkflowExecution]:
        """The runs shown, top to bottom."""
        return [self._runs[key] for key in self._keys if key in self._runs]

    def show(self, executions: Sequence[WorkflowExecution], tz: datetime.tzinfo | None) -> None:
        """Show these runs. Rows that stay only have changed cells redrawn; when rows come
        or go, the cursor stays on the same run and at the same height on screen."""
        keys = [e.run_id for e in executions]
        palette = Palette(self.app)
        cells = {e.run_id: _cells(e, tz, palette) for e in executions}
        self._runs = {e.run_id: e for e in executions}
        if keys == self._keys:
            for key in keys:
                old = self._cells.get(key, ())
                for (column, _), value, before in zip(COLUMNS, cells[key], old, strict=False):
                    if value != before:
                        self.update_cell(key, column, value, update_width=True)
            self._cells = cells
            return
        cursor_key = self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None
        offset = self.cursor_row - round(self.scroll_y)
        self.clear()
        self._keys, self._cells = keys, cells
        for key in keys:
            self.add_row(*cells[key], key=key)
        if cursor_key in cells:
            row = keys.index(cursor_key)
            self.move_cursor(row=row, scroll=False)
            self.scroll_to(y=max(0, row - offset), animate=False, immediate=True)
        else:
            self.move_cursor(row=0)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        run = self._runs.get(str(event.row_key.value))
        if run is not None:
            self.post_message(self.Opened(run, self))


def _cells(run: WorkflowExecution, tz: datetime.tzinfo | None, palette: Palette) -> tuple[object, ...]:
    return (
        palette.status(run.status),
        run.workflow_id,
        run.workflow_type,
        timestamp(run.start_time, tz),
        timestamp(run.close_time, tz),
        run.task_queue,
        str(run.history_length),
    )
