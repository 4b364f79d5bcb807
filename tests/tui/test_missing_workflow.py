"""A Workflow screen whose run the server does not have says so and offers the way back,
instead of "loading…" forever: a run that never existed, and the reported case, a run
lost when the server restarted without its data."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tests.servers import ServerProcess, free_port, real_server, tempo_server
from tests.tui.conftest import SIZE, connect, unique, wait_for


def missing_text(screen: WorkflowScreen) -> str:
    return str(screen.query_one("#missing-text", Static).content)


def error_notifications(app: TempoApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def history_status(screen: WorkflowScreen) -> str:
    return str(screen.query_one("#history-status", Static).content)


async def test_a_run_the_server_does_not_have(server_address: str, make_app: Callable[[str], TempoApp]) -> None:
    workflow_id = unique("never-started")
    app = make_app(server_address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connected, "the connection", timeout=60)
        app.open_workflow(workflow_id, str(uuid.uuid4()))
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen), "the run's screen")
        screen = app.screen
        assert isinstance(screen, WorkflowScreen)
        await wait_for(pilot, lambda: screen.missing, "the screen to learn the run is missing")
        assert screen.query_one("#missing").display
        assert workflow_id in missing_text(screen)
        assert "does not exist on the server" in missing_text(screen)
        assert "loading" not in history_status(screen)
        assert "not on the server" in history_status(screen)
        assert not error_notifications(app)  # the screen says it, no error toast
        # The way back is focused: Enter on it returns to the list.
        # (Textual moves the focus after the message that shows the notice, so wait for it.)
        await wait_for(
            pilot,
            lambda: isinstance(screen.focused, Button) and screen.focused.id == "missing-back",
            "the way back to be focused",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list again")


@pytest.mark.parametrize("kind", ["tempo", "real"])
async def test_a_run_lost_in_a_server_restart(kind: str, tmp_path: Path, make_app: Callable[[str], TempoApp]) -> None:
    port = free_port()

    def start(db: str | None) -> ServerProcess:
        if kind == "real":
            return real_server(port=port).start(timeout=60)  # in memory: a restart loses everything
        return tempo_server("--db-filename", str(db), port=port).start()

    kept = str(tmp_path / "kept.db")
    server = start(kept)
    try:
        client = await connect(server.address)
        handle = await client.start_workflow("Nobody", id="lost-in-restart", task_queue="nowhere")
        await client.close()

        app = make_app(server.address)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.connected, "the connection", timeout=60)
            app.open_workflow("lost-in-restart", handle.result_run_id or "")
            screen = app.screen
            assert isinstance(screen, WorkflowScreen)
            await wait_for(pilot, lambda: len(screen.events) >= 1, "the run's first events")
            assert not screen.missing

            server.stop()
            await wait_for(pilot, lambda: not app.connected, "the lost connection")
            server = start(str(tmp_path / "fresh.db"))  # the same port, none of the data
            await wait_for(pilot, lambda: screen.missing, "the run to be reported missing", timeout=90)
            assert "lost-in-restart" in missing_text(screen)
            assert screen.query_one("#missing").display
            assert "not on the server" in history_status(screen)
            assert not error_notifications(app)

            if kind == "tempo":
                # The server comes back with its data file: the run is there again.
                server.stop()
                await wait_for(pilot, lambda: not app.connected, "the lost connection")
                server = start(kept)
                await wait_for(pilot, lambda: not screen.missing, "the run found again", timeout=90)
                assert not screen.query_one("#missing").display

            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, WorkflowsScreen), "the list again")
    finally:
        server.stop()
