"""The fast path of the `tempo workflow` commands people type most (and of the `tempo
operator` reads, `tempo schedule list|describe`, `tempo task-queue describe|list-partition` and
`tempo batch list`): no Typer.

Building the Typer app and reading a command line with it costs about 50 ms of the
0.24 s a `tempo workflow list` took (`bench/bench_cli.py`), where the whole `temporal
workflow list` takes 0.05 s. A command line of `workflow list`, `count`, `describe`, `show`,
`start`, `execute`, `result`, `signal`, `query`, `stack`, `terminate` or `cancel` made only of
the options below, each with a plain value, is read here and run by the very functions the
Typer commands call (`_commands`), with the same context (`_cli.CliContext`), so output,
errors and exit codes are the same.

Anything else goes to the full app, so its behaviour and messages stay Typer's: a help
request, an option this table does not know (TLS, codecs, batch options like --query of
`signal`), a missing required option, a value Typer would reject or convert (a bad
--output or --time-format, a --limit that is not a positive number), a positional word, or
an option missing its value, or one given twice. As for Click, the word after an option is
its value even when it starts with a dash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from tempo_cli._cli import CliContext, GlobalOptions
    from tempo_cli.workflow import StartOptions

# option -> (name, kind); kinds: "str", "list" (repeatable), "flag".
_GLOBAL: dict[str, tuple[str, str]] = {
    "--address": ("address", "str"),
    "--namespace": ("namespace", "str"),
    "-n": ("namespace", "str"),
    "--output": ("output", "str"),
    "-o": ("output", "str"),
    "--color": ("color", "str"),
}
_WORKFLOW_ID = {"--workflow-id": ("workflow_id", "str"), "-w": ("workflow_id", "str")}
_RUN_ID = {"--run-id": ("run_id", "str"), "-r": ("run_id", "str")}
_INPUTS = {
    "--input": ("inputs", "list"),
    "-i": ("inputs", "list"),
    "--input-file": ("input_files", "list"),
}
_START = {
    "--type": ("workflow_type", "str"),
    "--task-queue": ("task_queue", "str"),
    "-t": ("task_queue", "str"),
    **_WORKFLOW_ID,
    **_INPUTS,
    "--execution-timeout": ("execution_timeout", "str"),
    "--run-timeout": ("run_timeout", "str"),
    "--task-timeout": ("task_timeout", "str"),
    "--id-reuse-policy": ("id_reuse_policy", "str"),
    "--id-conflict-policy": ("id_conflict_policy", "str"),
    "--static-summary": ("static_summary", "str"),
    "--static-details": ("static_details", "str"),
    "--memo": ("memo", "list"),
    "--search-attribute": ("search_attributes", "list"),
    "--headers": ("headers", "list"),
    "--start-delay": ("start_delay", "str"),
    "--fail-existing": ("fail_existing", "flag"),
}
_QUERY = {"--query": ("query", "str"), "-q": ("query", "str")}
_REJECT = {"--reject-condition": ("reject_condition", "str")}
_REASON = {"--reason": ("reason", "str")}
_COMMAND_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "list": {**_QUERY, "--limit": ("limit", "str"), "--time-format": ("time_format", "str")},
    "count": _QUERY,
    "describe": {**_WORKFLOW_ID, **_RUN_ID},
    "show": {**_WORKFLOW_ID, **_RUN_ID, "--follow": ("follow", "flag"), "-f": ("follow", "flag")},
    "start": _START,
    "execute": _START,
    "result": {**_WORKFLOW_ID, **_RUN_ID},
    "signal": {"--name": ("name", "str"), **_WORKFLOW_ID, **_RUN_ID, **_INPUTS},
    "query": {"--name": ("name", "str"), "--type": ("name", "str"), **_WORKFLOW_ID, **_RUN_ID, **_INPUTS, **_REJECT},
    "stack": {**_WORKFLOW_ID, **_RUN_ID, **_REJECT},
    "terminate": {**_WORKFLOW_ID, **_RUN_ID, **_REASON},
    "cancel": {**_WORKFLOW_ID, **_RUN_ID, **_REASON},
}
# Without --workflow-id, signal, terminate and cancel are batch jobs (--query): the app's.
_REQUIRED = {
    "list": (),
    "count": (),
    "describe": ("workflow_id",),
    "show": ("workflow_id",),
    "start": ("workflow_type", "task_queue"),
    "execute": ("workflow_type", "task_queue"),
    "result": ("workflow_id",),
    "signal": ("name", "workflow_id"),
    "query": ("workflow_id", "name"),
    "stack": ("workflow_id",),
    "terminate": ("workflow_id",),
    "cancel": ("workflow_id",),
}


def plain_words(
    argv: list[str],
    commands: dict[str, dict[str, tuple[str, str]]] = _COMMAND_OPTIONS,
    required: dict[str, tuple[str, ...]] = _REQUIRED,
) -> tuple[str, dict[str, Any]] | None:
    """``(command, option values as given)`` of ``argv`` (the words after the group's name,
    `workflow` by default), or None when the full app must read it. A command of
    ``commands`` may be several words (`namespace list`). The global options are among the
    values, by name (``address``, ``namespace``, ``output``, ``color``)."""
    values: dict[str, Any] = {}
    command = ""
    words = iter(argv)
    for word in words:
        if not word.startswith("-") and command not in commands:
            command = f"{command} {word}" if command else word
            if not any(name == command or name.startswith(command + " ") for name in commands):
                return None
            continue
        if command and command not in commands:
            return None  # an option between the words of a command: the app's to read
        flag, equals, attached = word.partition("=")
        if not flag.startswith("--") and equals:
            return None  # `-w=x` is Click's `-w` with the value `=x`: leave such words to it
        known = {**_GLOBAL, **commands.get(command, {})}
        if flag not in known:
            return None
        name, kind = known[flag]
        if kind == "flag":
            if equals:
                return None
            values[name] = True
            continue
        value = attached if equals else next(words, None)
        if value is None:
            return None
        if kind == "list":
            values.setdefault(name, []).append(value)
        elif name in values:
            return None  # given twice
        else:
            values[name] = value
    if command not in commands or any(name not in values for name in required[command]):
        return None
    return command, values


def plain_command(
    argv: list[str],
    commands: dict[str, dict[str, tuple[str, str]]] = _COMMAND_OPTIONS,
    required: dict[str, tuple[str, ...]] = _REQUIRED,
) -> tuple[str, GlobalOptions, dict[str, Any]] | None:
    """``(command, global options, its options)`` of ``argv`` (see :func:`plain_words`), or
    None when the full app must read it."""
    from pathlib import Path

    from tempo_cli._cli import Color, GlobalOptions, Output, RejectCondition
    from tempo_cli._go_format import TIME_FORMATS

    words = plain_words(argv, commands, required)
    if words is None:
        return None
    command, values = words
    try:
        options = GlobalOptions(
            address=values.pop("address", None),
            namespace=values.pop("namespace", None),
            output=Output(values.pop("output")) if "output" in values else None,
            color=Color(values.pop("color")) if "color" in values else None,
        )
        if "reject_condition" in values:
            values["reject_condition"] = RejectCondition(values["reject_condition"])
    except ValueError:
        return None  # not one of the choices: Typer's message lists them
    if "limit" in values:
        if not values["limit"].isdigit() or int(values["limit"]) < 1:
            return None
        values["limit"] = int(values["limit"])
    if values.get("time_format", "relative") not in TIME_FORMATS:
        return None  # Typer's message lists the choices
    if "input_files" in values:
        values["input_files"] = [Path(v) for v in values["input_files"]]
    return command, options, values


def run(argv: list[str]) -> bool:
    """Run `tempo workflow ...` (``argv``: the words after `workflow`) if it is plain; False
    when the full app must run it."""
    parsed = plain_command(argv)
    if parsed is None:
        return False
    command, options, values = parsed
    from tempo_cli._cli import CliContext

    _RUNNERS[command](CliContext(options, blocking_calls=True), values)
    return True


def _list(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.list_(cli, values.get("query", ""), values.get("limit"), values.get("time_format", "relative"))


def _describe(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.describe(cli, values["workflow_id"], values.get("run_id"))


def _show(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.show(cli, values["workflow_id"], values.get("run_id"), values.get("follow", False))


def _count(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.count(cli, values.get("query", ""))


def _start(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands
    from tempo_cli._start_request import PlainStartOptions

    _commands.start(cli, cast("StartOptions", PlainStartOptions(**values)))


def _execute(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands
    from tempo_cli._start_request import PlainStartOptions

    _commands.execute(cli, cast("StartOptions", PlainStartOptions(**values)))


def _result(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.result(cli, values["workflow_id"], values.get("run_id"))


def _signal(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    inputs, files = values.get("inputs", []), values.get("input_files", [])
    _commands.signal(cli, values["workflow_id"], values.get("run_id"), values["name"], inputs, files)


def _query(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    inputs, files = values.get("inputs", []), values.get("input_files", [])
    reject = values.get("reject_condition")
    _commands.query(cli, values["workflow_id"], values.get("run_id"), values["name"], inputs, files, reject)


def _stack(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.stack(cli, values["workflow_id"], values.get("run_id"), values.get("reject_condition"))


def _terminate(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands
    from tempo_cli._outcome_text import TERMINATE_REASON

    reason = values.get("reason", TERMINATE_REASON)
    _commands.terminate(cli, values["workflow_id"], values.get("run_id"), reason)


def _cancel(cli: CliContext, values: dict[str, Any]) -> None:
    from tempo_cli import _commands

    _commands.cancel(cli, values["workflow_id"], values.get("run_id"), values.get("reason", ""))


_RUNNERS: dict[str, Callable[[CliContext, dict[str, Any]], None]] = {
    "list": _list,
    "count": _count,
    "describe": _describe,
    "show": _show,
    "start": _start,
    "execute": _execute,
    "result": _result,
    "signal": _signal,
    "query": _query,
    "stack": _stack,
    "terminate": _terminate,
    "cancel": _cancel,
}


# The other groups' commands read here: `tempo operator ...` reads, `tempo schedule
# list|describe`, `tempo task-queue describe` (its enhanced mode: the default) and
# `list-partition`, `tempo batch list`.
_OPERATOR_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "namespace list": {},
    "namespace describe": {"--namespace-id": ("namespace_id", "str")},
    "search-attribute list": {},
    "cluster system": {},
    "cluster health": {},
    "cluster describe": {"--detail": ("detail", "flag")},
    "cluster list": {"--limit": ("limit", "str")},
}
_SCHEDULE_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "list": {**_QUERY, "--time-format": ("time_format", "str")},
    "describe": {"--schedule-id": ("schedule_id", "str"), "-s": ("schedule_id", "str")},
}
_TASK_QUEUE_NAME = {"--task-queue": ("task_queue", "str"), "-t": ("task_queue", "str")}
_TASK_QUEUE_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "describe": {
        **_TASK_QUEUE_NAME,
        "--task-queue-type": ("types", "list"),
        "--time-format": ("time_format", "str"),
    },
    "list-partition": _TASK_QUEUE_NAME,
}


def _operator(cli: CliContext, command: str, values: dict[str, Any]) -> None:
    from tempo_cli import _operator_commands as operator

    if command == "namespace list":
        operator.list_namespaces(cli)
    elif command == "namespace describe":
        operator.describe_namespace(cli, None, values.get("namespace_id"))
    elif command == "search-attribute list":
        operator.list_search_attributes(cli)
    elif command == "cluster system":
        operator.cluster_system(cli)
    elif command == "cluster health":
        operator.cluster_health(cli)
    elif command == "cluster describe":
        operator.describe_cluster(cli, values.get("detail", False))
    else:
        operator.list_clusters(cli, values.get("limit"))


def _schedule(cli: CliContext, command: str, values: dict[str, Any]) -> None:
    from tempo_cli import _schedule_commands as schedules

    if command == "list":
        schedules.list_schedules(cli, values.get("query"), values.get("time_format", "relative"))
    else:
        schedules.describe(cli, values["schedule_id"])


def _batch(cli: CliContext, command: str, values: dict[str, Any]) -> None:
    from tempo_cli import _batch_commands

    _batch_commands.list_jobs(cli, values.get("limit"), values.get("time_format", "relative"))


def _task_queue(cli: CliContext, command: str, values: dict[str, Any]) -> None:
    from tempo_cli import _task_queue_commands as task_queues

    if command == "list-partition":
        task_queues.list_partitions(cli, values["task_queue"])
        return
    flags = task_queues.DescribeFlags(
        task_queue=values["task_queue"],
        types=values.get("types", []),
        time_format=values.get("time_format", "relative"),
    )
    task_queues.describe(cli, flags)


_GroupRunner = Callable[["CliContext", str, dict[str, Any]], None]
GROUPS: dict[str, tuple[dict[str, dict[str, tuple[str, str]]], dict[str, tuple[str, ...]], _GroupRunner]] = {
    "operator": (_OPERATOR_OPTIONS, {name: () for name in _OPERATOR_OPTIONS}, _operator),
    "schedule": (_SCHEDULE_OPTIONS, {"list": (), "describe": ("schedule_id",)}, _schedule),
    "task-queue": (_TASK_QUEUE_OPTIONS, {name: ("task_queue",) for name in _TASK_QUEUE_OPTIONS}, _task_queue),
    "batch": ({"list": {"--limit": ("limit", "str"), "--time-format": ("time_format", "str")}}, {"list": ()}, _batch),
}
"""Each group's commands and their options, the options each requires, and what runs them."""


def run_group(group: str, argv: list[str]) -> bool:
    """Run `tempo GROUP ...` (``argv``: the words after the group's name) if it is one of the
    group's commands above with plain options; False when the full app must run it."""
    commands, required, runner = GROUPS[group]
    parsed = plain_command(argv, commands, required)
    if parsed is None:
        return False
    command, options, values = parsed
    from tempo_cli._cli import CliContext

    runner(CliContext(options, blocking_calls=True), command, values)
    return True
