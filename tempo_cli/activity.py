"""`tempo activity ...`: pause, unpause, reset, complete or fail a workflow's activity.

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
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    run_id: RunIdOption = None,
    reset_attempts: Annotated[
        bool, typer.Option("--reset-attempts", help="Count attempts from 1 again.", show_default=False)
    ] = False,
    reset_heartbeats: Annotated[
        bool, typer.Option("--reset-heartbeats", help="Forget the heartbeat details.", show_default=False)
    ] = False,
    identity: IdentityOption = None,
) -> None:
    """Unpause an activity: a waiting attempt starts at once.

    \b
    Examples:
      tempo activity unpause --workflow-id order-3 --activity-id 1
      tempo activity unpause -w order-3 -a 1 --reset-attempts
    """
    from tempo_cli import _activity_commands

    _activity_commands.unpause(cli, workflow_id, run_id, activity_id, reset_attempts, reset_heartbeats, identity)


@command(app)
def reset(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    run_id: RunIdOption = None,
    keep_paused: Annotated[
        bool, typer.Option("--keep-paused", help="If it is paused, it stays paused.", show_default=False)
    ] = False,
    clear_heartbeat_details: Annotated[
        bool, typer.Option("--clear-heartbeat-details", help="Forget the heartbeat details.", show_default=False)
    ] = False,
    restore_original_options: Annotated[
        bool,
        typer.Option("--restore-original-options", help="Go back to the options it was scheduled with."),
    ] = False,
    identity: IdentityOption = None,
) -> None:
    """Reset an activity: attempts count from 1 again and a waiting attempt starts at once.

    A running attempt's worker learns of the reset from its next heartbeat. A paused
    activity is unpaused unless --keep-paused.

    \b
    Examples:
      tempo activity reset --workflow-id order-3 --activity-id 1
      tempo activity reset -w order-3 -a 1 --keep-paused --clear-heartbeat-details
    """
    from tempo_cli import _activity_commands

    _activity_commands.reset(
        cli, workflow_id, run_id, activity_id, keep_paused, clear_heartbeat_details, restore_original_options, identity
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
    workflow_id: WorkflowIdOption,
    activity_id: ActivityIdOption,
    run_id: RunIdOption = None,
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
) -> None:
    """Change a pending activity's timeouts, retry policy or task queue (only the options given).

    Prints the activity's options as they are now.

    \b
    Examples:
      tempo activity update-options -w order-3 -a 1 --heartbeat-timeout 30s
      tempo activity update-options -w order-3 -a 1 --retry-maximum-attempts 5 --retry-initial-interval 2s
      tempo activity update-options -w order-3 -a 1 --restore-original-options
    """
    from tempo_cli._activity_options import OptionChanges, update_options

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
    update_options(cli, workflow_id, run_id, activity_id, changes)
