"""A server that goes away shows a banner; when it comes back the UI reconnects by itself."""

from __future__ import annotations

import time
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


OUTAGE = 30.0
"""Seconds the server stays down. gRPC's reconnect backoff, uncapped (1 s, then 1.6 times
longer each time, up to 2 minutes), has grown past 10 s by then: the TUI came back 5-20 s
after the restart."""

BACK_WITHIN = 3.0
"""Seconds after the restarted server answers within which the TUI shows the runs again."""


async def test_after_a_long_outage_the_tui_is_back_within_seconds(
    tmp_path: Path, make_app: Callable[[str], TempoApp]
) -> None:
    port = free_port()
    db = str(tmp_path / "tempo.db")
    server = tempo_server("--db-filename", db, port=port).start()
    try:
        client = await Client.connect(server.address)
        await client.start_workflow("Nobody", id="patient", task_queue="nowhere")
        await client.close()

        app = make_app(server.address)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, WorkflowsScreen)
            banner = screen.query_one(ConnectionBanner)
            await wait_for(pilot, lambda: [r.workflow_id for r in screen.table.runs] == ["patient"], "the run")

            server.stop()
            await wait_for(pilot, lambda: banner.has_class("-visible"), "the banner")
            await pilot.pause(OUTAGE)  # the outage itself: the TUI keeps trying all along

            server = tempo_server("--db-filename", db, port=port).start()
            answering = time.monotonic()
            await wait_for(pilot, lambda: not banner.has_class("-visible"), "the banner to go", timeout=60)
            await wait_for(pilot, lambda: [r.workflow_id for r in screen.table.runs] == ["patient"], "the run again")
            took = time.monotonic() - answering
            assert took < BACK_WITHIN, f"the TUI took {took:.1f} s to show the runs again"
    finally:
        server.stop()
