"""The screens beyond list and history, against real servers: timeline, compare, task
queues, saved filters, namespaces, the command palette."""

from __future__ import annotations

import json
from collections.abc import Callable

from sdk.client import Client
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.compare import CompareScreen
from tempo_cli.tui.screens.namespaces import NamespacesScreen
from tempo_cli.tui.screens.task_queues import TaskQueuesScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.timeline import TimelineView
from tests.tui.conftest import SIZE, type_text, unique, wait_for
from tests.tui.tui_app import Checkout, Quick


async def filter_by_prefix(pilot: object, app: TempoApp, prefix: str, count: int) -> WorkflowsScreen:
    screen = app.screen
    assert isinstance(screen, WorkflowsScreen)
    await pilot.press("i")  # type: ignore[attr-defined]
    await type_text(pilot, prefix)  # type: ignore[arg-type]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: len(screen.table.runs) == count, f"{count} runs")  # type: ignore[arg-type]
    return screen


async def test_timeline_compare_and_task_queues(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    prefix = unique("more")
    await client.execute_workflow(Quick.run, "a", id=f"{prefix}-a", task_queue=task_queue)
    handle = await client.start_workflow(Checkout.run, "bo", id=f"{prefix}-b", task_queue=task_queue)
    await handle.signal(Checkout.finish)
    await handle.result()

    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await filter_by_prefix(pilot, app, prefix, 2)

        # Compare: mark one run with c, then c on the other.
        await pilot.press("c", "down", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare screen")
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        await wait_for(pilot, lambda: len(compare.rows) > 0, "the aligned histories")
        assert compare.rows[0].difference == "details"  # both start, with different inputs
        assert any(r.difference == "type" for r in compare.rows)  # only Checkout has an activity
        await pilot.press("escape")

        # Timeline of the Checkout run: its activity as a bar.
        await wait_for(pilot, lambda: app.screen is screen, "the list")
        screen.table.move_cursor(row=[r.workflow_id for r in screen.table.runs].index(f"{prefix}-b"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen), "the run")
        run_screen = app.screen
        assert isinstance(run_screen, WorkflowScreen)
        await wait_for(pilot, lambda: run_screen.history.complete, "the whole history")
        await pilot.press("5")
        timeline = run_screen.query_one(TimelineView)
        await wait_for(pilot, lambda: "Activity reserve_stock" in str(timeline.content), "the activity bar")
        assert "Completed" in str(timeline.content)
        await pilot.press("escape")

        # Task queues of the listed runs: our worker polls this one.
        await wait_for(pilot, lambda: app.screen is screen, "the list")
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskQueuesScreen), "the task queues")
        queues = app.screen.query_one("#queues")

        def pollers_of_workflow_queue() -> int:
            for row in range(queues.row_count):  # type: ignore[attr-defined]
                name, kind, pollers, *_ = queues.get_row_at(row)  # type: ignore[attr-defined]
                if str(name) == task_queue and str(kind) == "workflow":
                    return int(str(pollers))
            return 0

        await wait_for(pilot, lambda: pollers_of_workflow_queue() >= 1, "a workflow poller on our task queue")


async def test_saved_filters_namespaces_and_palette(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    prefix = unique("saved")
    await client.execute_workflow(Quick.run, "a", id=f"{prefix}-a", task_queue=task_queue)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await filter_by_prefix(pilot, app, prefix, 1)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.query("#filter-name"), "the name dialog")
        await type_text(pilot, "mine")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.settings.path.exists(), "the settings file")
        saved = json.loads(app.settings.path.read_text())["filters"]
        assert saved == [{"name": "mine", "status": "", "workflowType": "", "idPrefix": prefix, "query": ""}]

        await pilot.press("x")
        await wait_for(pilot, lambda: screen.filter.is_empty, "the cleared filter")
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.query("#saved-filters"), "the saved filters")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.filter.id_prefix == prefix, "the saved filter applied")
        await wait_for(pilot, lambda: [r.workflow_id for r in screen.table.runs] == [f"{prefix}-a"], "its runs")

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NamespacesScreen), "the namespaces")
        options = app.screen.query_one("#namespaces")
        await wait_for(
            pilot,
            lambda: any("default" in str(options.get_option_at_index(i).prompt) for i in range(options.option_count)),  # type: ignore[attr-defined]
            "the default namespace",
        )
        await pilot.press("escape")

        # The palette reaches the screen's actions by name.
        commands = [c.title for c in app.get_system_commands(screen)]
        assert {"Show Running", "Next page", "Namespace", "Saved filters", "Task queues", "Help"} <= set(commands)
