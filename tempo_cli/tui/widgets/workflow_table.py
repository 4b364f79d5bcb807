"""The list of workflow runs: refreshed in place, keeping the cursor and the scroll position."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from sdk.client import WorkflowExecution
from tempo_cli.tui.formatting import short_timestamp, timestamp, zone_name
from tempo_cli.tui.styles import Palette, status_label
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.table_widths import fit_columns, widen_columns

COLUMNS = [
    ("status", "Status"),
    ("workflow_id", "Workflow ID"),
    ("type", "Type"),
    ("start", "Start"),
    ("close", "Close"),
    ("task_queue", "Task queue"),
    ("history", "Events"),
]
TIME_COLUMNS = {"start", "close"}


@dataclass(frozen=True)
class Layout:
    """Which columns a width has room for, and how times are written."""

    columns: tuple[str, ...]
    short_times: bool = False


LAYOUTS = [
    Layout(("status", "workflow_id", "type", "start", "close", "task_queue", "history")),
    Layout(("status", "workflow_id", "type", "start", "close", "task_queue")),
    Layout(("status", "workflow_id", "type", "start", "close")),
    Layout(("status", "workflow_id", "type", "start", "close"), short_times=True),
]
"""From the widest down: what a narrow table gives up first (events, task queue, the year)."""


class WorkflowTable(DataTable[object]):
    """One page of runs, one row per run, keyed by run ID.

    The time columns name their zone. A narrow table leaves out the columns that matter
    least, then the year, rather than cutting times off at the right edge.
    """

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
        self._executions: list[WorkflowExecution] = []
        self._tz: datetime.tzinfo | None = None
        self.layout_in_use: Layout | None = None
        """The columns and time format shown."""

    def on_mount(self) -> None:
        self._set_layout(LAYOUTS[0])

    def on_resize(self) -> None:
        if self._choose_layout() != self.layout_in_use:
            self.show(self._executions, self._tz)

    def _set_layout(self, layout: Layout) -> None:
        self.layout_in_use = layout
        self.clear(columns=True)
        self._keys, self._cells = [], {}
        zone = zone_name(self._tz)
        labels = dict(COLUMNS)
        for key in layout.columns:
            self.add_column(f"{labels[key]} ({zone})" if key in TIME_COLUMNS else labels[key], key=key)

    def _choose_layout(self) -> Layout:
        """The widest layout whose columns fit the table's width (all of them before layout)."""
        room = self.scrollable_content_region.width
        if room <= 0:
            return self.layout_in_use or LAYOUTS[0]
        zone = zone_name(self._tz)
        labels = dict(COLUMNS)
        for layout in LAYOUTS:
            cells = [_cells(e, self._tz, layout, None) for e in self._executions]
            needed = 0
            for index, key in enumerate(layout.columns):
                header = f"{labels[key]} ({zone})" if key in TIME_COLUMNS else labels[key]
                widest = max((cell_len(str(row[index])) for row in cells), default=0)
                needed += max(cell_len(header), widest) + 2 * self.cell_padding
            if needed <= room:
                return layout
        return LAYOUTS[-1]

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
        zone_changed = zone_name(tz) != zone_name(self._tz)
        self._executions, self._tz = list(executions), tz
        layout = self._choose_layout()
        cursor_key = self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None
        offset = self.cursor_row - round(self.scroll_y)
        if layout != self.layout_in_use or zone_changed:
            self._set_layout(layout)
        keys = [e.run_id for e in executions]
        palette = Palette(self.app)
        cells = {e.run_id: _cells(e, tz, layout, palette) for e in executions}
        self._runs = {e.run_id: e for e in executions}
        if keys == self._keys:
            for key in keys:
                old = self._cells.get(key, ())
                for column, value, before in zip(layout.columns, cells[key], old, strict=False):
                    if value != before:
                        self.update_cell(key, column, value, update_width=True)
            self._cells = cells
            fit_columns(self)  # now, not on the idle turn: see table_widths
            return
        self.clear()
        self._keys, self._cells = keys, cells
        for key in keys:
            self.add_row(*cells[key], key=key)
        widen_columns(self)
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


def _cells(
    run: WorkflowExecution, tz: datetime.tzinfo | None, layout: Layout, palette: Palette | None
) -> tuple[object, ...]:
    """The row of a run in a layout (``palette`` ``None``: plain text, for measuring)."""
    when = short_timestamp if layout.short_times else timestamp
    values: dict[str, object] = {
        "status": palette.status(run.status) if palette is not None else Text(status_label(run.status)),
        "workflow_id": run.workflow_id,
        "type": run.workflow_type,
        "start": when(run.start_time, tz),
        "close": when(run.close_time, tz),
        "task_queue": run.task_queue,
        "history": str(run.history_length),
    }
    return verbatim_row(*(values[key] for key in layout.columns))
