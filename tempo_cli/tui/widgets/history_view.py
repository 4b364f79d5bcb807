"""The History tab: every event in order, or folded into one row per activity, timer and child."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.history.v1 import HistoryEvent
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from sdk.converter import DataConverter
from tempo_cli.tui.formatting import duration, time_of_day, zone_name
from tempo_cli.tui.history_model import EventRow, FoldedRow, event_row, fold
from tempo_cli.tui.styles import Palette
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.table_widths import widen_columns

DETAILS_WIDTH = 160
"""Characters of details shown in a cell; Enter shows everything."""

FULL_COLUMNS = [("id", "#"), ("time", "Time"), ("type", "Event"), ("details", "Details")]
COMPACT_COLUMNS = [
    ("id", "#"),
    ("time", "Time"),
    ("kind", "Kind"),
    ("name", "Name"),
    ("status", "Status"),
    ("duration", "Duration"),
    ("details", "Details"),
]


def _clip(text: str) -> str:
    return text if len(text) <= DETAILS_WIDTH else text[: DETAILS_WIDTH - 1] + "…"


class HistoryView(Vertical):
    """The run's events as a table that grows as events arrive.

    New events are appended; when the cursor sits on the last row it follows them down.
    """

    @dataclass
    class EventChosen(Message):
        """Enter on a row: the events it stands for (several in the compact view)."""

        event_ids: list[int]
        view: HistoryView

        @property
        def control(self) -> HistoryView:
            return self.view

    def __init__(self, converter: DataConverter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.converter = converter
        self.events: list[HistoryEvent] = []
        self.compact = False
        self.tz: datetime.tzinfo | None = None
        self.complete = False
        self.missing = False
        """The server has no such run: say so instead of "loading…"."""
        self._rows: list[EventRow] = []
        self._folded: list[FoldedRow] = []

    def compose(self) -> ComposeResult:
        yield Static(id="history-status")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._palette = Palette(self.app)
        self._set_columns()
        self._show_status()
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self, theme: str) -> None:
        self._palette = Palette(self.app)
        self._rebuild()

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#history-table", DataTable)

    def add_events(self, events: Sequence[HistoryEvent], *, restart: bool = False, complete: bool = False) -> None:
        """Show more events (or, with ``restart``, these events instead of the old ones)."""
        if restart:
            self.events, self._rows = [], []
        known = self.events[-1].event_id if self.events else 0
        fresh = [e for e in events if e.event_id > known]
        self.events.extend(fresh)
        self._rows.extend(event_row(e, self.converter) for e in fresh)
        self.complete = complete
        table = self.table
        at_end = table.row_count > 0 and table.cursor_row >= table.row_count - 1
        if self.compact or restart:
            self._rebuild()
        else:
            # Only the new rows are measured: a long history is appended to many times.
            widen_columns(
                table, table.add_rows(self._full_cells(r) for r in self._rows[len(self._rows) - len(fresh) :])
            )
        if at_end and fresh and not restart:
            table.move_cursor(row=table.row_count - 1)
        self._show_status()

    def set_compact(self, compact: bool) -> None:
        """Switch between every event and one row per activity, timer, child."""
        if compact == self.compact:
            return
        chosen = self.selected_event_ids()
        self.compact = compact
        self._set_columns()
        self._rebuild(keep=chosen[0] if chosen else None)
        self._show_status()

    def set_missing(self, missing: bool) -> None:
        """The server said the run does not exist (``True``), or it answered again."""
        self.missing = missing
        self._show_status()

    def set_zone(self, tz: datetime.tzinfo | None) -> None:
        """Show times in another zone."""
        self.tz = tz
        self._set_columns()
        self._rebuild()

    def selected_event_ids(self) -> list[int]:
        """The events of the row under the cursor."""
        table = self.table
        if not table.row_count:
            return []
        row = table.cursor_row
        if self.compact:
            return list(self._folded[row].event_ids) if row < len(self._folded) else []
        return [self._rows[row].event_id] if row < len(self._rows) else []

    def folded_rows(self) -> list[FoldedRow]:
        """The compact view's rows, computed from all events so far."""
        return fold(self.events, self.converter)

    def _set_columns(self) -> None:
        table = self.table
        table.clear(columns=True)
        for key, label in COMPACT_COLUMNS if self.compact else FULL_COLUMNS:
            table.add_column(f"{label} ({zone_name(self.tz)})" if key == "time" else label, key=key)

    def _rebuild(self, keep: int | None = None) -> None:
        table = self.table
        if keep is None:
            chosen = self.selected_event_ids()
            keep = chosen[0] if chosen else None
        at_end = table.row_count > 1 and table.cursor_row >= table.row_count - 1
        table.clear()
        if self.compact:
            self._folded = self.folded_rows()
            table.add_rows(self._compact_cells(r) for r in self._folded)
            ids = [r.event_ids for r in self._folded]
        else:
            table.add_rows(self._full_cells(r) for r in self._rows)
            ids = [[r.event_id] for r in self._rows]
        widen_columns(table)
        if at_end:
            table.move_cursor(row=table.row_count - 1)
        elif keep is not None:
            for index, events in enumerate(ids):
                if keep in events:
                    table.move_cursor(row=index)
                    break

    def _full_cells(self, row: EventRow) -> tuple[object, ...]:
        return verbatim_row(
            str(row.event_id),
            time_of_day(row.time, self.tz),
            self._palette.category(row.type_name, row.category, row.failure),
            _clip(row.details),
        )

    def _compact_cells(self, row: FoldedRow) -> tuple[object, ...]:
        took = row.duration()
        return verbatim_row(
            str(row.event_id),
            time_of_day(row.start, self.tz),
            self._palette.category(row.kind, row.category, row.failure),
            row.name + (f" (attempt {row.attempt})" if row.attempt > 1 else ""),
            self._palette.category(row.status, row.category, row.failure) if row.status else "",
            duration(took) if took is not None and len(row.event_ids) > 1 else ("…" if row.is_open else ""),
            _clip(row.details),
        )

    def _show_status(self) -> None:
        mode = "compact: one row per activity, timer, child" if self.compact else "every event"
        live = "closed" if self.complete else "following new events"
        count = f"{len(self.events):,} events" if self.events else "loading…"
        if self.missing:
            live = "not on the server"
            count = f"{len(self.events):,} events shown before" if self.events else "no events"
        self.query_one("#history-status", Static).update(
            f"{count} · {mode} (c) · {live} · Enter: details · y: copy JSON · w: save JSON"
        )

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        ids = self.selected_event_ids()
        if ids:
            self.post_message(self.EventChosen(ids, self))
