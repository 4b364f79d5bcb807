"""The lean path (`tempo_cli._lean_commands`): `tempo workflow list|describe|show|start|signal|
query` printing to a pipe make their calls without the SDK's client, and answer exactly what the
Typer app answers; whatever they do not decode themselves, and any connection settings from
the environment, go to the SDK's client instead, with the same answer."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from temporalio.api.common.v1 import WorkflowType
from temporalio.client import Client

from tempo_cli import _cli, _lean_commands, _lean_session
from tempo_cli._env_file import default_env_file
from tests.cli.answers import TEMPO as WORKFLOW
from tests.cli.answers import run, same_answer
from tests.cli.lean_answers import start_runs
from tests.cli.startup_checks import env, run_reporting

# What the lean path never loads, and the fast path (through the SDK's client) always does.
CLIENT_MODULES = {"sdk.client", "tempo_cli._cli", "dataclasses"}


def lean(modules: list[str]) -> bool:
    """Whether a run with these modules loaded answered on the lean path."""
    assert "tempo_cli._lean_commands" in modules
    return CLIENT_MODULES.isdisjoint(modules)


def test_the_six_commands_call_without_the_sdk_client(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-{uuid.uuid4().hex[:8]}"
    commands = [
        ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id],
        ["signal", *on, "-w", workflow_id, "--name", "add", "-i", '"tea"'],
        ["query", *on, "-w", workflow_id, "--name", "count"],
        ["describe", *on, "-w", workflow_id],
        ["show", *on, "-w", workflow_id],
        ["list", *on, "-q", f"WorkflowId = '{workflow_id}'"],
    ]
    for args in commands:
        out, code, modules = run_reporting(["workflow", *args], environment)
        assert code == 0, (args, out)
        assert lean(modules), (args, sorted(CLIENT_MODULES.intersection(modules)))
    assert out.splitlines()[1].split()[:2] == ["Running", workflow_id]


def test_closed_runs_are_described_and_shown_as_the_app_does(
    server_address: str, task_queue: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    ids = start_runs("lean", ("completed", "failed", "terminated"), on, task_queue, environment)
    assert run(WORKFLOW, ["terminate", *on, "-w", ids["terminated"], "--reason", "enough"], environment)[0] == 0
    for kind in ("completed", "failed"):
        run(WORKFLOW, ["result", *on, "-w", ids[kind]], environment)  # waits for the close

    described = {}
    for kind, workflow_id in ids.items():
        code, out, err = same_answer(["describe", *on, "-w", workflow_id], environment)
        assert (code, err) == (0, ""), out
        described[kind] = dict(line.split(None, 1) for line in out.splitlines())
        code, out, _ = same_answer(["show", *on, "-w", workflow_id], environment)
        assert code == 0 and "WorkflowExecutionStarted" in out
    assert described["completed"]["Result"] == '"Hello, Ada!"'
    assert "out of tea" in described["failed"]["Reason"]
    assert described["terminated"]["Reason"] == "enough"
    _, code, modules = run_reporting(["workflow", "describe", *on, "-w", ids["completed"]], environment)
    assert code == 0 and lean(modules)


async def _start_with_messages(address: str, workflow_id: str) -> None:
    # The official SDK's converter sends protobuf messages as json/protobuf payloads.
    client = await Client.connect(address)
    await client.start_workflow(
        "NobodyRunsThis",
        WorkflowType(name="an input"),
        id=workflow_id,
        task_queue=f"nobody-{workflow_id}",
        memo={"kind": WorkflowType(name="a memo")},
    )


def test_payloads_it_does_not_decode_get_the_apps_answer(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-proto-{uuid.uuid4().hex[:8]}"
    asyncio.run(_start_with_messages(server_address, workflow_id))
    for command in ("describe", "show"):
        code, out, _ = same_answer([command, *on, "-w", workflow_id], environment)
        assert (code == 0 and workflow_id in out) or "WorkflowExecutionStarted" in out
        _, code, modules = run_reporting(["workflow", command, *on, "-w", workflow_id], environment)
        assert code == 0 and "sdk.client" in modules  # through the SDK's converter


def test_signals_and_failures_are_worded_as_the_app_words_them(
    server_address: str, task_queue: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id]
    assert run(WORKFLOW, start, environment)[0] == 0

    code, out, err = same_answer(["signal", *on, "-w", workflow_id, "--name", "nope"], environment)
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        f"warning: workflow {workflow_id} has no signal 'nope' (its signals: add, finish); sent it anyway",
        f"Sent signal 'nope' to workflow {workflow_id}.",
    ]
    # A start the server refuses goes through the SDK's connection once more (same request),
    # which words the error: one run, still the first.
    code, out, err = same_answer(start, environment)
    assert (code, out) == (1, "") and err.startswith(f"error: workflow '{workflow_id}' is already running")
    listed = same_answer(["list", *on, "-q", f"WorkflowId = '{workflow_id}'"], environment)[1]
    assert len(listed.splitlines()) == 2
    for args in (
        ["describe", *on, "-w", f"missing-{workflow_id}"],
        ["query", *on, "-w", workflow_id, "--name", "nope"],
        ["list", *on, "-q", "NoSuchField = 1"],
        ["list", *on, "--limit", "0"],
        ["describe", "--address", "127.0.0.1:1", "-w", workflow_id],
    ):
        code, out, err = same_answer(args, environment)
        assert code != 0 and out == "" and err.startswith("error: "), (args, err)


def test_settings_from_the_environment_are_read_by_the_sdk_client(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path, TEMPORAL_ADDRESS=server_address)
    code, out, _ = same_answer(["list", "-q", "WorkflowId = 'none-such'"], environment)
    assert (code, out.split()) == (0, ["Status", "WorkflowId", "Type", "StartTime"])
    _, code, modules = run_reporting(["workflow", "list"], environment)
    assert code == 0 and "sdk.client" in modules


def test_its_defaults_and_files_are_the_apps() -> None:
    assert (_lean_session.DEFAULT_ADDRESS, _lean_session.DEFAULT_NAMESPACE) == (
        _cli.DEFAULT_ADDRESS,
        _cli.DEFAULT_NAMESPACE,
    )
    from sdk.envconfig import default_config_file

    assert _lean_session.settings_files() == [str(default_env_file()), str(default_config_file())]
    assert os.path.basename(_lean_session.settings_files()[1]) == "temporal.toml"


def test_a_query_nobody_answers_ends_with_the_apps_error_without_asking_twice(
    server_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environment = env(tmp_path)
    workflow_id = f"lean-unanswered-{uuid.uuid4().hex[:8]}"
    start = ["start", "--address", server_address, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(WORKFLOW, start, environment)[0] == 0
    capsys.readouterr()
    # No worker polls the queue: the query meets its deadline (the SDK client's 10 s). The lean
    # path ends the command itself, with the app's words, instead of giving way to the fast
    # path, which would ask, and wait, a second time.
    with pytest.raises(SystemExit) as ended:
        _lean_commands.run(["query", "--address", server_address, "-w", workflow_id, "--name", "count"])
    assert ended.value.code == 1
    assert capsys.readouterr().err == "error: the server did not answer in time (is a worker polling the task queue?)\n"


def test_a_start_whose_answer_rich_must_lay_out_is_made_once_by_the_app(server_address: str, tmp_path: Path) -> None:
    # Wide characters: the lean path cannot print the started run's table, so it gives way
    # before the start is made (after it, nothing could give way: one run, one answer).
    environment = env(tmp_path)
    workflow_id = f"工作-{uuid.uuid4().hex[:8]}"
    on = ["--address", server_address]
    start = ["start", *on, "--type", "Waiter", "-t", "lean-wide-nobody", "-w", workflow_id]  # its own queue
    code, out, err = run(WORKFLOW, start, environment)
    assert (code, err) == (0, ""), err
    assert out.splitlines()[1].split() == ["WorkflowId", workflow_id]
    code, out, _ = run(WORKFLOW, ["list", *on, "-q", f"WorkflowId = '{workflow_id}'"], environment)
    assert code == 0 and len(out.splitlines()) == 2  # the header and one run
