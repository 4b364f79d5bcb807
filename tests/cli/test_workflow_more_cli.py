"""`tempo workflow metadata`, `describe --reset-points/--raw` and `fix-history-json` (issue 18),
on both servers, against what the real `temporal` prints for the same workflow and file."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo


def _started_waiter(tempo: Tempo, task_queue: str) -> str:
    workflow_id = new_id("more")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", workflow_id).exit_code == 0
    # Its first workflow task done, so the run has a reset point.
    for _ in range(100):
        if json_out(tempo("describe", "-w", workflow_id, "--reset-points", "-o", "json")):
            return workflow_id
        time.sleep(0.1)
    raise AssertionError("no reset point")


def test_metadata_and_reset_points_as_temporal_prints_them(server_address: str, tempo: Tempo, task_queue: str) -> None:
    workflow_id = _started_waiter(tempo, task_queue)
    ours = json_out(tempo("metadata", "-w", workflow_id, "-o", "json"))
    theirs = json.loads(real_cli(server_address, "workflow", "metadata", "-w", workflow_id, "-o", "json").stdout)
    assert ours == theirs
    (metadata,) = ours["queryResult"]
    assert metadata["definition"]["type"] == "Waiter"
    assert {s["name"] for s in metadata["definition"]["signalDefinitions"]} == {"add", "finish"}

    points = json_out(tempo("describe", "-w", workflow_id, "--reset-points", "-o", "json"))
    real_points = real_cli(server_address, "workflow", "describe", "-w", workflow_id, "--reset-points", "-o", "json")
    assert points == json.loads(real_points.stdout)
    raw = json_out(tempo("describe", "-w", workflow_id, "--raw", "-o", "json"))
    assert raw["workflowExecutionInfo"]["execution"]["workflowId"] == workflow_id
    assert one_line_error(tempo("metadata", "-w", new_id("nobody-here")))


def test_fix_history_json_writes_what_temporal_writes(tmp_path: Path, tempo: Tempo) -> None:
    old = {
        "events": [
            {
                "eventId": "1",
                "eventType": "WorkflowExecutionStarted",
                "workflowExecutionStartedEventAttributes": {
                    "workflowType": {"name": "Old"},
                    "taskQueue": {"name": "q", "kind": "Normal"},
                },
            },
            {"eventId": "2", "eventType": "workflow_task_scheduled", "workflowTaskScheduledEventAttributes": {}},
        ]
    }
    source = tmp_path / "old.json"
    source.write_text(json.dumps(old))
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    assert tempo("fix-history-json", "-s", str(source), "-t", str(ours), address=False).exit_code == 0
    real_cli("127.0.0.1:1", "workflow", "fix-history-json", "-s", str(source), "-t", str(theirs))
    fixed = json.loads(ours.read_text())
    assert fixed == json.loads(theirs.read_text())
    assert [e["eventType"] for e in fixed["events"]] == [
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
    ]
    missing = tempo("fix-history-json", "-s", str(tmp_path / "nope.json"), address=False)
    assert missing.exit_code != 0 and len(missing.output.strip().splitlines()) == 1


def test_the_real_temporal_updates_and_deletes_a_workflow(server_address: str, tempo: Tempo, task_queue: str) -> None:
    """`temporal workflow update execute|start|result` and `temporal workflow delete`, the real CLI,
    do on each server what a user expects (issue 18: the real commands run against Tempo)."""
    workflow_id = new_id("tally")
    assert tempo("start", "--type", "Tally", "-t", task_queue, "-w", workflow_id).exit_code == 0
    executed = real_cli(
        server_address, "workflow", "update", "execute", "-w", workflow_id, "--name", "add", "-i", "5", "-o", "json"
    )
    assert json.loads(executed.stdout)["result"] == 5
    started = real_cli(server_address, "workflow", "update", "start", "-w", workflow_id, "--name", "add", "-i", "2",
                       "--update-id", "second", "--wait-for-stage", "accepted", "-o", "json")  # fmt: skip
    assert json.loads(started.stdout)["updateId"] == "second"
    result = real_cli(
        server_address, "workflow", "update", "result", "-w", workflow_id, "--update-id", "second", "-o", "json"
    )
    assert json.loads(result.stdout)["result"] == 7
    real_cli(server_address, "workflow", "delete", "-w", workflow_id, "--yes")
    for _ in range(100):
        gone = tempo("describe", "-w", workflow_id)
        if gone.exit_code != 0:
            break
        time.sleep(0.1)
    assert "not found" in one_line_error(gone)
