"""`tempo schedule ...`: the flags of `temporal schedule ...` (create, describe, list, update,
toggle, trigger, backfill, list-matching-times, delete).

This module only declares options and help; `_schedule_commands` does the work (imported when a
command runs, so `--help` stays fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tempo_cli._context import CliContext, TimeFormat, TimeFormatOption, command, store_global_options
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
def update(
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
    """Replace a schedule's spec, action and policies with the ones given (flags left out take
    their defaults, as with `temporal schedule update`).

    \b
    Examples:
      tempo schedule update --schedule-id nightly --cron '0 4 * * *' -w report --type Report -t reports
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.update(
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
    time_format: TimeFormatOption = TimeFormat.relative,
) -> None:
    """List the schedules of the namespace.

    \b
    Examples:
      tempo schedule list
      tempo schedule list --time-format iso
      tempo schedule list -o json | jq -r '.[].scheduleId'
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.list_schedules(cli, query, time_format)


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


StartTimeOption = Annotated[
    str, typer.Option("--start-time", help="Start of the time range (RFC 3339, e.g. 2026-05-01T00:00:00Z).")
]
EndTimeOption = Annotated[str, typer.Option("--end-time", help="End of the time range (RFC 3339).")]


@command(app)
def backfill(
    cli: CliContext,
    schedule_id: ScheduleIdOption,
    start_time: StartTimeOption,
    end_time: EndTimeOption,
    overlap_policy: Annotated[
        str,
        typer.Option("--overlap-policy", help="Skip, BufferOne, BufferAll, CancelOther, TerminateOther or AllowAll."),
    ] = "Skip",
) -> None:
    """Take the actions the schedule would have taken between two times (runs missed while it
    was paused, or before it existed).

    \b
    Examples:
      tempo schedule backfill -s nightly --start-time 2026-05-01T00:00:00Z --end-time 2026-05-31T23:59:59Z \\
          --overlap-policy BufferAll
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.backfill(cli, schedule_id, start_time, end_time, overlap_policy)


@command(app, "list-matching-times")
def list_matching_times(
    cli: CliContext, schedule_id: ScheduleIdOption, start_time: StartTimeOption, end_time: EndTimeOption
) -> None:
    """List the times the schedule's spec matches between two times.

    \b
    Examples:
      tempo schedule list-matching-times -s nightly --start-time 2026-05-01T00:00:00Z --end-time 2026-05-08T00:00:00Z
    """
    from tempo_cli import _schedule_commands

    _schedule_commands.list_matching_times(cli, schedule_id, start_time, end_time)
