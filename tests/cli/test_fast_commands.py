"""The `tempo workflow` commands people type most run without Typer (`_fast_commands`) and
print exactly what the Typer app prints; every other command line still gets the app's answer.

`tempo` here is the entry point as users run it (`python -m tempo_cli.main` takes the fast
paths first); the app is `tests.cli.tempo_entry`, the workflow group mounted as in `tempo`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tempo_cli._cli import Output
from tempo_cli._fast_commands import plain_command
from tests.cli.answers import APP, TEMPO, comparable, group_programs, run, same_answer, settled_answers
from tests.cli.startup_checks import env, run_reporting


def _tasks(stack: str) -> list[str]:
    """The tasks of a workflow's stack trace, in order of their text."""
    return sorted(task.strip() for task in stack.split("Stack for "))


def test_each_command_prints_what_the_app_prints(server_address: str, task_queue: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    ids = {program[-2]: f"fast-{uuid.uuid4().hex[:8]}" for program in (TEMPO, APP)}
    started = {}
    for program in (TEMPO, APP):
        workflow_id = ids[program[-2]]
        args = ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id]
        code, out, err = run(program, args, environment)
        assert (code, err) == (0, "")
        started[program[-2]] = out.replace(workflow_id, "ID").splitlines()
        code, out, err = run(program, ["signal", *on, "-w", workflow_id, "--name", "add", "-i", '"tea"'], environment)
        assert (code, out, err) == (0, "", f"Sent signal 'add' to workflow {workflow_id}.\n")
    fast_start, app_start = started.values()
    assert fast_start[0] == app_start[0] == "Running execution:"
    assert [line.split()[0] for line in fast_start[1:]] == [line.split()[0] for line in app_start[1:]]
    assert [line for line in fast_start if "RunId" not in line] == [line for line in app_start if "RunId" not in line]

    workflow_id = ids[TEMPO[-2]]
    assert same_answer(["query", *on, "-w", workflow_id, "--name", "count"], environment) == (0, "1\n", "")
    assert (
        same_answer(["query", *on, "-w", workflow_id, "--type", "items_with_prefix", "-i", '"a "'], environment)[1]
        == json.dumps(["a tea"], indent=2) + "\n"
    )
    for output in Output:
        code, out, _ = same_answer(["describe", *on, "-w", workflow_id, "-o", output], environment)
        assert code == 0 and workflow_id in out
        code, out, _ = same_answer(["show", *on, "-w", workflow_id, "-o", output], environment)
        assert code == 0 and "WorkflowExecutionSignaled" in out.replace(
            "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED", "WorkflowExecutionSignaled"
        )
        listed = ["list", *on, "-q", f"WorkflowId = '{workflow_id}'", "--limit", "5", "--output", output]
        code, out, _ = same_answer(listed, environment)
        assert code == 0 and workflow_id in out
    # Failures are the same one-line errors with the same exit codes.
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    code, out, err = same_answer(["describe", *on, "-w", missing], environment)
    assert (code, out) == (1, "") and err.startswith("error: ") and missing in err
    code, _, err = same_answer(["query", *on, "-w", workflow_id, "--name", "nope"], environment)
    assert code == 1 and "its queries: broken, count, items_with_prefix" in err
    code, _, err = same_answer(
        ["start", *on, "--type", "Waiter", "-t", task_queue, "--run-timeout", "soon"], environment
    )
    assert code == 1 and "--run-timeout" in err


def test_the_other_everyday_commands_print_what_the_app_prints(
    server_address: str, task_queue: str, tmp_path: Path
) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    greeted = f"greeted-{uuid.uuid4().hex[:8]}"
    code, out, err = run(
        TEMPO, ["execute", *on, "--type", "Greeting", "-t", task_queue, "-w", greeted, "-i", '"Ada"'], environment
    )
    assert (code, err) == (0, "") and '"Hello, Ada!"' in out.split("Results:")[1]
    code, out, _ = run(
        APP, ["execute", *on, "--type", "Greeting", "-t", task_queue, "-i", '"Bo"', "-o", "json"], environment
    )
    assert code == 0 and json.loads(out)["result"] == "Hello, Bo!"
    assert same_answer(["result", *on, "-w", greeted], environment)[0] == 0
    assert same_answer(["result", *on, "-w", greeted, "-o", "json"], environment)[0] == 0
    for query in ("", f"WorkflowId = '{greeted}'", "WorkflowType = 'Greeting' GROUP BY ExecutionStatus"):
        for output in ("text", "json"):
            assert same_answer(["count", *on, "-q", query, "-o", output], environment)[0] == 0
    assert same_answer(["count", *on, "-q", "NoSuchField = 1"], environment)[0] == 1

    waiting = f"waiting-{uuid.uuid4().hex[:8]}"
    assert run(TEMPO, ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", waiting], environment)[0] == 0
    assert (
        same_answer(["query", *on, "-w", waiting, "--name", "count", "--reject-condition", "not_open"], environment)[1]
        == "0\n"
    )
    # The worker lists the workflow's asyncio tasks in the order of a set, which two queries
    # need not share (the task of a query just answered may still be in it): compare the tasks.
    stack = ["stack", *on, "-w", waiting]
    (code, out, err), app = run(TEMPO, stack, environment), run(APP, stack, environment)
    assert (code, err) == (app[0], app[2]) == (0, "") and out.strip()
    assert _tasks(out) == _tasks(app[1])
    # Stopping: each CLI stops a workflow of its own, with the same words.
    stopped = {}
    for program in (TEMPO, APP):
        ids = [f"stop-{uuid.uuid4().hex[:8]}" for _ in range(2)]
        for workflow_id in ids:
            assert (
                run(program, ["start", *on, "--type", "Waiter", "-t", task_queue, "-w", workflow_id], environment)[0]
                == 0
            )
        answers = [
            run(program, ["terminate", *on, "-w", ids[0]], environment),
            run(program, ["cancel", *on, "-w", ids[1], "--reason", "no longer wanted"], environment),
            run(program, ["terminate", *on, "-w", ids[0]], environment),  # closed already: an error
        ]
        stopped[program[-2]] = [(c, o, e.replace(ids[0], "A").replace(ids[1], "B")) for c, o, e in answers]
        assert [c for c, _, _ in answers] == [0, 0, 1]
    assert stopped[TEMPO[-2]] == stopped[APP[-2]]


OPERATOR, OPERATOR_APP = group_programs("operator")


@pytest.mark.parametrize(
    "args",
    [
        ["namespace", "list"],
        ["namespace", "list", "-o", "json"],
        ["search-attribute", "list"],
        ["-n", "default", "search-attribute", "list", "-o", "json"],
        ["cluster", "system"],
        ["cluster", "describe", "--detail"],
        ["cluster", "health", "-o", "json"],
        ["cluster", "list", "--limit", "1"],
        ["search-attribute", "list", "-n", "no-such-namespace"],
    ],
)
def test_the_operator_reads_print_what_the_app_prints(args: list[str], server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    argv = [*args, "--address", server_address]
    fast, app = settled_answers(OPERATOR, OPERATOR_APP, argv, environment, key=comparable)
    assert comparable(fast) == comparable(app), args
    assert fast[0] == (1 if "no-such-namespace" in args else 0), fast


SCHEDULE, SCHEDULE_APP = group_programs("schedule")


def test_schedule_list_and_describe_print_what_the_app_prints(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    on = ["--address", server_address]
    schedule_id = f"fast-{uuid.uuid4().hex[:8]}"
    created = run(
        SCHEDULE_APP,
        [
            "create",
            "-s",
            schedule_id,
            "--cron",
            "0 0 1 1 *",
            "--type",
            "T",
            "-t",
            "q",
            "-w",
            schedule_id,
            "--paused",
            *on,
        ],
        environment,
    )
    assert created[0] == 0, created
    # The schedule's own ID in a list filter: other tests' schedules may fire in between.
    for args in (
        ["describe", "-s", schedule_id],
        ["describe", "--schedule-id", schedule_id, "-o", "json"],
        ["describe", "-s", f"{schedule_id}-missing"],
        ["list", "-q", f"ScheduleId = '{schedule_id}'"],
        ["list", "-q", f"ScheduleId = '{schedule_id}'", "-o", "json"],
    ):
        fast, app = run(SCHEDULE, [*args, *on], environment), run(SCHEDULE_APP, [*args, *on], environment)
        assert comparable(fast) == comparable(app), args
        assert fast[0] == (1 if "missing" in args[-1] else 0), (args, fast)
    out, code, modules = run_reporting(["schedule", "list", *on, "-o", "json"], environment)
    assert code == 0 and isinstance(json.loads(out), list)
    assert [m for m in modules if m.split(".")[0] in ("typer", "click", "grpc", "rich")] == []


TASK_QUEUE, TASK_QUEUE_APP = group_programs("task-queue")


def test_task_queue_describe_prints_what_the_app_prints(server_address: str, tmp_path: Path) -> None:
    environment = env(tmp_path)
    # A queue nobody polls: its answer does not change between the two runs.
    queue = ["-t", f"fast-nobody-{uuid.uuid4().hex[:6]}", "--address", server_address]
    for args in (
        ["describe", *queue],
        ["describe", *queue, "-o", "json"],
        ["describe", *queue, "--task-queue-type", "activity", "--task-queue-type", "workflow"],
        ["describe", *queue, "--task-queue-type", "bogus"],
    ):
        fast, app = run(TASK_QUEUE, args, environment), run(TASK_QUEUE_APP, args, environment)
        assert comparable(fast) == comparable(app), args
        assert fast[0] == (1 if "bogus" in args else 0), (args, fast)
    out, code, modules = run_reporting(["task-queue", "describe", *queue], environment)
    assert code == 0 and "Pollers:" in out
    assert [m for m in modules if m.split(".")[0] in ("typer", "click", "grpc", "rich")] == []


def test_the_operator_reads_do_not_load_typer(server_address: str, tmp_path: Path) -> None:
    argv = ["operator", "namespace", "list", "--address", server_address, "-o", "json"]
    out, code, modules = run_reporting(argv, env(tmp_path))
    assert code == 0 and isinstance(json.loads(out), list)
    assert [m for m in modules if m.split(".")[0] in ("typer", "click", "grpc", "rich")] == []


def test_plain_command_lines_do_not_load_typer(server_address: str, tmp_path: Path) -> None:
    # A setting from the environment: the fast path's, not the lean path's (`_lean_session`).
    environment = env(tmp_path, TEMPORAL_NAMESPACE="default")
    out, code, modules = run_reporting(["workflow", "list", "--address", server_address, "-o", "json"], environment)
    assert code == 0 and isinstance(json.loads(out), list) and "sdk.client" in modules
    assert [m for m in modules if m.split(".")[0] in ("typer", "click")] == []


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--limit", "0"],
        ["list", "--limit", "many"],
        ["list", "-o", "xml"],
        ["list", "--bogus"],
        ["list", "extra"],
        ["describe"],
        ["describe", "-w", "a", "-w", "b"],
        ["describe", "-w"],
        ["signal", "--name", "x"],
        ["query", "-w", "a"],
        ["query", "-w", "a", "--name", "n", "--reject-condition", "never"],
        ["start", "--type", "T"],
        ["terminate"],
        ["cancel", "-w", "a", "--yes"],
        ["count", "extra"],
    ],
)
def test_other_command_lines_get_the_apps_answer(args: list[str], tmp_path: Path) -> None:
    # No server at this address: every one of these ends before connecting, or fails to.
    args = [*args, "--address", "127.0.0.1:1"]
    code, _, err = same_answer(args, env(tmp_path))
    assert code != 0 and err.startswith("error: ") and len(err.splitlines()) == 1


def test_plain_options_are_read_as_the_app_reads_them() -> None:
    argv = ["-n", "orders", "list", "--query=WorkflowType = 'A'", "--limit", "05", "--address", "h:1", "-o", "jsonl"]
    command, options, values = plain_command(argv) or ("", None, {})
    assert command == "list" and values == {"query": "WorkflowType = 'A'", "limit": 5}
    assert options is not None and (options.address, options.namespace, options.output) == ("h:1", "orders", "jsonl")
    argv = ["start", "--type", "T", "-t", "q", "-i", "1", "--input", "-2", "--fail-existing", "--memo", "k=1"]
    assert plain_command(argv) == (
        "start",
        plain_command(["list"])[1],  # type: ignore[index]
        {"workflow_type": "T", "task_queue": "q", "inputs": ["1", "-2"], "fail_existing": True, "memo": ["k=1"]},
    )
    assert plain_command(["show", "-w", "a", "--follow=yes"]) is None
    assert plain_command(["-w=a", "show"]) is None
    assert plain_command(["update", "describe"]) is None
    # A command of several words (`tempo operator namespace list`), and the lines that are not one.
    from tempo_cli._fast_commands import GROUPS

    commands, required, _ = GROUPS["operator"]

    def operator(*argv: str) -> tuple[str, dict[str, object]] | None:
        parsed = plain_command(list(argv), commands, required)
        return None if parsed is None else (parsed[0], parsed[2])

    assert operator("-n", "x", "cluster", "describe", "--detail") == ("cluster describe", {"detail": True})
    assert operator("cluster", "list", "--limit", "2") == ("cluster list", {"limit": 2})
    assert operator("cluster") is None
    assert operator("cluster", "--detail", "describe") is None
    assert operator("namespace", "describe", "default") is None
    assert operator("namespace", "list", "extra") is None


def test_the_plain_start_options_are_the_apps() -> None:
    # The fast path hands `_commands.start` an object with StartOptions' fields, by name.
    from dataclasses import fields

    from tempo_cli._start_request import PlainStartOptions
    from tempo_cli.workflow import StartOptions

    assert [(f.name, f.default) for f in fields(PlainStartOptions)] == [
        (f.name, f.default) for f in fields(StartOptions)
    ]
