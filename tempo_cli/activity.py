"""`tempo activity ...`: pause, unpause, reset, complete or fail a workflow's activity, or
change its options; unpause, reset and update-options also act on every pending activity of
the workflows a query matches (a batch job, `_activity_batch`).

The verbs and flags of `temporal activity ...` for activities of workflows. Global options
as for `tempo workflow` (--address, --namespace, --output, --color), before or after the
subcommand. Messages go to stderr; with -o json the outcome is a JSON document on stdout.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Pause, unpause, reset, complete or fail an activity of a workflow, or change its options.\n\n"
        "\b\nExamples:\n"
        "  tempo activity pause --workflow-id order-3 --activity-id 1 --reason 'card service down'\n"
        "  tempo activity unpause --workflow-id order-3 --activity-id 1\n"
        "  tempo activity reset --workflow-id order-3 --activity-id 1\n"
        '  tempo activity unpause --query "TemporalPauseInfo IS NOT NULL" --yes\n'
        "  tempo activity complete --workflow-id order-3 --activity-id 1 --result '\"charged\"'\n"
        "  tempo activity fail --workflow-id order-3 --activity-id 1 --reason 'card declined'"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=OneLineUsageErrors,
)


app.callback()(store_global_options)


WorkflowIdOption = Annotated[
    str, typer.Option("--workflow-id", "-w", help="Workflow ID of the activity's workflow.", show_default=False)
]
ActivityIdOption = Annotated[str, typer.Option("--activity-id", "-a", help="Activity ID.", show_default=False)]
RunIdOption = Annotated[
    str | None, typer.Option("--run-id", "-r", help="Run ID; default: the latest run.", show_default=False)
]
# The batch form of unpause, reset and update-options (`temporal activity ... --query`).
OneWorkflowIdOption = Annotated[
    str | None,
    typer.Option(
        "--workflow-id", "-w", help="Workflow ID of the activity's workflow. Give this or --query.", show_default=False
    ),
]
OneActivityIdOption = Annotated[
    str | None,
    typer.Option("--activity-id", "-a", help="Activity ID (with --workflow-id). Not with --query.", show_default=False),
]
OneRunIdOption = Annotated[
    str | None,
    typer.Option("--run-id", "-r", help="Run ID; default: the latest run. Not with --query.", show_default=False),
]
QueryOption = Annotated[
    str | None,
    typer.Option(
        "--query",
        "-q",
        help="Act on every pending activity of every running workflow this List Filter matches (a batch job).",
        show_default=False,
    ),
]
BatchReasonOption = Annotated[
    str | None,
    typer.Option(
        "--reason", help="Why (the batch job's reason; only with --query); default: your user name.", show_default=False
    ),
]
RpsOption = Annotated[
    float | None,
    typer.Option(
        "--rps",
        help="Requests per second asked of the batch job (servers may pace jobs their own way). Only with --query.",
        show_default=False,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm the batch job. Only with --query.")]
JitterOption = Annotated[
    str | None,
    typer.Option("--jitter", help="Start the next attempt at a random time within this, e.g. 30s.", show_default=False),
]
HeadersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--headers",
        help="A workflow header (not a gRPC header) as KEY=VALUE, VALUE in JSON; repeatable. Checked, but these "
        "requests carry no header (as with temporal).",
        show_default=False,
    ),
]
IdentityOption = Annotated[
    str | None, typer.Option("--identity", help="Who asks; default: this client's identity.", show_default=False)
]


@command(app)
def pause(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    run_id: RunIdOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it is paused (shown by describe).")] = "",
    identity: IdentityOption = None,
) -> None:
    """Pause an activity: no new attempt starts until it is unpaused.

    An attempt already running goes on; its worker learns of the pause from its next
    heartbeat. If that attempt fails, the next one waits for the unpause.

    \b
    Examples:
      tempo activity pause --workflow-id order-3 --activity-id 1
      tempo activity pause -w order-3 -a 1 --reason "card service down"
    """
    from tempo_cli import _activity_commands

    _activity_commands.pause(cli, workflow_id, run_id, activity_id, reason, identity)


@command(app)
def unpause(
    cli: CliContext,
    workflow_id: OneWorkflowIdOption = None,
    activity_id: OneActivityIdOption = None,
    run_id: OneRunIdOption = None,
    query: QueryOption = None,
    reason: BatchReasonOption = None,
    rps: RpsOption = None,
    yes: YesOption = False,
    jitter: JitterOption = None,
    reset_attempts: Annotated[
        bool, typer.Option("--reset-attempts", help="Count attempts from 1 again.", show_default=False)
    ] = False,
    reset_heartbeats: Annotated[
        bool, typer.Option("--reset-heartbeats", help="Forget the heartbeat details.", show_default=False)
    ] = False,
    headers: HeadersOption = None,
    identity: IdentityOption = None,
) -> None:
    """Unpause an activity: a waiting attempt starts at once (or within --jitter).

    With --query, a batch job unpauses every paused activity of every running workflow the
    query matches; `tempo batch describe --job-id ID` shows how far it got.

    \b
    Examples:
      tempo activity unpause --workflow-id order-3 --activity-id 1
      tempo activity unpause -w order-3 -a 1 --reset-attempts
      tempo activity unpause --query "TemporalPauseInfo IS NOT NULL" --jitter 1m --yes
    """
    from tempo_cli import _activity_batch, _activity_commands

    target = _target(cli, workflow_id, run_id, activity_id, query, reason, rps, yes, headers)
    delay = _jitter(cli, jitter)
    if target.batch:
        _activity_batch.unpause_activities(cli, target, delay, reset_attempts, reset_heartbeats, identity)
        return
    assert workflow_id is not None and activity_id is not None
    _activity_commands.unpause(cli, workflow_id, run_id, activity_id, reset_attempts, reset_heartbeats, identity, delay)


def _target(
    cli: CliContext,
    workflow_id: str | None,
    run_id: str | None,
    activity_id: str | None,
    query: str | None,
    reason: str | None,
    rps: float | None,
    yes: bool,
    headers: list[str] | None,
) -> Any:
    """One activity or a batch, the flags checked as `temporal` checks them (one-line errors)."""
    from tempo_cli._activity_batch import Target, check_target
    from tempo_cli._context import UsageError

    target = Target(workflow_id, run_id, activity_id, query, reason, rps, yes, headers or ())
    try:
        check_target(target)
    except UsageError as err:
        cli.abort(str(err))
    return target


def _jitter(cli: CliContext, text: str | None) -> Any:
    from tempo_cli._activity_batch import jitter_of
    from tempo_cli._context import UsageError

    try:
        return jitter_of(text)
    except UsageError as err:
        cli.abort(str(err))


@command(app)
def reset(
    cli: CliContext,
    workflow_id: OneWorkflowIdOption = None,
    activity_id: OneActivityIdOption = None,
    run_id: OneRunIdOption = None,
    query: QueryOption = None,
    reason: BatchReasonOption = None,
    rps: RpsOption = None,
    yes: YesOption = False,
    jitter: JitterOption = None,
    keep_paused: Annotated[
        bool, typer.Option("--keep-paused", help="If it is paused, it stays paused.", show_default=False)
    ] = False,
    clear_heartbeat_details: Annotated[
        bool,
        typer.Option(
            "--clear-heartbeat-details",
            help="Forget the heartbeat details (a batch reset always does, as temporal's).",
            show_default=False,
        ),
    ] = False,
    restore_original_options: Annotated[
        bool,
        typer.Option("--restore-original-options", help="Go back to the options it was scheduled with."),
    ] = False,
    headers: HeadersOption = None,
    identity: IdentityOption = None,
) -> None:
    """Reset an activity: attempts count from 1 again and a waiting attempt starts at once.

    A running attempt's worker learns of the reset from its next heartbeat. A paused
    activity is unpaused unless --keep-paused. With --query, a batch job resets every
    pending activity of every running workflow the query matches.

    \b
    Examples:
      tempo activity reset --workflow-id order-3 --activity-id 1
      tempo activity reset -w order-3 -a 1 --keep-paused --clear-heartbeat-details
      tempo activity reset --query "WorkflowType='Order'" --keep-paused --yes
    """
    from tempo_cli import _activity_batch, _activity_commands

    target = _target(cli, workflow_id, run_id, activity_id, query, reason, rps, yes, headers)
    delay = _jitter(cli, jitter)
    if target.batch:
        _activity_batch.reset_activities(cli, target, delay, keep_paused, restore_original_options, identity)
        return
    assert workflow_id is not None and activity_id is not None
    _activity_commands.reset(
        cli,
        workflow_id,
        run_id,
        activity_id,
        keep_paused,
        clear_heartbeat_details,
        restore_original_options,
        identity,
        delay,
    )


@command(app)
def complete(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    result: Annotated[str, typer.Option("--result", help="The activity's result, as JSON.", show_default=False)],
    run_id: RunIdOption = None,
    identity: IdentityOption = None,
) -> None:
    """Complete a pending activity with a result, in place of its worker.

    \b
    Examples:
      tempo activity complete --workflow-id order-3 --activity-id 1 --result '"charged"'
      tempo activity complete -w order-3 -a 1 --result '{"receipt": 42}'
    """
    from tempo_cli import _activity_commands

    _activity_commands.complete(cli, workflow_id, run_id, activity_id, result, identity)


@command(app)
def fail(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    reason: Annotated[str, typer.Option("--reason", help="The failure's message.")] = "",
    detail: Annotated[
        str | None, typer.Option("--detail", help="Failure details, as JSON.", show_default=False)
    ] = None,
    run_id: RunIdOption = None,
    identity: IdentityOption = None,
) -> None:
    """Fail a running activity for good, in place of its worker (the failure is not retried).

    \b
    Examples:
      tempo activity fail --workflow-id order-3 --activity-id 1 --reason "card declined"
      tempo activity fail -w order-3 -a 1 --reason declined --detail '{"code": 51}'
    """
    from tempo_cli import _activity_commands

    _activity_commands.fail(cli, workflow_id, run_id, activity_id, reason, detail, identity)


def _duration_option(flag: str, what: str) -> Any:
    return typer.Option(flag, help=f"{what}, e.g. 30s.", show_default=False)


@command(app, "update-options")
def update_options(
    cli: CliContext,
    workflow_id: OneWorkflowIdOption = None,
    activity_id: OneActivityIdOption = None,
    run_id: OneRunIdOption = None,
    query: QueryOption = None,
    reason: BatchReasonOption = None,
    rps: RpsOption = None,
    yes: YesOption = False,
    task_queue: Annotated[
        str | None, typer.Option("--task-queue", help="Task queue of its next attempts.", show_default=False)
    ] = None,
    schedule_to_close_timeout: Annotated[
        str | None, _duration_option("--schedule-to-close-timeout", "Limit for all its attempts together")
    ] = None,
    schedule_to_start_timeout: Annotated[
        str | None, _duration_option("--schedule-to-start-timeout", "Limit for waiting in the task queue")
    ] = None,
    start_to_close_timeout: Annotated[
        str | None, _duration_option("--start-to-close-timeout", "Limit for one attempt")
    ] = None,
    heartbeat_timeout: Annotated[
        str | None, _duration_option("--heartbeat-timeout", "Longest time between heartbeats")
    ] = None,
    retry_initial_interval: Annotated[
        str | None, _duration_option("--retry-initial-interval", "Wait before the first retry")
    ] = None,
    retry_maximum_interval: Annotated[
        str | None, _duration_option("--retry-maximum-interval", "Longest wait between retries")
    ] = None,
    retry_backoff_coefficient: Annotated[
        float | None,
        typer.Option(
            "--retry-backoff-coefficient", help="Each wait is the last times this (>= 1).", show_default=False
        ),
    ] = None,
    retry_maximum_attempts: Annotated[
        int | None,
        typer.Option("--retry-maximum-attempts", help="Attempts before it fails; 0: no limit.", show_default=False),
    ] = None,
    restore_original_options: Annotated[
        bool, typer.Option("--restore-original-options", help="Go back to the options it was scheduled with.")
    ] = False,
    headers: HeadersOption = None,
) -> None:
    """Change a pending activity's timeouts, retry policy or task queue (only the options given).

    Prints the activity's options as they are now. With --query, a batch job changes the
    options of every pending activity of every running workflow the query matches.

    \b
    Examples:
      tempo activity update-options -w order-3 -a 1 --heartbeat-timeout 30s
      tempo activity update-options -w order-3 -a 1 --retry-maximum-attempts 5 --retry-initial-interval 2s
      tempo activity update-options -w order-3 -a 1 --restore-original-options
      tempo activity update-options --query "WorkflowType='Order'" --heartbeat-timeout 1m --yes
    """
    from tempo_cli._activity_options import OptionChanges, update_options

    target = _target(cli, workflow_id, run_id, activity_id, query, reason, rps, yes, headers)

    changes = OptionChanges(
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_initial_interval=retry_initial_interval,
        retry_maximum_interval=retry_maximum_interval,
        retry_backoff_coefficient=retry_backoff_coefficient,
        retry_maximum_attempts=retry_maximum_attempts,
        restore_original_options=restore_original_options,
    )
    if target.batch:
        from tempo_cli._activity_batch import update_activity_options

        update_activity_options(cli, target, changes)
        return
    assert workflow_id is not None and activity_id is not None
    update_options(cli, workflow_id, run_id, activity_id, changes)
