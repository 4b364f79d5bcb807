"""The Schedules screen (S on the list) against both servers: a schedule is listed and described,
and can be unpaused, triggered and deleted from the TUI."""

from __future__ import annotations

from collections.abc import Callable

from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from textual.widgets import Checkbox, DataTable, Input, Label, Static

from sdk.client import Client
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.schedules import SchedulesScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tests.tui.conftest import SIZE, create_paused_schedule, unique, wait_for


async def test_list_describe_unpause_trigger_and_delete(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    schedule_id = unique("tui-schedule")
    await create_paused_schedule(client, schedule_id, "Nightly", schedule_id, notes="made paused")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list")
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SchedulesScreen), "the schedules screen")
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        table = screen.query_one(DataTable)

        def ids() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        await wait_for(pilot, lambda: schedule_id in ids(), "the schedule listed")
        table.move_cursor(row=ids().index(schedule_id))
        detail = screen.query_one("#schedule-detail", Static)

        def text() -> str:
            return str(detail.content)

        await wait_for(pilot, lambda: "State: paused (made paused)" in text(), "the paused schedule described")
        assert f"starts Nightly as {schedule_id}-wf-<time> on {schedule_id}" in text()
        assert "Spec: every 1:00:00" in text()

        await pilot.press("p")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-reason")), "the unpause dialog")
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: "State: active (Unpaused from tempo tui)" in text(), "the schedule active")

        await pilot.press("t")
        await wait_for(pilot, lambda: "Actions: 1 taken" in text(), "the triggered action", timeout=30)

        await pilot.press("d")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-yes")), "the delete dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: schedule_id not in ids(), "the schedule gone", timeout=30)
    await client.close()


async def test_create_and_backfill_from_the_tui(server_address: str, make_app: Callable[[str], TempoApp]) -> None:
    """n creates a paused schedule from the form (a mistake is shown in the form first); f
    backfills it, and the backfilled actions are taken although it is paused."""
    from tempo_cli.tui.screens.schedule_forms import BackfillScreen, CreateScheduleScreen

    client = await Client.connect(server_address)
    schedule_id = unique("tui-new-schedule")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list")
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SchedulesScreen), "the schedules screen")
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        table = screen.query_one(DataTable)

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateScheduleScreen), "the create form")
        form = app.screen
        for field, value in (("id", schedule_id), ("type", "Nightly"), ("queue", schedule_id), ("interval", "1h")):
            form.query_one(f"#schedule-{field}", Input).value = value
        form.query_one("#schedule-cron", Input).value = "bogus"
        await pilot.press("ctrl+y")
        error = form.query_one(".form-error", Label)
        await wait_for(pilot, lambda: "CronString does not have 5-7 fields" in str(error.content), "the cron error")
        form.query_one("#schedule-cron", Input).value = ""
        form.query_one("#schedule-paused", Checkbox).value = True
        await pilot.press("ctrl+y")

        def ids() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        await wait_for(pilot, lambda: schedule_id in ids(), "the new schedule listed", timeout=30)
        table.move_cursor(row=ids().index(schedule_id))
        detail = screen.query_one("#schedule-detail", Static)
        await wait_for(pilot, lambda: "State: paused" in str(detail.content), "the new schedule described")

        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, BackfillScreen), "the backfill form")
        backfill = app.screen
        backfill.query_one("#backfill-start", Input).value = "2026-01-01T00:30:00Z"
        backfill.query_one("#backfill-end", Input).value = "2026-01-01T03:00:00Z"
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: "Actions: 3 taken" in str(detail.content), "the backfilled actions", timeout=30)
    described = await client.service.DescribeSchedule(
        wsv1.DescribeScheduleRequest(namespace="default", schedule_id=schedule_id), timeout=10
    )
    assert described.schedule.state.paused
    assert [a.schedule_time.ToJsonString() for a in described.info.recent_actions] == [
        "2026-01-01T01:00:00Z",
        "2026-01-01T02:00:00Z",
        "2026-01-01T03:00:00Z",
    ]
    await client.close()
