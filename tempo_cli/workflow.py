"""`tempo workflow ...`: start, signal, query, inspect and stop workflows.

Every command takes the global options (--address, --namespace, --output,
--color), either before the subcommand (`tempo workflow -o json list`) or after
it (`tempo workflow list -o json`). Data goes to stdout, messages to stderr;
errors are one line and exit code 1.

This module only declares options and help; `_commands` does the work and is
imported when a command runs, so `--help` and shell completion stay fast.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tempo_cli import _start_options as more
from tempo_cli import batch, pause, workflow_reset
from tempo_cli._context import (
    CliContext,
    RejectCondition,
    TimeFormat,
    TimeFormatOption,
    command,
    store_global_options,
)
from tempo_cli._usage_errors import OneLineUsageErrors
from tempo_cli._versioning_options import OverrideBehavior

app = typer.Typer(
    help=(
        "Start, signal, query, inspect and stop workflows.\n\n"
        "\b\nExamples:\n"
        "  tempo workflow start --type Order --task-queue deliveries --input 3\n"
        "  tempo workflow list --query \"ExecutionStatus = 'Running'\"\n"
        "  tempo workflow show --workflow-id order-3 --follow\n"
        '  tempo workflow count --query "GROUP BY ExecutionStatus"\n'
        "  tempo workflow --address 127.0.0.1:7234 -o json describe -w order-3"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=OneLineUsageErrors,
)


app.callback()(store_global_options)
app.add_typer(workflow_reset.app, name="reset")


WorkflowIdOption = Annotated[str, typer.Option("--workflow-id", "-w", help="Workflow ID.", show_default=False)]
RunIdOption = Annotated[
    str | None, typer.Option("--run-id", "-r", help="Run ID; default: the latest run.", show_default=False)
]
InputOption = Annotated[
    list[str] | None,
    typer.Option("--input", "-i", help="An argument as JSON; repeat for several arguments.", show_default=False),
]
InputFileOption = Annotated[
    list[Path] | None,
    typer.Option("--input-file", help="A file holding one argument as JSON; repeat for several.", show_default=False),
]
TypeOption = Annotated[str, typer.Option("--type", help="Workflow type name.", show_default=False)]
TaskQueueOption = Annotated[
    str, typer.Option("--task-queue", "-t", help="Task queue a worker polls.", show_default=False)
]
NewWorkflowIdOption = Annotated[
    str | None, typer.Option("--workflow-id", "-w", help="Workflow ID; default: a new UUID.", show_default=False)
]
ExecutionTimeoutOption = Annotated[
    str | None, typer.Option("--execution-timeout", help="Limit for all runs, e.g. 1h.", show_default=False)
]
RunTimeoutOption = Annotated[
    str | None, typer.Option("--run-timeout", help="Limit for one run, e.g. 10m.", show_default=False)
]
TaskTimeoutOption = Annotated[
    str | None, typer.Option("--task-timeout", help="Limit for one workflow task, e.g. 10s.", show_default=False)
]
ReusePolicyOption = Annotated[
    str | None,
    typer.Option(
        "--id-reuse-policy",
        help="AllowDuplicate, AllowDuplicateFailedOnly, RejectDuplicate or TerminateIfRunning.",
        show_default=False,
    ),
]
ConflictPolicyOption = Annotated[
    str | None,
    typer.Option(
        "--id-conflict-policy",
        help="Fail, UseExisting or TerminateExisting (when the ID is running).",
        show_default=False,
    ),
]
RejectConditionOption = Annotated[
    RejectCondition | None,
    typer.Option(
        "--reject-condition",
        help=(
            "Refuse to query a workflow that is not_open (closed) or not_completed_cleanly "
            "(closed other than by completing); the refusal names its status."
        ),
        show_default=False,
    ),
]
StaticSummaryOption = Annotated[
    str | None,
    typer.Option("--static-summary", help="One-line summary UIs show for the workflow.", show_default=False),
]
StaticDetailsOption = Annotated[
    str | None,
    typer.Option("--static-details", help="Longer details UIs show for the workflow.", show_default=False),
]
QueryOption = Annotated[str, typer.Option("--query", "-q", help="Visibility filter, e.g. \"WorkflowType = 'Order'\".")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Recorded in the history.")]


@dataclass(frozen=True)
class StartOptions:
    """The options `start` and `execute` share, as typed (parsed when the command runs)."""

    workflow_type: TypeOption
    task_queue: TaskQueueOption
    workflow_id: NewWorkflowIdOption = None
    inputs: InputOption = None
    input_files: InputFileOption = None
    execution_timeout: ExecutionTimeoutOption = None
    run_timeout: RunTimeoutOption = None
    task_timeout: TaskTimeoutOption = None
    id_reuse_policy: ReusePolicyOption = None
    id_conflict_policy: ConflictPolicyOption = None
    static_summary: StaticSummaryOption = None
    static_details: StaticDetailsOption = None
    memo: more.MemoOption = None
    search_attributes: more.SearchAttributeOption = None
    headers: more.HeadersOption = None
    start_delay: more.StartDelayOption = None
    fail_existing: more.FailExistingOption = False


@command(app)
def start(cli: CliContext, options: StartOptions) -> None:
    """Start a workflow and print its workflow ID and run ID.

    \b
    Examples:
      tempo workflow start --type Order --task-queue deliveries --input 3
      tempo workflow start --type Order -t deliveries -w order-3 --input '{"items": 2}'
      tempo workflow start --type Order -t deliveries --input-file order.json -o json
      tempo workflow start --type Order -t deliveries --static-summary "Order 3" --static-details "3 pizzas"
    """
    from tempo_cli import _commands

    _commands.start(cli, options)


@command(app)
def execute(cli: CliContext, options: StartOptions) -> None:
    """Start a workflow, show its events as they happen, and print its result.

    Exits with code 1 if the workflow does not complete successfully.

    \b
    Examples:
      tempo workflow execute --type Order --task-queue deliveries --input 3
      tempo workflow execute --type Order -t deliveries -o json | jq .result
    """
    from tempo_cli import _commands

    _commands.execute(cli, options)


@command(app)
def result(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
) -> None:
    """Wait for a workflow to close and print its result (following continue-as-new).

    Exits with code 1 if the workflow does not complete successfully.

    \b
    Examples:
      tempo workflow result --workflow-id order-3
      tempo workflow result -w order-3 -o json
    """
    from tempo_cli import _commands

    _commands.result(cli, workflow_id, run_id)


@command(app)
def signal(
    cli: CliContext,
    name: Annotated[str, typer.Option("--name", help="Signal name.", show_default=False)],
    workflow_id: batch.OptionalWorkflowIdOption = None,
    run_id: RunIdOption = None,
    inputs: InputOption = None,
    input_files: InputFileOption = None,
    query: batch.QueryOption = None,
    reason: batch.BatchReasonOption = "",
    rps: batch.RpsOption = None,
    yes: batch.YesOption = False,
) -> None:
    """Send a signal to a running workflow.

    The signal is sent whatever its name, as `temporal workflow signal` sends it. If
    the workflow's worker lists its signals and NAME is not one of them, a warning
    names the ones it has.

    \b
    Examples:
      tempo workflow signal --workflow-id order-3 --name picked_up
      tempo workflow signal -w order-3 --name add_item --input '"tea"'
    """
    from tempo_cli import _batch_commands, _commands

    if _batch_commands.wants_batch(cli, workflow_id, run_id, query, rps, yes):
        _batch_commands.signal_workflows(cli, str(query), rps, yes, name, inputs or [], input_files or [], reason)
        return
    _commands.signal(cli, str(workflow_id), run_id, name, inputs or [], input_files or [])


@command(app)
def query(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    name: Annotated[str, typer.Option("--name", "--type", help="Query name (--type is an alias).", show_default=False)],
    run_id: RunIdOption = None,
    inputs: InputOption = None,
    input_files: InputFileOption = None,
    reject_condition: RejectConditionOption = None,
) -> None:
    """Ask a workflow's query handler for a value and print it as JSON.

    A worker for the workflow must be running. With --reject-condition, a
    workflow in the wrong state is not queried: the command says its status
    and exits with code 1.

    \b
    Examples:
      tempo workflow query --workflow-id order-3 --name status
      tempo workflow query -w order-3 --type items_with_prefix --input '"fresh "'
      tempo workflow query -w order-3 --name status --reject-condition not_open
    """
    from tempo_cli import _commands

    _commands.query(cli, workflow_id, run_id, name, inputs or [], input_files or [], reject_condition)


@command(app)
def stack(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    reject_condition: RejectConditionOption = None,
) -> None:
    """Print where a workflow's code is waiting: its worker's stack trace.

    Sends the `__stack_trace` query every official SDK answers, so a worker
    for the workflow must be running. A closed run whose worker has no code of it
    waiting has no stack: the command says so and exits with code 1.

    \b
    Examples:
      tempo workflow stack --workflow-id order-3
      tempo workflow stack -w order-3 -o json | jq -r .result
    """
    from tempo_cli import _commands

    _commands.stack(cli, workflow_id, run_id, reject_condition)


@command(app)
def describe(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    reset_points: Annotated[bool, typer.Option("--reset-points", help="Show only the auto-reset points.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the server's answer as protobuf JSON, as is.")] = False,
) -> None:
    """Show a workflow's status, type, times, pending work and, once closed, its result.

    \b
    Examples:
      tempo workflow describe --workflow-id order-3
      tempo workflow describe -w order-3 -o json | jq .workflowExecutionInfo.status
      tempo workflow describe -w order-3 --reset-points
    """
    from tempo_cli import _commands, _workflow_files

    if reset_points:
        _workflow_files.reset_points(cli, workflow_id, run_id)
    elif raw:
        _workflow_files.describe_raw(cli, workflow_id, run_id)
    else:
        _commands.describe(cli, workflow_id, run_id)


@command(app)
def show(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until the run closes.")
    ] = False,
) -> None:
    """Print a workflow run's event history.

    Text mode shows one row per event: ID, time, type and the attributes that
    matter. -o json prints the History message as protobuf JSON, like
    `temporal workflow show -o json`, which the SDKs' replayers accept;
    -o jsonl prints one event per line.

    \b
    Examples:
      tempo workflow show --workflow-id order-3
      tempo workflow show -w order-3 --follow
      tempo workflow show -w order-3 -o json > order-3.history.json
    """
    from tempo_cli import _commands

    _commands.show(cli, workflow_id, run_id, follow)


@command(app, "list")
def list_(
    cli: CliContext,
    query_: QueryOption = "",
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many.", min=1)] = None,
    time_format: TimeFormatOption = TimeFormat.relative,
) -> None:
    """List workflow runs, newest first.

    The table shows each run's status, workflow id, type and start time, as
    `temporal workflow list` does; -o json shows all the server knows of each.

    \b
    Examples:
      tempo workflow list
      tempo workflow list --query "WorkflowType = 'Order' AND ExecutionStatus = 'Running'"
      tempo workflow list --limit 10 --time-format iso
      tempo workflow list --limit 10 -o jsonl
    """
    from tempo_cli import _commands

    _commands.list_(cli, query_, limit, time_format)


@command(app)
def count(
    cli: CliContext,
    query_: QueryOption = "",
) -> None:
    """Count workflow runs matching a query.

    With `GROUP BY ExecutionStatus` at the end of the query, also prints one
    line per status: its count and its value.

    \b
    Examples:
      tempo workflow count
      tempo workflow count --query "ExecutionStatus = 'Running'" -o json
      tempo workflow count --query "WorkflowType = 'Order' GROUP BY ExecutionStatus"
    """
    from tempo_cli import _commands

    _commands.count(cli, query_)


@command(app)
def terminate(
    cli: CliContext,
    workflow_id: batch.OptionalWorkflowIdOption = None,
    run_id: RunIdOption = None,
    reason: ReasonOption = "Terminated by tempo CLI",
    query: batch.QueryOption = None,
    rps: batch.RpsOption = None,
    yes: batch.YesOption = False,
) -> None:
    """Stop a workflow at once; its code gets no chance to clean up.

    \b
    Examples:
      tempo workflow terminate --workflow-id order-3 --reason "duplicate order"
    """
    from tempo_cli import _batch_commands, _commands

    if _batch_commands.wants_batch(cli, workflow_id, run_id, query, rps, yes):
        _batch_commands.terminate_workflows(cli, str(query), rps, yes, reason)
        return
    _commands.terminate(cli, str(workflow_id), run_id, reason)


@command(app)
def cancel(
    cli: CliContext,
    workflow_id: batch.OptionalWorkflowIdOption = None,
    run_id: RunIdOption = None,
    reason: ReasonOption = "",
    query: batch.QueryOption = None,
    rps: batch.RpsOption = None,
    yes: batch.YesOption = False,
) -> None:
    """Ask a workflow to cancel; its code decides how to wind down.

    \b
    Examples:
      tempo workflow cancel --workflow-id order-3
    """
    from tempo_cli import _batch_commands, _commands

    if _batch_commands.wants_batch(cli, workflow_id, run_id, query, rps, yes):
        _batch_commands.cancel_workflows(cli, str(query), rps, yes, reason)
        return
    _commands.cancel(cli, str(workflow_id), run_id, reason)


@command(app, "update-options")
def update_options(
    cli: CliContext,
    behavior: Annotated[
        OverrideBehavior,
        typer.Option(
            "--versioning-override-behavior",
            help="Override the workflow's versioning behavior; unspecified removes the override.",
            show_default=False,
        ),
    ],
    workflow_id: batch.OptionalWorkflowIdOption = None,
    run_id: RunIdOption = None,
    query: batch.QueryOption = None,
    reason: ReasonOption = "",
    rps: batch.RpsOption = None,
    yes: batch.YesOption = False,
    deployment_name: Annotated[
        str | None,
        typer.Option(
            "--versioning-override-deployment-name",
            help="With pinned or one_time: the Deployment Name of the version to target.",
            show_default=False,
        ),
    ] = None,
    build_id: Annotated[
        str | None,
        typer.Option(
            "--versioning-override-build-id",
            help="With pinned or one_time: the Build ID of the version to target.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change workflows' options: their Worker Versioning override (one, or a batch with --query).

    \b
    Examples:
      tempo workflow update-options -w order-3 --versioning-override-behavior auto_upgrade
      tempo workflow update-options -w order-3 --versioning-override-behavior unspecified
      tempo workflow update-options --query "WorkflowType='Order'" --versioning-override-behavior auto_upgrade -y
    """
    from tempo_cli import _batch_commands, _options_commands

    override = _options_commands.versioning_override(cli, behavior, deployment_name, build_id)
    if _batch_commands.wants_batch(cli, workflow_id, run_id, query, rps, yes):
        _options_commands.update_options_batch(cli, str(query), rps, yes, reason, override)
        return
    _options_commands.update_options(cli, str(workflow_id), run_id, override)


@command(app)
def trace(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    depth: Annotated[int, typer.Option("--depth", help="Levels of child workflows to read; -1 for all.")] = -1,
    fold: Annotated[
        list[str] | None,
        typer.Option(
            "--fold",
            help="Fold children with these statuses (running, completed, failed, canceled, terminated, "
            "timedout, continueasnew); repeatable. Default: completed, canceled, terminated.",
            show_default=False,
        ),
    ] = None,
    no_fold: Annotated[bool, typer.Option("--no-fold", help="Show every child within --depth.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Histories fetched at a time.", min=1)] = 10,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Draw the tree again as it changes, until the workflow closes.")
    ] = False,
) -> None:
    """Show a workflow and its child workflows as a tree, with each one's status.

    \b
    Examples:
      tempo workflow trace --workflow-id order-3
      tempo workflow trace -w order-3 --no-fold --depth 2
      tempo workflow trace -w order-3 --follow
    """
    from tempo_cli._trace_command import fold_statuses, run_trace

    run_trace(cli, workflow_id, run_id, depth, fold_statuses(cli, fold or [], no_fold), concurrency, follow)


update_app = typer.Typer(
    help=(
        "Send a workflow an update, and read its outcome.\n\n"
        "\b\nExamples:\n"
        "  tempo workflow update execute -w order-3 --name add_item -i '\"tea\"'\n"
        "  tempo workflow update start -w order-3 --name approve --wait-for-stage accepted --update-id u1\n"
        "  tempo workflow update result -w order-3 --update-id u1"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.add_typer(update_app, name="update")
update_app.callback()(store_global_options)

UpdateNameOption = Annotated[
    str, typer.Option("--name", "--type", help="The update handler's name.", show_default=False)
]
UpdateIdOption = Annotated[str, typer.Option("--update-id", help="Update ID.", show_default=False)]
NewUpdateIdOption = Annotated[
    str | None, typer.Option("--update-id", help="Update ID; default: a new UUID.", show_default=False)
]


class WaitForStage(enum.StrEnum):
    accepted = "accepted"


@command(update_app, "execute")
def update_execute(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    name: UpdateNameOption,
    run_id: RunIdOption = None,
    inputs: InputOption = None,
    input_files: InputFileOption = None,
    update_id: NewUpdateIdOption = None,
) -> None:
    """Send an update and wait for its handler's result.

    \b
    Examples:
      tempo workflow update execute -w order-3 --name add_item -i '"tea"'
      tempo workflow update execute -w order-3 --name total -o json | jq .result
    """
    from tempo_cli import _update_commands

    _update_commands.send(cli, workflow_id, run_id, name, inputs or [], input_files or [], update_id, True)


@command(update_app, "start")
def update_start(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    name: UpdateNameOption,
    wait_for_stage: Annotated[
        WaitForStage, typer.Option("--wait-for-stage", help="Return once the update is accepted.")
    ],
    run_id: RunIdOption = None,
    inputs: InputOption = None,
    input_files: InputFileOption = None,
    update_id: NewUpdateIdOption = None,
) -> None:
    """Send an update and return once the workflow has accepted it.

    \b
    Examples:
      tempo workflow update start -w order-3 --name approve --wait-for-stage accepted --update-id u1
    """
    from tempo_cli import _update_commands

    _update_commands.send(cli, workflow_id, run_id, name, inputs or [], input_files or [], update_id, False)


@command(update_app, "result")
def update_result(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    update_id: UpdateIdOption,
    run_id: RunIdOption = None,
) -> None:
    """Wait for an update's result.

    \b
    Examples:
      tempo workflow update result -w order-3 --update-id u1
    """
    from tempo_cli import _update_commands

    _update_commands.result(cli, workflow_id, run_id, update_id)


@command(update_app, "describe")
def update_describe(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    update_id: UpdateIdOption,
    run_id: RunIdOption = None,
) -> None:
    """Show how far an update has got, and its result once it has one.

    \b
    Examples:
      tempo workflow update describe -w order-3 --update-id u1
    """
    from tempo_cli import _update_commands

    _update_commands.describe(cli, workflow_id, run_id, update_id)


# `tempo workflow delete` (one run, or a batch job with --query) lives with the batch commands.
command(app, "delete")(batch.delete_workflow)
# `tempo workflow pause` and `unpause` live in their own module.
command(app, "pause")(pause.pause_workflow)
command(app, "unpause")(pause.unpause_workflow)

# signal-with-start, the update-with-start pair, metadata and fix-history-json register themselves.
from tempo_cli import workflow_more  # noqa: E402, F401
