"""`tempo workflow ...` end to end: real server, official worker, our CLI.

Each test runs commands the way a user types them and checks what a user sees:
stdout, stderr and the exit code, in text and JSON modes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from typer.testing import CliRunner

from sdk import Client
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo
from tests.cli.tempo_entry import root
from tests.sdk_client.workflows import ALL_WORKFLOWS
from tests.servers import free_port

# The commands as the app registers them (a hand-written list went stale when `reset` came).
WORKFLOW_GROUP = typer.main.get_command(root).commands["workflow"]  # type: ignore[attr-defined]
COMMANDS: list[str] = list(WORKFLOW_GROUP.commands)


def poll(check: Any, attempts: int = 100) -> Any:
    """``check()`` until it returns something true (visibility lags on the real server)."""
    for _ in range(attempts):
        value = check()
        if value:
            return value
        asyncio.run(asyncio.sleep(0.1))
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = CliRunner().invoke(root, ["workflow", command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"tempo workflow {command}" in result.stdout
    for option in ("--address", "--namespace", "--output", "--color"):
        assert option in result.stdout


def test_group_help_lists_every_command_with_its_summary_and_examples() -> None:
    """`tempo workflow --help` lists every command, in the app's order, each with the opening
    words of its own help; its examples are commands a user can type."""
    result = CliRunner().invoke(root, ["workflow", "--help"], terminal_width=100)
    assert result.exit_code == 0
    listed = result.stdout.split("\nCommands:\n", 1)[1].splitlines()
    rows = [line.split(maxsplit=1) for line in listed if line.strip()]
    assert [name for name, _ in rows] == COMMANDS
    for name, summary in rows:
        own_help = " ".join(WORKFLOW_GROUP.commands[name].help.split("\n\n")[0].split())
        assert own_help.startswith(summary.removesuffix("...")), (name, summary)
    examples = [line.split() for line in result.stdout.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert examples and all(words[:2] == ["tempo", "workflow"] for words in examples), examples
    assert {words[2] for words in examples} <= {*COMMANDS, "--address"}


def test_unreachable_server_is_one_line_in_a_real_process() -> None:
    address = f"127.0.0.1:{free_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.cli.tempo_entry", "workflow", "list", "--address", address],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (f"error: cannot reach a server at {address} — is `tempo server start-dev` running?\n")


def test_address_comes_from_the_environment() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = CliRunner().invoke(root, ["workflow", "count"], env={"TEMPORAL_ADDRESS": address})
    assert address in one_line_error(result)


def test_bad_address_is_a_usage_error() -> None:
    result = CliRunner().invoke(root, ["workflow", "count", "--address", "nonsense"])
    assert one_line_error(result) == "invalid server address 'nonsense': expected HOST:PORT"


def test_start_prints_ids_and_rejects_duplicates(tempo: Tempo, task_queue: str) -> None:
    wf_id = new_id("start")
    text = tempo("start", "--type", "Waiter", "--task-queue", task_queue, "--workflow-id", wf_id)
    assert text.exit_code == 0, text.stderr
    assert "WorkflowId  " + wf_id in text.stdout
    doc = json_out(tempo("describe", "-w", wf_id, "-o", "json"))
    run_id = doc["workflowExecutionInfo"]["execution"]["runId"]
    assert "RunId       " + run_id in text.stdout

    again = tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id, "-o", "json")
    assert one_line_error(again).startswith(f"workflow {wf_id!r} is already running (run {run_id})")
    attach = tempo(
        "start", "--type", "Waiter", "-t", task_queue, "-w", wf_id,
        "--id-conflict-policy", "UseExisting", "-o", "json",
    )  # fmt: skip
    assert json_out(attach) == {
        "workflowId": wf_id,
        "runId": run_id,
        "type": "Waiter",
        "namespace": "default",
        "taskQueue": task_queue,
    }
    tempo("terminate", "-w", wf_id)


def test_signal_query_and_result(tempo: Tempo, task_queue: str) -> None:
    wf_id = new_id("sig")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    sent = tempo("signal", "-w", wf_id, "--name", "add", "--input", '"apple"')
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout == ""  # confirmations are messages, not data
    assert "Sent signal 'add'" in sent.stderr

    counted = tempo("query", "-w", wf_id, "--name", "count")
    assert (counted.exit_code, counted.stdout) == (0, "1\n")
    prefixed = tempo("query", "-w", wf_id, "--type", "items_with_prefix", "-i", '"ripe "', "-o", "json")
    assert json_out(prefixed) == {
        "workflowId": wf_id,
        "queryType": "items_with_prefix",
        "result": ["ripe apple"],
    }

    assert tempo("signal", "-w", wf_id, "--name", "finish").exit_code == 0
    done = tempo("result", "-w", wf_id)
    assert done.exit_code == 0, done.stderr
    assert "Completed" in done.stdout and '["apple"]' in done.stdout
    doc = json_out(tempo("result", "-w", wf_id, "-o", "json"))
    assert (doc["status"], doc["result"]) == ("COMPLETED", ["apple"])
    assert doc["closeEvent"]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"


def test_unknown_handlers_list_the_known_ones(tempo: Tempo, task_queue: str) -> None:
    wf_id = new_id("names")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    assert one_line_error(tempo("query", "-w", wf_id, "--name", "cnt")) == (
        f"workflow {wf_id} has no query 'cnt'; its queries: broken, count, items_with_prefix"
    )
    assert one_line_error(tempo("query", "-w", wf_id, "--name", "broken")) == ("query failed: this query is broken")
    tempo("terminate", "-w", wf_id)


def test_execute_success_and_failure(tempo: Tempo, task_queue: str) -> None:
    ok = tempo("execute", "--type", "Greeting", "-t", task_queue, "-i", '"Ada"')
    assert ok.exit_code == 0, ok.stderr
    out = ok.stdout
    assert out.index("Progress:") < out.index("WorkflowExecutionStarted") < out.index("Results:")
    assert '"Hello, Ada!"' in out.split("Results:")[1]

    doc = json_out(tempo("execute", "--type", "Greeting", "-t", task_queue, "-i", '"Bo"', "-o", "json"))
    assert (doc["type"], doc["status"], doc["result"]) == ("Greeting", "COMPLETED", "Hello, Bo!")

    wf_id = new_id("fails")
    failed = tempo("execute", "--type", "CallsFlaky", "-t", task_queue, "-w", wf_id)
    assert one_line_error(failed) == (f"workflow {wf_id} failed: Activity task failed: activity broke (FlakyError)")
    assert "ActivityTaskFailed" in failed.stdout and "Failed" in failed.stdout.split("Results:")[1]

    failed_json = tempo("execute", "--type", "Failing", "-t", task_queue, "-i", '"no"', "-o", "json")
    assert failed_json.exit_code == 1
    doc = json.loads(failed_json.stdout)
    assert doc["status"] == "FAILED"
    assert doc["failure"]["applicationFailureInfo"]["type"] == "OrderRejected"


def test_terminate_and_cancel(tempo: Tempo, task_queue: str) -> None:
    term_id, cancel_id = new_id("term"), new_id("cancel")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", term_id).exit_code == 0
    assert tempo("start", "--type", "Sleeper", "-t", task_queue, "-w", cancel_id).exit_code == 0

    terminated = tempo("terminate", "-w", term_id, "--reason", "duplicate order")
    assert terminated.exit_code == 0 and f"Terminated workflow {term_id}" in terminated.stderr
    assert one_line_error(tempo("result", "-w", term_id)) == (f"workflow {term_id} terminated: duplicate order")
    assert one_line_error(tempo("terminate", "-w", term_id)) == (f"workflow {term_id!r} is already closed")

    assert tempo("cancel", "-w", cancel_id).exit_code == 0
    assert one_line_error(tempo("result", "-w", cancel_id)) == f"workflow {cancel_id} canceled: Canceled"
    info = json_out(tempo("describe", "-w", cancel_id, "-o", "json"))["workflowExecutionInfo"]
    assert info["status"] == "WORKFLOW_EXECUTION_STATUS_CANCELED"


def test_describe_text_and_json(tempo: Tempo, task_queue: str, server_address: str) -> None:
    wf_id = new_id("desc")
    assert tempo("execute", "--type", "Greeting", "-t", task_queue, "-w", wf_id, "-i", '"X"').exit_code == 0
    text = tempo("describe", "-w", wf_id)
    assert text.exit_code == 0
    for label, value in (("WorkflowId", wf_id), ("Type", "Greeting"), ("Status", "Completed"),
                         ("TaskQueue", task_queue), ("Result", '"Hello, X!"')):  # fmt: skip
        assert any(line.split(maxsplit=1) == [label, value] for line in text.stdout.splitlines()), label
    ours = json_out(tempo("describe", "-w", wf_id, "-o", "json"))
    assert ours["result"] == "Hello, X!"
    assert ours["workflowExecutionInfo"]["type"] == {"name": "Greeting"}
    # Same top-level layout as `temporal workflow describe -o json`.
    theirs = json.loads(real_cli(server_address, "workflow", "describe", "-w", wf_id, "-o", "json").stdout)
    assert sorted(ours) == sorted(theirs)
    assert ours["closeEvent"]["eventId"] == theirs["closeEvent"]["eventId"]


def test_not_found(tempo: Tempo) -> None:
    for command in ("describe", "show", "result"):
        result = tempo(command, "-w", "no-such-workflow")
        assert one_line_error(result) == "workflow 'no-such-workflow' not found in namespace 'default'"


def test_unknown_namespace(tempo: Tempo) -> None:
    assert one_line_error(tempo("list", "-n", "no-such-namespace")) == "namespace 'no-such-namespace' not found"


def test_signal_without_a_worker_is_still_sent(tempo: Tempo) -> None:
    # No worker can list the workflow's signals, so the CLI cannot check the name: it sends.
    wf_id = new_id("idle")
    assert tempo("start", "--type", "Waiter", "-t", new_id("nobody-polls"), "-w", wf_id).exit_code == 0
    sent = tempo("signal", "-w", wf_id, "--name", "add", "-i", '"x"')
    assert sent.exit_code == 0, sent.stderr
    events = [json.loads(line) for line in tempo("show", "-w", wf_id, "-o", "jsonl").stdout.splitlines()]
    signals = [
        e["workflowExecutionSignaledEventAttributes"]["signalName"]
        for e in events
        if "workflowExecutionSignaledEventAttributes" in e
    ]
    assert signals == ["add"]
    tempo("terminate", "-w", wf_id)


def test_bad_inputs_say_which_argument_and_where(tempo: Tempo, task_queue: str, tmp_path: Path) -> None:
    base = ("start", "--type", "Waiter", "-t", task_queue)
    assert one_line_error(tempo(*base, "-i", "1", "-i", "{oops}")) == (
        "--input #2 ('{oops}') is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"
    )
    bad_file = tmp_path / "order.json"
    bad_file.write_text('{\n  "items": [1, 2,]\n}\n')
    assert one_line_error(tempo(*base, "--input-file", str(bad_file))) == (
        f"--input-file {bad_file} is not valid JSON: Expecting value at line 2 column 18"
    )
    missing = tmp_path / "missing.json"
    assert one_line_error(tempo(*base, "--input-file", str(missing))) == (
        f"cannot read --input-file {missing}: No such file or directory"
    )
    assert one_line_error(tempo(*base, "--run-timeout", "soon")).startswith("--run-timeout: 'soon' is not a duration")
    assert one_line_error(tempo(*base, "--id-reuse-policy", "Sometimes")) == (
        "--id-reuse-policy: unknown policy 'Sometimes'; choose one of AllowDuplicate, "
        "AllowDuplicateFailedOnly, RejectDuplicate, TerminateIfRunning"
    )


def test_list_and_count(tempo: Tempo, task_queue: str) -> None:
    ids = [new_id("ls") for _ in range(3)]
    for wf_id in ids:
        assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    assert tempo("terminate", "-w", ids[0]).exit_code == 0
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"

    # Visibility lags a moment behind on the real server: poll, bounded.
    for _ in range(100):
        counted = json_out(tempo("count", "--query", query, "-o", "json"))
        if counted == {"count": "2"}:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert counted == {"count": "2"}  # int64 as a string, as `temporal workflow count -o json` prints it
    assert tempo("count", "-q", query).stdout == "Total: 2\n"

    listed = json_out(tempo("list", "--query", query, "-o", "json"))
    assert {w["execution"]["workflowId"] for w in listed} == set(ids[1:])
    assert {w["status"] for w in listed} == {"WORKFLOW_EXECUTION_STATUS_RUNNING"}
    lines = tempo("list", "-q", f"TaskQueue = '{task_queue}'", "-o", "jsonl").stdout.splitlines()
    assert {json.loads(line)["execution"]["workflowId"] for line in lines} == set(ids)
    limited = tempo("list", "-q", f"TaskQueue = '{task_queue}'", "--limit", "1", "-o", "jsonl")
    assert len(limited.stdout.splitlines()) == 1

    table = tempo("list", "-q", f"TaskQueue = '{task_queue}'").stdout.splitlines()
    assert table[0].split() == ["Status", "WorkflowId", "Type", "StartTime"]  # `temporal`'s columns
    rows = {line.split()[1]: line.split()[0] for line in table[1:]}
    assert rows == {ids[0]: "Terminated", ids[1]: "Running", ids[2]: "Running"}
    for wf_id in ids[1:]:
        tempo("terminate", "-w", wf_id)


def test_global_options_before_the_subcommand(tempo: Tempo, server_address: str) -> None:
    result = tempo("--address", server_address, "-o", "json", "count", address=False)
    assert set(json_out(result)) <= {"count"}  # `{}` on an empty server, like the real CLI


def test_colours_follow_the_color_option(tempo: Tempo, task_queue: str) -> None:
    wf_id = new_id("colour")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    coloured = tempo("describe", "-w", wf_id, "--color", "always")
    assert "\x1b[" in coloured.stdout and "Running" in coloured.stdout
    plain = tempo("describe", "-w", wf_id, "--color", "never")
    assert "\x1b[" not in plain.stdout
    # JSON is never decorated.
    assert "\x1b[" not in tempo("describe", "-w", wf_id, "-o", "json", "--color", "always").stdout
    tempo("terminate", "-w", wf_id)


def test_show_text_and_json_match_the_real_cli(tempo: Tempo, task_queue: str, server_address: str) -> None:
    wf_id = new_id("show")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    assert tempo("signal", "-w", wf_id, "--name", "add", "-i", '"pear"').exit_code == 0
    assert tempo("signal", "-w", wf_id, "--name", "finish").exit_code == 0
    assert tempo("result", "-w", wf_id).exit_code == 0

    text = tempo("show", "-w", wf_id).stdout.splitlines()
    assert text[0].split() == ["ID", "Time", "Type", "Details"]
    assert text[1].split()[0::2][:2] == ["1", "WorkflowExecutionStarted"]
    signalled = [line for line in text if "WorkflowExecutionSignaled" in line]
    assert "name=add" in signalled[0] and 'input=["pear"]' in signalled[0]
    assert "WorkflowExecutionCompleted" in text[-1] and 'result=[["pear"]]' in text[-1]

    ours = tempo("show", "-w", wf_id, "-o", "json").stdout
    theirs = real_cli(server_address, "workflow", "show", "-w", wf_id, "-o", "json").stdout

    def shape(doc: str) -> list[tuple[str, str, list[str], list[str]]]:
        events = json.loads(doc)["events"]
        return [
            (
                e["eventId"],
                e["eventType"],
                sorted(e),
                sorted(next(v for k, v in e.items() if k.endswith("Attributes"))),
            )
            for e in events
        ]

    assert shape(ours) == shape(theirs)
    # The official SDK's replayer accepts what we wrote.
    replayer = Replayer(workflows=ALL_WORKFLOWS, workflow_runner=UnsandboxedWorkflowRunner())
    replay = asyncio.run(replayer.replay_workflow(WorkflowHistory.from_json(wf_id, ours)))
    assert replay.replay_failure is None

    jsonl = [json.loads(line) for line in tempo("show", "-w", wf_id, "-o", "jsonl").stdout.splitlines()]
    assert jsonl == json.loads(ours)["events"]


def test_show_follow_streams_until_the_run_closes(server_address: str, task_queue: str) -> None:
    wf_id = new_id("follow")

    async def start() -> None:
        async with await Client.connect(server_address) as client:
            await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue)

    async def finish() -> None:
        async with await Client.connect(server_address) as client:
            await client.get_workflow_handle(wf_id).signal("finish")

    asyncio.run(start())
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cli.tempo_entry", "workflow", "show", "-w", wf_id,
         "--follow", "--address", server_address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        seen = []
        # The first workflow task completes without closing: the stream must show it live.
        for line in proc.stdout:
            seen.append(line)
            if "WorkflowTaskCompleted" in line:
                break
        assert "WorkflowExecutionCompleted" not in "".join(seen)
        asyncio.run(finish())
        rest, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "WorkflowExecutionSignaled" in rest
    assert rest.strip().splitlines()[-1].split()[2] == "WorkflowExecutionCompleted"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tempo workflow ", {"start", "execute", "signal", "query", "describe", "show", "list", "count"}),
        ("tempo workflow list -o ", {"text", "json", "jsonl"}),
        ("tempo workflow show --col", {"--color"}),
    ],
)
def test_shell_completion(words: str, expected: set[str]) -> None:
    env = {"_TEMPO_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    result = CliRunner().invoke(root, [], env=env, prog_name="tempo")
    assert expected <= set(result.stdout.split())


@pytest.mark.parametrize("args", [["count"], ["list", "-o", "jsonl"]])
def test_output_cut_short_by_the_reader_is_not_an_error(server_address: str, args: list[str]) -> None:
    # `tempo workflow list -o jsonl | head -1`: the reader may leave before we write.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cli.tempo_entry", "workflow", *args, "--address", server_address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the child can have written anything: it starts slower than this
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err


def test_query_reject_condition(tempo: Tempo, task_queue: str) -> None:
    closed, failed = new_id("rej-done"), new_id("rej-term")
    for wf_id in (closed, failed):
        assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    open_ok = tempo("query", "-w", closed, "--name", "count", "--reject-condition", "not_open")
    assert (open_ok.exit_code, open_ok.stdout) == (0, "0\n"), open_ok.stderr

    assert tempo("signal", "-w", closed, "--name", "finish").exit_code == 0
    assert tempo("result", "-w", closed).exit_code == 0
    assert tempo("terminate", "-w", failed).exit_code == 0

    # Completed: fine for not_completed_cleanly, refused for not_open.
    clean = tempo("query", "-w", closed, "--name", "count", "--reject-condition", "not_completed_cleanly")
    assert (clean.exit_code, clean.stdout) == (0, "0\n"), clean.stderr
    refused = tempo("query", "-w", closed, "--name", "count", "--reject-condition", "not_open")
    assert one_line_error(refused) == "query was rejected, workflow has status: Completed"
    assert refused.stdout == ""
    # Terminated: refused by both, also in JSON mode (nothing on stdout).
    for condition in ("not_open", "not_completed_cleanly"):
        result = tempo("query", "-w", failed, "--name", "count", "--reject-condition", condition, "-o", "json")
        assert one_line_error(result) == "query was rejected, workflow has status: Terminated"
        assert result.stdout == ""
    # Without a condition a closed workflow is still answered (replayed by the worker).
    assert tempo("query", "-w", failed, "--name", "count").stdout == "0\n"
    bad = tempo("query", "-w", failed, "--name", "count", "--reject-condition", "closed")
    assert bad.exit_code == 2 and "not_completed_cleanly" in bad.stderr


def test_count_group_by_status_like_the_real_cli(tempo: Tempo, task_queue: str, server_address: str) -> None:
    ids = [new_id("grp") for _ in range(3)]
    for wf_id in ids:
        assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    assert tempo("terminate", "-w", ids[0]).exit_code == 0
    query = f"TaskQueue = '{task_queue}' GROUP BY ExecutionStatus"

    def grouped() -> Any:
        doc = json_out(tempo("count", "-q", query, "-o", "json"))
        return doc if doc.get("count") == "3" and len(doc.get("groups", [])) == 2 else None

    ours = poll(grouped)
    theirs = json.loads(real_cli(server_address, "workflow", "count", "-q", query, "-o", "json").stdout)
    by_value = {g["groupValues"][0]: g["count"] for g in ours["groups"]}
    assert by_value == {"Running": "2", "Terminated": "1"}
    assert ours["count"] == theirs["count"]
    assert sorted(ours["groups"], key=str) == sorted(theirs["groups"], key=str)

    lines = tempo("count", "-q", query).stdout.splitlines()
    assert lines[0] == "Total: 3"
    assert sorted(lines[1:]) == ["Group total: 1, values: Terminated", "Group total: 2, values: Running"]
    assert sorted(lines) == sorted(real_cli(server_address, "workflow", "count", "-q", query).stdout.splitlines())

    # No match: the real CLI prints the empty response, `{}`; so do we.
    nothing = f"TaskQueue = '{new_id('nobody')}'"
    assert json_out(tempo("count", "-q", nothing, "-o", "json")) == {}
    assert json.loads(real_cli(server_address, "workflow", "count", "-q", nothing, "-o", "json").stdout) == {}
    assert tempo("count", "-q", nothing).stdout == "Total: 0\n"
    for wf_id in ids[1:]:
        tempo("terminate", "-w", wf_id)


def test_execute_streams_every_run_after_continue_as_new(tempo: Tempo, task_queue: str) -> None:
    result = tempo("execute", "--type", "Countdown", "-t", task_queue, "-i", "2")
    assert result.exit_code == 0, result.stderr
    progress, results = result.stdout.split("Progress:")[1].split("Results:")
    hops = [line.split()[-1] for line in progress.splitlines() if line.startswith("Continued as new:")]
    assert len(hops) == 2
    rows = [line.split() for line in progress.splitlines() if line.strip()[:1].isdigit()]
    types = [row[2] for row in rows]
    assert types.count("WorkflowExecutionStarted") == 3
    assert types.count("WorkflowExecutionContinuedAsNew") == 2
    assert types[-1] == "WorkflowExecutionCompleted"
    # Each hop names the run whose events follow; the last one is the run that returned.
    assert "input=[0]" in progress.split(hops[-1])[1]
    assert f'"liftoff after {hops[-1]}"' in results


def test_describe_and_list_decode_memo_like_the_real_cli(tempo: Tempo, task_queue: str, server_address: str) -> None:
    wf_id = new_id("memo")
    memo = {"owner": "ada", "order": {"items": [1, 2]}}

    async def start() -> None:
        async with await Client.connect(server_address) as client:
            await client.start_workflow("Waiter", id=wf_id, task_queue=task_queue, memo=memo)

    asyncio.run(start())
    ours = json_out(tempo("describe", "-w", wf_id, "-o", "json"))
    theirs = json.loads(real_cli(server_address, "workflow", "describe", "-w", wf_id, "-o", "json").stdout)
    assert ours["workflowExecutionInfo"]["memo"] == {"fields": memo}
    assert ours["workflowExecutionInfo"]["memo"] == theirs["workflowExecutionInfo"]["memo"]

    listed = poll(lambda: json_out(tempo("list", "-q", f"WorkflowId = '{wf_id}'", "-o", "json")))
    assert listed[0]["memo"] == {"fields": memo}

    assert tempo("signal", "-w", wf_id, "--name", "add", "-i", '"pear"').exit_code == 0
    assert tempo("signal", "-w", wf_id, "--name", "finish").exit_code == 0
    done = json_out(tempo("result", "-w", wf_id, "-o", "json"))
    assert done["closeEvent"]["workflowExecutionCompletedEventAttributes"]["result"] == [["pear"]]
    ours = json_out(tempo("describe", "-w", wf_id, "-o", "json"))
    theirs = json.loads(real_cli(server_address, "workflow", "describe", "-w", wf_id, "-o", "json").stdout)
    assert ours["closeEvent"] == theirs["closeEvent"]
    # `show` stays raw protobuf JSON: the SDKs' replayers read it.
    started = json_out(tempo("show", "-w", wf_id, "-o", "json"))["events"][0]
    assert set(started["workflowExecutionStartedEventAttributes"]["memo"]["fields"]["owner"]) == {"metadata", "data"}


def test_stack_prints_the_workflow_stack_trace(tempo: Tempo, task_queue: str) -> None:
    wf_id = new_id("stack")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0
    text = tempo("stack", "-w", wf_id)
    assert text.exit_code == 0, text.stderr
    assert f"id: {wf_id}" in text.stdout and "\\n" not in text.stdout  # real newlines, not escapes
    doc = json_out(tempo("stack", "-w", wf_id, "-o", "json"))
    assert doc["queryType"] == "__stack_trace" and f"id: {wf_id}" in doc["result"]
    tempo("terminate", "-w", wf_id)
    assert one_line_error(tempo("stack", "-w", wf_id, "--reject-condition", "not_open")) == (
        "query was rejected, workflow has status: Terminated"
    )
