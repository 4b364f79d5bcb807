"""`tempo tui --codec-endpoint`: a run whose payloads our worker encrypted reads in plain text
in the history and the event detail, decoded through a real codec server over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tempo_cli._codec_http import make_app
from tempo_cli.tui.app import CodecSettings, TempoApp
from tempo_cli.tui.screens.event_detail import EventDetailScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.settings import Settings
from tests.codec_app import PLAINTEXT_MARK, XorCodec, run_one
from tests.servers import free_port
from tests.tui.conftest import SIZE, wait_for


@pytest.fixture
async def codec_endpoint() -> AsyncIterator[str]:
    """The codec server of `tempo codec-server --codec tests.codec_app:XorCodec`, on a free port."""
    runner = web.AppRunner(make_app(XorCodec()))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _details(screen: WorkflowScreen) -> str:
    return "\n".join(row.details for row in screen.history._rows)


async def _open(app: TempoApp, workflow_id: str, pilot: object) -> WorkflowScreen:
    app.open_workflow(workflow_id)
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen), "the Workflow screen")  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, WorkflowScreen)
    await wait_for(
        pilot,  # type: ignore[arg-type]
        lambda: any(row.type_name == "WorkflowExecutionCompleted" for row in screen.history._rows),
        "the whole history",
    )
    return screen


async def test_the_history_and_event_detail_show_payloads_decoded_through_the_codec_server(
    server_address: str, codec_endpoint: str, tmp_path: Path
) -> None:
    workflow_id = f"secret-{uuid.uuid4().hex[:8]}"
    await run_one(server_address, f"tq-{uuid.uuid4().hex[:8]}", workflow_id)
    settings = Settings(path=tmp_path / "tui.json")

    app = TempoApp(server_address, "default", settings=settings, codec=CodecSettings(codec_endpoint))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, workflow_id, pilot)
        assert f'input=["{PLAINTEXT_MARK}",true]' in _details(screen)
        assert f"result=[\"{PLAINTEXT_MARK} (whispered) heard ['psst']\"]" in _details(screen)
        screen.history.table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen), "the event detail")
        detail = app.screen
        assert isinstance(detail, EventDetailScreen)
        assert PLAINTEXT_MARK in detail.text

    # Without the codec server the same rows say what the payloads are, not what they hold.
    plain = TempoApp(server_address, "default", settings=settings)
    async with plain.run_test(size=SIZE) as pilot:
        screen = await _open(plain, workflow_id, pilot)
        assert PLAINTEXT_MARK not in _details(screen)
        assert 'result=["<binary/encrypted payload,' in _details(screen)
