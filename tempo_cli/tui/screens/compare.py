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
from textual.widgets import DataTable, Footer, Header, Static

from sdk.client import WorkflowExecution
from tempo_cli.tui.formatting import one_line
from tempo_cli.tui.history_model import AlignedRow, EventRow, align, event_row
from tempo_cli.tui.screens.base import TempoScreen
from tempo_cli.tui.styles import Palette
from tempo_cli.tui.widgets.banner import ConnectionBanner

_MARK = {"": " ", "details": "~", "type": "≠"}


@dataclass
class HistoriesLoaded(Message):
    """Both runs' histories arrived."""

    left: list[HistoryEvent]
    right: list[HistoryEvent]


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

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner(id="banner")
        yield Static(id="compare-title", markup=False)
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_column("#", key="left-id")
        table.add_column(f"{self.left.workflow_id}", key="left")
        table.add_column(" ", key="mark")
        table.add_column("#", key="right-id")
        table.add_column(f"{self.right.workflow_id}", key="right")
        table.focus()
        self.query_one("#compare-title", Static).update(
            f"Left: {self.left.workflow_id} {self.left.run_id}   Right: {self.right.workflow_id} {self.right.run_id}"
        )

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
        self.rows = align(left, right)
        palette = Palette(self.app)
        table = self.query_one(DataTable)
        table.clear()

        def cell(row: EventRow | None) -> tuple[str, Text]:
            if row is None:
                return "", Text("")
            text = palette.category(row.type_name, row.category, row.failure)
            if row.details:
                text.append("  " + one_line(row.details, 60))
            return str(row.event_id), text

        for aligned in self.rows:
            left_id, left_text = cell(aligned.left)
            right_id, right_text = cell(aligned.right)
            mark = Text(_MARK[aligned.difference], style="bold red" if aligned.difference == "type" else "yellow")
            if aligned.difference == "type":
                left_text.stylize("reverse")
                right_text.stylize("reverse")
            table.add_row(left_id, left_text, mark, right_id, right_text)
        differences = sum(1 for r in self.rows if r.difference)
        title = self.query_one("#compare-title", Static)
        title.update(
            f"{self.left.workflow_id} ({len(left)} events)  vs  {self.right.workflow_id} ({len(right)} events): "
            f"{differences} rows differ (≠ event, ~ attributes) · d: next difference"
        )

    def action_next_difference(self) -> None:
        table = self.query_one(DataTable)
        start = table.cursor_row + 1
        for index in range(start, len(self.rows)):
            if self.rows[index].difference:
                table.move_cursor(row=index)
                return
        self.notify("No more differences.", timeout=2)
