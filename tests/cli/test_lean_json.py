"""The lean path of `tempo workflow list|count|describe|show -o json|jsonl` (`tempo_cli._lean_json`):
the reads' JSON, printed to a pipe or a terminal, answers what the Typer app answers without
loading the SDK's client; a result it does not decode, `show --follow`, settings from the
environment and the app's errors give way to the SDK's client, with the app's answer.

Protobuf's maps come in any order (in the app too: each process hashes them its own way), so
two answers are compared as JSON, and each answer's bytes as the app formats JSON."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowType
from temporalio.api.enums.v1 import CommandType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import PollWorkflowTaskQueueRequest, RespondWorkflowTaskCompletedRequest
from temporalio.client import Client

from tests.cli.answers import APP, TEMPO, comparable, run
from tests.cli.lean_answers import answers, lean_answer, start_runs, through_the_sdk_client
from tests.cli.startup_checks import env, reporting_argv
from tests.cli.terminal import run_in_terminal

# Each test runs dozens of `tempo` processes, three per answer compared: minutes on a busy machine.
pytestmark = pytest.mark.timeout(300)


def _formatted(out: str, output: str) -> str:
    """``out`` as `CliContext.write_json` (and protobuf's MessageToJson) format its JSON."""
    if output == "jsonl":
        return "".join(
            json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False) + "\n" for line in out.splitlines()
        )
    return json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"


def same_and_lean(args: list[str], environment: dict[str, str]) -> str:
    """`tempo workflow ARGS` answers on the lean path, as the app answers, exit code 0: its stdout."""
    output = args[args.index("-o") + 1]
    code, out, messages = lean_answer("workflow", args, environment)
    assert (code, messages) == (0, []), (args, out, messages)
    assert out == _formatted(out, output), args
    tempo, app = answers("workflow", args, environment)
    assert comparable(tempo) == comparable(app) == comparable((code, out, "")), args
    return out


def test_the_reads_json_is_the_apps(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    ids = start_runs("lean-json", ("completed", "failed", "terminated", "continued"), on, task_queue, environment)
    assert run(TEMPO, ["terminate", *on, "-w", ids["terminated"], "--reason", "enough"], environment)[0] == 0
    for kind in ("completed", "failed", "continued"):
        run(TEMPO, ["result", *on, "-w", ids[kind]], environment)  # waits for the (last run's) close
    running = f"lean-json-running-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", running]
    assert run(TEMPO, start, environment)[0] == 0
    ids["running"] = running
    mine = " OR ".join(f"WorkflowId = '{workflow_id}'" for workflow_id in ids.values())

    for output in ("json", "jsonl"):
        described = {}
        # Each kind of run as JSON; as JSON lines (the same objects, a line each), a closed run
        # and an open one: every answer is compared with the app's, three processes each.
        kinds = ids if output == "json" else {kind: ids[kind] for kind in ("completed", "running")}
        for kind, workflow_id in kinds.items():
            out = same_and_lean(["describe", *on, "-w", workflow_id, "-o", output], environment)
            described[kind] = json.loads(out)
            out = same_and_lean(["show", *on, "-w", workflow_id, "-o", output], environment)
            assert "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED" in out
        assert described["completed"]["result"] == "Hello, Ada!"
        assert "closeEvent" not in described["running"]
        if output == "json":
            assert "out of tea" in json.dumps(described["failed"]["failure"])
            assert described["terminated"]["closeEvent"]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"
        listed = same_and_lean(["list", *on, "-q", mine, "-o", output], environment)
        runs = json.loads(listed) if output == "json" else [json.loads(line) for line in listed.splitlines()]
        assert {listed_run["execution"]["workflowId"] for listed_run in runs} == set(ids.values())
        limited = same_and_lean(["list", *on, "-q", mine, "--limit", "2", "-o", output], environment)
        assert len(json.loads(limited) if output == "json" else limited.splitlines()) == 2
        counted = same_and_lean(["count", *on, "-q", mine, "-o", output], environment)
        assert json.loads(counted) == {"count": str(len(ids) + 2)}  # and the two runs continued from
        grouped = same_and_lean(["count", *on, "-q", f"({mine}) GROUP BY ExecutionStatus", "-o", output], environment)
        assert {tuple(group["groupValues"]) for group in json.loads(grouped)["groups"]} >= {("Running",), ("Failed",)}
    # Nothing matches: an empty array, and for jsonl nothing at all (no message either).
    nothing = ["list", *on, "-q", "WorkflowId = 'lean-json-none-such'"]
    assert same_and_lean([*nothing, "-o", "json"], environment) == "[]\n"
    assert lean_answer("workflow", [*nothing, "-o", "jsonl"], environment) == (0, "", [])
    # The colour options say nothing about JSON; their values are the app's to check.
    for color in ("always", "never", "auto"):
        same_and_lean(["describe", *on, "-w", running, "-o", "json", "--color", color], environment)


async def _start_with_messages(address: str, workflow_id: str) -> None:
    # The official SDK's converter sends protobuf messages as json/protobuf payloads, and a memo
    # of several fields (a map, in any order).
    client = await Client.connect(address)
    memo = {"kind": WorkflowType(name="a memo"), **{f"field{n}": n for n in range(5)}}
    await client.start_workflow(
        "NobodyRunsThis", WorkflowType(name="an input"), id=workflow_id, task_queue=f"nobody-{workflow_id}", memo=memo
    )


async def _complete_with_a_message(address: str, task_queue: str) -> None:
    """Complete the one run on ``task_queue`` (no worker's) with a binary/protobuf result: what
    the SDK's converter decodes and this path does not."""
    client = await Client.connect(address)
    service = client.workflow_service
    task = await service.poll_workflow_task_queue(
        PollWorkflowTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=task_queue), identity="test")
    )
    result = Payload(
        metadata={"encoding": b"binary/protobuf", "messageType": b"temporal.api.common.v1.WorkflowType"},
        data=WorkflowType(name="a result").SerializeToString(),
    )
    completed = RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, identity="test")
    command = completed.commands.add(command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION)
    command.complete_workflow_execution_command_attributes.result.CopyFrom(Payloads(payloads=[result]))
    await service.respond_workflow_task_completed(completed)


def test_payloads_print_in_the_shorthand_and_a_result_it_does_not_decode_gives_way(
    server_address: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-json-proto-{uuid.uuid4().hex[:8]}"
    asyncio.run(_start_with_messages(server_address, workflow_id))
    for output in ("json", "jsonl"):
        described = json.loads(same_and_lean(["describe", *on, "-w", workflow_id, "-o", output], environment))
        memo = described["workflowExecutionInfo"]["memo"]["fields"]
        assert memo == {"kind": {"name": "a memo", "_protoMessageType": "temporal.api.common.v1.WorkflowType"}} | {
            f"field{n}": n for n in range(5)
        }
        same_and_lean(["show", *on, "-w", workflow_id, "-o", output], environment)

    closed = f"lean-json-result-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "AnyType", "-t", f"nobody-{closed}", "-w", closed]
    assert run(TEMPO, start, environment)[0] == 0
    asyncio.run(_complete_with_a_message(server_address, f"nobody-{closed}"))
    for output in ("json", "jsonl"):
        args = ["describe", *on, "-w", closed, "-o", output]
        code, out, messages = through_the_sdk_client("workflow", args, environment)
        assert messages == [], messages
        tempo, app = answers("workflow", args, environment)
        assert comparable(tempo) == comparable(app) == comparable((code, out, "")), args
        assert code == 0 and json.loads(out)["result"] == {"name": "a result"}
        same_and_lean(["show", *on, "-w", closed, "-o", output], environment)  # payloads as they come


def test_what_it_does_not_answer_gets_the_apps_answer(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    workflow_id = f"lean-json-gone-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    assert run(TEMPO, ["terminate", *on, "-w", workflow_id], environment)[0] == 0
    cases = [
        # (An unknown workflow, a filter the server refuses: the lean path's, with the app's
        # error: tests/cli/test_lean_errors.py.)
        (["show", *on, "-w", workflow_id, "--follow", "-o", "jsonl"], environment, 0),  # a closed run: it ends
        (["describe", "--address", "127.0.0.1:1", "-w", workflow_id, "-o", "json"], environment, 1),
        (
            ["list", *on, "-q", f"WorkflowId = '{workflow_id}'", "-o", "json"],
            env(tmp_path, TEMPORAL_NAMESPACE="default"),
            0,
        ),
    ]
    for args, environment_of, code in cases:
        answered = through_the_sdk_client("workflow", args, environment_of)
        tempo, app = answers("workflow", args, environment_of)
        assert comparable(tempo) == comparable(app), args
        assert tempo[0] == answered[0] == code, (args, tempo)
    # Values the app refuses: its (Typer's) messages.
    for args in (
        ["list", *on, "--limit", "0", "-o", "json"],
        ["describe", *on, "-w", workflow_id, "-o", "yaml"],
        ["describe", *on, "-w", workflow_id, "-o", "json", "--color", "sometimes"],
    ):
        tempo, app = answers("workflow", args, environment)
        assert tempo == app and tempo[0] != 0 and tempo[1] == "", (args, tempo)


def test_json_on_a_terminal_is_the_apps_without_rich(server_address: str, tmp_path: Path) -> None:
    # The app writes JSON as is, never through Rich: on a terminal too, with any colours.
    environment = {**env(tmp_path), "TERM": "xterm-256color"}
    on = ["--address", server_address]
    workflow_id = f"lean-json-drawn-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    for args in (
        ["describe", *on, "-w", workflow_id, "-o", "json"],
        ["show", *on, "-w", workflow_id, "-o", "jsonl"],
        ["list", *on, "-q", f"WorkflowId = '{workflow_id}'", "-o", "json", "--color", "always"],
        ["count", *on, "-q", f"WorkflowId = '{workflow_id}'", "-o", "jsonl"],
    ):
        users = run_in_terminal([*TEMPO, *args], environment)
        apps = run_in_terminal([*APP, *args], environment)
        assert users[0] == apps[0] == 0, (args, users, apps)
        shown = [users[1].decode().replace("\r\n", "\n"), apps[1].decode().replace("\r\n", "\n")]
        assert comparable((0, shown[0], "")) == comparable((0, shown[1], "")), args
        _, reported = run_in_terminal(reporting_argv(["workflow", *args]), environment)
        report = json.loads(reported.decode().strip().splitlines()[-1])
        assert report["code"] == 0 and "tempo_cli._lean_json" in report["modules"], args
        assert not {"sdk.client", "tempo_cli._cli", "rich"}.intersection(report["modules"]), args
