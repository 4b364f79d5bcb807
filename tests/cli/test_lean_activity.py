"""The lean path of `tempo activity pause|unpause|reset|complete|fail|update-options`
(`tempo_cli._lean_activity`): on twin runs whose activities wait in the same state, `tempo`
(without Typer, the SDK's client, grpc or Rich) answers exactly what the Typer app answers and
leaves the activity as the app does; it makes the app's very requests; a refused write (an
unknown workflow or activity, an activity already paused or no attempt running) ends with the
app's one-line error; what it does not take gets the app's answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.answers import group_programs
from tests.cli.lean_activity_runs import (
    LEAN,
    ActivityPeer,
    Answer,
    activity_calls,
    apps,
    given_way,
    lean,
    same_run,
    users,
)
from tests.cli.startup_checks import env, reporting_argv
from tests.cli.terminal import run_in_terminal
from tests.devserver import scenarios

PAUSED, SCHEDULED = 4, 1  # PendingActivityState


@pytest.fixture
def peer(server_address: str) -> Iterator[ActivityPeer]:
    peer = ActivityPeer(server_address)
    try:
        yield peer
    finally:
        peer.close()


def _twins(args: list[str], runs: dict[str, str], activity: Any, on: list[str], environment: dict[str, str]) -> Answer:
    """ARGS on the lean twin by `tempo` (which must answer on the lean path) and on the app's
    twin by the app (``activity(workflow_id)``: the activity id there): the same answer, with
    each run's id read as W; returns it."""
    answers = {}
    for who, answer in (("lean", lean), ("app", apps)):
        workflow_id = runs[who]
        line = [*args, "-w", workflow_id, "-a", activity(workflow_id), *on]
        answers[who] = same_run(answer(line, environment), workflow_id)
    assert answers["lean"] == answers["app"], args
    return answers["lean"]


def test_pause_update_reset_and_unpause_answer_and_act_as_the_app(
    peer: ActivityPeer, server_address: str, tmp_path: Path
) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    runs = {"lean": peer.heartbeating(), "app": peer.heartbeating()}

    def own(workflow_id: str) -> str:
        return workflow_id  # each run's activity has the run's id

    paused = _twins(["pause", "--reason", "card service down"], runs, own, on, environment)
    assert paused == (0, "", "Paused activity W of workflow W.\n")
    for workflow_id in runs.values():
        info = peer.pending(workflow_id, workflow_id)
        assert info.paused and info.pause_info.manual.reason == "card service down"
        peer.wait_for(lambda w=workflow_id: peer.state(w, w) == PAUSED, "the next attempt to wait, paused")

    again = _twins(["pause"], runs, own, on, environment)
    assert again == (1, "", "error: activity 'W' of workflow 'W' is already paused\n")

    options = ["--heartbeat-timeout", "9s", "--retry-maximum-attempts", "7", "--retry-initial-interval", "1.5s"]
    updated = _twins(["update-options", *options], runs, own, on, environment)
    assert updated[0] == 0 and updated[2] == "Updated the options of activity W of workflow W.\n"
    assert "HeartbeatTimeout         9s\n" in updated[1] and "RetryMaximumAttempts     7\n" in updated[1]
    for workflow_id in runs.values():
        changed = peer.pending(workflow_id, workflow_id).activity_options
        assert changed.heartbeat_timeout.seconds == 9 and changed.retry_policy.maximum_attempts == 7

    as_json = _twins(["update-options", "--retry-maximum-interval", "30s", "-o", "json"], runs, own, on, environment)
    assert as_json[0] == 0 and as_json[2] == ""
    assert json.loads(as_json[1])["activityOptions"]["retryPolicy"]["maximumInterval"] == "30s"

    reset = _twins(["reset", "--keep-paused", "-o", "json"], runs, own, on, environment)
    assert reset[0] == 0 and json.loads(reset[1]) == {"workflowId": "W", "activityId": "W", "reset": True}
    assert all(peer.pending(workflow_id, workflow_id).paused for workflow_id in runs.values())

    unpaused = _twins(["unpause", "-o", "jsonl"], runs, own, on, environment)
    assert unpaused == (0, '{"workflowId":"W","activityId":"W","paused":false}\n', "")
    results = {who: peer.result(workflow_id) for who, workflow_id in runs.items()}
    assert results["lean"] == results["app"] and results["lean"].endswith("finished"), results

    closed = _twins(["unpause"], runs, own, on, environment)
    assert closed == (1, "", "error: workflow 'W' is already closed\n")


def test_fail_and_complete_answer_and_act_as_the_app(peer: ActivityPeer, server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    runs = {"lean": peer.completed_elsewhere(), "app": peer.completed_elsewhere()}
    detail = ["--reason", "card declined", "--detail", '{"code": 51}']
    failed = _twins(["fail", *detail], runs, lambda _: "1", on, environment)
    assert failed == (0, "", "Failed activity 1 of workflow W.\n")
    for workflow_id in runs.values():  # the workflow goes on with activity 2
        peer.wait_for(lambda w=workflow_id: (w, "2") in scenarios.ASYNC_TOKENS, "activity 2 to start")
    completed = _twins(["complete", "--result", '"paid"', "-o", "json"], runs, lambda _: "2", on, environment)
    assert completed == (0, '{\n  "workflowId": "W",\n  "activityId": "2",\n  "result": "paid"\n}\n', "")
    results = {who: peer.result(workflow_id) for who, workflow_id in runs.items()}
    assert results["lean"] == results["app"] == ["failed: card declined", "paid"], results


_COMMANDS = [
    ["pause"],
    ["unpause"],
    ["reset"],
    ["update-options", "--heartbeat-timeout", "30s"],
    ["complete", "--result", '"1"'],
    ["fail", "--reason", "no"],
]


def test_unknown_workflows_and_activities_get_the_apps_error(
    peer: ActivityPeer, server_address: str, tmp_path: Path
) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    running = peer.heartbeating()
    for command in _COMMANDS:
        for workflow_id, activity_id, error in [
            ("lean-nobody", "1", "workflow 'lean-nobody' not found in namespace 'default'"),
            (running, "nope", f"activity 'nope' is not pending in workflow {running!r} ("),
        ]:
            line = [*command, "-w", workflow_id, "-a", activity_id, *on]
            answered = lean(line, environment)
            assert answered == apps(line, environment), line
            code, out, err = answered
            assert (code, out) == (1, "") and err.startswith(f"error: {error}") and err.count("\n") == 1, answered
    peer.run(peer.client.get_workflow_handle(running).terminate())


def test_an_activity_no_worker_started_gets_the_apps_error(
    peer: ActivityPeer, server_address: str, tmp_path: Path
) -> None:
    """The server's NOT_FOUND says no attempt runs: like the app, the lean path asks describe why."""
    environment, on = env(tmp_path), ["--address", server_address]
    runs = {"lean": peer.unpolled(), "app": peer.unpolled()}
    refused = _twins(["fail", "--reason", "no"], runs, lambda workflow_id: workflow_id, on, environment)
    wanted = "is scheduled but not started (no worker has picked it up), so it cannot be failed yet\n"
    assert refused == (1, "", f"error: activity 'W' of workflow 'W' {wanted}")
    assert all(peer.state(workflow_id, workflow_id) == SCHEDULED for workflow_id in runs.values())


def test_an_activity_no_worker_started_is_completed_by_hand(
    peer: ActivityPeer, server_address: str, tmp_path: Path
) -> None:
    """Unlike `fail`, `complete` needs no started attempt, on both servers (as `temporal activity
    complete`): the workflow gets the result; completing it again finds the workflow closed."""
    environment, on = env(tmp_path), ["--address", server_address]
    runs = {"lean": peer.unpolled(), "app": peer.unpolled()}
    completed = _twins(["complete", "--result", '"by hand"'], runs, lambda workflow_id: workflow_id, on, environment)
    assert completed == (0, "", "Completed activity W of workflow W.\n")
    assert [peer.result(workflow_id) for workflow_id in runs.values()] == ["by hand", "by hand"]
    again = _twins(["complete", "--result", '"twice"'], runs, lambda workflow_id: workflow_id, on, environment)
    assert again == (1, "", "error: workflow 'W' is already closed\n")


_REQUESTS = [
    ["pause", "--reason", "why not", "--identity", "someone"],
    ["pause", "-r", "00000000-0000-4000-8000-000000000000"],
    ["unpause", "--reset-attempts", "--reset-heartbeats", "--jitter", "1m30s"],
    ["unpause", "--identity", ""],
    ["reset", "--keep-paused", "--clear-heartbeat-details", "--restore-original-options", "--jitter", "250ms"],
    ["reset", "--jitter", "0s"],
    ["complete", "--result", '{"a": [1, 2.50]}', "--identity", "me"],
    ["fail", "--reason", "declined", "--detail", "[1]"],
    ["fail"],
    [
        "update-options",
        *("--schedule-to-close-timeout", "1h", "--schedule-to-start-timeout", "90", "--start-to-close-timeout", "1.5s"),
        *("--heartbeat-timeout", "30s", "--retry-initial-interval", "2s", "--retry-maximum-interval", "1m"),
        *("--retry-backoff-coefficient", "1.5", "--retry-maximum-attempts", "5", "--task-queue", "elsewhere"),
    ],
    ["update-options", "--restore-original-options"],
]


def _without_call_ids(request: Any) -> Any:
    """The request without what differs call by call: its request id (a version-4 UUID as
    text) and its default identity's pid (pid@host), each checked for its form."""
    copy = type(request)()
    copy.CopyFrom(request)
    if copy.DESCRIPTOR.fields_by_name.get("request_id") and copy.request_id:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", copy.request_id)
        copy.request_id = ""
    if copy.DESCRIPTOR.fields_by_name.get("identity") and re.fullmatch(r"\d+@.+", copy.identity):
        copy.identity = copy.identity.split("@", 1)[1]
    return copy


@pytest.mark.parametrize("args", _REQUESTS, ids=lambda args: " ".join(args[:2]))
def test_the_lean_requests_are_the_apps(
    args: list[str], peer: ActivityPeer, server_address: str, tmp_path: Path
) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    running = peer.heartbeating()
    line = [*args, "-w", running, "-a", "nope", *on]  # refused, so each asks the same of the same state
    leans = activity_calls("tempo", line, environment, tmp_path / "tempo.json")
    apps_ = activity_calls("app", line, environment, tmp_path / "app.json")
    assert [call[0] for call in leans] == [call[0] for call in apps_], args
    assert leans[0][0] == "GetSystemInfo" and len(leans) >= 2
    for (_, ours, our_headers), (_, theirs, their_headers) in zip(leans, apps_, strict=True):
        assert our_headers == their_headers
        assert _without_call_ids(ours) == _without_call_ids(theirs), args
    peer.run(peer.client.get_workflow_handle(running).terminate())


def test_a_refusal_asks_describe_as_the_app(peer: ActivityPeer, server_address: str, tmp_path: Path) -> None:
    """No attempt runs: both ask describe of the run the request named, with the same request."""
    environment, on = env(tmp_path), ["--address", server_address]
    unpolled = peer.unpolled()
    described = peer.run(peer.client.get_workflow_handle(unpolled).describe())
    line = ["fail", "-w", unpolled, "-a", unpolled, "-r", described.run_id, *on]
    leans = activity_calls("tempo", line, environment, tmp_path / "tempo.json")
    apps_ = activity_calls("app", line, environment, tmp_path / "app.json")
    methods = ["GetSystemInfo", "RespondActivityTaskFailedById", "DescribeWorkflowExecution"]
    assert [call[0] for call in leans] == [call[0] for call in apps_] == methods
    for (_, ours, our_headers), (_, theirs, their_headers) in zip(leans, apps_, strict=True):
        assert our_headers == their_headers
        assert _without_call_ids(ours) == _without_call_ids(theirs)
    assert leans[2][1].execution.run_id == described.run_id
    peer.run(peer.client.get_workflow_handle(unpolled).terminate())


@pytest.mark.parametrize(
    "args",
    [
        ["complete", "-w", "x", "-a", "1", "--result", "{oops"],  # the app's message names the flag
        ["fail", "-w", "x", "-a", "1", "--detail", "nope"],
        ["unpause", "-w", "x", "-a", "1", "--jitter", "soon"],
        ["unpause", "-q", "WorkflowType='x'", "-a", "1"],  # the batch form
        ["reset", "-w", "x", "-a", "1", "--reason", "why"],  # a batch job's reason
        ["reset", "-w", "x", "-a", "1", "--headers", "key=1"],
        ["update-options", "-w", "x", "-a", "1"],  # nothing to change
        ["update-options", "-w", "x", "-a", "1", "--retry-backoff-coefficient", "0.5"],
        ["update-options", "-w", "x", "-a", "1", "--retry-maximum-attempts", "-1"],
        ["update-options", "-w", "x", "-a", "1", "--heartbeat-timeout", "-5s"],
        ["pause", "-w", "x", "-a", "1", "--color", "always"],  # Rich prints the message
        ["pause", "-w", "x"],  # no activity: Typer's message
        ["pause", "-w", "x", "-a", "1", "-o", "yaml"],
    ],
)
def test_what_it_does_not_take_gets_the_apps_answer(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    assert users([*args, *on], environment) == apps([*args, *on], environment), args
    assert given_way([*args, *on], environment), args


def _terminal_modules(argv: list[str], environment: dict[str, str], columns: int) -> list[str]:
    """What `tempo activity ARGV` on a terminal loaded."""
    _, shown = run_in_terminal(reporting_argv(["activity", *argv]), environment, columns)
    modules: list[str] = json.loads(shown.decode().strip().splitlines()[-1])["modules"]
    return modules


def test_a_terminal_shows_what_the_app_shows(peer: ActivityPeer, server_address: str, tmp_path: Path) -> None:
    """The message, the options' table and the error (in Rich's bold red) as the app draws
    them; a message Rich would wrap is the app's to draw."""
    environment, on = {**env(tmp_path), "TERM": "xterm-256color"}, ["--address", server_address]
    tempo, app = group_programs("activity")
    runs = {"lean": peer.heartbeating(), "app": peer.heartbeating(), "third": peer.heartbeating()}
    for args, columns, lean_path, code in [
        (["pause"], 100, True, 0),
        (["update-options", "--heartbeat-timeout", "9s"], 100, True, 0),
        (["pause"], 100, True, 1),  # already paused: the error, in bold red
        (["reset"], 16, False, 0),  # Rich wraps the message
    ]:
        shown = {}
        for who, program in (("lean", tempo), ("app", app)):
            workflow_id = runs[who]
            argv = [*program, *args, "-w", workflow_id, "-a", workflow_id, *on]
            exit_code, drawn = run_in_terminal(argv, environment, columns)
            # Rich may wrap an id: the ids are of one length, so the lines are too.
            lines = drawn.split(b"\r\n")
            shown[who] = exit_code, [len(part) for part in lines], b"".join(lines).replace(workflow_id.encode(), b"W")
        assert shown["lean"] == shown["app"] and shown["lean"][0] == code, (args, shown)
        third = runs["third"]  # the same steps, to see what a terminal's run loads
        modules = _terminal_modules([*args, "-w", third, "-a", third, *on], environment, columns)
        assert (LEAN in modules and "typer" not in modules) == lean_path, (args, columns)
        if code:
            assert b"\x1b[1;31merror: activity 'W' of workflow 'W' is already paused" in shown["lean"][2]
