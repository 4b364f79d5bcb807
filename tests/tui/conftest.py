"""TUI test helpers: real workers (ours and the official SDK's) and waiting on the app.

The app runs in the test's event loop (``app.run_test()``), beside the workers, against
the real servers of tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.schedule.v1 import message_pb2 as schedule_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from textual.pilot import Pilot
from textual.widgets import Select

from sdk.client import Client
from sdk.worker import Worker
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.settings import Settings
from tests.sdk_client.workflows import official_worker
from tests.tui.tui_app import Checkout, Quick, Retrying, always_declined, reserve_stock

SIZE = (120, 40)


async def connect(address: str) -> Client:
    """A client, retrying while a just-started real server says it is not healthy yet."""
    for _ in range(100):
        try:
            return await Client.connect(address)
        except Exception as err:
            if "not healthy" not in str(err):
                raise
            await asyncio.sleep(0.2)
    return await Client.connect(address)


@pytest.fixture
async def ours(server_address: str) -> AsyncIterator[tuple[Client, str]]:
    """Our SDK's worker for Checkout and Quick on a fresh task queue: (client, task queue)."""
    client = await connect(server_address)
    task_queue = f"tui-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[Checkout, Quick, Retrying],
            activities=[reserve_stock, always_declined],
        ):
            yield client, task_queue
    finally:
        await client.close()


@pytest.fixture
async def official(server_address: str) -> AsyncIterator[str]:
    """The official SDK's worker (tests/sdk_client/workflows.py) on a fresh task queue."""
    await (await connect(server_address)).close()
    async with official_worker(server_address) as task_queue:
        yield task_queue


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[[str], TempoApp]:
    """A TempoApp for an address, with settings in a temporary file."""

    def make(address: str) -> TempoApp:
        return TempoApp(address, "default", settings=Settings(path=tmp_path / "tui.json"))

    return make


async def wait_for(pilot: Pilot[object], check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Let the app run until ``check()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # widgets may not be mounted yet
            pass
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.1)


async def screen_mounted(pilot: Pilot[Any], app: TempoApp) -> None:
    """Wait until the current screen's Selects (it has one at least) have mounted: leaving the
    app while one still mounts makes Textual's Select miss its overlay (NoMatches, as a CI run
    saw)."""

    def mounted() -> bool:
        selects = list(app.screen.query(Select))
        return bool(selects) and all(select.is_mounted for select in selects)

    await wait_for(pilot, mounted, "the screen mounted")
    await pilot.pause()


async def open_run(pilot: Pilot[Any], app: TempoApp, workflow_id: str, run_id: str = "") -> WorkflowScreen:
    """Open the run's screen (the workflow's latest run without ``run_id``) and wait for its history."""
    app.open_workflow(workflow_id, run_id)
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen) and bool(app.screen.events), "the run")
    screen = app.screen
    assert isinstance(screen, WorkflowScreen)
    return screen


async def create_paused_schedule(
    client: Client, schedule_id: str, workflow_type: str, task_queue: str, notes: str = ""
) -> None:
    """A paused hourly schedule starting ``workflow_type`` on ``task_queue``."""
    schedule = schedule_pb.Schedule()
    schedule.spec.interval.add().interval.seconds = 3600
    start = schedule.action.start_workflow
    start.workflow_id, start.workflow_type.name, start.task_queue.name = f"{schedule_id}-wf", workflow_type, task_queue
    schedule.state.paused = True
    schedule.state.notes = notes
    request = wsv1.CreateScheduleRequest(
        namespace="default", schedule_id=schedule_id, schedule=schedule, request_id=str(uuid.uuid4())
    )
    await client.service.CreateSchedule(request, timeout=10)


def unique(prefix: str) -> str:
    """An ID prefix no other test uses (the servers are shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def type_text(pilot: Pilot[object], text: str) -> None:
    """Type ``text`` key by key into the focused widget."""
    await pilot.press(*["space" if ch == " " else ch for ch in text])
