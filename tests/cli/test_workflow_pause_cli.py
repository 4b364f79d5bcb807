"""`tempo workflow pause` / `unpause` (issue 18), on both servers started with workflow pause
allowed; and the real `temporal workflow pause` against ours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.answers import same_answer
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo
from tests.cli.lean_answers import through_the_sdk_client
from tests.cli.startup_checks import env
from tests.cli.tempo_entry import root
from tests.devserver.pause_driver import PAUSE_FLAGS
from tests.servers import real_server, tempo_server

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]


@pytest.fixture(scope="module", params=["tempo", "real"])
def pause_address(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server of each kind that allows pausing workflows."""
    make = tempo_server if request.param == "tempo" else real_server
    server = make(*PAUSE_FLAGS).start(timeout=60)
    try:
        yield server.address
    finally:
        server.kill()  # a throwaway: its graceful shutdown would only cost time


@pytest.fixture
def tempo_on(pause_address: str) -> Tempo:
    runner = CliRunner()

    def run(*args: str) -> object:
        argv = ["workflow", *args, "--address", pause_address]
        return runner.invoke(root, argv, env={"NO_COLOR": None, "TEMPORAL_ADDRESS": None})

    return run


def _start(tempo_on: Tempo) -> str:
    workflow_id = new_id("cli-pause")
    started = tempo_on("start", "--type", "Nobody", "-t", new_id("tq-nobody"), "-w", workflow_id)
    assert started.exit_code == 0, started.stderr
    return workflow_id


def test_pause_describe_list_and_unpause(tempo_on: Tempo) -> None:
    workflow_id = _start(tempo_on)
    paused = tempo_on("pause", "-w", workflow_id, "--reason", "courier service down")
    assert paused.exit_code == 0, paused.stderr
    assert f"Paused workflow {workflow_id}." in paused.stderr

    described = json_out(tempo_on("describe", "-w", workflow_id, "-o", "json"))
    assert described["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_PAUSED"
    assert described["workflowExtendedInfo"]["pauseInfo"]["reason"] == "courier service down"
    text = tempo_on("describe", "-w", workflow_id).stdout
    assert "Paused" in text and "courier service down" in text
    listed = json_out(tempo_on("list", "-q", f'ExecutionStatus="Paused" AND WorkflowId="{workflow_id}"', "-o", "json"))
    assert [row["execution"]["workflowId"] for row in listed] == [workflow_id]

    result = one_line_error(tempo_on("result", "-w", workflow_id))
    assert result == f"workflow {workflow_id} is paused: it has no result until it is unpaused"

    again = tempo_on("pause", "-w", workflow_id)
    assert one_line_error(again) == f"workflow {workflow_id!r} is already paused"
    unpaused = json_out(tempo_on("unpause", "-w", workflow_id, "-o", "json"))
    assert unpaused == {"workflowId": workflow_id, "paused": False}
    assert one_line_error(tempo_on("unpause", "-w", workflow_id)) == f"workflow {workflow_id!r} is not paused"

    assert tempo_on("terminate", "-w", workflow_id).exit_code == 0
    assert one_line_error(tempo_on("pause", "-w", workflow_id)) == f"workflow {workflow_id!r} is already closed"


def test_bad_targets_are_one_line_errors(tempo_on: Tempo) -> None:
    missing = one_line_error(tempo_on("pause", "-w", "no-such-workflow"))
    assert "no-such-workflow" in missing and "not found" in missing
    workflow_id = _start(tempo_on)
    assert "RunId" in one_line_error(tempo_on("pause", "-w", workflow_id, "-r", "not-a-uuid"))
    assert tempo_on("terminate", "-w", workflow_id).exit_code == 0


def test_the_real_cli_pauses_and_unpauses(tempo_on: Tempo, pause_address: str) -> None:
    workflow_id = _start(tempo_on)
    paused = real_cli(pause_address, "workflow", "pause", "-w", workflow_id, "--reason", "from temporal")
    assert "Workflow Execution paused" in paused.stdout
    described = json_out(tempo_on("describe", "-w", workflow_id, "-o", "json"))
    assert described["workflowExtendedInfo"]["pauseInfo"]["reason"] == "from temporal"
    real_cli(pause_address, "workflow", "unpause", "-w", workflow_id)
    described = json_out(tempo_on("describe", "-w", workflow_id, "-o", "json"))
    assert described["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING"


def test_pausing_is_refused_unless_the_server_allows_it(tempo: Tempo) -> None:
    """The default servers (both kinds) do not allow it: the error says how to."""
    workflow_id = new_id("cli-pause-off")
    assert tempo("start", "--type", "Nobody", "-t", new_id("tq-nobody"), "-w", workflow_id).exit_code == 0
    error = one_line_error(tempo("pause", "-w", workflow_id))
    assert error == (
        "workflow pause is not enabled for namespace: default: the server must be started with "
        "--dynamic-config-value frontend.WorkflowPauseEnabled=true"
    )


def test_a_paused_runs_result_is_the_apps_answer_as_users_run_it(
    pause_address: str, tempo_on: Tempo, tmp_path: Path
) -> None:
    # The server answers the wait for a paused run's close with its last event: the lean path
    # gives way, and the app says why there is no result.
    workflow_id = _start(tempo_on)
    assert tempo_on("pause", "-w", workflow_id).exit_code == 0
    environment = env(tmp_path)
    args = ["result", "--address", pause_address, "-w", workflow_id]
    code, out, err = same_answer(args, environment)
    assert (code, out, err) == (
        1,
        "",
        f"error: workflow {workflow_id} is paused: it has no result until it is unpaused\n",
    )
    assert through_the_sdk_client("workflow", args, environment) == (code, out, err.splitlines())
    assert tempo_on("terminate", "-w", workflow_id).exit_code == 0
