"""`tempo schedule create|describe|list|toggle|trigger|delete`: the flags of `temporal schedule ...`.

This module only declares options and help; `_schedule_commands` does the work (imported when a
command runs, so `--help` stays fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tempo_cli._context import CliContext, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Create, show, pause, trigger and delete schedules: workflows started on a calendar or an interval.\n\n"
        "\b\nExamples:\n"
        "  tempo schedule create --schedule-id nightly --cron '0 3 * * *' -w report --type Report -t reports\n"
        "  tempo schedule list\n"
        "  tempo schedule toggle --schedule-id nightly --pause --reason 'holiday'\n"
        "  tempo schedule trigger --schedule-id nightly"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

ScheduleIdOption = Annotated[str, typer.Option("--schedule-id", "-s", help="Schedule ID.", show_default=False)]
OverlapOption = Annotated[
    str | None,
    typer.Option(
        "--overlap-policy",
        help="Skip, BufferOne, BufferAll, CancelOther, TerminateOther or AllowAll.",
        show_default=False,
    ),
]


@command(app)
def create(
    cli: CliContext,
    schedule_id: ScheduleIdOption,
    workflow_id: Annotated[str, typer.Option("--workflow-id", "-w", help="Workflow ID of the runs it starts.")],
    workflow_type: Annotated[str, typer.Option("--type", help="Workflow type name.")],
    task_queue: Annotated[str, typer.Option("--task-queue", "-t", help="Task queue.")],
    cron: Annotated[
        list[str] | None, typer.Option("--cron", help="A cron string; repeatable.", show_default=False)
    ] = None,
    interval: Annotated[
        list[str] | None,
        typer.Option(
            "--interval", help="Every DURATION, or DURATION/PHASE (e.g. 1h/15m); repeatable.", show_default=False
        ),
    ] = None,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="An argument as JSON; repeatable.", show_default=False)
    ] = None,
    input_files: Annotated[
        list[Path] | None, typer.Option("--input-file", help="A file holding one argument as JSON.", show_default=False)
    ] = None,
    overlap_policy: OverlapOption = None,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="Why it is paused.", show_default=False)] = None,
) -> None:
    """Create a schedule that starts a workflow on a cron string or an interval.

    \b
    Examples:
      tempo schedule create --schedule-id nightly --cron '0 3 * * *' -w report --type Report -t reports
      tempo schedule create -s every-5m --interval 5m -w poll --type Poll -t pollers --paused
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.create(
        cli,
        schedule_id,
        cron=cron or [],
        interval=interval or [],
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        task_queue=task_queue,
        inputs=inputs or [],
        input_files=input_files or [],
        overlap_policy=overlap_policy,
        paused=paused,
        notes=notes,
    )


@command(app)
def describe(cli: CliContext, schedule_id: ScheduleIdOption) -> None:
    """Show a schedule: its spec, action, policies, state, and recent and next runs.

    \b
    Examples:
      tempo schedule describe --schedule-id nightly
      tempo schedule describe -s nightly -o json | jq .info.futureActionTimes
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.describe(cli, schedule_id)


@command(app, "list")
def list_(
    cli: CliContext,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help='Filter, e.g. "TemporalSchedulePaused = true".')
    ] = None,
) -> None:
    """List the schedules of the namespace.

    \b
    Examples:
      tempo schedule list
      tempo schedule list -o json | jq -r '.[].scheduleId'
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.list_schedules(cli, query)


@command(app)
def toggle(
    cli: CliContext,
    schedule_id: ScheduleIdOption,
    pause: Annotated[bool, typer.Option("--pause", help="Pause the schedule.")] = False,
    unpause: Annotated[bool, typer.Option("--unpause", help="Unpause the schedule.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Recorded as the schedule's notes.")] = "(no reason provided)",
) -> None:
    """Pause or unpause a schedule.

    \b
    Examples:
      tempo schedule toggle --schedule-id nightly --pause --reason 'holiday'
      tempo schedule toggle -s nightly --unpause
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.toggle(cli, schedule_id, pause, unpause, reason)


@command(app)
def trigger(cli: CliContext, schedule_id: ScheduleIdOption, overlap_policy: OverlapOption = None) -> None:
    """Start the schedule's action now, whatever its spec says.

    \b
    Examples:
      tempo schedule trigger --schedule-id nightly
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.trigger(cli, schedule_id, overlap_policy)


@command(app)
def delete(cli: CliContext, schedule_id: ScheduleIdOption) -> None:
    """Delete a schedule (the workflows it started stay).

    \b
    Examples:
      tempo schedule delete --schedule-id nightly
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.delete(cli, schedule_id)
