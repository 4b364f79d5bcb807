"""The lean path of `tempo workflow terminate|cancel|result` (`tempo_cli._lean_commands`):
printing to a pipe they make the SDK client's calls without it, make a write once, and answer
exactly what the Typer app answers; JSON output, an unknown workflow, a server that is down
or a result the path does not decode get the app's answer (tests/cli/test_lean_errors.py: an
unknown workflow's, on the lean path), and a write is still made once."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.cli.answers import APP, TEMPO, comparable, run, same_answer
from tests.cli.lean_answers import lean_answer, start_runs, through_the_sdk_client
from tests.cli.startup_checks import env


def _start_unserved(on: list[str], workflow_id: str, environment: dict[str, str]) -> None:
    """A Waiter no worker runs (its own queue): it stays open until a write closes it."""
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0


def _history(on: list[str], workflow_id: str, environment: dict[str, str]) -> list[list[str]]:
    code, out, err = run(TEMPO, ["show", *on, "-w", workflow_id], environment)
    assert code == 0, err
    return [line.split() for line in out.splitlines()[1:]]


def _status(on: list[str], workflow_id: str, environment: dict[str, str]) -> str:
    code, out, _ = run(TEMPO, ["describe", *on, "-w", workflow_id], environment)
    assert code == 0
    return dict(line.split(None, 1) for line in out.splitlines())["Status"]


def test_a_workflow_is_canceled_then_terminated_once_as_the_app_does(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    lean_id, app_id = (f"lean-write-{who}-{uuid.uuid4().hex[:8]}" for who in ("lean", "app"))
    for workflow_id in (lean_id, app_id):
        _start_unserved(on, workflow_id, environment)
    for command in (["cancel", "--reason", "no more tea"], ["terminate"]):
        lean = lean_answer("workflow", [command[0], *on, "-w", lean_id, *command[1:]], environment)
        code, out, err = run(APP, [command[0], *on, "-w", app_id, *command[1:]], environment)
        assert lean == (code, out, err.replace(app_id, lean_id).splitlines())
        assert lean[0] == 0 and lean[1] == "", lean
    assert lean[2] == [f"Terminated workflow {lean_id}."]
    for workflow_id in (lean_id, app_id):
        events = _history(on, workflow_id, environment)
        kinds = [event[2] for event in events]
        assert kinds.count("WorkflowExecutionCancelRequested") == 1 and kinds.count("WorkflowExecutionTerminated") == 1
        assert events[-1][2:] == ["WorkflowExecutionTerminated", "reason=Terminated", "by", "tempo", "CLI"]
        assert _status(on, workflow_id, environment) == "Terminated"
    cancel_requested = next(event for event in _history(on, lean_id, environment) if "Cancel" in event[2])
    assert cancel_requested[3:] == ["cause=no", "more", "tea"]


def test_a_termination_names_its_reason_and_run(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-write-run-{uuid.uuid4().hex[:8]}"
    _start_unserved(on, workflow_id, environment)
    described = run(TEMPO, ["describe", *on, "-w", workflow_id], environment)[1]
    run_id = dict(line.split(None, 1) for line in described.splitlines())["RunId"]
    args = ["terminate", *on, "-w", workflow_id, "-r", run_id, "--reason", "spilled"]
    assert lean_answer("workflow", args, environment) == (0, "", [f"Terminated workflow {workflow_id}."])
    assert _history(on, workflow_id, environment)[-1][2:] == ["WorkflowExecutionTerminated", "reason=spilled"]
    # A second termination is refused by the server: the lean path ends with the app's error
    # (the run stays terminated, once).
    code, out, err = same_answer(args, environment)
    assert (code, out) == (1, "") and err.startswith("error: "), err
    kinds = [event[2] for event in _history(on, workflow_id, environment)]
    assert kinds.count("WorkflowExecutionTerminated") == 1


def test_writes_the_lean_path_leaves_get_the_apps_answer_once(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-write-json-{uuid.uuid4().hex[:8]}"
    _start_unserved(on, workflow_id, environment)
    code, out, messages = through_the_sdk_client(
        "workflow", ["cancel", *on, "-w", workflow_id, "-o", "json"], environment
    )
    assert (code, out, messages) == (0, "", [f"Requested cancellation of workflow {workflow_id}."])
    kinds = [event[2] for event in _history(on, workflow_id, environment)]
    assert kinds.count("WorkflowExecutionCancelRequested") == 1
    for args in (
        ["terminate", *on, "-w", f"missing-{workflow_id}"],
        ["cancel", *on, "-w", f"missing-{workflow_id}"],
        ["terminate", "--address", "127.0.0.1:1", "-w", workflow_id],
        ["cancel", "--address", "127.0.0.1:1", "-w", workflow_id],
    ):
        code, out, err = same_answer(args, environment)
        assert code == 1 and out == "" and err.startswith("error: "), (args, err)
    assert _status(on, workflow_id, environment) == "Running"
    run(TEMPO, ["terminate", *on, "-w", workflow_id], environment)


def test_results_are_printed_as_the_app_prints_them(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    ids = start_runs("lean-result", ("completed", "failed", "continued"), on, task_queue, environment)
    answers = {}
    for kind, workflow_id in ids.items():
        args = ["result", *on, "-w", workflow_id]
        answers[kind] = same_answer(args, environment)  # waits for the close
        code, out, err = answers[kind]
        assert lean_answer("workflow", args, environment) == (code, out, err.splitlines())
    assert answers["completed"] == (0, '\nResults:\n  Status  Completed\n  Result  "Hello, Ada!"\n', "")
    code, out, err = answers["failed"]
    assert code == 1 and out.splitlines()[2:4] == ["  Status  Failed", "  Reason  out of tea (OrderRejected)"]
    assert err == f"error: workflow {ids['failed']} failed: out of tea (OrderRejected)\n"
    # Followed to the last run, whose id the result names.
    code, out, _ = answers["continued"]
    result = dict(line.split(None, 1) for line in out.splitlines()[2:])["Result"]
    described = run(TEMPO, ["describe", *on, "-w", ids["continued"]], environment)[1]
    assert (
        code == 0
        and result == f'"liftoff after {dict(line.split(None, 1) for line in described.splitlines())["RunId"]}"'
    )


def test_results_the_lean_path_leaves_get_the_apps_answer(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-result-json-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "-t", task_queue, "-w", workflow_id, "--type", "Greeting", "-i", '"Ada"']
    assert run(TEMPO, start, environment)[0] == 0
    for args in (  # (an unknown workflow: the lean path's, with the app's error: test_lean_errors.py)
        ["result", *on, "-w", workflow_id, "-o", "json"],
        ["result", "--address", "127.0.0.1:1", "-w", workflow_id],
    ):
        code, out, err = same_answer(args, environment)
        assert (code == 0) == (args[-1] == "json"), (args, err)
        through = through_the_sdk_client("workflow", args, environment)
        assert through[0] == code and comparable((*through[:2], "")) == comparable((code, out, ""))
        assert through[2] == err.splitlines()
