"""The Workflows screen's batch action (b) against both servers: terminate, cancel or signal
every open run the filter matches, after a confirmation that shows how many; the job's outcome
(id and counts) is shown after."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widgets import Input, Label, Select

from sdk.client import Client, WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.filters import WorkflowFilter
from tempo_cli.tui.screens.batch import BatchScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tests.tui.conftest import SIZE, connect, type_text, unique, wait_for


async def _idle_runs(client: Client, kind: str, count: int) -> list[str]:
    ids = [f"{kind}-{i}" for i in range(count)]
    for workflow_id in ids:
        await client.start_workflow(kind, id=workflow_id, task_queue=f"idle-{kind}")
    for _ in range(200):  # the real server's visibility lags a little
        if (await client.count_workflows_grouped(f"WorkflowType='{kind}'")).count == count:
            break
        await asyncio.sleep(0.05)
    return ids


def _messages(app: TempoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _batch_dialog(pilot: object, app: TempoApp, kind: str) -> BatchScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list")  # type: ignore[arg-type]
    assert isinstance(app.screen, WorkflowsScreen)
    app.screen.apply_filter(WorkflowFilter(workflow_type=kind))
    app.screen.action_focus_table()  # the key goes to the list, not to a filter field
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("b")  # type: ignore[attr-defined]
    await wait_for(
        pilot,  # type: ignore[arg-type]
        lambda: isinstance(app.screen, BatchScreen),
        "the batch dialog",
        timeout=60,
    )
    assert isinstance(app.screen, BatchScreen)
    return app.screen


async def _statuses(client: Client, ids: list[str]) -> list[WorkflowStatus]:
    return [(await client.get_workflow_handle(w).describe()).status for w in ids]


async def test_batch_terminate_shows_the_count_then_the_outcome(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(server_address)
    kind = unique("BatchTui")
    ids = await _idle_runs(client, kind, 3)
    await client.get_workflow_handle(ids[2]).terminate("closed before the batch")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _batch_dialog(pilot, app, kind)
        body = str(dialog.query_one("#batch-count", Label).content)
        assert body.startswith("2 running workflow(s) match"), body
        await pilot.pause()
        await pilot.press("ctrl+y")  # submit (a click can miss a dialog still being laid out)
        await wait_for(
            pilot, lambda: any(m.endswith("completed: 2 of 2 done, 0 failed.") for m in _messages(app)), "the outcome"
        )
    assert await _statuses(client, ids) == [WorkflowStatus.TERMINATED] * 3
    await client.close()


async def test_batch_signal_and_cancel(server_address: str, make_app: Callable[[str], TempoApp]) -> None:
    client = await connect(server_address)
    kind = unique("SignalTui")
    ids = await _idle_runs(client, kind, 2)
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _batch_dialog(pilot, app, kind)
        dialog.query_one("#batch-operation", Select).value = "signal"
        await pilot.pause()
        # A signal needs a name: the dialog says so and stays.
        await pilot.pause()
        await pilot.press("ctrl+y")  # submit (a click can miss a dialog still being laid out)
        await wait_for(
            pilot, lambda: "Type a signal name." in str(dialog.query_one(".form-error", Label).content), "the error"
        )
        dialog.query_one("#batch-signal", Input).focus()
        await type_text(pilot, "go")
        dialog.query_one("#batch-input", Input).focus()
        await type_text(pilot, '"now"')
        await pilot.pause()
        await pilot.press("ctrl+y")  # submit (a click can miss a dialog still being laid out)
        # Notifications expire (8 s): keep every outcome seen, one per job id.
        outcomes: set[str] = set()

        def done_jobs() -> int:
            outcomes.update(m for m in _messages(app) if "2 of 2 done" in m)
            return len(outcomes)

        await wait_for(pilot, lambda: done_jobs() == 1, "the signal job's outcome")
        dialog = await _batch_dialog(pilot, app, kind)
        dialog.query_one("#batch-operation", Select).value = "cancel"
        await pilot.pause()
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: done_jobs() == 2, "the cancel job's outcome", timeout=60)
    for workflow_id in ids:
        events = [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
        names = [e.WhichOneof("attributes") for e in events]
        assert names[-2:] == [
            "workflow_execution_signaled_event_attributes",
            "workflow_execution_cancel_requested_event_attributes",
        ]
    await client.close()


async def test_nothing_to_do_is_said_and_escape_changes_nothing(
    server_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(server_address)
    kind = unique("NoneTui")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _batch_dialog(pilot, app, kind)
        assert str(dialog.query_one("#batch-count", Label).content).startswith("0 running workflow(s)")
        await pilot.pause()
        await pilot.press("ctrl+y")  # submit (a click can miss a dialog still being laid out)
        await wait_for(
            pilot, lambda: "No running workflow" in str(dialog.query_one(".form-error", Label).content), "the error"
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list again")
    await client.close()
