"""The workflow list's columns fit their cells even when the screen draws the table before the
table measured them (what a busy machine does: a web UI session under CI load showed every
column cut to its header's width, "▶ Runn  secret-f83a  Secr", and it stayed so). Fixed data
(snapshot_app), driven with Pilot."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from tempo_cli.tui.screens.workflows import WorkflowsScreen
from tests.tui import snapshot_app as data
from tests.tui.table_drawing import drawn_rows


async def test_rows_drawn_before_the_table_measured_them_are_whole_once_it_has(tmp_path: Path) -> None:
    app = data.app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, WorkflowsScreen)
        await pilot.pause()
        table = screen.table
        runs = data.page().executions[:2]
        table.show(runs, datetime.UTC)
        drawn_rows(table, 2)  # the screen draws before the table's idle turn
        await pilot.pause()
        header, *rows = drawn_rows(table, 2)
        assert "Workflow ID" in header and "Task queue" in header, header
        for run, row in zip(runs, rows, strict=True):
            assert f" {run.workflow_id} " in row and f" {run.workflow_type} " in row, row
            assert "Running" in row or "TimedOut" in row, row

        # A cell that grows in a refresh (the same runs) is drawn whole too.
        grown = [dataclasses.replace(runs[0], history_length=123_456_789_012), runs[1]]
        table.show(grown, datetime.UTC)
        drawn_rows(table, 2)
        await pilot.pause()
        assert " 123456789012" in drawn_rows(table, 2)[1]
