"""Text users choose is shown as they wrote it, never read as markup: workflow IDs and types,
task queues, signal and query names, failure messages, query answers and schedule IDs with square
brackets. Before, `order[red]-7` showed as `order-7` and `order[/x]` crashed the TUI drawing it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from textual.widgets import DataTable, Input, Select, Static, Tree

from sdk.worker import Worker
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.forms import SignalScreen
from tempo_cli.tui.screens.relations import RelationsScreen
from tempo_cli.tui.screens.schedules import SchedulesScreen
from tempo_cli.tui.screens.task_queues import TaskQueuesScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.pending_view import PendingView
from tempo_cli.tui.widgets.query_panel import QueryPanel
from tempo_cli.tui.widgets.summary import WorkflowSummary
from tests.tui.conftest import SIZE, connect, create_paused_schedule, open_run, type_text, unique, wait_for
from tests.tui.shown_text import shown, toasts
from tests.tui.table_drawing import drawn_rows
from tests.tui.tui_app import Bracketed, bracketed_charge

ODD_IDS = ["order[/x]", "order[red]-7", "a[b]c", "[bold]x[/bold]"]
TYPE = "Odd[red]Type[/x]"


def table_text(table: DataTable[object]) -> str:
    return "\n".join(drawn_rows(table, table.row_count))


async def test_bracketed_text_shows_as_written_everywhere(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(server_address)
    prefix = unique("markup")
    task_queue = f"{prefix}[red]-queue[/x]"
    ids = [f"{prefix}-{suffix}" for suffix in ODD_IDS]
    retrying, failing = ids[0], ids[1]
    schedule_id = f"{prefix}-sched[/x]"
    try:
        async with Worker(client, task_queue=task_queue, workflows=[Bracketed], activities=[bracketed_charge]):
            for workflow_id in ids:
                order = "retry" if workflow_id == retrying else workflow_id
                await client.start_workflow(Bracketed.run, order, id=workflow_id, task_queue=task_queue)
            await create_paused_schedule(client, schedule_id, TYPE, task_queue)
            app = make_app(server_address)
            async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts drawn
                await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list")
                screen = app.screen
                assert isinstance(screen, WorkflowsScreen)

                # The list: IDs and the type as written.
                await pilot.press("i")
                await type_text(pilot, prefix)
                await pilot.press("enter")
                await wait_for(pilot, lambda: len(screen.table.runs) == len(ids), "the runs listed")
                await pilot.pause()
                listed = table_text(screen.table)
                for workflow_id in ids:
                    assert workflow_id in listed
                assert TYPE in listed

                # Filtering by the type: the line under the list quotes the query as sent.
                await pilot.press("t")
                screen.query_one("#filter-type", Input).value = TYPE
                await pilot.press("enter")
                page_info = screen.query_one("#page-info", Static)
                await wait_for(pilot, lambda: f"WorkflowType = '{TYPE}'" in shown(page_info), "the query shown")
                await wait_for(pilot, lambda: len(screen.table.runs) == len(ids), "the runs of the type listed")

                # A notification naming a run (c marks it for comparing).
                screen.table.move_cursor(row=[r.workflow_id for r in screen.table.runs].index(ids[3]))
                screen.table.focus()
                await pilot.press("c")
                await wait_for(pilot, lambda: any(f"Marked {ids[3]}." in t for t in toasts(app)), "the toast")

                # The run whose activity keeps failing: summary, pending activity, queries.
                run = await open_run(pilot, app, retrying)
                summary = run.query_one(WorkflowSummary)
                await wait_for(pilot, lambda: TYPE in shown(summary), "the summary")
                assert retrying in shown(summary)
                await pilot.press("2")
                activities = run.query_one(PendingView).query_one("#pending-activities", DataTable)
                await wait_for(pilot, lambda: "[red]declined[/red]" in table_text(activities), "the pending failure")
                assert "charge[/x]" in table_text(activities)
                await pilot.press("3")
                panel = run.query_one(QueryPanel)
                select = panel.query_one("#query-name", Select)
                await wait_for(pilot, lambda: select.value == "notes[b]", "the workflow's query offered")
                await wait_for(pilot, lambda: "notes[b]" in shown(select), "the query's name shown")
                panel.submit()
                result = panel.query_one("#query-result", Static)
                await wait_for(pilot, lambda: "[bold]x[/bold]" in shown(result), "the query answer")

                # Its relations: a tree of runs named by type and ID.
                await pilot.press("g")
                await wait_for(pilot, lambda: isinstance(app.screen, RelationsScreen), "the relations")
                tree = app.screen.query_one(Tree)
                await wait_for(pilot, lambda: f"{TYPE}  {retrying}" in shown(tree), "the run in the tree")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is run, "the run again")
                await pilot.press("escape")

                # A signal sent from the TUI, then the run's failure in its history.
                run = await open_run(pilot, app, failing)
                await pilot.press("s")
                await wait_for(pilot, lambda: isinstance(app.screen, SignalScreen), "the signal form")
                form = app.screen
                names = form.query_one("#signal-name", Select)
                await wait_for(pilot, lambda: "note[/x]" in shown(names), "the signal's name shown")
                form.query_one("#signal-input", Input).value = '"fail"'
                await pilot.press("ctrl+y")
                await wait_for(pilot, lambda: app.screen is not form and app.screen is not run, "the confirmation")
                await pilot.press("ctrl+y")
                sent = f"Sent signal 'note[/x]' to {failing}."
                await wait_for(pilot, lambda: any(sent in t for t in toasts(app)), "the signal's toast")
                await wait_for(pilot, lambda: run.history.complete, "the failed run's whole history")
                await pilot.pause()
                history = table_text(run.history.table)
                assert f"order[/x] of {failing} [bold]failed[/bold]" in history
                await pilot.press("escape")

                # The task queue and the schedule, by name.
                await wait_for(pilot, lambda: app.screen is screen, "the list")
                await pilot.press("u")
                await wait_for(pilot, lambda: isinstance(app.screen, TaskQueuesScreen), "the task queues")
                queues = app.screen.query_one("#queues", DataTable)
                await wait_for(pilot, lambda: task_queue in table_text(queues), "our task queue")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "the list")
                await pilot.press("S")
                await wait_for(pilot, lambda: isinstance(app.screen, SchedulesScreen), "the schedules")
                schedules = app.screen.query_one(DataTable)
                await wait_for(pilot, lambda: schedule_id in table_text(schedules), "our schedule")
                assert TYPE in table_text(schedules)
    finally:
        for workflow_id in ids:
            with contextlib.suppress(Exception):  # already closed
                await client.get_workflow_handle(workflow_id).terminate("test over")
        await client.service.DeleteSchedule(
            wsv1.DeleteScheduleRequest(namespace="default", schedule_id=schedule_id), timeout=10
        )
        await client.close()
