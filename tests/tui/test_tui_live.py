"""The TUI against real servers (ours and the real dev server), with real workers.

Each test drives the app with keys as a user would and waits for what they would see:
the list, its filters, a run's history, an event's attributes, query answers, and the
history growing when the run is signalled or terminated.
"""

from __future__ import annotations

from collections.abc import Callable

from sdk.client import Client, WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.event_detail import EventDetailScreen
from tempo_cli.tui.screens.help import HelpScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.query_panel import QueryPanel
from tests.tui.conftest import SIZE, type_text, unique, wait_for
from tests.tui.tui_app import Checkout, Quick


def listed_ids(app: TempoApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, WorkflowsScreen)
    return [run.workflow_id for run in screen.table.runs]


def event_types(screen: WorkflowScreen) -> list[str]:
    return [row.type_name for row in screen.history._rows]


async def test_list_filters_by_status_and_by_typed_query(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    prefix = unique("list")
    for i in range(3):
        await client.execute_workflow(Quick.run, f"n{i}", id=f"{prefix}-quick-{i}", task_queue=task_queue)
    await client.start_workflow(Checkout.run, "ada", id=f"{prefix}-checkout", task_queue=task_queue)
    everything = {f"{prefix}-quick-{i}" for i in range(3)} | {f"{prefix}-checkout"}

    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await type_text(pilot, prefix)
        await pilot.press("enter")
        await wait_for(pilot, lambda: set(listed_ids(app)) == everything, "the four runs, filtered by ID prefix")
        screen = app.screen
        assert isinstance(screen, WorkflowsScreen)
        await wait_for(pilot, lambda: screen.counts.count_of(WorkflowStatus.COMPLETED) == 3, "3 completed")

        await pilot.press("1")  # Running
        await wait_for(pilot, lambda: listed_ids(app) == [f"{prefix}-checkout"], "only the running run")
        await pilot.press("2")  # Completed
        await wait_for(pilot, lambda: len(listed_ids(app)) == 3, "only the completed runs")
        assert f"{prefix}-checkout" not in listed_ids(app)
        await pilot.press("0")

        await pilot.press("slash")
        await type_text(pilot, "WorkflowType = 'Checkout'")
        await pilot.press("enter")
        await wait_for(pilot, lambda: listed_ids(app) == [f"{prefix}-checkout"], "the typed query's result")

        # An invalid query shows the server's reason inline; the app goes on.
        await pilot.press("slash", "ctrl+u")
        await type_text(pilot, "WorkflowType = ")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "refused the query" in screen.filter_bar.error, "the inline query error")
        assert listed_ids(app) == []

        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: screen.filter_bar.error == "", "the error to go once the filter is cleared")


async def test_history_detail_query_signal_and_terminate(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    workflow_id = unique("checkout")
    handle = await client.start_workflow(Checkout.run, "ada", id=workflow_id, task_queue=task_queue)
    await handle.signal(Checkout.add_item, "apple")

    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await type_text(pilot, workflow_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: listed_ids(app) == [workflow_id], "the run in the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen), "the Workflow screen")
        screen = app.screen
        assert isinstance(screen, WorkflowScreen)
        await wait_for(pilot, lambda: "ActivityTaskCompleted" in event_types(screen), "the activity's events")
        ids = [row.event_id for row in screen.history._rows]
        assert ids == list(range(1, len(ids) + 1))
        assert event_types(screen)[0] == "WorkflowExecutionStarted"
        assert "WorkflowExecutionSignaled" in event_types(screen)

        # Enter on the first event: all its attributes, payloads decoded.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen), "the event detail")
        detail = app.screen
        assert isinstance(detail, EventDetailScreen)
        assert '"ada"' in detail.text and "Checkout" in detail.text
        await pilot.press("escape")

        # ? lists this screen's keys.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert ("c", "Compact") in help_screen.rows
        await pilot.press("escape")

        # Queries: the workflow's own query, picked from its metadata.
        await pilot.press("3")
        panel = screen.query_one(QueryPanel)
        await wait_for(pilot, lambda: panel.chosen_name == "items_so_far", "the query list from the metadata")
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: '"apple"' in panel.result_text, "the query result")

        # Signal from the UI: the event shows up in the history by itself.
        await pilot.press("escape", "s")
        await wait_for(pilot, lambda: app.screen.query("#signal-input"), "the signal form")
        await type_text(pilot, '"pear"')
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#confirm-yes"), "the confirmation")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: event_types(screen).count("WorkflowExecutionSignaled") == 2, "the new signal event"
        )
        await pilot.press("r")  # the last query again
        await wait_for(pilot, lambda: '"pear"' in panel.result_text, "the query to see the signal")

        # Terminate: confirm with a reason; the status changes on screen.
        await pilot.press("1", "t")
        await wait_for(pilot, lambda: app.screen.query("#confirm-reason"), "the terminate dialog")
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: screen.status == WorkflowStatus.TERMINATED, "the terminated status")
        assert event_types(screen)[-1] == "WorkflowExecutionTerminated"
        assert screen.history.complete

        # Back on the list, the run reads Terminated too.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list again")
        list_screen = app.screen
        assert isinstance(list_screen, WorkflowsScreen)
        await wait_for(
            pilot,
            lambda: list_screen.table.runs[0].status == WorkflowStatus.TERMINATED,
            "Terminated in the list",
        )


async def test_queries_of_an_official_sdk_workflow(
    server_address: str, official: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    workflow_id = unique("waiter")
    try:
        handle = await client.start_workflow("Waiter", id=workflow_id, task_queue=official)
        await handle.signal("add", "x")
        app = make_app(server_address)
        async with app.run_test(size=SIZE) as pilot:
            app.open_workflow(workflow_id)
            await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen), "the Workflow screen")
            screen = app.screen
            assert isinstance(screen, WorkflowScreen)
            await wait_for(pilot, lambda: "WorkflowExecutionSignaled" in event_types(screen), "the signal event")
            await pilot.press("3")
            panel = screen.query_one(QueryPanel)
            await wait_for(pilot, lambda: screen.handlers is not None, "the official SDK's metadata")
            assert screen.handlers is not None
            assert {"count", "items_with_prefix", "broken"} <= set(screen.handlers.queries)
            assert {"add", "finish"} <= set(screen.handlers.signals)

            panel.query_one("#query-name").value = "items_with_prefix"  # type: ignore[attr-defined]
            await pilot.press("tab")
            await type_text(pilot, '"p-"')
            await pilot.press("enter")
            await wait_for(pilot, lambda: '"p-x"' in panel.result_text, "the query answer with an argument")

            panel.query_one("#query-name").value = "broken"  # type: ignore[attr-defined]
            await pilot.press("enter")
            await wait_for(pilot, lambda: "this query is broken" in panel.result_text, "the query's error")
            assert panel.query_one("#query-result").has_class("-error")

            panel.query_one("#query-name").value = "__stack_trace"  # type: ignore[attr-defined]
            await pilot.press("enter")
            await wait_for(pilot, lambda: panel.result_text and "Running" not in panel.result_text, "a stack trace")
        await handle.signal("finish")
    finally:
        await client.close()
