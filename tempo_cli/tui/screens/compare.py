"""Compare two runs: their histories side by side, aligned by event, differences marked.

Mark a run with ``c`` on the Workflows screen, then press ``c`` on another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from temporalio.api.history.v1 import HistoryEvent
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from sdk.client import WorkflowExecution
from tempo_cli.tui.formatting import one_line
from tempo_cli.tui.history_model import AlignedRow, EventRow, align, event_row
from tempo_cli.tui.screens.base import TempoScreen
from tempo_cli.tui.styles import Palette
from tempo_cli.tui.verbatim import verbatim
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tempo_cli.tui.widgets.footer import TempoFooter

_MARK = {"": " ", "details": "~", "type": "≠"}


@dataclass
class HistoriesLoaded(Message):
    """Both runs' histories arrived."""

    left: list[HistoryEvent]
    right: list[HistoryEvent]


def _short_run(run_id: str) -> str:
    """The end of a run ID: a time-ordered ID (UUIDv7) starts alike for runs a minute apart."""
    return f"run …{run_id[-8:]}" if len(run_id) > 8 else f"run {run_id}"


def _name(run: WorkflowExecution) -> str:
    """``order-5 run …83bff02``: continue-as-new runs share their workflow ID, not their run ID."""
    return f"{run.workflow_id} {_short_run(run.run_id)}" if run.run_id else run.workflow_id


def _header(run: WorkflowExecution, width: int) -> str:
    """The run's name in ``width`` columns, shortening the workflow ID, never the run ID."""
    name = _name(run)
    if len(name) <= width:
        return name
    tail = f" {_short_run(run.run_id)}" if run.run_id else ""
    return run.workflow_id[: max(1, width - len(tail) - 1)] + "…" + tail


class CompareScreen(TempoScreen):
    """Two histories in two columns; ``≠`` marks a different or missing event, ``~`` the same
    event with different attributes."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("d", "next_difference", "Next difference", id="next-difference"),
    ]

    def __init__(self, left: WorkflowExecution, right: WorkflowExecution) -> None:
        super().__init__()
        self.left, self.right = left, right
        self.rows: list[AlignedRow] = []
        self._histories: tuple[list[EventRow], list[EventRow]] = ([], [])
        self.side_width = 0
        """Columns each run's side gets: the two share the table's width evenly."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner(id="banner")
        yield Static(id="compare-title", markup=False)
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
        yield TempoFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()
        self._draw()
        self.query_one("#compare-title", Static).update(
            f"Left: {_name(self.left)}   Right: {_name(self.right)}   (loading the histories…)"
        )

    def on_resize(self) -> None:
        self._draw()

    def on_connected(self) -> None:
        if self.tempo.live:
            self.fetch()

    @work(exclusive=True, group="compare", exit_on_error=False, description="fetch both histories")
    async def fetch(self) -> None:
        client = self.tempo.client
        left, right = await asyncio.gather(
            client.get_workflow_handle(self.left.workflow_id, run_id=self.left.run_id).fetch_history(),
            client.get_workflow_handle(self.right.workflow_id, run_id=self.right.run_id).fetch_history(),
        )
        self.post_message(HistoriesLoaded(list(left.events), list(right.events)))

    @on(HistoriesLoaded)
    def _loaded(self, message: HistoriesLoaded) -> None:
        converter = self.tempo.data_converter
        self.show([event_row(e, converter) for e in message.left], [event_row(e, converter) for e in message.right])

    def show(self, left: list[EventRow], right: list[EventRow]) -> None:
        """Align and draw the two histories."""
        self._histories = (left, right)
        self.rows = align(left, right)
        self._draw()
        differences = sum(1 for r in self.rows if r.difference)
        title = self.query_one("#compare-title", Static)
        title.update(
            f"{_name(self.left)} ({len(left)} events)  vs  {_name(self.right)} ({len(right)} events): "
            f"{differences} rows differ (≠ event, ~ attributes) · d: next difference"
        )

    def _draw(self) -> None:
        """(Re)build the table's columns for its width, then its rows."""
        table = self.query_one(DataTable)
        # Leave room for the vertical scrollbar even before the rows need it.
        room = table.content_region.width - table.styles.scrollbar_size_vertical
        if room <= 0:
            return
        left, right = self._histories
        padding = 2 * table.cell_padding
        id_width = max((len(str(r.event_id)) for r in [*left, *right]), default=1)
        side = max(10, (room - 2 * (id_width + padding) - (1 + padding)) // 2 - padding)
        self.side_width = side
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column("#", key="left-id", width=id_width)
        table.add_column(verbatim(_header(self.left, side)), key="left", width=side)
        table.add_column(" ", key="mark", width=1)
        table.add_column("#", key="right-id", width=id_width)
        table.add_column(verbatim(_header(self.right, side)), key="right", width=side)
        palette = Palette(self.app)

        def cell(row: EventRow | None) -> tuple[str, Text]:
            if row is None:
                return "", Text("")
            text = palette.category(row.type_name, row.category, row.failure)
            if row.details:
                text.append("  " + one_line(row.details, side))
            text.truncate(side, overflow="ellipsis")
            return str(row.event_id), text

        for aligned in self.rows:
            left_id, left_text = cell(aligned.left)
            right_id, right_text = cell(aligned.right)
            mark = Text(_MARK[aligned.difference], style="bold red" if aligned.difference == "type" else "yellow")
            if aligned.difference == "type":
                left_text.stylize("reverse")
                right_text.stylize("reverse")
            table.add_row(left_id, left_text, mark, right_id, right_text)
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1), scroll=False)

    def action_next_difference(self) -> None:
        table = self.query_one(DataTable)
        start = table.cursor_row + 1
        for index in range(start, len(self.rows)):
            if self.rows[index].difference:
                table.move_cursor(row=index)
                return
        self.notify("No more differences.", timeout=2)
