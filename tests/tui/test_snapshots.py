"""Snapshots of the main screens on fixed data (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from tempo_cli._metadata import Handlers
from tempo_cli.tui.history_model import event_row
from tempo_cli.tui.messages import (
    CountsLoaded,
    DescriptionLoaded,
    HandlersLoaded,
    HistoryLoaded,
    QueryAnswered,
    RunNotFound,
    WorkflowsLoaded,
)
from tempo_cli.tui.screens.compare import CompareScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.time_skipping import skew_text
from tempo_cli.tui.widgets.timeline import TimelineView
from tests.tui import snapshot_app as data

SIZE = (120, 36)


async def _settled(pilot: Pilot[Any]) -> None:
    """Wait until every table on the screen has measured its rows and columns.

    A DataTable sizes its columns when its own message queue runs empty, which on a busy
    machine can come after ``pilot.pause()`` returns: the picture then shows the columns as wide
    as their headings. So wait for the measuring itself, not for a time.
    """
    steady, last = 0, None
    for _ in range(400):
        await pilot.pause()
        tables = list(pilot.app.screen.query(DataTable))
        pending = any(t._require_update_dimensions or t._updated_cells for t in tables)
        # A rebuilt table (the compact history) may measure again a moment later: also wait
        # until every column width has stayed the same for a few rounds.
        widths = tuple(tuple(c.get_render_width(t) for c in t.ordered_columns) for t in tables)
        steady = steady + 1 if not pending and widths == last else 0
        last = widths
        if steady >= 3:
            return
        await pilot.pause(0.01)
    raise AssertionError("the tables never finished measuring their rows")


async def _list(pilot: Pilot[Any]) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, WorkflowsScreen)
    screen.post_message(CountsLoaded(data.counts()))
    screen.post_message(WorkflowsLoaded(0, "", data.page()))
    await _settled(pilot)


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
    await _settled(pilot)
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
        await _settled(pilot)  # the table redrawn in its compact form before the picture

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_pending(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=True)
        await pilot.press("2")
        await _settled(pilot)

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_query(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _open_run(pilot, running=True)
        await pilot.press("3")
        screen.post_message(QueryAnswered("status", value={"state": "Charged", "items": ["tea", "scone"]}))
        await _settled(pilot)

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_timeline(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=False)
        await pilot.press("5")
        await _settled(pilot)

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_history_at_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=False)

    assert snap_compare(data.app(tmp_path), terminal_size=(80, 24), run_before=run_before)


async def _compare(pilot: Pilot[Any]) -> None:
    """order-3's history beside the first 20 events of a run continued from it: same workflow ID."""
    left, right = data.compared_runs()
    await pilot.app.push_screen(CompareScreen(left, right))
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    converter = pilot.app.data_converter  # type: ignore[attr-defined]
    events = data.history()
    screen.show([event_row(e, converter) for e in events], [event_row(e, converter) for e in events[:20]])
    await _settled(pilot)


def test_compare_runs(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=_compare)


def test_compare_runs_at_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(data.app(tmp_path), terminal_size=(80, 24), run_before=_compare)


def test_missing_run_at_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(WorkflowScreen("order-3", data.RUN_ID))
        pilot.app.screen.post_message(RunNotFound("workflow not found for ID: order-3"))
        await _settled(pilot)

    assert snap_compare(data.app(tmp_path), terminal_size=(80, 24), run_before=run_before)


def test_header_with_a_time_skipping_servers_clock(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_run(pilot, running=True)
        wall = data.T0.timestamp()
        pilot.app.show_server_time(skew_text(wall + 2 * 86400 + 3 * 3600, wall, datetime.UTC))
        await _settled(pilot)

    assert snap_compare(data.app(tmp_path), terminal_size=SIZE, run_before=run_before)
