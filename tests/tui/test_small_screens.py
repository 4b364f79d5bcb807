"""The screens in a small terminal or browser window (80x24) and at 120 columns: nothing
cut mid-label or mid-time, the footer's keys all visible, compare's sides even, zones named.
Fixed data (snapshot_app), driven with Pilot: layout does not depend on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from tempo_cli.tui.history_model import event_row
from tempo_cli.tui.messages import CountsLoaded, DescriptionLoaded, HistoryLoaded, WorkflowsLoaded
from tempo_cli.tui.screens.compare import CompareScreen
from tempo_cli.tui.screens.workflow import WorkflowScreen
from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tempo_cli.tui.widgets.footer import TempoFooter
from tempo_cli.tui.widgets.status_counts import StatusCounts
from tests.tui import snapshot_app as data
from tests.tui.conftest import wait_for

SMALL = (80, 24)
WIDE = (120, 40)


def footer_keys(footer: TempoFooter) -> list[str]:
    return [key.key_display for key in footer.query(FooterKey)]


def fits(footer: TempoFooter) -> bool:
    """Every key the footer shows lies inside the screen."""
    return all(key.region.right <= footer.region.right for key in footer.query(FooterKey))


@pytest.mark.parametrize("size", [SMALL, WIDE])
async def test_the_workflow_list_fits(size: tuple[int, int], tmp_path: Path) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, WorkflowsScreen)
        screen.post_message(CountsLoaded(data.counts()))
        screen.post_message(WorkflowsLoaded(0, "", data.page()))
        await wait_for(pilot, lambda: len(screen.table.runs) == 7, "the runs")
        await pilot.pause()

        # Status tabs: one line, every entry whole (its key, label and count together).
        counts = screen.query_one(StatusCounts)
        text = str(counts.content)
        assert counts.size.height == 1 and "\n" not in text
        assert len(text) <= counts.content_region.width
        for key, number in enumerate(["1,252", "1", "1,204", "31", "4", "2", "9", "1"]):
            assert re.search(rf"\b{key} \S+( \S+)? {re.escape(number)}\b", text), (key, text)
        if size == SMALL:
            assert counts.labels_in_use != "full"

        # The list: times whole (no horizontal scrolling hides them), their zone in the header.
        table = screen.table
        await wait_for(pilot, lambda: table.max_scroll_x == 0, "a table that fits its width")
        labels = [str(c.label) for c in table.columns.values()]
        assert "Start (UTC)" in labels and "Close (UTC)" in labels
        start = table.get_column_index("start")
        shown = [str(table.get_row_at(r)[start]) for r in range(table.row_count)]
        pattern = r"\d\d-\d\d \d\d:\d\d:\d\d" if size == SMALL else r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
        assert all(re.fullmatch(pattern, t) for t in shown), shown
        if size == WIDE:
            assert "task_queue" in table.layout_in_use.columns  # type: ignore[union-attr]

        # The footer: the keys it shows all fit, help and quit among them.
        footer = screen.query_one(TempoFooter)
        await wait_for(pilot, lambda: "?" in footer_keys(footer), "the footer's keys")
        assert {"/", "q", "?"} <= set(footer_keys(footer))
        assert fits(footer)


async def test_the_workflow_screen_at_80x24(tmp_path: Path) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await app.push_screen(WorkflowScreen("order-3", data.RUN_ID))
        screen = app.screen
        assert isinstance(screen, WorkflowScreen)
        screen.post_message(HistoryLoaded(data.history(), complete=True))
        screen.post_message(DescriptionLoaded(data.description(running=False)))
        await wait_for(pilot, lambda: screen.description is not None, "the description")
        await pilot.pause()
        summary = str(screen.query_one("#summary", Static).content)
        assert "Start 2026-11-25 15:46:16 UTC" in summary and "Close 2026-11-25 15:46:19 UTC" in summary
        history = screen.query_one("#history-table", DataTable)
        assert "Time (UTC)" in [str(c.label) for c in history.columns.values()]
        tabs = list(screen.query("Tab"))
        assert all(tab.size.height == 1 for tab in tabs)  # no label wraps
        assert all(tab.region.right <= app.size.width for tab in tabs)
        footer = screen.query_one(TempoFooter)
        await wait_for(pilot, lambda: "?" in footer_keys(footer), "the footer's keys")
        assert {"esc", "?"} <= set(footer_keys(footer))
        assert fits(footer)


@pytest.mark.parametrize("size", [SMALL, WIDE])
async def test_compare_splits_evenly_and_names_the_runs(size: tuple[int, int], tmp_path: Path) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=size) as pilot:
        left, right = data.compared_runs()  # one workflow ID, two runs (continue-as-new)
        await app.push_screen(CompareScreen(left, right))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        events = data.history()
        rows = [event_row(e, app.data_converter) for e in events]
        screen.show(rows, rows[:20])
        await pilot.pause()
        table = screen.query_one(DataTable)
        columns = {str(key.value): column for key, column in table.columns.items()}
        assert columns["left"].width == columns["right"].width == screen.side_width
        total = sum(c.get_render_width(table) for c in columns.values())
        assert total <= table.size.width  # both sides whole on screen
        assert table.size.width - total <= 4  # ...and together they use the width
        left_header, right_header = str(columns["left"].label), str(columns["right"].label)
        assert left_header != right_header
        assert left.run_id[-8:] in left_header and right.run_id[-8:] in right_header
        title = str(screen.query_one("#compare-title", Static).content)
        assert left.run_id[-8:] in title and right.run_id[-8:] in title
