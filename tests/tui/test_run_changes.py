"""The TUI's actions that change runs, against both servers: send an update, reset a run, and
start a workflow from a blank form (issue 18: what the Web UI has and Temporal users use most)."""

from __future__ import annotations

from collections.abc import Callable

from temporalio.api.enums.v1 import EventType
from textual.widgets import Input

from sdk.client import Client, WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.run_changes import ResetScreen, UpdateScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.actions_panel import ActionsPanel
from tests.sdk_client.workflows import official_worker
from tests.tui.conftest import SIZE, screen_mounted, type_text, unique, wait_for
from tests.tui.tui_app import Checkout


async def _open(pilot: object, app: TempoApp, workflow_id: str, run_id: str = "") -> WorkflowScreen:
    app.open_workflow(workflow_id, run_id)
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen) and bool(app.screen.events), "the run")  # type: ignore[arg-type]
    assert isinstance(app.screen, WorkflowScreen)
    return app.screen


def _outcomes(screen: WorkflowScreen) -> str:
    return str(screen.query_one(ActionsPanel).query_one("#action-log").content)  # type: ignore[attr-defined]


async def test_send_an_update_and_see_its_answer(
    server_address: str, official: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    workflow_id = unique("tally")
    await client.start_workflow("Tally", id=workflow_id, task_queue=official)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, workflow_id)
        await wait_for(pilot, lambda: screen.handlers is not None, "the workflow's handlers")
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UpdateScreen), "the update form")
        assert app.screen.names == ["add", "add_when_released", "fail"], "the names the workflow declares"  # type: ignore[attr-defined]
        await type_text(pilot, "5")
        await pilot.press("enter")  # submit the form
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-yes")), "the confirmation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Update 'add' returned 5." in _outcomes(screen), "the update's answer")
        await wait_for(
            pilot,
            lambda: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in [e.event_type for e in screen.events],
            "the update in the history",
        )
        # A refused update says why, and changes nothing.
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UpdateScreen), "the update form")
        await type_text(pilot, "-1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-yes")), "the confirmation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "negative amounts are refused" in _outcomes(screen), "the refusal")
    await client.close()


async def test_a_run_opened_before_its_worker_offers_its_updates_once_the_worker_runs(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    workflow_id, task_queue = unique("tally"), unique("tq-late")
    await client.start_workflow("Tally", id=workflow_id, task_queue=task_queue)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, workflow_id)
        await wait_for(pilot, lambda: not screen._asking_for_handlers(), "the first ask for the handlers")
        assert screen.handlers is None, "no worker polls the run's task queue yet"
        async with official_worker(server_address, task_queue):
            await wait_for(pilot, lambda: screen.handlers is not None, "the workflow's handlers")
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, UpdateScreen), "the update form")
            assert app.screen.names == ["add", "add_when_released", "fail"]  # type: ignore[attr-defined]
            await pilot.press("escape")
    await client.close()


async def test_reset_a_run_to_its_last_workflow_task(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    workflow_id = unique("reset")
    handle = await client.start_workflow(Checkout.run, "ada", id=workflow_id, task_queue=task_queue)
    await handle.signal(Checkout.add_item, "tea")
    await handle.signal(Checkout.finish)
    assert await handle.result() == "ada: 1 items"
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app, workflow_id)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ResetScreen), "the reset form")
        form = app.screen
        assert isinstance(form, ResetScreen)
        labels = [point.label for point in form.points]
        assert labels[0].startswith("First workflow task") and labels[1].startswith("Last workflow task")
        first_task = form.points[0].event_id
        # Choose the first workflow task: the signals after it are given to the new run again.
        form.query_one("#reset-point").value = 0  # type: ignore[attr-defined]
        form.query_one("#reset-reason", Input).value = "try again"
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-yes")), "the confirmation")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WorkflowScreen) and app.screen is not screen and bool(app.screen.events),
            "the new run",
        )
        new_run = app.screen
        assert isinstance(new_run, WorkflowScreen)
        assert new_run.run_id and new_run.run_id != screen.run_id
        await wait_for(pilot, lambda: new_run.status == WorkflowStatus.COMPLETED, "the new run completed")
        failed = next(e for e in new_run.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
        assert failed.workflow_task_failed_event_attributes.failure.message == "try again"
        assert failed.event_id == first_task, "the chosen task ends in failure in the new run"
        signals = [e for e in new_run.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
        assert [s.workflow_execution_signaled_event_attributes.signal_name for s in signals] == ["add_item", "finish"]
    assert await client.get_workflow_handle(workflow_id).result() == "ada: 1 items"


async def test_start_a_workflow_from_a_blank_form(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    workflow_id = unique("blank")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list")
        await pilot.press("plus")
        await wait_for(pilot, lambda: bool(app.screen.query("#start-type")), "the start form")
        form = app.screen
        assert form.query_one("#start-type", Input).value == "" and form.query_one("#start-queue", Input).value == ""
        form.query_one("#start-id", Input).value = workflow_id
        form.query_one("#start-type", Input).value = "Quick"
        form.query_one("#start-queue", Input).value = task_queue
        form.query_one("#start-input", Input).value = '"Grace"'
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-yes")), "the confirmation")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WorkflowScreen) and app.screen.workflow_id == workflow_id,
            "the started workflow on screen",
        )
        await screen_mounted(pilot, app)
    assert await client.get_workflow_handle(workflow_id).result() == "Hello, Grace!"
