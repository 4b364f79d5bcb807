"""The lean paths' errors (`tempo_cli._lean_errors`): a call the server refuses for good (an
unknown workflow, schedule or namespace, a malformed --query, a workflow already started or
already closed, a run no worker ran) ends the command at once with the Typer app's very
answer (stdout, stderr, exit code), without the SDK's client, grpc, Rich or `_cli`, on both
servers; a server that does not answer still gives way. `workflow describe --raw` answers on
the lean path as the app does. The words themselves are checked against the app's own
functions for every status and detail a server may send."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import status_pb2
from temporalio.api.errordetails.v1 import (
    MultiOperationExecutionFailure,
    NamespaceNotFoundFailure,
    PermissionDeniedFailure,
    QueryFailedFailure,
    WorkflowExecutionAlreadyStartedFailure,
)
from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeScheduleRequest

from sdk._client_rpc import map_error
from sdk._h2_channel import CallFailed
from tempo_cli import _commands, _lean_errors, _operator_commands, _schedule_commands, _task_queue_commands
from tempo_cli._cli import UsageError
from tempo_cli._errors import describe_error
from tests.cli.answers import TEMPO, group_programs, run, settled_answers
from tests.cli.lean_answers import NOT_LEAN, through_the_sdk_client
from tests.cli.startup_checks import env, reporting_argv, run_reporting_messages
from tests.cli.terminal import run_in_terminal

_ADDRESS = "127.0.0.1:7233"
_NAMESPACE = "orders"

# ---------------------------------------------------------------- the words, next to the app's functions


def _status_trailer(code: int, message: str, *details: Message | any_pb2.Any) -> tuple[str, bytes]:
    status = status_pb2.Status(code=code, message=message)
    for detail in details:
        packed = detail if isinstance(detail, any_pb2.Any) else any_pb2.Any()
        if not isinstance(detail, any_pb2.Any):
            packed.Pack(detail)
        status.details.append(packed)
    return ("grpc-status-details-bin", status.SerializeToString())


_STATUSES = (2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 16, 99)
_MESSAGES = (
    "",
    "workflow not found for ID: w-1",
    "workflow execution already completed",
    "Namespace orders is not found.",
    "invalid query: unexpected end of input",
    "closed before WorkflowTaskStarted",
)
_DETAILS: dict[str, Callable[[int, str], list[tuple[str, str | bytes]]]] = {
    "none": lambda code, message: [],
    "namespace": lambda code, message: [_status_trailer(code, message, NamespaceNotFoundFailure(namespace="orders"))],
    "started": lambda code, message: [
        _status_trailer(code, message, WorkflowExecutionAlreadyStartedFailure(start_request_id="q", run_id="r-1"))
    ],
    "query": lambda code, message: [_status_trailer(code, message, QueryFailedFailure())],
    "other": lambda code, message: [_status_trailer(code, message, PermissionDeniedFailure(reason="no"))],
    "second": lambda code, message: [
        _status_trailer(code, message, PermissionDeniedFailure(), NamespaceNotFoundFailure(namespace="orders"))
    ],
    "multi": lambda code, message: [_status_trailer(code, message, MultiOperationExecutionFailure())],
    "empty": lambda code, message: [_status_trailer(code, message)],
    "garbled": lambda code, message: [("grpc-status-details-bin", b"\xff\xff\xff")],
    "text": lambda code, message: [("grpc-status-details-bin", "not bytes")],
    "unpacks badly": lambda code, message: [
        _status_trailer(
            code,
            message,
            any_pb2.Any(
                type_url="type.googleapis.com/" + WorkflowExecutionAlreadyStartedFailure.DESCRIPTOR.full_name,
                value=b"\xff",
            ),
        )
    ],
    "later trailer": lambda code, message: [
        ("other-bin", b"x"),
        _status_trailer(code, message, NamespaceNotFoundFailure(namespace="orders")),
    ],
}


def _failures() -> list[tuple[CallFailed, str, str]]:
    """A failed call of every status, message and detail kind, for a workflow and for none."""
    return [
        (CallFailed(code, message, _DETAILS[detail](code, message)), workflow_id, detail)
        for code, message, detail, workflow_id in itertools.product(_STATUSES, _MESSAGES, _DETAILS, ("", "w-1"))
    ]


def _apps_words(call: Callable[[], Awaitable[Any]]) -> str | None:
    """How the app ends when ``call`` fails: its UsageError, or `describe_error` of the SDK's error."""
    try:
        asyncio.run(call())
    except UsageError as err:
        return str(err)
    except Exception as err:
        return describe_error(err, _NAMESPACE)
    raise AssertionError("the call did not fail")


def _client(failed: CallFailed, workflow_id: str) -> Any:
    """A client whose every call fails with ``failed`` (for `tempo_cli._raw_calls.call` and a
    workflow handle's query)."""

    async def query(*args: Any, **kwargs: Any) -> Any:
        raise map_error(failed, _ADDRESS, workflow_id)

    return SimpleNamespace(
        _conn=SimpleNamespace(failure=CallFailed),
        data_converter=SimpleNamespace(payload_codec=None),
        address=_ADDRESS,
        get_workflow_handle=lambda *args, **kwargs: SimpleNamespace(query=query),
    )


def _failing(failed: CallFailed) -> Callable[..., Awaitable[Any]]:
    async def method(request: Message, **kwargs: Any) -> Any:
        raise failed

    return method


def test_the_words_are_the_apps_for_any_failure() -> None:
    gave_way = set()
    for failed, workflow_id, detail in _failures():
        refused = _lean_errors.refusal(failed, workflow_id, _NAMESPACE)
        try:
            mapped = map_error(failed, _ADDRESS, workflow_id)
        except Exception:  # a detail that does not unpack: the app fails with it
            assert refused is None, detail
            continue
        if refused is None:
            gave_way.add((failed.status, detail))
            continue
        assert _lean_errors.app_words(refused) == describe_error(mapped, _NAMESPACE), (failed.status, detail)
        assert (refused.kind, refused.message) == (type(mapped).__name__, str(mapped))
        if refused.rpc:
            assert refused.code == mapped.status_code.name
    # Only an unreachable server, a status grpc does not name and a multi-operation's failure.
    assert {status for status, detail in gave_way if detail != "multi"} == {14, 99}


_FILTER = "ExecutionStatus = 'Running' AND"


def _apps_answers(failed: CallFailed, workflow_id: str) -> dict[str, str | None]:
    """How each of the app's commands words ``failed``, by the app's own functions."""
    client, method = _client(failed, workflow_id), _failing(failed)
    request = DescribeScheduleRequest(namespace=_NAMESPACE, schedule_id="s")

    async def listed() -> None:
        async with _commands._refused_query(_FILTER):
            raise map_error(failed, _ADDRESS)  # the client's list calls name no workflow

    return {
        "schedule": _apps_words(lambda: _schedule_commands._call(client, method, request)),
        "operator": _apps_words(lambda: _operator_commands._call(client, method, request, "describe namespace x")),
        "task queue": _apps_words(lambda: _task_queue_commands._call(client, method, request, "list task queues")),
        "list": _apps_words(listed),
        "query": _apps_words(lambda: _commands._query(client, workflow_id, None, "q", [], None)),
    }


def test_each_commands_words_are_its_apps() -> None:
    for failed, workflow_id, detail in _failures():
        # The lean session names the workflow of the `tempo workflow` commands' calls only.
        refused, unnamed = (_lean_errors.refusal(failed, named, _NAMESPACE) for named in (workflow_id, ""))
        if refused is None or unnamed is None:
            assert refused is unnamed is None
            continue
        words = {
            "schedule": _lean_errors.schedule_words(unnamed),
            "operator": _lean_errors.unable("describe namespace x")(unnamed),
            "task queue": _lean_errors.unable("list task queues", ("NOT_FOUND", "INVALID_ARGUMENT"))(unnamed),
            "list": _lean_errors.refused_query(_FILTER)(unnamed),
            "query": _lean_errors.query_words(workflow_id)(refused),
        }
        apps = _apps_answers(failed, workflow_id)
        if refused.kind == _lean_errors.QUERY_FAILED:
            assert words.pop("query") is None  # the app asks the workflow for its handlers: the fast path's
            apps.pop("query")
        assert words == apps, (failed.status, failed.message, detail)


# ---------------------------------------------------------------- the answers, next to the app's

_LEAN_MODULES = {
    "workflow": "tempo_cli._lean_commands",
    "operator": "tempo_cli._lean_reads",
    "task-queue": "tempo_cli._lean_reads",
    "batch": "tempo_cli._lean_reads",
}


def _lean_module(group: str, args: list[str]) -> str:
    if group == "schedule":
        return "tempo_cli._lean_reads" if args[0] in ("list", "describe") else "tempo_cli._lean_schedule_writes"
    return _LEAN_MODULES[group]


def refused_as_the_app(group: str, args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    """`tempo GROUP ARGS` as users run it, the Typer app's answer and the lean path's, which
    must be the same and an error; the lean run loaded none of NOT_LEAN. Returns the answer."""
    tempo, app = group_programs(group)
    users, apps = settled_answers(tempo, app, args, environment)
    assert users == apps, (args, users, apps)
    out, messages, code, modules = run_reporting_messages([group, *args], environment)
    assert _lean_module(group, args) in modules, args
    loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    assert not loaded, (args, loaded)
    assert (code, out, "".join(line + "\n" for line in messages)) == users, args
    assert users[0] == 1 and users[2].startswith("error: ") and users[2].count("\n") == 1, users
    return users


@pytest.mark.parametrize(
    "args",
    [
        ["describe"],
        ["describe", "-o", "json"],
        ["describe", "--raw"],
        ["describe", "--raw", "-o", "jsonl"],
        ["show"],
        ["show", "-o", "jsonl"],
        ["result"],
        ["signal", "--name", "add", "-i", '"tea"'],
        ["query", "--type", "count"],
        ["terminate"],
        ["cancel", "--reason", "no tea"],
    ],
)
def test_an_unknown_workflow_gets_the_apps_error(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    workflow_id = f"lean-nobody-{uuid.uuid4().hex[:8]}"
    _, out, err = refused_as_the_app("workflow", [*args, "-w", workflow_id, "--address", server_address], environment)
    assert (out, err) == ("", f"error: workflow {workflow_id!r} not found in namespace 'default'\n")


@pytest.mark.parametrize("args", [["describe"], ["show"], ["signal", "--name", "add"], ["terminate"]])
def test_an_unknown_run_of_a_known_workflow_is_named(args: list[str], server_address: str, tmp_path: Path) -> None:
    # The workflow exists; only the run the command names does not: the error says which run.
    environment, on = env(tmp_path), ["--address", server_address]
    workflow_id = f"lean-runless-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    missing = str(uuid.uuid4())
    _, out, err = refused_as_the_app("workflow", [*args, *on, "-w", workflow_id, "-r", missing], environment)
    assert (out, err) == ("", f"error: run {missing} of workflow {workflow_id!r} not found in namespace 'default'\n")
    assert run(TEMPO, ["terminate", *on, "-w", workflow_id], environment)[0] == 0


@pytest.mark.parametrize(
    ("group", "args"),
    [
        ("workflow", ["describe", "-w", "w"]),
        ("workflow", ["list"]),
        ("workflow", ["count", "-o", "json"]),
        ("workflow", ["terminate", "-w", "w"]),
        ("workflow", ["start", "--type", "T", "-t", "q", "-w", "w"]),
        ("schedule", ["list"]),
        ("schedule", ["describe", "-s", "s"]),
        ("schedule", ["trigger", "-s", "s"]),
        ("operator", ["namespace", "describe"]),
        ("operator", ["search-attribute", "list"]),
        ("task-queue", ["describe", "-t", "q"]),
        ("task-queue", ["list-partition", "-t", "q"]),
        ("batch", ["list"]),
    ],
)
def test_an_unknown_namespace_gets_the_apps_error(
    group: str, args: list[str], server_address: str, tmp_path: Path
) -> None:
    namespace = f"lean-nowhere-{uuid.uuid4().hex[:8]}"
    refused_as_the_app(group, [*args, "-n", namespace, "--address", server_address], env(tmp_path))


@pytest.mark.parametrize(
    "args",
    [["describe"], ["trigger"], ["trigger", "--overlap-policy", "AllowAll"], ["toggle", "--pause"], ["delete"]],
)
def test_an_unknown_schedule_gets_the_apps_error_at_once(args: list[str], server_address: str, tmp_path: Path) -> None:
    line = [*args, "-s", f"lean-nobody-{uuid.uuid4().hex[:8]}", "--address", server_address]
    assert refused_as_the_app("schedule", line, env(tmp_path)) == (1, "", "error: schedule not found\n")


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--query", "ExecutionStatus = 'Running' AND"],
        ["list", "-q", "bad(", "-o", "json"],
        ["list", "-q", "bad(", "-o", "jsonl", "--limit", "3"],
        ["list", "-q", "NoSuchField = 1", "-o", "json"],
        ["count", "--query", "NoSuchField = 1"],
        ["count", "-q", "bad(", "-o", "jsonl"],
    ],
)
def test_a_filter_the_server_refuses_gets_the_apps_error(args: list[str], server_address: str, tmp_path: Path) -> None:
    # The servers word the refusal each in its own way: the app's error carries their words.
    _, _, err = refused_as_the_app("workflow", [*args, "--address", server_address], env(tmp_path))
    assert err.startswith(f"error: the server refused --query {args[2]!r}: "), err


def test_a_started_or_closed_workflow_gets_the_apps_error(server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    running, closed = (f"lean-refused-{which}-{uuid.uuid4().hex[:8]}" for which in ("running", "closed"))
    for workflow_id in (running, closed):  # on queues nobody polls: no worker ever runs them
        start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
        assert run(TEMPO, start, environment)[0] == 0
    assert run(TEMPO, ["terminate", *on, "-w", closed], environment)[0] == 0
    described = run(TEMPO, ["describe", *on, "-w", running], environment)[1]
    run_id = dict(line.split(None, 1) for line in described.splitlines())["RunId"]
    # ALREADY_EXISTS, with the running run's id in its detail.
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{running}", "-w", running, "-i", '"again"']
    assert refused_as_the_app("workflow", start, environment)[2] == (
        f"error: workflow {running!r} is already running (run {run_id}); "
        "use --id-conflict-policy UseExisting to attach to it\n"
    )
    # NOT_FOUND "workflow execution already completed": a write to a closed run.
    for args in (["terminate"], ["terminate", "--reason", "again"], ["signal", "--name", "add"]):
        _, _, err = refused_as_the_app("workflow", [*args, *on, "-w", closed], environment)
        assert err == f"error: workflow {closed!r} is already closed\n"
    # FAILED_PRECONDITION: a query of a run that closed before any worker ran it.
    _, _, err = refused_as_the_app("workflow", ["query", *on, "-w", closed, "--type", "count"], environment)
    assert err == f"error: workflow {closed} closed before any worker ran it, so there is no code to query\n"
    assert run(TEMPO, ["terminate", *on, "-w", running], environment)[0] == 0


def test_a_server_that_does_not_answer_still_gives_way(tmp_path: Path) -> None:
    environment = env(tmp_path)
    for group, args in (
        ("workflow", ["describe", "-w", "w"]),
        ("workflow", ["describe", "-w", "w", "--raw"]),
        ("workflow", ["terminate", "-w", "w"]),
        ("schedule", ["describe", "-s", "s"]),
    ):
        line = [*args, "--address", "127.0.0.1:1"]
        tempo, app = group_programs(group)
        users, apps = settled_answers(tempo, app, line, environment)
        assert users == apps and users[0] == 1 and "cannot reach a server at 127.0.0.1:1" in users[2], users
        assert through_the_sdk_client(group, line, environment)[0] == 1


# Runs `tempo ARGV` (through tempo_cli.entry) with the first call of METHOD failing with
# STATUS, the blocking transport's calls (path, message) recorded in the file named last,
# with the exit code and the modules loaded.
_FAILING_ONCE = """
import json, sys
from sdk import _h2_channel
calls = []
unary = _h2_channel.H2Channel.unary
method, status, argv, log = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
def failing_once(self, path, message, metadata, timeout):
    calls.append([path, bytes(message).hex()])
    if path.endswith("/" + method) and sum(call[0] == path for call in calls) == 1:
        raise _h2_channel.CallFailed(status, "injected")
    return unary(self, path, message, metadata, timeout)
_h2_channel.H2Channel.unary = failing_once
sys.argv = ["tempo", *argv]
code = 0
try:
    from tempo_cli.entry import main
    main()
except SystemExit as exit:
    code = exit.code or 0
finally:
    with open(log, "w") as file:
        json.dump({"calls": calls, "code": code, "modules": sorted(sys.modules)}, file)
"""


def _failing_once(
    method: str, status: int, argv: list[str], environment: dict[str, str], log: Path
) -> tuple[dict[str, Any], str]:
    """`tempo ARGV` whose first call of ``method`` fails with ``status``: what it recorded, and its stderr."""
    command = [sys.executable, "-c", _FAILING_ONCE, method, str(status), json.dumps(argv), str(log)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60, check=False)
    report: dict[str, Any] = json.loads(log.read_text())
    return report, done.stderr


@pytest.mark.parametrize("status", [14, 8])  # UNAVAILABLE, RESOURCE_EXHAUSTED
def test_a_transient_failure_still_goes_again(status: int, server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    # A write: the very same request again, through the SDK's connection; made once.
    workflow_id = f"lean-transient-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    argv = ["workflow", "terminate", "-w", workflow_id, *on]
    report, err = _failing_once("TerminateWorkflowExecution", status, argv, environment, tmp_path / "terminate.json")
    assert (report["code"], err) == (0, f"Terminated workflow {workflow_id}.\n"), err
    sent = [message for path, message in report["calls"] if path.endswith("/TerminateWorkflowExecution")]
    assert len(sent) == 2 and sent[0] == sent[1], sent
    shown = run(TEMPO, ["show", *on, "-w", workflow_id], environment)[1]
    assert shown.count("WorkflowExecutionTerminated") == 1, shown
    # A schedule's write, by the app's own call.
    _, app = group_programs("schedule")
    schedule_id = f"lean-transient-{uuid.uuid4().hex[:8]}"
    create = ["create", "-s", schedule_id, "--interval", "1h", "--type", "T", "-t", schedule_id, "-w", schedule_id]
    create += ["--paused", *on]
    assert run(app, create, environment)[0] == 0
    argv = ["schedule", "trigger", "-s", schedule_id, *on]
    report, err = _failing_once("PatchSchedule", status, argv, environment, tmp_path / "trigger.json")
    assert (report["code"], err) == (0, "Trigger request sent\n"), err
    sent = [message for path, message in report["calls"] if path.endswith("/PatchSchedule")]
    assert len(sent) == 2 and sent[0] == sent[1], sent
    # A read gives way: the fast path asks again, through the SDK's client.
    argv = ["workflow", "describe", "-w", f"missing-{workflow_id}", *on]
    report, err = _failing_once("DescribeWorkflowExecution", status, argv, environment, tmp_path / "describe.json")
    assert (report["code"], err) == (1, f"error: workflow 'missing-{workflow_id}' not found in namespace 'default'\n")
    assert "sdk.client" in report["modules"]


# ---------------------------------------------------------------- describe --raw


@pytest.mark.parametrize("output", [[], ["-o", "text"], ["-o", "json"], ["-o", "jsonl"], ["--color", "never"]])
def test_describe_raw_prints_what_the_app_prints(output: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    running, closed = (f"lean-raw-{which}-{uuid.uuid4().hex[:8]}" for which in ("running", "closed"))
    for workflow_id in (running, closed):
        start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id, "-i", '"tea"']
        assert run(TEMPO, [*start, "--memo", 'kind="raw"'], environment)[0] == 0
    assert run(TEMPO, ["terminate", *on, "-w", closed], environment)[0] == 0
    tempo, app = group_programs("workflow")
    for workflow_id in (running, closed):
        args = ["describe", "--raw", "-w", workflow_id, *on, *output]
        users, apps = settled_answers(tempo, app, args, environment)
        assert users == apps and users[0] == 0 and users[2] == "", (users, apps)
        out, messages, code, modules = run_reporting_messages(["workflow", *args], environment)
        assert (code, out, messages) == (0, users[1], []) and "tempo_cli._lean_json" in modules
        loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
        assert not loaded, (args, loaded)
        document = json.loads(out)
        assert document["workflowExecutionInfo"]["execution"]["workflowId"] == workflow_id
        memo = document["workflowExecutionInfo"]["memo"]["fields"]["kind"]
        # Protobuf's JSON (the payload as is, its data in base64), or for jsonl the app's shorthand.
        assert memo == "raw" if output == ["-o", "jsonl"] else memo["data"] == "InJhdyI=", memo
        assert (out.count("\n") == 1) == (output == ["-o", "jsonl"])


def test_describe_raw_and_an_unknown_workflow_on_a_terminal_as_the_app(server_address: str, tmp_path: Path) -> None:
    environment, on = {**env(tmp_path), "TERM": "xterm-256color"}, ["--address", server_address]
    workflow_id = f"lean-raw-drawn-{uuid.uuid4().hex[:8]}"
    start = ["start", *on, "--type", "Waiter", "-t", f"nobody-{workflow_id}", "-w", workflow_id]
    assert run(TEMPO, start, environment)[0] == 0
    tempo, app = group_programs("workflow")
    for args, code in (
        (["describe", "--raw", "-w", workflow_id], 0),
        (["describe", "-w", f"missing-{workflow_id}"], 1),  # in bold red, by Rich: as the app
        (["describe", "--raw", "-w", f"missing-{workflow_id}", "--color", "never"], 1),
    ):
        users = run_in_terminal([*tempo, *args, *on], environment)
        apps = run_in_terminal([*app, *args, *on], environment)
        assert users == apps and users[0] == code, (args, users, apps)
    _, shown = run_in_terminal(reporting_argv(["workflow", "describe", "--raw", "-w", workflow_id, *on]), environment)
    modules = json.loads(shown.decode().strip().splitlines()[-1])["modules"]
    assert "tempo_cli._lean_json" in modules
    assert not [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    run(TEMPO, ["terminate", *on, "-w", workflow_id], environment)
