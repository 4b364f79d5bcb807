"""The TUI's pure parts, without Textual: filters into queries, folding, alignment, links; and
its history export, compared with what the CLIs write."""

from __future__ import annotations

import asyncio
import datetime
import json
import sys
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from sdk.client import WorkflowStatus
from sdk.converter import DataConverter
from tempo_cli.tui.filters import WorkflowFilter, quote
from tempo_cli.tui.formatting import duration, time_of_day
from tempo_cli.tui.history_model import (
    Category,
    align,
    event_row,
    fold,
    history_document,
    pending_external,
    run_links,
    run_outcome,
)
from tempo_cli.tui.settings import Settings
from tests.devserver import scenarios
from tests.servers import temporal_binary
from tests.tui.snapshot_app import history

CONVERTER = DataConverter.default


def test_filters_combine_with_and_and_keep_a_typed_or_inside() -> None:
    flt = WorkflowFilter(status=WorkflowStatus.RUNNING, workflow_type="Order", id_prefix="o'1", query="A = 1 OR B = 2")
    assert flt.visibility_query() == (
        "ExecutionStatus = 'Running' AND WorkflowType = 'Order' AND WorkflowId STARTS_WITH \"o'1\" AND (A = 1 OR B = 2)"
    )
    # Counts per status ignore the status filter, so every status keeps its count.
    assert flt.count_query() == (
        "WorkflowType = 'Order' AND WorkflowId STARTS_WITH \"o'1\" AND (A = 1 OR B = 2) GROUP BY ExecutionStatus"
    )
    assert WorkflowFilter().visibility_query() == ""
    assert WorkflowFilter().count_query() == "GROUP BY ExecutionStatus"
    assert WorkflowFilter(query="X = 1").visibility_query() == "X = 1"
    assert quote("""a'b"c""") == "'a\\'b\"c'"


def test_saved_filters_round_trip_and_a_broken_file_means_defaults(tmp_path: Path) -> None:
    settings = Settings(path=tmp_path / "tui.json")
    settings.save_filter(WorkflowFilter(status=WorkflowStatus.FAILED, workflow_type="Order", name="failed orders"))
    settings.theme = "textual-light"
    assert settings.save() is None
    loaded = Settings.load(tmp_path / "tui.json")
    assert loaded.theme == "textual-light"
    assert loaded.filters == [WorkflowFilter(status=WorkflowStatus.FAILED, workflow_type="Order", name="failed orders")]
    (tmp_path / "tui.json").write_text("{not json")
    assert Settings.load(tmp_path / "tui.json").filters == []


def test_folding_one_row_per_activity_timer_and_workflow_task() -> None:
    events = history()
    rows = fold(events, CONVERTER)
    kinds = [row.kind for row in rows]
    assert kinds.count("Activity") == 3
    assert kinds.count("Timer") == 2
    assert kinds.count("WorkflowTask") == 7
    assert sum(len(row.event_ids) for row in rows) == len(events)  # every event in exactly one row
    charge = next(row for row in rows if row.name == "charge_customer")
    assert (charge.status, charge.attempt, charge.event_ids) == ("Completed", 3, [11, 12, 13])
    assert charge.started is not None and charge.start is not None and charge.end is not None
    assert charge.start < charge.started <= charge.end  # two failed attempts and their backoff before
    timers = [row for row in rows if row.kind == "Timer"]
    assert [t.status for t in timers] == ["Canceled", "Fired"]
    # An open group (its last event not there yet) has no end and counts as open.
    open_rows = fold(events[:12], CONVERTER)
    assert open_rows[-1].name == "charge_customer" and open_rows[-1].is_open and open_rows[-1].status == "Started"


def test_event_rows_categories_and_outcome() -> None:
    events = history()
    rows = [event_row(e, CONVERTER) for e in events]
    assert rows[0].category is Category.WORKFLOW and "workflowType=Order" in rows[0].details
    assert {r.category for r in rows if r.type_name.startswith("Timer")} == {Category.TIMER}
    assert rows[-1].category is Category.CLOSE
    outcome = run_outcome(events, CONVERTER)
    assert (outcome.input, outcome.status, outcome.result) == ([3], WorkflowStatus.COMPLETED, ["product-3 delivered"])


def test_alignment_marks_a_missing_event_without_shifting_the_rest() -> None:
    left = [event_row(e, CONVERTER) for e in history()]
    right = [r for r in left if r.event_id != 17]  # one timer start missing on the right
    aligned = align(left, right)
    assert len(aligned) == len(left)
    missing = [a for a in aligned if a.difference == "type"]
    assert len(missing) == 1 and missing[0].left is not None and missing[0].left.event_id == 17
    assert missing[0].right is None
    assert all(a.difference == "" for a in aligned if a is not missing[0])


def test_links_and_pending_external_work() -> None:
    started = HistoryEvent(event_id=1)
    attrs = started.workflow_execution_started_event_attributes
    attrs.parent_workflow_execution.workflow_id = "parent"
    attrs.parent_workflow_execution.run_id = "p-run"
    attrs.continued_execution_run_id = "previous"
    signal = HistoryEvent(event_id=5)
    signal.signal_external_workflow_execution_initiated_event_attributes.workflow_execution.workflow_id = "other"
    signal.signal_external_workflow_execution_initiated_event_attributes.signal_name = "go"
    cancel = HistoryEvent(event_id=6)
    cancel.request_cancel_external_workflow_execution_initiated_event_attributes.workflow_execution.workflow_id = "x"
    delivered = HistoryEvent(event_id=7)
    delivered.external_workflow_execution_cancel_requested_event_attributes.initiated_event_id = 6
    started.event_type = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    signal.event_type = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    cancel.event_type = EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    delivered.event_type = EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED
    events = [started, signal, cancel, delivered]
    links = run_links(events, "me")
    assert [(link.relation, link.workflow_id, link.run_id) for link in links] == [
        ("Parent", "parent", "p-run"),
        ("Previous run", "me", "previous"),
    ]
    pending = pending_external(events)
    assert [(p.kind, p.workflow_id, p.name) for p in pending] == [("Signal", "other", "go")]


async def _stdout(*argv: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[2]
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_history_json_is_what_the_cli_writes(server_address: str) -> None:
    """The TUI's history export is, byte for byte, what `tempo workflow show -o json` prints for
    the same run, and the same JSON document as the real `temporal workflow show -o json`."""
    out = await scenarios.outcome("order", server_address)  # activities, retries, a signal, timers
    document = history_document(out.histories[-1])
    show = ["workflow", "show", "-w", out.workflow_id, "-o", "json", "--address", server_address]
    tempo = await _stdout(sys.executable, "-m", "tests.cli.tempo_entry", *show)
    assert tempo == document + "\n"
    temporal = await _stdout(temporal_binary(), *show)
    assert json.loads(temporal) == json.loads(document)


def test_durations_and_times_read_well() -> None:
    assert [duration(s) for s in (0.0123, 2.5, 2.0, 185, 7380, 90000)] == [
        "12ms",
        "2.5s",
        "2s",
        "3m 05s",
        "2h 03m",
        "1d 01h",
    ]
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    assert time_of_day(when, datetime.UTC) == "03:04:05.678"
