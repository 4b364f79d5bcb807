"""`tempo batch list -o json|jsonl` on the fast path (`tempo_cli._fast_commands`): with plain
options it runs without Typer and prints exactly what the Typer app prints; other options get the
app's answer. (Its text, relative to the second it prints, is the lean path's:
tests/cli/test_lean_batch_list.py.)"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.cli.answers import comparable, group_programs, run
from tests.cli.lean_answers import answers
from tests.cli.startup_checks import env, run_reporting


def _terminated_by_a_batch_job(server_address: str, environment: dict[str, str]) -> None:
    """A workflow terminated by a batch job (`workflow terminate --query`), once the job is listed as done."""
    on = ["--address", server_address]
    workflow, workflow_app = group_programs("workflow")
    workflow_id = f"fast-batch-{uuid.uuid4().hex[:8]}"
    started = run(workflow, ["start", *on, "--type", "T", "-t", "fast-batch-nobody", "-w", workflow_id], environment)
    assert started[0] == 0, started
    terminate = ["terminate", *on, "--query", f"WorkflowId = '{workflow_id}'", "--reason", "r", "--yes"]
    deadline = time.monotonic() + 20
    while "Total: 1" not in run(workflow, ["count", *on, "-q", f"WorkflowId = '{workflow_id}'"], environment)[1]:
        assert time.monotonic() < deadline, "the workflow was never counted"  # the real server's visibility lags
        time.sleep(0.2)
    assert run(workflow_app, terminate, environment)[0] == 0
    batch, _ = group_programs("batch")
    while "Running" in run(batch, ["list", *on], environment)[1]:
        assert time.monotonic() < deadline, "the batch job never finished"
        time.sleep(0.2)


def test_batch_list_prints_what_the_app_prints_without_typer(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    _terminated_by_a_batch_job(server_address, environment)
    for args in (
        ["list", "-o", "json", *on],
        ["list", "--limit", "1", "-o", "json", *on],
        ["list", "-o", "jsonl", *on],
    ):
        tempo, app = answers("batch", args, environment)
        assert comparable(tempo) == comparable(app), args
        assert tempo[0] == 0 and tempo[2] == "", tempo
        _, code, modules = run_reporting(["batch", *args], environment)
        assert code == 0 and "typer" not in modules, args
    assert "BATCH_OPERATION_STATE_COMPLETED" in answers("batch", ["list", "-o", "json", *on], environment)[0][1]


@pytest.mark.parametrize(
    "args", [["list", "--limit", "0", "-o", "json"], ["list", "--limit", "-1", "-o", "json"], ["list", "extra"]]
)
def test_other_batch_list_lines_get_the_apps_answer(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    tempo, app = answers("batch", [*args, "--address", server_address], environment)
    assert comparable(tempo) == comparable(app)
    _, _, modules = run_reporting(["batch", *args, "--address", server_address], environment)
    assert "typer" in modules


def test_a_server_that_is_not_there_gets_the_apps_error(tmp_path: Path) -> None:
    tempo, app = answers("batch", ["list", "--address", "127.0.0.1:1"], env(tmp_path))
    assert tempo == app
    code, out, err = tempo
    assert (code, out) == (1, "") and err.startswith("error: ") and len(err.splitlines()) == 1, tempo
