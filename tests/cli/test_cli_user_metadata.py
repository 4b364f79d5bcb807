"""`tempo workflow start/execute --static-summary/--static-details`, and summaries in
`describe` and `show` (issue 8, item 2), on both servers, next to the real `temporal` CLI."""

from __future__ import annotations

import json

from tests.cli.cli_results import json_out, new_id, real_cli
from tests.cli.conftest import Tempo


def test_static_summary_round_trip(tempo: Tempo, server_address: str) -> None:
    wf_id = new_id("summary")
    started = tempo(
        "start", "--type", "Waiter", "-t", new_id("nobody"), "-w", wf_id,
        "--static-summary", "Order 3", "--static-details", "three **pizzas**\nno onions",
    )  # fmt: skip
    assert started.exit_code == 0, started.stderr

    text = tempo("describe", "-w", wf_id)
    assert text.exit_code == 0
    rows = [line.split(maxsplit=1) for line in text.stdout.splitlines()]
    assert ["StaticSummary", "Order 3"] in rows
    assert ["StaticDetails", "three **pizzas**"] in rows  # the second line follows on its own line

    ours = json_out(tempo("describe", "-w", wf_id, "-o", "json"))["executionConfig"]["userMetadata"]
    assert ours == {"summary": "Order 3", "details": "three **pizzas**\nno onions"}
    theirs = json.loads(real_cli(server_address, "workflow", "describe", "-w", wf_id, "-o", "json").stdout)
    assert theirs["executionConfig"]["userMetadata"] == ours

    shown = tempo("show", "-w", wf_id)
    assert shown.exit_code == 0
    started_row = next(line for line in shown.stdout.splitlines() if "WorkflowExecutionStarted" in line)
    assert 'summary="Order 3"' in started_row
    history = json_out(tempo("show", "-w", wf_id, "-o", "json"))
    assert "userMetadata" in history["events"][0]
    assert tempo("terminate", "-w", wf_id).exit_code == 0


def test_summary_set_by_the_real_cli_shows_in_ours(tempo: Tempo, server_address: str) -> None:
    wf_id = new_id("summary-real")
    real_cli(
        server_address, "workflow", "start", "--type", "Waiter", "--task-queue", new_id("nobody"),
        "--workflow-id", wf_id, "--static-summary", "from temporal",
    )  # fmt: skip
    text = tempo("describe", "-w", wf_id)
    assert ["StaticSummary", "from temporal"] in [line.split(maxsplit=1) for line in text.stdout.splitlines()]
    assert not any(line.startswith("StaticDetails") for line in text.stdout.splitlines())
    assert tempo("terminate", "-w", wf_id).exit_code == 0
