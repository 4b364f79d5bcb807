"""Forms of the Schedules screen: a schedule to create, a time range to backfill. They check what
was typed with the CLI's own rules (`tempo schedule create`/`backfill`), so both refuse the same."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select

from tempo_cli._context import UsageError
from tempo_cli._schedule_commands import (
    OVERLAP_POLICIES,
    backfill_patch,
    create_schedule,
    schedule_from_flags,
    timestamp,
)
from tempo_cli.tui.screens.forms import Form
from tempo_cli.tui.widgets.query_panel import parse_arguments


@dataclass(frozen=True)
class NewSchedule:
    """A schedule to create."""

    schedule_id: str
    schedule: schedule_pb.Schedule
    args: list[Any]


def _row(label: str, field: Any) -> Horizontal:
    return Horizontal(Label(label, classes="form-label"), field, classes="form-row")


class CreateScheduleScreen(Form):
    """Create a schedule: what it starts, and a cron string or an interval. The form stays open
    until the server has made it, so a spec the server refuses is shown here to be mended."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Create a schedule", classes="dialog-title")
            yield _row("Schedule ID", Input(id="schedule-id", compact=True))
            yield _row("Workflow type", Input(id="schedule-type", compact=True))
            yield _row("Task queue", Input(id="schedule-queue", compact=True))
            yield _row(
                "Workflow ID", Input(placeholder="the schedule ID if empty", id="schedule-workflow", compact=True)
            )
            yield _row(
                "Input", Input(placeholder="JSON: one value, or [arg1, arg2]", id="schedule-input", compact=True)
            )
            yield _row("Cron", Input(placeholder="e.g. 0 3 * * *", id="schedule-cron", compact=True))
            yield _row(
                "Interval", Input(placeholder="e.g. 1h, or 1h/15m with a phase", id="schedule-interval", compact=True)
            )
            yield _row("Notes", Input(id="schedule-notes", compact=True))
            yield Checkbox("Paused", id="schedule-paused", compact=True)
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#schedule-id", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#schedule-{name}", Input).value.strip()

    def action_submit(self) -> None:
        schedule_id, workflow_type, queue = self._value("id"), self._value("type"), self._value("queue")
        cron, interval = self._value("cron"), self._value("interval")
        missing = [
            n for n, v in (("schedule ID", schedule_id), ("type", workflow_type), ("task queue", queue)) if not v
        ]
        if missing:
            self.show_error(f"Missing: {', '.join(missing)}.")
            return
        if not cron and not interval:
            self.show_error("Give a cron string or an interval.")
            return
        try:
            args = parse_arguments(self.query_one("#schedule-input", Input).value)
            schedule, _ = schedule_from_flags(
                cron=[cron] if cron else [],
                interval=[interval] if interval else [],
                workflow_id=self._value("workflow") or schedule_id,
                workflow_type=workflow_type,
                task_queue=queue,
                inputs=[],
                input_files=[],
                overlap_policy=None,
                paused=self.query_one("#schedule-paused", Checkbox).value,
                notes=self._value("notes") or None,
            )
        except (ValueError, UsageError) as err:
            self.show_error(str(err))
            return
        self.create(NewSchedule(schedule_id, schedule, args))

    @work(exclusive=True, group="create-schedule", exit_on_error=False, description="create a schedule")
    async def create(self, new: NewSchedule) -> None:
        from sdk.exceptions import RPCError

        try:
            await create_schedule(self.client, new.schedule_id, new.schedule, new.args)
        except (RPCError, UsageError) as err:
            self.show_error(err.message if isinstance(err, RPCError) else str(err))
            return
        self.dismiss(new)


class BackfillScreen(Form):
    """Backfill a schedule: the actions its spec would have taken between two times."""

    def __init__(self, schedule_id: str) -> None:
        super().__init__()
        self.schedule_id = schedule_id

    def compose(self) -> ComposeResult:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        day_ago = now - datetime.timedelta(days=1)
        policies = [(name, name) for name in OVERLAP_POLICIES]
        with Vertical(classes="dialog"):
            yield Label(f"Backfill {self.schedule_id}", classes="dialog-title", markup=False)
            yield _row(
                "Start time", Input(value=day_ago.isoformat().replace("+00:00", "Z"), id="backfill-start", compact=True)
            )
            yield _row("End time", Input(value=now.isoformat().replace("+00:00", "Z"), id="backfill-end", compact=True))
            yield _row(
                "Overlap", Select(policies, value="AllowAll", allow_blank=False, id="backfill-policy", compact=True)
            )
            yield Label("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Backfill", id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#backfill-start", Input).focus()

    def action_submit(self) -> None:
        try:
            start = timestamp("start time", self.query_one("#backfill-start", Input).value.strip())
            end = timestamp("end time", self.query_one("#backfill-end", Input).value.strip())
            if end < start:
                raise UsageError("the end time is before the start time")
            patch = backfill_patch(start, end, str(self.query_one("#backfill-policy", Select).value))
        except UsageError as err:
            self.show_error(str(err))
            return
        self.dismiss(patch)
