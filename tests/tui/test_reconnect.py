"""A server that goes away shows a banner; when it comes back the UI reconnects by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sdk.client import Client
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.banner import ConnectionBanner
from tests.servers import free_port, tempo_server
from tests.tui.conftest import SIZE, wait_for


async def test_lost_server_shows_the_banner_and_recovers(tmp_path: Path, make_app: Callable[[str], TempoApp]) -> None:
    port = free_port()
    db = str(tmp_path / "tempo.db")
    server = tempo_server("--db-filename", db, port=port).start()
    try:
        client = await Client.connect(server.address)
        await client.start_workflow("Nobody", id="survivor", task_queue="nowhere")
        await client.close()

        app = make_app(server.address)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, WorkflowsScreen)
            banner = screen.query_one(ConnectionBanner)
            await wait_for(pilot, lambda: [r.workflow_id for r in screen.table.runs] == ["survivor"], "the run")
            assert not banner.has_class("-visible")

            server.stop()
            await wait_for(pilot, lambda: banner.has_class("-visible"), "the banner")
            assert "Reconnecting" in str(banner.content)
            assert app.is_running  # no crash, no traceback: the app is still there

            server = tempo_server("--db-filename", db, port=port).start()
            await wait_for(pilot, lambda: not banner.has_class("-visible"), "the banner to go", timeout=60)
            await wait_for(pilot, lambda: [r.workflow_id for r in screen.table.runs] == ["survivor"], "the run again")
    finally:
        server.stop()


async def test_no_server_at_start_shows_the_banner(make_app: Callable[[str], TempoApp]) -> None:
    app = make_app(f"127.0.0.1:{free_port()}")
    async with app.run_test(size=SIZE) as pilot:
        banner = app.screen.query_one(ConnectionBanner)
        await wait_for(pilot, lambda: banner.has_class("-visible"), "the banner")
        assert "Cannot reach a server" in str(banner.content)
