"""The Workflow screen: one run's summary, and its History, Pending, Queries, Actions and
Timeline tabs. The history follows new events while the run is open."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import uuid
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Header, Input, Static, TabbedContent, TabPane

from sdk.client import WorkflowDescription, WorkflowHandle, WorkflowStatus
from sdk.exceptions import TempoError, WorkflowNotFoundError
from tempo_cli._errors import describe_error
from tempo_cli._metadata import Handlers, ask_for_handlers
from tempo_cli.tui.formatting import zone
from tempo_cli.tui.history_model import (
    RunLink,
    event_document,
    history_document,
    pending_external,
    run_links,
    run_outcome,
)
from tempo_cli.tui.messages import DescriptionLoaded, HandlersLoaded, HistoryLoaded, QueryAnswered, RunNotFound
from tempo_cli.tui.screens.base import TempoScreen, changes_server
from tempo_cli.tui.time_skipping import SkipError, skip_to_next_deadline
from tempo_cli.tui.widgets.actions_panel import ActionsPanel
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tempo_cli.tui.widgets.footer import TempoFooter
from tempo_cli.tui.widgets.history_view import HistoryView
from tempo_cli.tui.widgets.pending_view import PendingView
from tempo_cli.tui.widgets.query_panel import QueryPanel
from tempo_cli.tui.widgets.summary import WorkflowSummary
from tempo_cli.tui.widgets.timeline import TimelineView

FIRST_PAGE_SIZE = 200
"""Events asked for first: a screenful, drawn at once; the rest follows in larger pages."""
HISTORY_PAGE_SIZE = 1000
BATCH_SECONDS = 0.5
"""While a long history loads, new rows are added at most this often."""
BATCH_EVENTS = 2000
"""...or when this many events are gathered, so each batch is drawn without a noticeable pause."""
BATCH_IDLE_SECONDS = 0.05
"""Gathered events are shown once the next page takes longer than this (the server waits)."""
DESCRIBE_SECONDS = 3.0
"""How often an open run is described again (retries and heartbeats add no events)."""
QUERY_TIMEOUT = datetime.timedelta(seconds=10)

TABS = ["history", "pending", "queries", "actions", "timeline"]


class WorkflowScreen(TempoScreen):
    """One run. ``workflow_id`` alone shows the latest run of the workflow."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        *[
            Binding(str(i + 1), f"show_tab('{tab}')", f"{tab.capitalize()} tab", show=False, id=f"tab-{tab}")
            for i, tab in enumerate(TABS)
        ],
        Binding("c", "toggle_compact", "Compact", id="compact"),
        Binding("y", "copy_json", "Copy JSON", id="copy-json"),
        Binding("w", "save_json", "Save JSON", id="save-json"),
        Binding("l", "links", "Links", id="links"),
        Binding("g", "relations", "Relations", show=False, id="relations"),
        Binding("r", "repeat_query", "Repeat query", show=False, id="repeat-query"),
        Binding("s", "signal", "Signal", id="signal"),
        Binding("x", "cancel_workflow", "Cancel", show=False, id="cancel"),
        Binding("t", "terminate", "Terminate", show=False, id="terminate"),
        Binding("p", "pause", "Pause/unpause", show=False, id="pause"),
        Binding("n", "start_like", "Start like this", show=False, id="start-like"),
        Binding("u", "update", "Update", show=False, id="update"),
        Binding("e", "reset", "Reset", show=False, id="reset"),
        Binding("R", "reload", "Reload", show=False, id="reload"),
        Binding("f", "skip_time", "Skip to next timer", show=False, id="skip-time"),
    ]

    def __init__(self, workflow_id: str, run_id: str = "") -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.description: WorkflowDescription | None = None
        self.handlers: Handlers | None = None
        self.ask_for_handlers_again = True
        """No answer yet, but one may come (no worker polled, or it was slow): asked every tick."""
        self.links: list[RunLink] = []
        self.missing = False
        """The server said the run does not exist (any more): nothing is polled then."""

    def compose(self) -> ComposeResult:
        converter = self.tempo.data_converter
        yield Header()
        yield ConnectionBanner(id="banner")
        yield WorkflowSummary(self.workflow_id, self.run_id, id="summary")
        with Horizontal(id="missing"):
            yield Static(id="missing-text", markup=False)
            yield Button("Back (Esc)", id="missing-back", variant="primary", compact=True)
        with TabbedContent(initial="history", id="tabs"):
            with TabPane("History (1)", id="history"):
                yield HistoryView(converter, id="history-view")
            with TabPane("Pending (2)", id="pending"):
                yield PendingView(id="pending-view")
            with TabPane("Queries (3)", id="queries"):
                yield QueryPanel(id="query-panel")
            with TabPane("Actions (4)", id="actions"):
                yield ActionsPanel(id="actions-panel")
            with TabPane("Timeline (5)", id="timeline"):
                yield TimelineView(id="timeline-view")
        yield TempoFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.history.set_zone(zone(self.tempo.utc))
        self.history.table.focus()
        self._show_summary()
        self.watch(self.app, "utc", self._zone_changed, init=False)
        if self.tempo.live:
            self.set_interval(DESCRIBE_SECONDS, self._tick)

    @property
    def history(self) -> HistoryView:
        return self.query_one(HistoryView)

    @property
    def events(self) -> list[HistoryEvent]:
        """The events received so far."""
        return self.history.events

    @property
    def is_open(self) -> bool:
        """True until the run's close event arrives. A paused run is open too, though the real
        server ends its history's long poll as if it were closed."""
        return not self.history.complete or self.status == WorkflowStatus.PAUSED

    def handle(self) -> WorkflowHandle:
        return self.tempo.client.get_workflow_handle(self.workflow_id, run_id=self.run_id or None)

    # --- loading -----------------------------------------------------------------------------

    def on_connected(self) -> None:
        self.load(restart=bool(self.events))

    def load(self, *, restart: bool = False) -> None:
        if not self.tempo.live:
            return
        self.follow_history(restart)
        self.fetch_handlers()

    def _tick(self) -> None:
        if self.tempo.connected and self.is_open and self.run_id and not self.missing:
            self.describe()
            # No answer yet (no worker, or it was slow to answer): ask again, so the signal and
            # update forms offer the names once a worker can say them.
            if self.handlers is None and self.ask_for_handlers_again and not self._asking_for_handlers():
                self.fetch_handlers()

    def _asking_for_handlers(self) -> bool:
        return any(w.node is self and w.group == "handlers" and not w.is_finished for w in self.app.workers)

    @work(exclusive=True, group="history", exit_on_error=False, description="follow the history")
    async def follow_history(self, restart: bool) -> None:
        try:
            await self._follow_history(restart)
        except WorkflowNotFoundError as err:
            self.post_message(RunNotFound(str(err)))

    async def _follow_history(self, restart: bool) -> None:
        if not self.run_id:
            # Pin the latest run, so a continue-as-new does not switch runs under the user.
            self.run_id = (await self.handle().describe()).run_id
            self.query_one(WorkflowSummary).run_id = self.run_id
        self.describe()
        handle = self.handle()
        token = b""
        first = True
        batch: list[HistoryEvent] = []
        last_post = time.monotonic()

        def post(complete: bool) -> None:
            nonlocal first, batch, last_post
            self.post_message(HistoryLoaded(batch, restart=restart and first, complete=complete))
            first, batch, last_post = False, [], time.monotonic()

        while True:
            # Pages that are already there are gathered into a few large batches (a long
            # history loads in seconds, not one redraw per page); whatever is gathered is
            # shown as soon as the server starts holding the call for new events.
            fetch = asyncio.ensure_future(
                handle.fetch_history_page(
                    token, wait_new_event=True, page_size=FIRST_PAGE_SIZE if first else HISTORY_PAGE_SIZE
                )
            )
            try:
                if batch:
                    done, _ = await asyncio.wait({fetch}, timeout=BATCH_IDLE_SECONDS)
                    if not done:
                        post(complete=False)
                page = await fetch
            finally:
                fetch.cancel()
            token = page.next_page_token
            batch.extend(page.events)
            if first or not token or len(batch) >= BATCH_EVENTS or time.monotonic() - last_post > BATCH_SECONDS:
                post(complete=not token)
            if not token:
                return

    @work(exclusive=True, group="describe", exit_on_error=False, description="describe the run")
    async def describe(self) -> None:
        try:
            description = await self.handle().describe()
        except WorkflowNotFoundError as err:
            self.post_message(RunNotFound(str(err)))
            return
        self.post_message(DescriptionLoaded(description))

    @work(exclusive=True, group="handlers", exit_on_error=False, description="ask for the workflow's handlers")
    async def fetch_handlers(self) -> None:
        self.post_message(HandlersLoaded(*await ask_for_handlers(self.handle())))

    @on(RunNotFound)
    def _run_not_found(self, message: RunNotFound) -> None:
        """Say the run is gone and offer the way back, instead of loading forever."""
        self.missing = True
        run = f" (run {self.run_id})" if self.run_id else ""
        self.query_one("#missing-text", Static).update(
            f"Workflow {self.workflow_id}{run} does not exist on the server at {self.tempo.address} "
            f"(any more): it was deleted, or the server restarted without its data. Server: {message.reason}"
        )
        self.query_one("#missing").add_class("-visible")
        self.history.set_missing(True)
        self.query_one("#missing-back", Button).focus()

    @on(Button.Pressed, "#missing-back")
    def _back_pressed(self) -> None:
        self.app.pop_screen()

    def _found(self) -> None:
        """The run answered (again, e.g. a server restarted with its data file)."""
        if self.missing:
            self.missing = False
            self.query_one("#missing").remove_class("-visible")
            self.history.set_missing(False)

    @on(HistoryLoaded)
    def _history_loaded(self, message: HistoryLoaded) -> None:
        self._found()
        self.history.add_events(message.events, restart=message.restart, complete=message.complete)
        self.links = run_links(self.events, self.workflow_id)
        self.query_one(ActionsPanel).set_open(self.is_open)
        self._show_summary()
        self._show_pending()
        self._show_timeline()
        if message.events and self.tempo.live and not message.restart:
            self.describe()

    @on(DescriptionLoaded)
    def _description_loaded(self, message: DescriptionLoaded) -> None:
        self._found()
        self.description = message.description
        self._show_summary()
        self._show_pending()
        self._show_timeline()

    def _show_timeline(self) -> None:
        # Folding a long history takes a while: only while the Timeline tab is showing.
        if self.tabs.active == "timeline":
            self.query_one(TimelineView).show(self.history.folded_rows(), self.description, self.is_open)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "timeline":
            self._show_timeline()

    @on(HandlersLoaded)
    def _handlers_loaded(self, message: HandlersLoaded) -> None:
        self.handlers = message.handlers
        self.ask_for_handlers_again = message.ask_again
        self.query_one(QueryPanel).set_handlers(message.handlers)

    def _show_summary(self) -> None:
        outcome = run_outcome(self.events, self.tempo.data_converter) if self.events else None
        self.query_one(WorkflowSummary).show(self.description, outcome, self.links, zone(self.tempo.utc))

    def _show_pending(self) -> None:
        raw = self.description.raw_description if self.description is not None else None
        self.query_one(PendingView).show(raw, pending_external(self.events), zone(self.tempo.utc))

    def _zone_changed(self, utc: bool) -> None:
        self.history.set_zone(zone(utc))
        self._show_summary()
        self._show_pending()

    # --- history --------------------------------------------------------------------------------

    @on(HistoryView.EventChosen)
    def _event_chosen(self, message: HistoryView.EventChosen) -> None:
        from tempo_cli.tui.screens.event_detail import EventDetailScreen

        chosen = set(message.event_ids)
        docs = [event_document(e) for e in self.events if e.event_id in chosen]
        ids = ", ".join(str(i) for i in message.event_ids)
        self.app.push_screen(EventDetailScreen(f"Event {ids} of {self.workflow_id}", docs))

    def action_toggle_compact(self) -> None:
        self.action_show_tab("history")
        self.history.set_compact(not self.history.compact)

    def history_json(self) -> str:
        """What `temporal workflow show -o json` writes for this run."""
        return history_document(self.events)

    def action_copy_json(self) -> None:
        text = self.history_json()
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the history ({len(self.events):,} events) as JSON.", timeout=3)

    def action_save_json(self) -> None:
        try:
            where = self.tempo.save_text(self.history_json(), f"{self.workflow_id}_{self.run_id}_history.json")
        except OSError as err:
            self.notify(f"Cannot save the history: {err}", severity="error", markup=False)
            return
        self.notify(f"Saved the history to {where}", timeout=6, markup=False)

    # --- navigation -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.action_show_tab(self.tabs.active or "history")
            return
        self.app.pop_screen()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    def action_show_tab(self, tab: str) -> None:
        self.tabs.active = tab
        target = {
            "history": "#history-table",
            "pending": "#pending-activities",
            "queries": "#query-name",
            "actions": "#actions-panel" if self.tempo.read_only else "#action-signal",
            "timeline": "#timeline-view",
        }[tab]
        self.query_one(target).focus()
        if tab == "queries" and self.handlers is None and self.tempo.live and self.tempo.connected:
            self.fetch_handlers()

    def action_links(self) -> None:
        from tempo_cli.tui.screens.links import LinksScreen

        def chosen(link: RunLink | None) -> None:
            if link is not None:
                self.tempo.open_workflow(link.workflow_id, link.run_id)

        self.app.push_screen(LinksScreen(self.links), chosen)

    def action_relations(self) -> None:
        """The family tree (root workflow, children, the runs before and after): Enter opens one."""
        from tempo_cli.tui.screens.relations import RelationsScreen

        def chosen(link: RunLink | None) -> None:
            if link is not None:
                self.tempo.open_workflow(link.workflow_id, link.run_id)

        root: tuple[str, str] | None = None
        if self.events and self.events[0].HasField("workflow_execution_started_event_attributes"):
            started = self.events[0].workflow_execution_started_event_attributes
            if started.HasField("root_workflow_execution") and started.root_workflow_execution.workflow_id:
                root = (started.root_workflow_execution.workflow_id, started.root_workflow_execution.run_id)
        self.app.push_screen(RelationsScreen(self.tempo.client, self.workflow_id, self.run_id, root), chosen)

    def action_open_link(self, index: int) -> None:
        if 0 <= index < len(self.links):
            link = self.links[index]
            self.tempo.open_workflow(link.workflow_id, link.run_id)

    def action_reload(self) -> None:
        self.load(restart=True)

    @changes_server("skipping time")
    @work(exclusive=True, group="skip-time", exit_on_error=False, description="skip time")
    async def action_skip_time(self) -> None:
        """On a time-skipping server: move its clock on to this run's next timer or timeout."""
        try:
            message = await skip_to_next_deadline(self.tempo.server_clock, self.events, self.handle(), self.is_open)
        except SkipError as err:
            self.notify(str(err), title="Skip time", severity="warning", markup=False)
            return
        self.notify(message, title="Skip time", markup=False)
        self.tempo.refresh_server_time()

    # --- queries ------------------------------------------------------------------------------------

    @on(QueryPanel.Run)
    def _run_query(self, message: QueryPanel.Run) -> None:
        if self.tempo.live:
            self.run_query(message.name, message.args)

    def action_repeat_query(self) -> None:
        panel = self.query_one(QueryPanel)
        self.action_show_tab("queries")
        if panel.last is None:
            panel.submit()
        else:
            name, args = panel.last
            panel.post_message(QueryPanel.Run(name, args, panel))

    @work(exclusive=True, group="query", exit_on_error=False, description="run a query")
    async def run_query(self, name: str, args: list[Any]) -> None:
        try:
            value = await self.handle().query(name, *args, timeout=QUERY_TIMEOUT)
        except TempoError as err:
            self.post_message(QueryAnswered(name, error=describe_error(err, self.tempo.namespace) or str(err)))
            return
        self.post_message(QueryAnswered(name, value=value))

    @on(QueryAnswered)
    def _query_answered(self, message: QueryAnswered) -> None:
        panel = self.query_one(QueryPanel)
        if message.error:
            panel.show_error(message.error)
        else:
            from tempo_cli._render import json_value

            panel.show_result(message.name, json_value(message.value))

    # --- actions -------------------------------------------------------------------------------------

    @on(ActionsPanel.Requested)
    def _action_requested(self, message: ActionsPanel.Requested) -> None:
        {
            "signal": self.action_signal,
            "cancel": self.action_cancel_workflow,
            "terminate": self.action_terminate,
            "start": self.action_start_like,
            "update": self.action_update,
            "reset": self.action_reset,
        }[message.action]()

    def _outcome(self, text: str, *, error: bool = False) -> None:
        self.notify(text, severity="error" if error else "information", timeout=5, markup=False)
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        self.query_one(ActionsPanel).log_outcome(f"{stamp}  {text}")

    def _refuse_closed(self, what: str) -> bool:
        if self.is_open:
            return False
        self.notify(f"The run is closed: nothing to {what}.", severity="warning", timeout=3)
        return True

    @changes_server("signalling")
    def action_signal(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen
        from tempo_cli.tui.screens.forms import SignalRequest, SignalScreen

        if self._refuse_closed("signal"):
            return

        def confirmed(request: SignalRequest, answer: str | None) -> None:
            if answer is not None:
                self.send_signal(request.name, request.args)

        def filled(request: SignalRequest | None) -> None:
            if request is None:
                return
            body = f"Send signal {request.name!r} with input {json.dumps(request.args)} to {self.workflow_id}?"
            self.app.push_screen(ConfirmScreen("Send signal", body, confirm="Send"), lambda a: confirmed(request, a))

        self.app.push_screen(SignalScreen(self.workflow_id, self.handlers), filled)

    @changes_server("cancelling")
    def action_cancel_workflow(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen

        if self._refuse_closed("cancel"):
            return
        body = f"Ask {self.workflow_id} to cancel? Its code decides how to wind down."

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                self.cancel_workflow(reason)

        self.app.push_screen(
            ConfirmScreen("Request cancellation", body, confirm="Request cancellation", reason=""), confirmed
        )

    @changes_server("terminating")
    def action_terminate(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen

        if self._refuse_closed("terminate"):
            return
        body = f"Terminate {self.workflow_id} now? Its code gets no chance to react."

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                self.terminate_workflow(reason)

        self.app.push_screen(
            ConfirmScreen("Terminate", body, confirm="Terminate", reason="Terminated from tempo tui", danger=True),
            confirmed,
        )

    @changes_server("pausing")
    def action_pause(self) -> None:
        """Pause the run, or unpause it if it is paused (the server must allow pausing)."""
        from tempo_cli.tui.screens.confirm import ConfirmScreen

        if self._refuse_closed("pause"):
            return
        pause = self.status != WorkflowStatus.PAUSED
        if pause:
            title, body = "Pause", f"Pause {self.workflow_id}? No workflow task or activity goes out until unpaused."
        else:
            title, body = "Unpause", f"Unpause {self.workflow_id}? Its next workflow task and activities go out."

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                self.pause_workflow(pause, reason)

        self.app.push_screen(ConfirmScreen(title, body, confirm=title, reason=""), confirmed)

    @changes_server("starting a workflow")
    def action_start_like(self) -> None:
        from tempo_cli.tui.screens.forms import StartRequest, ask_to_start

        d = self.description
        outcome = run_outcome(self.events, self.tempo.data_converter) if self.events else None
        args = outcome.input if outcome is not None and outcome.input else []
        text = "" if not args else json.dumps(args if len(args) > 1 or isinstance(args[0], list) else args[0])
        template = StartRequest(
            workflow_id=f"{self.workflow_id}-{uuid.uuid4().hex[:6]}",
            workflow_type=d.workflow_type if d else "",
            task_queue=d.task_queue if d else "",
            args=list(args),
        )

        ask_to_start(self.app, template, text, self.start_workflow)

    @changes_server("sending an update")
    def action_update(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen
        from tempo_cli.tui.screens.run_changes import UpdateRequest, UpdateScreen

        if self._refuse_closed("update"):
            return

        def confirmed(request: UpdateRequest, answer: str | None) -> None:
            if answer is not None:
                self.send_update(request.name, request.args)

        def filled(request: UpdateRequest | None) -> None:
            if request is None:
                return
            body = f"Send update {request.name!r} with input {json.dumps(request.args)} to {self.workflow_id}?"
            self.app.push_screen(ConfirmScreen("Send update", body, confirm="Send"), lambda a: confirmed(request, a))

        names = self.handlers.updates if self.handlers is not None else []
        self.app.push_screen(UpdateScreen(self.workflow_id, names), filled)

    @changes_server("resetting")
    def action_reset(self) -> None:
        from tempo_cli.tui.reset_points import reset_points
        from tempo_cli.tui.screens.confirm import ConfirmScreen
        from tempo_cli.tui.screens.run_changes import ResetRequest, ResetScreen

        points = reset_points(self.events)
        if not points:
            self.notify("The run has no workflow task to reset to yet.", severity="warning", timeout=3)
            return
        selected = self.history.selected_event_ids()

        def confirmed(request: ResetRequest, answer: str | None) -> None:
            if answer is not None:
                self.reset_run(request)

        def filled(request: ResetRequest | None) -> None:
            if request is None:
                return
            reapplied = (("signals", request.reapply_signals), ("updates", request.reapply_updates))
            kept = [kind for kind, again in reapplied if again]
            body = (
                f"Reset {self.workflow_id} to event {request.event_id}? A new run starts from there"
                + (f" and gets the later {' and '.join(kept)} again" if kept else "")
                + "; a running run is terminated."
            )
            self.app.push_screen(
                ConfirmScreen("Reset", body, confirm="Reset", danger=True), lambda a: confirmed(request, a)
            )

        self.app.push_screen(ResetScreen(self.workflow_id, points, selected[0] if selected else None), filled)

    @work(group="actions", exit_on_error=False, description="update")
    async def send_update(self, name: str, args: list[Any]) -> None:
        from sdk.exceptions import WorkflowUpdateFailedError

        try:
            value = await self.handle().execute_update(name, *args)
        except WorkflowUpdateFailedError as err:
            self._outcome(f"Update {name!r} failed: {err.cause}", error=True)
            return
        except TempoError as err:
            self._outcome(f"Update {name!r} failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Update {name!r} returned {json.dumps(value, default=str)}.")

    @work(group="actions", exit_on_error=False, description="reset")
    async def reset_run(self, request: Any) -> None:
        try:
            new_run = await self.handle().reset(
                request.event_id,
                reason=request.reason,
                exclude_signals=not request.reapply_signals,
                exclude_updates=not request.reapply_updates,
            )
        except TempoError as err:
            self._outcome(f"Reset failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Reset {self.workflow_id} to event {request.event_id}: new run {new_run}.")
        self.tempo.open_workflow(self.workflow_id, new_run)

    @work(group="actions", exit_on_error=False, description="signal")
    async def send_signal(self, name: str, args: list[Any]) -> None:
        try:
            await self.handle().signal(name, *args)
        except TempoError as err:
            self._outcome(f"Signal {name!r} failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Sent signal {name!r} to {self.workflow_id}.")

    @work(group="actions", exit_on_error=False, description="cancel")
    async def cancel_workflow(self, reason: str) -> None:
        try:
            await self.handle().cancel(reason)
        except TempoError as err:
            self._outcome(f"Cancel failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Requested cancellation of {self.workflow_id}.")

    @work(group="actions", exit_on_error=False, description="terminate")
    async def terminate_workflow(self, reason: str) -> None:
        try:
            await self.handle().terminate(reason)
        except TempoError as err:
            self._outcome(f"Terminate failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Terminated {self.workflow_id}.")

    @work(group="actions", exit_on_error=False, description="pause")
    async def pause_workflow(self, pause: bool, reason: str) -> None:
        from tempo_cli import _pause_commands
        from tempo_cli._context import UsageError

        verb = "Pause" if pause else "Unpause"
        try:
            await _pause_commands.send(self.tempo.client, self.workflow_id, self.run_id, pause, reason)
        except TempoError as err:
            self._outcome(f"{verb} failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        except UsageError as err:
            self._outcome(f"{verb} failed: {err}", error=True)
            return
        self._outcome(f"{verb}d {self.workflow_id}.")
        if pause:
            self.describe()  # the new status at once, not at the next tick
        else:
            self.load(restart=True)  # follow the history again (the real server stopped it while paused)

    @work(group="actions", exit_on_error=False, description="start a workflow")
    async def start_workflow(self, request: Any) -> None:
        try:
            handle = await self.tempo.client.start_workflow(
                request.workflow_type, id=request.workflow_id, task_queue=request.task_queue, args=request.args
            )
        except TempoError as err:
            self._outcome(f"Start failed: {describe_error(err, self.tempo.namespace)}", error=True)
            return
        self._outcome(f"Started {request.workflow_id} (run {handle.result_run_id}).")
        self.tempo.open_workflow(request.workflow_id, handle.result_run_id or "")

    @property
    def status(self) -> WorkflowStatus | None:
        """The run's status as last seen."""
        outcome = run_outcome(self.events, self.tempo.data_converter) if self.events else None
        if outcome is not None and outcome.status is not None:
            return outcome.status
        return self.description.status if self.description is not None else None
