"""The lean path of `tempo schedule trigger`, `toggle` and `delete`
(`tempo_cli._lean_schedule_writes`): printing to a pipe or a terminal they make the app's very request
without the SDK's client, answer exactly what the Typer app answers and leave the schedule as
the app would; a write the server refuses (an unknown schedule) is made once and ends with the
app's error; what it does not take gets the app's answer."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.answers import group_programs, run
from tests.cli.lean_answers import NOT_LEAN
from tests.cli.recorded_calls import recorded_calls
from tests.cli.startup_checks import env, reporting_argv, run_reporting_messages
from tests.cli.terminal import run_in_terminal

_LEAN = "tempo_cli._lean_schedule_writes"
_DEADLINE = 60.0  # seconds: the real server shows a schedule's changes a moment later


def _new_schedule(on: list[str], environment: dict[str, str], *state: str) -> str:
    """A schedule of its own (every hour, on a queue nobody polls), made by the app."""
    _, app = group_programs("schedule")
    schedule_id = f"lean-write-{uuid.uuid4().hex[:8]}"
    args = ["create", "-s", schedule_id, "--interval", "1h", "--type", "T", "-t", schedule_id, "-w", schedule_id]
    created = run(app, [*args, *state, *on], environment)
    assert created == (0, "", "Schedule created\n"), created
    return schedule_id


def _described(schedule_id: str, on: list[str], environment: dict[str, str]) -> dict[str, Any] | None:
    """`schedule describe -o json` by the app; None once the schedule is gone."""
    _, app = group_programs("schedule")
    code, out, err = run(app, ["describe", "-s", schedule_id, "-o", "json", *on], environment)
    if code == 1 and err == "error: schedule not found\n":
        return None
    assert code == 0, err
    described: dict[str, Any] = json.loads(out)
    return described


def _eventually(what: str, check: Any) -> Any:
    """``check()``'s first true value, asked again until the deadline."""
    deadline = time.monotonic() + _DEADLINE
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found


def _lean_and_apps(args: list[str], on: list[str], environment: dict[str, str], state: tuple[str, ...]) -> str:
    """ARGS on two fresh schedules alike: by `tempo` (which must answer on the lean path) and
    by the app, with the same answer; the lean one's id."""
    _, app = group_programs("schedule")
    lean_id, app_id = _new_schedule(on, environment, *state), _new_schedule(on, environment, *state)
    out, messages, code, modules = run_reporting_messages(["schedule", *args, "-s", lean_id, *on], environment)
    assert _LEAN in modules, args
    loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
    assert not loaded, (args, loaded)
    apps = run(app, [*args, "-s", app_id, *on], environment)
    assert (code, out, "".join(line + "\n" for line in messages)) == apps, args
    return lean_id


@pytest.mark.parametrize(
    ("args", "state", "notes"),
    [
        (["toggle", "--pause", "--reason", "holiday"], (), "holiday"),
        (["toggle", "--unpause"], ("--paused", "--notes", "not yet"), "(no reason provided)"),
        (["toggle", "--unpause", "--reason=back to work", "--color", "never"], ("--paused",), "back to work"),
    ],
)
def test_a_toggle_pauses_or_unpauses_as_the_app(
    args: list[str], state: tuple[str, ...], notes: str, server_address: str, tmp_path: Path
) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    schedule_id = _lean_and_apps(args, on, environment, state)
    wanted = {"paused": True, "notes": notes} if "--pause" in args else {"notes": notes}
    _eventually(
        f"{schedule_id} never showed {wanted}",
        lambda: (_described(schedule_id, on, environment) or {})["schedule"]["state"] == wanted,
    )


@pytest.mark.parametrize("policy", [[], ["--overlap-policy", "AllowAll"]])
def test_a_trigger_starts_the_action_as_the_app(policy: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    schedule_id = _lean_and_apps(["trigger", *policy], on, environment, ("--paused",))  # paused: only the trigger
    info = _eventually(
        f"{schedule_id}'s trigger never started its workflow",
        lambda: (info := (_described(schedule_id, on, environment) or {})["info"]).get("recentActions") and info,
    )
    assert info["actionCount"] == "1"
    (action,) = info["recentActions"]
    assert action["startWorkflowResult"]["workflowId"].startswith(schedule_id)


def test_a_delete_removes_the_schedule_as_the_app(server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    schedule_id = _lean_and_apps(["delete"], on, environment, ())
    _eventually(f"{schedule_id} was never gone", lambda: _described(schedule_id, on, environment) is None)


@pytest.mark.parametrize(
    "args", [["trigger"], ["toggle", "--pause"], ["toggle", "--unpause", "--reason", "x"], ["delete"]]
)
def test_an_unknown_schedule_gets_the_apps_error(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    tempo, app = group_programs("schedule")
    line = [*args, "-s", f"lean-nobody-{uuid.uuid4().hex[:8]}", *on]
    assert run(tempo, line, environment) == run(app, line, environment) == (1, "", "error: schedule not found\n")


def _calls(which: str, argv: list[str], environment: dict[str, str], log: Path) -> list[tuple[str, Any, Any]]:
    """The calls `tempo schedule ARGV` (``which``: "tempo" or "app") made: method, request, headers."""
    return [(c.method, c.request, c.headers) for c in recorded_calls(which, "schedule", argv, environment, log)]


def _without_call_ids(request: Any) -> Any:
    """The request without what differs call by call: its request id (a version-4 UUID as
    text) and identity (pid@host), each checked for its form."""
    copy = type(request)()
    copy.CopyFrom(request)
    if copy.DESCRIPTOR.fields_by_name.get("request_id"):
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", copy.request_id)
        copy.request_id = ""
    assert re.fullmatch(r"\d+@.+", copy.identity), copy.identity
    copy.identity = copy.identity.split("@", 1)[1]
    return copy


@pytest.mark.parametrize(
    "args",
    [
        ["trigger", "--overlap-policy", "BufferAll"],
        ["toggle", "--pause", "--reason", "why not"],
        ["toggle", "--unpause"],
        ["delete"],
    ],
)
def test_the_lean_request_is_the_apps(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    schedule_id = _new_schedule(on, environment, "--paused")
    # The app's first: a delete leaves nothing for the other.
    apps = _calls("app", [*args, "-s", schedule_id, *on], environment, tmp_path / "app.json")
    if args[0] == "delete":
        schedule_id = _new_schedule(on, environment, "--paused")
    leans = _calls("tempo", [*args, "-s", schedule_id, *on], environment, tmp_path / "tempo.json")
    assert [call[0] for call in leans] == [call[0] for call in apps] == ["GetSystemInfo", leans[1][0]]
    (_, lean, lean_headers), (_, app, app_headers) = leans[1], apps[1]
    assert lean_headers == app_headers
    assert lean.schedule_id == schedule_id
    app.schedule_id = schedule_id  # another schedule's only for a delete
    assert _without_call_ids(lean) == _without_call_ids(app)


def test_a_write_the_server_refuses_is_made_once(server_address: str, tmp_path: Path) -> None:
    # NOT_FOUND: the app's one attempt could only say the same (a transient failure goes again,
    # the very same request: tests/cli/test_lean_errors.py).
    environment, on = env(tmp_path), ["--address", server_address]
    argv = ["trigger", "-s", f"lean-nobody-{uuid.uuid4().hex[:8]}", *on]
    calls = _calls("tempo", argv, environment, tmp_path / "tempo.json")
    patches = [request for method, request, _ in calls if method == "PatchSchedule"]
    assert len(patches) == 1, patches


@pytest.mark.parametrize(
    "args",
    [
        ["trigger", "-o", "json"],  # JSON output: the app's
        ["trigger", "--overlap-policy", "Sometimes"],  # the app's message lists the policies
        ["toggle", "--pause", "--unpause"],  # the app's error
        ["toggle"],
        ["delete", "--color", "always"],  # Rich prints the message
    ],
)
def test_what_it_does_not_take_gets_the_apps_answer(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment, on = env(tmp_path), ["--address", server_address]
    tempo, app = group_programs("schedule")
    lean_id, app_id = _new_schedule(on, environment, "--paused"), _new_schedule(on, environment, "--paused")
    answered = run(tempo, [*args, "-s", lean_id, *on], environment)
    assert answered == run(app, [*args, "-s", app_id, *on], environment), args
    _, _, _, modules = run_reporting_messages(["schedule", *args, "-s", lean_id, *on], environment)
    assert "tempo_cli._cli" in modules, args


def _terminal_modules(argv: list[str], environment: dict[str, str], columns: int) -> list[str]:
    """What `tempo schedule ARGV` on a terminal loaded."""
    _, shown = run_in_terminal(reporting_argv(["schedule", *argv]), environment, columns)
    modules: list[str] = json.loads(shown.decode().strip().splitlines()[-1])["modules"]
    return modules


@pytest.mark.parametrize(
    ("args", "columns"),
    [
        (["trigger"], 100),
        (["toggle", "--pause", "--reason", "on a terminal"], 100),
        (["delete"], 100),
        (["trigger"], 12),  # Rich wraps the message: the app's
    ],
)
def test_the_writes_answer_on_a_terminal_as_the_app(
    args: list[str], columns: int, server_address: str, tmp_path: Path
) -> None:
    environment, on = {**env(tmp_path), "TERM": "xterm-256color"}, ["--address", server_address]
    tempo, app = group_programs("schedule")
    lean_id, app_id, third_id = (_new_schedule(on, environment, "--paused") for _ in range(3))
    users = run_in_terminal([*tempo, *args, "-s", lean_id, *on], environment, columns)
    apps = run_in_terminal([*app, *args, "-s", app_id, *on], environment, columns)
    assert users == apps and users[0] == 0, (args, users, apps)
    said = {"trigger": b"Trigger request sent", "toggle": b"", "delete": b"Schedule deleted"}[args[0]]
    if columns > len(said):  # else Rich wrapped it
        assert said in users[1] if said else users[1] == b"", users
    modules = _terminal_modules([*args, "-s", third_id, *on], environment, columns)
    if columns > len("Trigger request sent"):
        assert _LEAN in modules, args
        loaded = [name for name in modules for heavy in NOT_LEAN if name == heavy or name.startswith(heavy + ".")]
        assert not loaded, (args, loaded)
    else:
        assert "tempo_cli._cli" in modules and "rich" in modules, args


def test_an_unknown_schedule_gets_the_apps_error_on_a_terminal(server_address: str, tmp_path: Path) -> None:
    environment, on = {**env(tmp_path), "TERM": "xterm-256color"}, ["--address", server_address]
    tempo, app = group_programs("schedule")
    line = ["trigger", "-s", f"lean-nobody-{uuid.uuid4().hex[:8]}", *on]
    users, apps = run_in_terminal([*tempo, *line], environment), run_in_terminal([*app, *line], environment)
    assert users == apps and users[0] == 1 and b"error: schedule not found" in users[1], (users, apps)
