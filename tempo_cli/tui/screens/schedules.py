"""The Schedules screen: every schedule of the namespace, the selected one described (its spec,
state, recent and next runs), and what can be done: create one; pause or unpause, trigger,
backfill or delete the selected one."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import schedule_pb2 as schedule_enums
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Label, Static

from tempo_cli._context import UsageError
from tempo_cli._schedule_commands import (
    delete_schedule,
    describe_schedule,
    patch_schedule,
    schedule_entries,
)
from tempo_cli.tui.formatting import timestamp, zone
from tempo_cli.tui.screens.base import TempoScreen, changes_server
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tempo_cli.tui.widgets.footer import TempoFooter
from tempo_cli.tui.widgets.table_widths import widen_columns

REFRESH_SECONDS = 3.0


@dataclass
class SchedulesLoaded(Message):
    entries: list[schedule_pb.ScheduleListEntry]


@dataclass
class ScheduleDescribed(Message):
    schedule_id: str
    description: wsv1.DescribeScheduleResponse | None


class SchedulesScreen(TempoScreen):
    """The schedules, newest first; Enter (or moving the cursor) describes one."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("n", "create", "New", id="create"),
        Binding("p", "toggle_pause", "Pause/unpause", id="toggle-pause"),
        Binding("t", "trigger", "Trigger now", id="trigger"),
        Binding("f", "backfill", "Backfill", id="backfill"),
        Binding("d", "delete", "Delete", id="delete"),
        Binding("r", "refresh", "Refresh", id="refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[schedule_pb.ScheduleListEntry] = []
        self.described: wsv1.DescribeScheduleResponse | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner(id="banner")
        yield Label("Schedules", classes="section-title")
        yield DataTable(id="schedules", cursor_type="row", zebra_stripes=True)
        yield Label("Schedule", classes="section-title")
        yield Static("Select a schedule.", id="schedule-detail", markup=False)
        yield TempoFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).add_columns("Schedule ID", "Workflow type", "Paused", "Next run", "Last run")
        self.query_one(DataTable).focus()
        if self.tempo.live:
            self.set_interval(REFRESH_SECONDS, self._tick)

    def on_connected(self) -> None:
        self.load()

    def _tick(self) -> None:
        if self.tempo.connected and self.is_current:
            self.load()

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row].schedule_id

    # --- reading ---------------------------------------------------------------------------------

    @work(exclusive=True, group="schedules", exit_on_error=False, description="list schedules")
    async def load(self) -> None:
        entries = await schedule_entries(self.tempo.client)
        self.post_message(SchedulesLoaded(entries))

    @on(SchedulesLoaded)
    def _loaded(self, message: SchedulesLoaded) -> None:
        self.entries = sorted(message.entries, key=lambda e: e.schedule_id)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        tz = zone(self.tempo.utc)
        for entry in self.entries:
            info = entry.info
            table.add_row(
                *verbatim_row(
                    entry.schedule_id,
                    info.workflow_type.name,
                    "yes" if info.paused else "no",
                    _when(info.future_action_times[:1], tz),
                    _when([a.actual_time for a in info.recent_actions][-1:], tz),
                )
            )
        widen_columns(table)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        if self.selected is not None:
            self.describe(self.selected)
        else:
            self.query_one("#schedule-detail", Static).update("No schedules in this namespace.")

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.selected is not None:
            self.describe(self.selected)

    @work(exclusive=True, group="describe-schedule", exit_on_error=False, description="describe a schedule")
    async def describe(self, schedule_id: str) -> None:
        try:
            described: wsv1.DescribeScheduleResponse | None = await describe_schedule(self.tempo.client, schedule_id)
        except UsageError:  # "schedule not found": deleted meanwhile
            described = None
        self.post_message(ScheduleDescribed(schedule_id, described))

    @on(ScheduleDescribed)
    def _described(self, message: ScheduleDescribed) -> None:
        if message.schedule_id != self.selected:
            return
        self.described = message.description
        detail = self.query_one("#schedule-detail", Static)
        if message.description is None:
            detail.update(f"{message.schedule_id}: deleted.")
            return
        detail.update(describe_text(message.schedule_id, message.description, zone(self.tempo.utc)))

    # --- acting ----------------------------------------------------------------------------------

    @changes_server("pausing a schedule")
    def action_toggle_pause(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen

        schedule_id = self.selected
        if schedule_id is None or self.described is None:
            return
        paused = self.described.schedule.state.paused
        verb = "Unpause" if paused else "Pause"

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                patch = schedule_pb.SchedulePatch(unpause=reason) if paused else schedule_pb.SchedulePatch(pause=reason)
                self.patch(schedule_id, patch, f"{verb}d {schedule_id}.")

        body = f"{verb} schedule {schedule_id}? The reason is kept as its notes."
        self.app.push_screen(ConfirmScreen(verb, body, confirm=verb, reason=f"{verb}d from tempo tui"), confirmed)

    @changes_server("triggering a schedule")
    def action_trigger(self) -> None:
        schedule_id = self.selected
        if schedule_id is not None:
            patch = schedule_pb.SchedulePatch(trigger_immediately=schedule_pb.TriggerImmediatelyRequest())
            self.patch(schedule_id, patch, f"Triggered {schedule_id}.")

    @changes_server("creating a schedule")
    def action_create(self) -> None:
        from tempo_cli.tui.screens.schedule_forms import CreateScheduleScreen, NewSchedule

        def created(new: NewSchedule | None) -> None:
            if new is not None:
                self.notify(f"Created {new.schedule_id}.", timeout=4, markup=False)
                self.load()

        self.app.push_screen(CreateScheduleScreen(self.tempo.client), created)

    @changes_server("backfilling a schedule")
    def action_backfill(self) -> None:
        from tempo_cli.tui.screens.schedule_forms import BackfillScreen

        schedule_id = self.selected
        if schedule_id is None:
            return

        def filled(patch: schedule_pb.SchedulePatch | None) -> None:
            if patch is not None:
                self.patch(schedule_id, patch, f"Backfilling {schedule_id}.")

        self.app.push_screen(BackfillScreen(schedule_id), filled)

    @changes_server("deleting a schedule")
    def action_delete(self) -> None:
        from tempo_cli.tui.screens.confirm import ConfirmScreen

        schedule_id = self.selected
        if schedule_id is None:
            return

        def confirmed(answer: str | None) -> None:
            if answer is not None:
                self.delete(schedule_id)

        body = f"Delete schedule {schedule_id}? The workflows it started stay."
        self.app.push_screen(ConfirmScreen("Delete schedule", body, confirm="Delete", danger=True), confirmed)

    @work(group="schedule-actions", exit_on_error=False, description="change a schedule")
    async def patch(self, schedule_id: str, patch: schedule_pb.SchedulePatch, done: str) -> None:
        await patch_schedule(self.tempo.client, schedule_id, patch)
        self.notify(done, timeout=4, markup=False)
        self.load()

    @work(group="schedule-actions", exit_on_error=False, description="delete a schedule")
    async def delete(self, schedule_id: str) -> None:
        await delete_schedule(self.tempo.client, schedule_id)
        self.notify(f"Deleted {schedule_id}.", timeout=4, markup=False)
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


def _when(times: Any, tz: datetime.tzinfo | None) -> str:
    return timestamp(times[0].ToDatetime(datetime.UTC), tz, with_zone=True) if len(times) else ""


def describe_text(schedule_id: str, described: wsv1.DescribeScheduleResponse, tz: datetime.tzinfo | None) -> str:
    """The selected schedule as lines of text: action, spec, policies, state, runs."""
    schedule, info = described.schedule, described.info
    start = schedule.action.start_workflow
    every = [f"every {i.interval.ToTimedelta()}" for i in schedule.spec.interval]
    calendars = [f"{len(schedule.spec.structured_calendar)} calendar(s)"] if schedule.spec.structured_calendar else []
    policy = schedule_enums.ScheduleOverlapPolicy.Name(schedule.policies.overlap_policy)
    lines = [
        f"{schedule_id}: starts {start.workflow_type.name} as {start.workflow_id}-<time> on {start.task_queue.name}",
        f"Spec: {', '.join([*schedule.spec.cron_string, *every, *calendars]) or '(none)'}",
        f"Overlap: {policy.removeprefix('SCHEDULE_OVERLAP_POLICY_').lower()}",
        f"State: {'paused' if schedule.state.paused else 'active'}"
        + (f" ({schedule.state.notes})" if schedule.state.notes else ""),
        f"Actions: {info.action_count} taken, {info.missed_catchup_window} missed, {info.overlap_skipped} skipped",
        "Running: " + (", ".join(w.workflow_id for w in info.running_workflows) or "none"),
        "Recent: " + (", ".join(_when([a.actual_time], tz) for a in info.recent_actions[-3:]) or "none"),
        "Next: " + (", ".join(_when([t], tz) for t in info.future_action_times[:3]) or "none"),
    ]
    return "\n".join(lines)
