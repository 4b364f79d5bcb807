"""Snapshots of the main screens on fixed data (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tempo_cli._metadata import Handlers
from tempo_cli.tui.messages import (
    CountsLoaded,
    DescriptionLoaded,
    HandlersLoaded,
    HistoryLoaded,
    QueryAnswered,
    WorkflowsLoaded,
)
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.timeline import TimelineView
from tests.tui import snapshot_app as data

SIZE = (120, 36)


async def _list(pilot: Pilot[Any]) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, WorkflowsScreen)
    screen.post_message(CountsLoaded(data.counts()))
    screen.post_message(WorkflowsLoaded(0, "", data.page()))
    await pilot.pause()


async def _open_run(pilot: Pilot[Any], *, running: bool) -> WorkflowScreen:
    await pilot.app.push_screen(WorkflowScreen("order-3", data.RUN_ID))
    screen = pilot.app.screen
    assert isinstance(screen, WorkflowScreen)
    events = data.history()
    if running:
        events = events[:16]  # up to the third activity's workflow task: the run is open
    screen.post_message(HistoryLoaded(events, complete=not running))
    screen.post_message(DescriptionLoaded(data.description(running=running)))
    screen.post_message(HandlersLoaded(Handlers(["picked_up"], ["status", "log"], False, False)))
    screen.query_one(TimelineView).now = data.T0 + datetime.timedelta(seconds=8)
    await pilot.pause()
    return screen


def test_workflows_screen(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=_list)


def test_workflows_screen_at_80x24_light(snap_compare: Any, tmp_path: Path) -> None:
    app = data.app(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"
        await _list(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_history_full(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=False)

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_history_compact(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=False)
        await pilot.press("c")
        await pilot.pause()  # the table redrawn in its compact form before the picture

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_pending(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=True)
        await pilot.press("2")

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_query(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _open_run(pilot, running=True)
        await pilot.press("3")
        screen.post_message(QueryAnswered("status", value={"state": "Charged", "items": ["tea", "scone"]}))
        await pilot.pause()

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_timeline(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=False)
        await pilot.press("5")

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)
