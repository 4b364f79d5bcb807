"""What a user trying `tempo` by hand saw go wrong (issue 17, item 5), on both servers.

Each test types the commands as a user would and checks what they see: the signal with an
undeclared name is sent with a warning, `activity fail` on an activity no worker has started
says so, `workflow stack` on a closed run says why there is no stack, command-line mistakes
are one clean line, and `describe` shows the parent, root and history size fields the real
`temporal workflow describe` shows, with the same names and values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from typer.testing import CliRunner, Result

from tempo_cli.main import app
from tests.cli.by_hand_app import OfficialPeer, OurSdkPeer, one_line_usage_error
from tests.cli.cli_results import json_out, new_id, one_line_error, real_cli
from tests.cli.conftest import Tempo
from tests.servers import free_port, temporal_binary


@pytest.fixture
def peer(server_address: str) -> Iterator[OfficialPeer]:
    peer = OfficialPeer(server_address)
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def our_peer(server_address: str) -> Iterator[OurSdkPeer]:
    peer = OurSdkPeer(server_address)
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def tempo_any(server_address: str) -> Tempo:
    """Run `tempo ARGS... --address <server under test>` (any command group)."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, [*args, "--address", server_address], env={"NO_COLOR": None})

    return run


def real_cli_result(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `temporal` CLI, whatever its exit code."""
    return subprocess.run(
        [temporal_binary(), *args, "--address", address], capture_output=True, text=True, timeout=30, check=False
    )


def signal_names(tempo: Tempo, workflow_id: str) -> list[tuple[str, Any]]:
    """(name, input) of each signal in the workflow's history, read with `tempo workflow show`."""
    events = [json.loads(line) for line in tempo("show", "-w", workflow_id, "-o", "jsonl").stdout.splitlines()]
    found = []
    for event in events:
        attrs = event.get("workflowExecutionSignaledEventAttributes")
        if attrs is not None:
            found.append((attrs["signalName"], attrs.get("input", {}).get("payloads", [])))
    return found


# ---------------------------------------------------------------- signal


def test_a_signal_the_workflow_does_not_declare_is_sent_with_a_warning(
    tempo: Tempo, task_queue: str, server_address: str
) -> None:
    wf_id = new_id("undeclared")
    assert tempo("start", "--type", "Waiter", "-t", task_queue, "-w", wf_id).exit_code == 0

    sent = tempo("signal", "-w", wf_id, "--name", "ad", "-i", '"typo"')
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout == ""
    assert sent.stderr.splitlines() == [
        f"warning: workflow {wf_id} has no signal 'ad' (its signals: add, finish); sent it anyway",
        f"Sent signal 'ad' to workflow {wf_id}.",
    ]
    # A declared name gets no warning.
    known = tempo("signal", "-w", wf_id, "--name", "add", "-i", '"pear"')
    assert known.stderr.splitlines() == [f"Sent signal 'add' to workflow {wf_id}."]
    # The real CLI sends an undeclared name too.
    assert real_cli(server_address, "workflow", "signal", "-w", wf_id, "--name", "ad2").returncode == 0

    assert [name for name, _ in signal_names(tempo, wf_id)] == ["ad", "add", "ad2"]
    assert json_out(tempo("query", "-w", wf_id, "--name", "count", "-o", "json"))["result"] == 1
    tempo("terminate", "-w", wf_id)


# ---------------------------------------------------------------- activity fail


def test_activity_fail_on_an_activity_no_worker_started_says_so(
    peer: OfficialPeer, tempo: Tempo, tempo_any: Tempo, server_address: str
) -> None:
    wf_id, activity_id = new_id("unstarted"), new_id("act")
    peer.run(peer.client.start_workflow("ByHandUnpolledActivity", activity_id, id=wf_id, task_queue=peer.task_queue))

    async def pending() -> Any:
        described = await peer.client.get_workflow_handle(wf_id).describe()
        return described.raw_description.pending_activities

    peer.wait_for(pending, "the activity to be scheduled")
    # `describe` lists it as pending...
    described = tempo("describe", "-w", wf_id)
    assert f"nobody_runs_this#{activity_id} (attempt 1)" in described.stdout
    # ...and both servers refuse to fail it (the real CLI as well): no attempt has started.
    refused = real_cli_result(server_address, "activity", "fail", "-w", wf_id, "--activity-id", activity_id)
    assert refused.returncode == 1 and "unable to fail Activity" in refused.stderr

    failed = tempo_any("activity", "fail", "-w", wf_id, "-a", activity_id, "--reason", "card declined")
    assert one_line_error(failed) == (
        f"activity {activity_id!r} of workflow {wf_id!r} is scheduled but not started "
        "(no worker has picked it up), so it cannot be failed yet"
    )
    assert tempo_any("activity", "pause", "-w", wf_id, "-a", activity_id).exit_code == 0
    paused = tempo_any("activity", "fail", "-w", wf_id, "-a", activity_id, "--reason", "card declined")
    assert one_line_error(paused) == (
        f"activity {activity_id!r} of workflow {wf_id!r} is paused, with no attempt running, so it cannot be failed yet"
    )
    # An ID the workflow never scheduled is another matter.
    unknown = tempo_any("activity", "fail", "-w", wf_id, "-a", "no-such-activity", "--reason", "r")
    assert one_line_error(unknown).startswith(f"activity 'no-such-activity' is not pending in workflow {wf_id!r}")
    tempo("terminate", "-w", wf_id)


# ---------------------------------------------------------------- stack


def test_stack_of_a_closed_run_says_why_there_is_none(our_peer: OurSdkPeer, tempo: Tempo, server_address: str) -> None:
    wf_id = new_id("stack-closed")
    done = tempo("execute", "--type", "ByHandGreeting", "-t", our_peer.task_queue, "-w", wf_id, "-i", '"Ada"')
    assert done.exit_code == 0, done.stderr
    # Our SDK's worker answers the closed run's __stack_trace with nothing (the real CLI prints "").
    real = real_cli(server_address, "workflow", "stack", "-w", wf_id)
    assert real.stdout.split() == ["Query", "result:", "QueryResult", '""']

    for output in ("text", "json"):
        result = tempo("stack", "-w", wf_id, "-o", output)
        assert one_line_error(result) == (
            f"workflow {wf_id} is closed (Completed): none of its code is waiting, so it has no stack trace"
        )
        assert result.stdout == ""


def test_stack_of_a_run_no_worker_ever_ran(tempo: Tempo, server_address: str) -> None:
    wf_id = new_id("stack-unrun")
    assert tempo("start", "--type", "Waiter", "-t", new_id("nobody-polls"), "-w", wf_id).exit_code == 0
    assert tempo("terminate", "-w", wf_id).exit_code == 0
    refused = real_cli_result(server_address, "workflow", "stack", "-w", wf_id)
    assert refused.returncode == 1 and "closed before WorkflowTaskStarted" in refused.stderr
    for command in (("stack",), ("query", "--name", "count")):
        assert one_line_error(tempo(*command, "-w", wf_id)) == (
            f"workflow {wf_id} closed before any worker ran it, so there is no code to query"
        )


def test_stack_of_a_closed_run_the_worker_can_replay_is_printed(tempo: Tempo, task_queue: str) -> None:
    # The official Python SDK replays a closed run to answer, as with `temporal workflow stack`.
    wf_id = new_id("stack-replayed")
    assert tempo("execute", "--type", "Greeting", "-t", task_queue, "-w", wf_id, "-i", '"Bo"').exit_code == 0
    result = tempo("stack", "-w", wf_id)
    assert result.exit_code == 0, result.stderr
    assert f"id: {wf_id}" in result.stdout


# ---------------------------------------------------------------- command-line mistakes

_REJECT = "'not_open', 'not_completed_cleanly'"
_OUTPUTS = "'text', 'json', 'jsonl'"
_TIME_FORMATS = "'relative', 'iso', 'raw'"
_START = ("workflow", "start", "--type", "Order", "-t", "orders")

# Values the command itself reads (JSON, durations, policies): exit code 1, like every error.
BAD_VALUES = [
    ((*_START, "-i", "{oops}"), "--input ('{oops}') is not valid JSON: "
     "Expecting property name enclosed in double quotes at line 1 column 2"),
    ((*_START, "--run-timeout", "soon"), "--run-timeout: 'soon' is not a duration (examples: 30s, 5m, 1h30m, 250ms)"),
    ((*_START, "--execution-timeout", "-5s"), "--execution-timeout: '-5s' is not a duration "
     "(examples: 30s, 5m, 1h30m, 250ms)"),
    ((*_START, "--id-conflict-policy", "Never"), "--id-conflict-policy: unknown policy 'Never'; "
     "choose one of Fail, UseExisting, TerminateExisting"),
    (("activity", "complete", "-w", "o", "-a", "1", "--result", "{oops}"),
     "--result is not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    (("activity", "fail", "-w", "o", "-a", "1", "--detail", "{oops}"),
     "--detail is not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
]  # fmt: skip

# A malformed command line, found while parsing it (Typer, Click, Pydantic): exit code 2.
MALFORMED = [
    (("workflow", "start", "-t", "orders"), "missing option --type"),
    (("workflow", "query", "-w", "o", "--name", "n", "--reject-condition", "closed"),
     f"--reject-condition: 'closed' is not one of {_REJECT}"),
    (("workflow", "list", "-o", "yaml"), f"--output: 'yaml' is not one of {_OUTPUTS}"),
    (("workflow", "-o", "yaml", "list"), f"--output: 'yaml' is not one of {_OUTPUTS}"),
    (("workflow", "list", "--color", "sometimes"), "--color: 'sometimes' is not one of 'auto', 'always', 'never'"),
    (("workflow", "list", "--limit", "ten"), "--limit: 'ten' is not a whole number"),
    (("workflow", "list", "--limit", "0"), "--limit: '0' is out of range; it must be at least 1"),
    (("workflow", "list", "--time-format", "unix"), f"--time-format: 'unix' is not one of {_TIME_FORMATS}"),
    (("batch", "list", "--time-format", "unix"), f"--time-format: 'unix' is not one of {_TIME_FORMATS}"),
    (("schedule", "list", "--time-format", "unix"), f"--time-format: 'unix' is not one of {_TIME_FORMATS}"),
    (("task-queue", "describe", "-t", "q", "--time-format", "unix"),
     f"--time-format: 'unix' is not one of {_TIME_FORMATS}"),
    (("workflow", "reset", "-w", "o", "--reason", "r", "--type", "Start"),
     "--type: 'Start' is not one of 'FirstWorkflowTask', 'LastWorkflowTask', 'LastContinuedAsNew'"),
    (("workflow", "reset", "-w", "o", "--reason", "r", "--event-id", "four"),
     "--event-id: 'four' is not a whole number"),
    (("workflow", "reset", "-w", "o", "--reason", "r", "--reapply-exclude", "Timer"),
     "--reapply-exclude: 'Timer' is not one of 'All', 'Signal', 'Update'"),
    (("workflow", "describe"), "missing option --workflow-id"),
    (("workflow", "stack", "-w", "o", "--bogus"), "no such option: --bogus"),
    (("workflow", "stak", "-w", "o"), "no such command 'stak'. Did you mean 'stack', 'start'?"),
    (("activity", "pause", "-w", "o"), "missing option --activity-id"),
    (("server", "start-dev", "--port", "seven"), "--port: 'seven' is not a whole number"),
    (("server", "start-dev", "--log-level", "loud"),
     "--log-level: 'loud' is not one of 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic', 'never'"),
]  # fmt: skip


def _invoke(args: tuple[str, ...]) -> Result:
    # Every mistake is found before connecting: nothing listens at this address.
    address = ["--address", f"127.0.0.1:{free_port()}"] if args[0] != "server" else []
    return CliRunner().invoke(app, [*args, *address], env={"NO_COLOR": "1"})


@pytest.mark.parametrize(("args", "message"), BAD_VALUES, ids=[" ".join(args) for args, _ in BAD_VALUES])
def test_a_bad_value_is_one_clean_line(args: tuple[str, ...], message: str) -> None:
    result = _invoke(args)
    assert one_line_error(result) == message
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "message"), MALFORMED, ids=[" ".join(args) for args, _ in MALFORMED])
def test_a_malformed_command_line_is_one_clean_line(args: tuple[str, ...], message: str) -> None:
    assert one_line_usage_error(_invoke(args)) == message


def test_a_malformed_command_line_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tempo_cli.main", "workflow", "list", "--limit", "ten"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", "error: --limit: 'ten' is not a whole number\n")


def test_a_group_without_arguments_still_shows_its_help() -> None:
    result = CliRunner().invoke(app, ["workflow"])
    assert result.stderr.startswith("Usage: tempo workflow") and "Examples:" in result.stderr
    assert "error:" not in result.stderr


# ---------------------------------------------------------------- describe

_EXECUTION_FIELDS = (
    "WorkflowId", "RunId", "Type", "TaskQueue", "HistoryLength", "HistorySize",
    "ParentWorkflowId", "ParentRunId", "RootWorkflowId", "RootRunId",
)  # fmt: skip


def real_execution_info(text: str) -> dict[str, str]:
    """The fields of the "Execution Info:" section of `temporal workflow describe`."""
    section = text.split("Execution Info:", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(maxsplit=1) for line in section.splitlines() if line.startswith("  ")]
    return {row[0]: row[1] for row in rows if len(row) == 2 and row[0] in _EXECUTION_FIELDS}


def our_fields(text: str) -> dict[str, str]:
    rows = [line.split(maxsplit=1) for line in text.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 2 and row[0] in _EXECUTION_FIELDS}


def test_describe_shows_parent_root_and_history_size_like_the_real_cli(
    peer: OfficialPeer, tempo: Tempo, server_address: str
) -> None:
    parent_id = new_id("parent")
    child_id = f"{parent_id}-child"
    parent = peer.run(peer.client.start_workflow("ByHandParent", child_id, id=parent_id, task_queue=peer.task_queue))

    async def settled() -> bool:
        # The parent waits on its started child: its last workflow task is done, nothing moves.
        events = [event async for event in parent.fetch_history_events()]
        kinds = [event.event_type for event in events]
        return EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED in kinds and (
            kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )

    peer.wait_for(settled, "the child to start and the parent to wait on it")

    parent_run = json_out(tempo("describe", "-w", parent_id, "-o", "json"))["workflowExecutionInfo"]["execution"]
    for wf_id, family in ((child_id, True), (parent_id, False)):
        ours_text = tempo("describe", "-w", wf_id)
        assert ours_text.exit_code == 0, ours_text.stderr
        ours = our_fields(ours_text.stdout)
        theirs = real_execution_info(real_cli(server_address, "workflow", "describe", "-w", wf_id).stdout)
        assert ours == theirs
        assert (ours["RootWorkflowId"], ours["RootRunId"]) == (parent_id, parent_run["runId"])
        assert int(ours["HistorySize"]) > 0
        if family:
            assert (ours["ParentWorkflowId"], ours["ParentRunId"]) == (parent_id, parent_run["runId"])
        else:
            assert "ParentWorkflowId" not in ours and "ParentRunId" not in ours

        ours_json = json_out(tempo("describe", "-w", wf_id, "-o", "json"))["workflowExecutionInfo"]
        theirs_json = json.loads(real_cli(server_address, "workflow", "describe", "-w", wf_id, "-o", "json").stdout)
        for key in ("parentExecution", "rootExecution", "historySizeBytes", "historyLength"):
            assert ours_json.get(key) == theirs_json["workflowExecutionInfo"].get(key), key
    tempo("terminate", "-w", child_id)
    tempo("terminate", "-w", parent_id)
