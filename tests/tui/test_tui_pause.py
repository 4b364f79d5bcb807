"""The workflow screen's pause key (`p`): pause a run, see it paused, unpause it (issue 18).
On both servers, started with workflow pause allowed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sdk.client import WorkflowStatus
from tempo_cli.tui.app import TempoApp
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tests.devserver.pause_driver import PAUSE_FLAGS
from tests.servers import real_server, tempo_server
from tests.tui.conftest import SIZE, connect, type_text, unique, wait_for

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


@pytest.fixture(scope="module", params=["tempo", "real"])
def pause_address(request: pytest.FixtureRequest) -> Iterator[str]:
    make = tempo_server if request.param == "tempo" else real_server
    server = make(*PAUSE_FLAGS).start(timeout=60)
    try:
        yield server.address
    finally:
        server.kill()


async def test_pause_and_unpause_from_the_workflow_screen(
    pause_address: str, make_app: Callable[[str], TempoApp]
) -> None:
    client = await connect(pause_address)
    workflow_id = unique("tui-pause")
    await client.start_workflow("Nobody", id=workflow_id, task_queue=unique("tq-nobody"))
    app = make_app(pause_address)
    async with app.run_test(size=SIZE) as pilot:
        app.open_workflow(workflow_id, "")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowScreen) and bool(app.screen.events), "the run")
        screen = app.screen
        assert isinstance(screen, WorkflowScreen)

        await pilot.press("p")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-reason")), "the pause dialog")
        await type_text(pilot, "courier down")
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: screen.status == WorkflowStatus.PAUSED, "the run paused")
        await wait_for(
            pilot,
            lambda: "WorkflowExecutionPaused" in [r.type_name for r in screen.history._rows],
            "the paused event in the history",
        )
        paused = next(e for e in screen.events if e.HasField("workflow_execution_paused_event_attributes"))
        assert paused.workflow_execution_paused_event_attributes.reason == "courier down"

        await pilot.press("p")
        await wait_for(pilot, lambda: bool(app.screen.query("#confirm-reason")), "the unpause dialog")
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: screen.status == WorkflowStatus.RUNNING, "the run unpaused")
        await wait_for(
            pilot,
            lambda: "WorkflowExecutionUnpaused" in [r.type_name for r in screen.history._rows],
            "the unpaused event in the history",
        )
    await client.get_workflow_handle(workflow_id).terminate("done")
