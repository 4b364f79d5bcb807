"""Every table of the TUI whose columns fit their cells shows its rows whole even when the
screen draws it before the table measured them (what a busy machine does: the workflow list
once stayed cut to its headers' widths, "▶ Runn  secret-f83a  Secr"). A table of fixed height
(a run's history: a closed run's is filled once) stayed so for as long as it was open; one whose
height follows its rows, when refreshed with as many rows as before. Fixed data (snapshot_app),
driven with Pilot; the tables' idle turns are held back while the screen draws.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from sdk.client import TaskQueueDescription, TaskQueuePoller
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.history_model import event_row
from tempo_cli.tui.messages import DescriptionLoaded, HistoryLoaded, TaskQueuesLoaded
from tempo_cli.tui.screens.help import HelpScreen
from tempo_cli.tui.screens.schedules import SchedulesLoaded, SchedulesScreen
from tempo_cli.tui.screens.task_queues import TaskQueuesScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.verbatim import verbatim_row
from tempo_cli.tui.widgets.table_widths import widen_columns
from tests.tui import snapshot_app as data
from tests.tui.table_drawing import drawn_rows, idle_turn, idle_turns_held

SIZE = (120, 40)


async def test_the_help_table_shows_every_key_and_action_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WorkflowsScreen)
        with idle_turns_held(monkeypatch):
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one("#help-keys", DataTable)
            expected = app.screen.rows
            # Drawn before its idle turn: its height is still 0, and the resize the measuring
            # brings drops whatever was drawn. Filled once, it is not refreshed.
            drawn_rows(table, len(expected))
        await idle_turn(pilot, table)
        lines = drawn_rows(table, len(expected) - 1)  # no header: the first line is the first key
        for (key, action), line in zip(expected, lines, strict=True):
            assert f" {key} " in line and f" {action} " in line, (key, action, line)


def _timestamp(when: datetime.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _schedule(last_run: datetime.datetime | None) -> schedule_pb.ScheduleListEntry:
    entry = schedule_pb.ScheduleListEntry(schedule_id="nightly-invoice-run")
    entry.info.workflow_type.name = "SendInvoices"
    entry.info.future_action_times.append(_timestamp(data.T0 + datetime.timedelta(hours=1)))
    if last_run is not None:
        entry.info.recent_actions.add().actual_time.CopyFrom(_timestamp(last_run))
    return entry


async def test_a_refreshed_schedule_is_listed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(SchedulesScreen())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        table = screen.query_one("#schedules", DataTable)
        screen.post_message(SchedulesLoaded([_schedule(None)]))
        await idle_turn(pilot, table)
        # The schedule has run since: the next refresh has as many rows, one cell wider.
        with idle_turns_held(monkeypatch):
            screen.post_message(SchedulesLoaded([_schedule(data.T0)]))
            await pilot.pause()
            drawn_rows(table, 1)
        await idle_turn(pilot, table)
        header, row = drawn_rows(table, 1)
        assert "Workflow type" in header and "Last run" in header, header
        for cell in ("nightly-invoice-run", "SendInvoices", "no", "2026-11-25 16:46:16 UTC", "2026-11-25 15:46:16 UTC"):
            assert f" {cell} " in row, (cell, row)


async def test_refreshed_task_queues_and_pollers_are_listed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def queues(identity: str, polled: datetime.datetime | None) -> list[TaskQueueDescription]:
        poller = TaskQueuePoller(identity, polled, 100_000.0)
        return [
            TaskQueueDescription("orders-eu-west", "workflow", [poller], 12),
            TaskQueueDescription("orders-eu-west", "activity", [], None),
        ]

    app = data.app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(TaskQueuesScreen(["orders-eu-west"]))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskQueuesScreen)
        table, pollers = screen.query_one("#queues", DataTable), screen.query_one("#pollers", DataTable)
        screen.post_message(TaskQueuesLoaded(queues("1@a", None)))
        await idle_turn(pilot, table, pollers)
        # Another worker polls now: as many rows as before, wider cells.
        with idle_turns_held(monkeypatch):
            screen.post_message(TaskQueuesLoaded(queues("4242@worker-eu-west-1", data.T0)))
            await pilot.pause()
            drawn_rows(table, 2)
            drawn_rows(pollers, 1)
        await idle_turn(pilot, table, pollers)
        _, workflow, activity = drawn_rows(table, 2)
        for cell in ("orders-eu-west", "workflow", "2026-11-25 15:46:16 UTC", "12"):
            assert f" {cell} " in workflow, (cell, workflow)
        assert " activity " in activity and " never " in activity, activity
        _, row = drawn_rows(pollers, 1)
        for cell in ("orders-eu-west", "workflow", "4242@worker-eu-west-1", "2026-11-25 15:46:16 UTC"):
            assert f" {cell} " in row, (cell, row)


async def test_a_closed_runs_history_is_drawn_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = data.history()
    app = data.app(tmp_path)
    async with app.run_test(size=(120, 80)) as pilot:
        screen = await _run_screen(app, pilot)
        table = screen.history.table
        # The first events arrive and are measured; the rest come at once, wider.
        screen.post_message(HistoryLoaded(events[:3], complete=False))
        await idle_turn(pilot, table)
        with idle_turns_held(monkeypatch):
            screen.post_message(HistoryLoaded(events, complete=True))
            await pilot.pause()
            assert table.row_count == len(events)
            drawn_rows(table, len(events))
        await idle_turn(pilot, table)
        _, *rows = drawn_rows(table, len(events))
        converter = app.data_converter
        for event, row in zip(events, rows, strict=True):
            shown = event_row(event, converter)
            assert f" {shown.event_id} " in row and f" {shown.type_name} " in row, row
        assert "WorkflowExecutionCompleted" in rows[-1], rows[-1]


async def test_a_refreshed_pending_activity_is_drawn_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run_screen(app, pilot)
        screen.post_message(HistoryLoaded(data.history()[:16], complete=False))
        await pilot.press("2")
        await pilot.pause()
        table = screen.query_one("#pending-activities", DataTable)
        first_try = data.description(running=True)
        first_try.raw_description.pending_activities[0].ClearField("last_failure")
        screen.post_message(DescriptionLoaded(first_try))
        await idle_turn(pilot, table)
        # The activity failed since: the next description has as many rows, wider cells.
        with idle_turns_held(monkeypatch):
            screen.post_message(DescriptionLoaded(data.description(running=True)))
            await pilot.pause()
            assert table.row_count == 1
            drawn_rows(table, 1)
        await idle_turn(pilot, table)
        header, row = drawn_rows(table, 1)
        assert "Activity ID" in header and "Last failure" in header, header
        for cell in (
            "charge_customer",
            "Scheduled",
            "3/5",
            "card declined (attempt 2) (Declined)",
            "2026-11-25 15:46:18 UTC",
        ):
            assert f" {cell} " in row, (cell, row)


async def test_the_compact_history_is_drawn_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = data.history()
    app = data.app(tmp_path)
    async with app.run_test(size=(120, 80)) as pilot:
        screen = await _run_screen(app, pilot)
        table = screen.history.table
        screen.post_message(HistoryLoaded(events, complete=True))
        await idle_turn(pilot, table)
        with idle_turns_held(monkeypatch):
            await pilot.press("c")  # new columns, as wide as their headers, then the folded rows
            await pilot.pause()
            folded = screen.history.folded_rows()
            assert table.row_count == len(folded)
            drawn_rows(table, len(folded))
        await idle_turn(pilot, table)
        header, *rows = drawn_rows(table, len(folded))
        assert "Kind" in header and "Duration" in header, header
        for shown, row in zip(folded, rows, strict=True):
            assert f" {shown.event_id} " in row and f" {shown.kind} " in row and f" {shown.name}" in row, row


class _OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="plain")


async def test_cells_shown_verbatim_are_measured_as_the_table_measures_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # User text with brackets, and a message whose later lines a one-line row never shows.
    row = verbatim_row("order[red]-7", "a[b]c", "card declined\nat charge() in a much longer second line")
    app = _OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("ID", "Type", "Failure")
        with idle_turns_held(monkeypatch):
            table.add_row(*row)
            widen_columns(table)
            ours = [column.content_width for column in table.ordered_columns]
        for column in table.ordered_columns:
            column.content_width = 0
        await idle_turn(pilot, table)
        assert [column.content_width for column in table.ordered_columns] == ours == [12, 5, 13]
        assert drawn_rows(table, 1)[1].split() == ["order[red]-7", "a[b]c", "card", "declined"]


async def _run_screen(app: TempoApp, pilot: Pilot[None]) -> WorkflowScreen:
    """The sample run's screen, opened."""
    await pilot.pause()
    await app.push_screen(WorkflowScreen("order-3", data.RUN_ID))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WorkflowScreen)
    return screen
