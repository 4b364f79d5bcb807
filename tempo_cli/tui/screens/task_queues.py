"""The Task queues screen: who polls each queue, when they last did, and what waits in it."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Label

from sdk.client import TaskQueueDescription
from tempo_cli.tui.formatting import timestamp, zone
from tempo_cli.tui.messages import TaskQueuesLoaded
from tempo_cli.tui.screens.base import TempoScreen
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tempo_cli.tui.widgets.footer import TempoFooter
from tempo_cli.tui.widgets.table_widths import widen_columns

REFRESH_SECONDS = 3.0


class TaskQueuesScreen(TempoScreen):
    """The task queues of the runs on the Workflows page, plus any typed in."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "focus_name", "Add queue", key_display="/", id="add-queue"),
        Binding("r", "refresh", "Refresh", id="refresh"),
    ]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = list(dict.fromkeys(names))

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner(id="banner")
        yield Input(placeholder="Task queue name to add (/)", id="queue-name", compact=True)
        yield Label("Task queues", classes="section-title")
        yield DataTable(id="queues", cursor_type="row", zebra_stripes=True)
        yield Label("Pollers", classes="section-title")
        yield DataTable(id="pollers", cursor_type="row", zebra_stripes=True)
        yield TempoFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#queues", DataTable).add_columns("Task queue", "Kind", "Pollers", "Last poll", "Backlog")
        self.query_one("#pollers", DataTable).add_columns("Task queue", "Kind", "Worker identity", "Last poll")
        self.query_one("#queues", DataTable).focus()
        if self.tempo.live:
            self.set_interval(REFRESH_SECONDS, self._tick)

    def on_connected(self) -> None:
        self.load()

    def _tick(self) -> None:
        if self.tempo.connected and self.is_current:
            self.load()

    def load(self) -> None:
        if self.tempo.live and self.names:
            self.fetch(list(self.names))

    @work(exclusive=True, group="task-queues", exit_on_error=False, description="describe task queues")
    async def fetch(self, names: list[str]) -> None:
        client = self.tempo.client
        calls = [client.describe_task_queue(n, kind=k) for n in names for k in ("workflow", "activity")]
        self.post_message(TaskQueuesLoaded(list(await asyncio.gather(*calls))))

    @on(TaskQueuesLoaded)
    def _loaded(self, message: TaskQueuesLoaded) -> None:
        self.show(message.queues)

    def show(self, queues: list[TaskQueueDescription]) -> None:
        """Redraw both tables."""
        tz = zone(self.tempo.utc)
        table = self.query_one("#queues", DataTable)
        pollers = self.query_one("#pollers", DataTable)
        row = table.cursor_row
        table.clear()
        pollers.clear()
        for queue in queues:
            times = [p.last_access_time for p in queue.pollers if p.last_access_time is not None]
            table.add_row(
                *verbatim_row(
                    queue.name,
                    queue.kind,
                    str(len(queue.pollers)),
                    timestamp(max(times), tz, with_zone=True) if times else "never",
                    "" if queue.backlog_count is None else str(queue.backlog_count),
                )
            )
            for poller in queue.pollers:
                pollers.add_row(
                    *verbatim_row(
                        queue.name, queue.kind, poller.identity, timestamp(poller.last_access_time, tz, with_zone=True)
                    )
                )
        widen_columns(table)
        widen_columns(pollers)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    @on(Input.Submitted, "#queue-name")
    def _add(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name and name not in self.names:
            self.names.append(name)
        event.input.value = ""
        self.query_one("#queues", DataTable).focus()
        self.load()

    def action_focus_name(self) -> None:
        self.query_one("#queue-name", Input).focus()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#queues", DataTable).focus()
            return
        self.app.pop_screen()
