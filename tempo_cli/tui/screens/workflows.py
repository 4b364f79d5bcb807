"""The Workflows screen: every run of the namespace, live, with counts, filters and pages."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from sdk.client import WorkflowExecution
from sdk.exceptions import RPCError, TempoError
from tempo_cli._errors import describe_error
from tempo_cli.tui.filters import STATUSES, WorkflowFilter
from tempo_cli.tui.formatting import zone
from tempo_cli.tui.messages import CountsLoaded, WorkflowsLoaded, WorkflowsRejected
from tempo_cli.tui.screens.base import TempoScreen, changes_server
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tempo_cli.tui.widgets.filter_bar import FilterBar
from tempo_cli.tui.widgets.footer import TempoFooter
from tempo_cli.tui.widgets.status_counts import StatusCounts
from tempo_cli.tui.widgets.workflow_table import WorkflowTable

PAGE_SIZE = 100
"""Runs per page: enough to fill a large terminal, few enough to draw at once."""
REFRESH_SECONDS = 2.0
"""How often the list and the counts are fetched again."""


class WorkflowsScreen(TempoScreen):
    """The list of runs, newest first, one page at a time."""

    BINDINGS = [
        Binding("enter", "open", "Open", show=True, id="open"),
        Binding("slash", "focus_query", "Query", key_display="/", id="focus-query"),
        Binding("t", "focus_type", "Type filter", show=False, id="focus-type"),
        Binding("i", "focus_id", "ID filter", show=False, id="focus-id"),
        *[
            Binding(str(key), f"filter_status({key})", f"Show {label}", show=False, id=f"status-{key}")
            for key, label in enumerate(["all", *[s.display for s in STATUSES]])
        ],
        Binding("x", "clear_filter", "Clear filter", id="clear-filter"),
        # Not in the footer: the page line says "] next page" and "[ previous page" when there is one.
        Binding("right_square_bracket", "next_page", "Next page", key_display="]", show=False, id="next-page"),
        Binding("left_square_bracket", "previous_page", "Prev page", key_display="[", show=False, id="previous-page"),
        Binding("r", "refresh", "Refresh", show=False, id="refresh"),
        Binding("n", "namespaces", "Namespace", id="namespaces"),
        Binding("s", "save_filter", "Save filter", show=False, id="save-filter"),
        Binding("f", "saved_filters", "Saved filters", show=False, id="saved-filters"),
        Binding("u", "task_queues", "Task queues", show=False, id="task-queues"),
        Binding("c", "compare", "Compare runs", show=False, id="compare"),
        Binding("S", "schedules", "Schedules", show=False, id="schedules"),
        Binding("b", "batch", "Batch signal/cancel/terminate", show=False, id="batch"),
        Binding("plus", "start_workflow", "Start workflow", key_display="+", show=False, id="start-workflow"),
        Binding("escape", "focus_table", "Back to list", show=False, id="focus-table"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = WorkflowFilter()
        self.page_tokens: list[bytes] = [b""]
        self.page_index = 0
        self.next_token = b""
        self.page_rows = 0
        self.marked: WorkflowExecution | None = None
        """A run marked with ``c`` to compare with the next one marked."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner(id="banner")
        yield StatusCounts(id="counts")
        yield FilterBar(id="filter")
        yield WorkflowTable(id="workflows")
        yield Static(id="page-info", markup=False)  # the filter holds user text
        yield TempoFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.table.show([], zone(self.tempo.utc))  # the time columns name the zone from the start
        self.counts.show(None, None)
        self._show_page_info()
        if self.tempo.live:
            self.set_interval(REFRESH_SECONDS, self._tick)
        self.watch(self.app, "utc", lambda _: self.load(), init=False)

    @property
    def table(self) -> WorkflowTable:
        return self.query_one(WorkflowTable)

    @property
    def counts(self) -> StatusCounts:
        return self.query_one(StatusCounts)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    # --- loading ------------------------------------------------------------------------

    def on_connected(self) -> None:
        self.load()

    def _tick(self) -> None:
        if self.tempo.connected and self.is_current:
            self.load()

    def load(self) -> None:
        """Fetch the current page and the counts again."""
        if not self.tempo.live:
            return
        query = self.filter.visibility_query()
        self.fetch_page(query, self.filter.query.strip(), self.page_index, self.page_tokens[self.page_index])
        self.fetch_counts(self.filter.count_query())

    @work(exclusive=True, group="list", exit_on_error=False, description="list workflows")
    async def fetch_page(self, query: str, typed: str, page_index: int, token: bytes) -> None:
        client = self.tempo.client
        try:
            page = await client.list_workflows_page(query, page_size=PAGE_SIZE, next_page_token=token)
        except RPCError as err:
            if err.status_code != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            reason = str(err)
            if typed and typed != query:
                # The status tab, type and ID filters add clauses before what the user typed,
                # so the server's "at position N" counts characters the user never saw. Ask
                # about the typed query alone: its error points into what was typed.
                try:
                    await client.count_workflows(typed)
                except RPCError as alone:
                    if alone.status_code != grpc.StatusCode.INVALID_ARGUMENT:
                        raise
                    reason = str(alone)
            self.post_message(WorkflowsRejected(query, reason))
            return
        self.post_message(WorkflowsLoaded(page_index, query, page))

    @work(exclusive=True, group="counts", exit_on_error=False, description="count workflows")
    async def fetch_counts(self, query: str) -> None:
        try:
            counts = await self.tempo.client.count_workflows_grouped(query)
        except RPCError as err:
            if err.status_code != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            counts = None  # the list shows why; counts just stay unknown
        self.post_message(CountsLoaded(counts))

    @on(WorkflowsLoaded)
    def _page_loaded(self, message: WorkflowsLoaded) -> None:
        if message.query != self.filter.visibility_query() or message.page_index != self.page_index:
            return  # an answer to a filter or page the user has left
        self.filter_bar.show_error("")
        self.table.show(message.page.executions, zone(self.tempo.utc))
        self.next_token = message.page.next_page_token
        self.page_rows = len(message.page.executions)
        self._show_page_info()

    @on(WorkflowsRejected)
    def _page_rejected(self, message: WorkflowsRejected) -> None:
        if message.query != self.filter.visibility_query():
            return
        self.filter_bar.show_error(f"The server refused the query: {message.reason}")
        self.table.show([], zone(self.tempo.utc))
        self.next_token = b""
        self.page_rows = 0
        self._show_page_info()

    @on(CountsLoaded)
    def _counts_loaded(self, message: CountsLoaded) -> None:
        self.counts.show(message.counts, self.filter.status)
        self._show_page_info()

    def _show_page_info(self) -> None:
        first = self.page_index * PAGE_SIZE
        total = self.counts.count_of(self.filter.status)
        of = f" of {total:,}" if total is not None else ""
        rows = f"{first + 1:,}-{first + self.page_rows:,}{of}" if self.page_rows else f"no runs{of}"
        more = "  ] next page" if self.next_token else ""
        back = "  [ previous page" if self.page_index else ""
        query = self.filter.visibility_query() or "all runs"
        name = f"  saved filter “{self.filter.name}”" if self.filter.name else ""
        self.query_one("#page-info", Static).update(f"Page {self.page_index + 1} · {rows}{more}{back} · {query}{name}")

    def apply_filter(self, new: WorkflowFilter) -> None:
        """Show the first page of runs matching ``new``."""
        self.filter = new
        self.page_tokens, self.page_index, self.next_token = [b""], 0, b""
        self.filter_bar.show_error("")
        self.counts.show(None, new.status)
        self._show_page_info()
        self.load()

    # --- user actions -----------------------------------------------------------------------

    @on(WorkflowTable.Opened)
    def _opened(self, message: WorkflowTable.Opened) -> None:
        self.tempo.open_workflow(message.execution.workflow_id, message.execution.run_id)

    @on(FilterBar.Changed)
    def _filter_changed(self, message: FilterBar.Changed) -> None:
        self.apply_filter(
            WorkflowFilter(
                status=self.filter.status,
                workflow_type=message.workflow_type,
                id_prefix=message.id_prefix,
                query=message.query,
            )
        )
        if not message.query or not self.filter_bar.error:
            self.table.focus()

    def action_open(self) -> None:
        run = self.table.current
        if run is not None:
            self.tempo.open_workflow(run.workflow_id, run.run_id)

    def action_focus_query(self) -> None:
        self.query_one("#filter-query", Input).focus()

    def action_focus_type(self) -> None:
        self.query_one("#filter-type", Input).focus()

    def action_focus_id(self) -> None:
        self.query_one("#filter-id", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_filter_status(self, key: int) -> None:
        """Show runs of one status (1..7), or all (0)."""
        status = STATUSES[key - 1] if 1 <= key <= len(STATUSES) else None
        self.apply_filter(self.filter.with_status(status))

    def action_clear_filter(self) -> None:
        self.filter_bar.set_values("", "", "")
        self.apply_filter(WorkflowFilter())

    def action_next_page(self) -> None:
        if not self.next_token:
            self.notify("This is the last page.", timeout=2)
            return
        del self.page_tokens[self.page_index + 1 :]
        self.page_tokens.append(self.next_token)
        self.page_index += 1
        self.load()

    def action_previous_page(self) -> None:
        if self.page_index == 0:
            return
        self.page_index -= 1
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_namespaces(self) -> None:
        from tempo_cli.tui.screens.namespaces import NamespacesScreen

        def chosen(name: str | None) -> None:
            if name and name != self.tempo.namespace:
                self.tempo.switch_namespace(name)
                self.apply_filter(WorkflowFilter())
                self.filter_bar.set_values("", "", "")

        self.app.push_screen(NamespacesScreen(self.tempo.namespace), chosen)

    def action_save_filter(self) -> None:
        from tempo_cli.tui.screens.saved_filters import SaveFilterScreen

        if self.filter.is_empty:
            self.notify("Nothing to save: the list is not filtered.", timeout=3)
            return

        def named(name: str | None) -> None:
            if not name:
                return
            self.filter = WorkflowFilter(**{**self.filter.__dict__, "name": name})
            self.tempo.settings.save_filter(self.filter)
            error = self.tempo.settings.save()
            if error:
                self.notify(error, severity="error", markup=False)
            else:
                self.notify(f"Saved filter “{name}”.", timeout=3, markup=False)
            self._show_page_info()

        self.app.push_screen(SaveFilterScreen(self.filter), named)

    def action_saved_filters(self) -> None:
        from tempo_cli.tui.screens.saved_filters import SavedFiltersScreen

        def picked(flt: WorkflowFilter | None) -> None:
            if flt is not None:
                self.filter_bar.set_values(flt.workflow_type, flt.id_prefix, flt.query)
                self.apply_filter(flt)

        self.app.push_screen(SavedFiltersScreen(), picked)

    def action_task_queues(self) -> None:
        from tempo_cli.tui.screens.task_queues import TaskQueuesScreen

        names = sorted({run.task_queue for run in self.table_runs() if run.task_queue})
        self.app.push_screen(TaskQueuesScreen(names))

    def action_schedules(self) -> None:
        from tempo_cli.tui.screens.schedules import SchedulesScreen

        self.app.push_screen(SchedulesScreen())

    @changes_server("starting a workflow")
    def action_start_workflow(self) -> None:
        """Start a workflow from a blank form (confirmed first), then open it."""
        from tempo_cli.tui.screens.forms import StartRequest, ask_to_start

        blank = StartRequest(workflow_id=f"workflow-{uuid.uuid4().hex[:8]}", workflow_type="", task_queue="", args=[])
        ask_to_start(self.app, blank, "", self.start_workflow)

    @work(group="actions", exit_on_error=False, description="start a workflow")
    async def start_workflow(self, request: Any) -> None:
        try:
            handle = await self.tempo.client.start_workflow(
                request.workflow_type, id=request.workflow_id, task_queue=request.task_queue, args=request.args
            )
        except TempoError as err:
            self.notify(f"Start failed: {describe_error(err, self.tempo.namespace)}", severity="error", markup=False)
            return
        self.notify(f"Started {request.workflow_id}.", timeout=3, markup=False)
        self.load()
        self.tempo.open_workflow(request.workflow_id, handle.result_run_id or "")

    @changes_server("a batch action")
    def action_batch(self) -> None:
        """Signal, cancel or terminate every open run the filter matches (screens.batch)."""
        self.prepare_batch(self.filter.visibility_query())

    @work(group="actions", exit_on_error=False, description="count the runs of a batch")
    async def prepare_batch(self, query: str) -> None:
        from tempo_cli.tui.screens.batch import BatchScreen, count_open_runs

        try:
            count = await count_open_runs(self.tempo.client, query)
        except TempoError as err:
            self.notify(f"Batch: {describe_error(err, self.tempo.namespace)}", severity="error", markup=False)
            return
        self.app.push_screen(BatchScreen(query, count), lambda request: request and self.run_batch(query, request))

    @work(group="actions", exit_on_error=False, description="run a batch job")
    async def run_batch(self, query: str, request: Any) -> None:
        from tempo_cli.tui.screens.batch import outcome, run_batch_job

        try:
            job = await run_batch_job(self.tempo.client, query, request)
        except TempoError as err:
            self.notify(f"Batch failed: {describe_error(err, self.tempo.namespace)}", severity="error", markup=False)
            return
        self.notify(outcome(job), timeout=8, markup=False)
        self.load()

    def action_compare(self) -> None:
        """Mark the run under the cursor; marking a second one compares the two."""
        from tempo_cli.tui.screens.compare import CompareScreen

        run = self.table.current
        if run is None:
            return
        if self.marked is None or self.marked.run_id == run.run_id:
            self.marked = run
            self.notify(f"Marked {run.workflow_id}. Press c on another run to compare them.", timeout=4, markup=False)
            return
        first, self.marked = self.marked, None
        self.app.push_screen(CompareScreen(first, run))

    def table_runs(self) -> list[WorkflowExecution]:
        """The runs on the current page."""
        return self.table.runs
