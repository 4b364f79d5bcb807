"""More of the Workflow screen against real servers: pending retries, cancel, start-like-this,
saving the history JSON, links across continue-as-new, list paging and the kept cursor."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from google.protobuf import json_format
from temporalio.api.history.v1 import History

from sdk.client import Client, WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.links import LinksScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import PAGE_SIZE, WorkflowsScreen
from tempo_cli.tui.widgets.pending_view import PendingView
from tests.tui.conftest import SIZE, open_run, type_text, unique, wait_for
from tests.tui.tui_app import Checkout, Retrying


async def test_pending_activity_retries_and_cancel(
    server_address: str, ours: tuple[Client, str], make_app: Callable[[str], TempoApp]
) -> None:
    client, task_queue = ours
    workflow_id = unique("retrying")
    await client.start_workflow(Retrying.run, id=workflow_id, task_queue=task_queue)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot, app, workflow_id)
        await pilot.press("2")
        pending = screen.query_one(PendingView)
        table = pending.query_one("#pending-activities")

        def attempt_and_failure() -> tuple[int, str]:
            _, kind, _, attempts, failure, *_ = table.get_row_at(0)  # type: ignore[attr-defined]
            assert str(kind) == "always_declined"
            return int(str(attempts).split("/")[0]), str(failure)

        await wait_for(pilot, lambda: attempt_and_failure()[0] >= 2, "a retried attempt, described live")
        assert "card declined" in attempt_and_failure()[1]

        # Cancel: the activity's retries end, the run closes as Canceled.
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen.query("#confirm-reason"), "the cancel dialog")
        await type_text(pilot, "no longer needed")
        await pilot.press("enter", "enter")
        await wait_for(
            pilot,
            lambda: "WorkflowExecutionCancelRequested" in [r.type_name for r in screen.history._rows],
            "the cancel request",
        )
        cancel_event = next(
            e for e in screen.events if e.HasField("workflow_execution_cancel_requested_event_attributes")
        )
        assert cancel_event.workflow_execution_cancel_requested_event_attributes.cause == "no longer needed"
        await wait_for(pilot, lambda: screen.status == WorkflowStatus.CANCELED, "the run canceled")


async def test_start_like_this_and_save_the_history(
    server_address: str,
    ours: tuple[Client, str],
    make_app: Callable[[str], TempoApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, task_queue = ours
    workflow_id = unique("original")
    handle = await client.start_workflow(Checkout.run, "cy", id=workflow_id, task_queue=task_queue)
    await handle.signal(Checkout.finish)
    await handle.result()
    monkeypatch.chdir(tmp_path)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_run(pilot, app, workflow_id)
        await wait_for(pilot, lambda: screen.history.complete, "the complete history")

        # w: the history as `temporal workflow show -o json` writes it.
        await pilot.press("w")
        saved = tmp_path / f"{workflow_id}_{screen.run_id}_history.json"
        await wait_for(pilot, saved.exists, "the saved file")
        history = json_format.Parse(saved.read_text(), History())
        assert [e.event_id for e in history.events] == [e.event_id for e in screen.events]
        assert json.loads(saved.read_text())["events"][0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"

        # n: same type, queue and input under a new ID; the new run opens.
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.query("#start-id"), "the start form")
        start_id = app.screen.query_one("#start-id").value  # type: ignore[attr-defined]
        assert start_id.startswith(workflow_id) and start_id != workflow_id
        assert app.screen.query_one("#start-input").value == '"cy"'  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#confirm-yes"), "the confirmation")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WorkflowScreen) and app.screen.workflow_id == start_id,
            "the new run on screen",
        )
        new = await client.get_workflow_handle(start_id).describe()
        assert (new.workflow_type, new.task_queue, new.status) == ("Checkout", task_queue, WorkflowStatus.RUNNING)
        await client.get_workflow_handle(start_id).terminate("end of test")


async def test_links_follow_continue_as_new(
    server_address: str, official: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    workflow_id = unique("countdown")
    try:
        first = await client.start_workflow("Countdown", 1, id=workflow_id, task_queue=official)
        await first.result()
        app = make_app(server_address)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_run(pilot, app, workflow_id, first.result_run_id or "")
            await wait_for(pilot, lambda: [link.relation for link in screen.links] == ["Next run"], "the next run link")
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, LinksScreen), "the links")
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, WorkflowScreen) and app.screen is not screen,
                "the next run's screen",
            )
            second = app.screen
            assert isinstance(second, WorkflowScreen)
            assert second.run_id == screen.links[0].run_id
            await wait_for(pilot, lambda: [link.relation for link in second.links] == ["Previous run"], "the way back")
            await wait_for(pilot, lambda: second.status == WorkflowStatus.COMPLETED, "the last run's status")
    finally:
        await client.close()


async def test_paging_and_the_cursor_kept_across_refreshes(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await Client.connect(server_address)
    prefix = unique("page")
    try:
        for i in range(PAGE_SIZE + 5):
            await client.start_workflow("Nobody", id=f"{prefix}-{i:03d}", task_queue="nowhere")
        app = make_app(server_address)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, WorkflowsScreen)
            await pilot.press("i")
            await type_text(pilot, prefix)
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(screen.table.runs) == PAGE_SIZE, "a full first page")
            # The real server indexes new runs a moment later: until it has all of them, the
            # first page may come without a next page (a user presses ] again).
            await wait_for(pilot, lambda: bool(screen.next_token), "a next page")
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: len(screen.table.runs) == 5, "the second page")
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: len(screen.table.runs) == PAGE_SIZE, "the first page again")

            # The cursor stays on its run when a new run pushes the rows down.
            screen.table.move_cursor(row=3)
            chosen = screen.table.current
            assert chosen is not None
            await client.start_workflow("Nobody", id=f"{prefix}-new", task_queue="nowhere")
            await wait_for(pilot, lambda: screen.table.runs[0].workflow_id == f"{prefix}-new", "the new run on top")
            current = screen.table.current
            assert current is not None and current.run_id == chosen.run_id
            assert screen.table.cursor_row == 4
    finally:
        await client.close()
