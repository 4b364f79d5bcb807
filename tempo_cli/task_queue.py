"""`tempo task-queue ...`: the flags of `temporal task-queue describe|list-partition`.

This module only declares options and help; `_task_queue_commands` does the work (imported when
a command runs, so `--help` stays fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tempo_cli._context import CliContext, TimeFormat, TimeFormatOption, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Look at task queues: their pollers (workers), backlog and partitions.\n\n"
        "\b\nExamples:\n"
        "  tempo task-queue describe -t orders\n"
        "  tempo task-queue list-partition -t orders"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

TaskQueueOption = Annotated[
    str, typer.Option("--task-queue", "-t", help="Task Queue name. Required.", show_default=False)
]


@command(app)
def describe(
    cli: CliContext,
    task_queue: TaskQueueOption,
    task_queue_type: Annotated[
        list[str] | None,
        typer.Option(
            "--task-queue-type",
            help="Task Queue type; all types if not given. Accepted values: workflow, activity, nexus.",
            show_default=False,
        ),
    ] = None,
    select_build_id: Annotated[
        list[str] | None,
        typer.Option("--select-build-id", help="Filter the Task Queue based on Build ID.", show_default=False),
    ] = None,
    select_unversioned: Annotated[
        bool, typer.Option("--select-unversioned", help="Include the unversioned queue.")
    ] = False,
    select_all_active: Annotated[
        bool, typer.Option("--select-all-active", help="Include all active versions.")
    ] = False,
    report_reachability: Annotated[
        bool, typer.Option("--report-reachability", help="Display task reachability information.")
    ] = False,
    disable_stats: Annotated[bool, typer.Option("--disable-stats", help="Disable task queue statistics.")] = False,
    report_config: Annotated[
        bool, typer.Option("--report-config", help="Include task queue configuration in the response (legacy mode).")
    ] = False,
    legacy_mode: Annotated[
        bool,
        typer.Option(
            "--legacy-mode",
            help="Legacy mode for servers without rules-based worker versioning: pollers only.",
        ),
    ] = False,
    task_queue_type_legacy: Annotated[
        str,
        typer.Option(
            "--task-queue-type-legacy",
            help="Task Queue type (legacy mode only). Accepted values: workflow, activity.",
        ),
    ] = "workflow",
    partitions_legacy: Annotated[
        int, typer.Option("--partitions-legacy", help="Query partitions 1 through N (legacy mode only).")
    ] = 1,
    time_format: TimeFormatOption = TimeFormat.relative,
) -> None:
    """Show a task queue's pollers (the workers polling it), and its backlog and task rates.

    \b
    Examples:
      tempo task-queue describe -t orders
      tempo task-queue describe -t orders --time-format iso
      tempo task-queue describe -t orders --task-queue-type activity -o json
    """
    from tempo_cli import _task_queue_commands

    if legacy_mode:
        _task_queue_commands.describe_legacy(
            cli, task_queue, task_queue_type_legacy, partitions_legacy, report_config, time_format
        )
        return
    _task_queue_commands.describe(
        cli,
        _task_queue_commands.DescribeFlags(
            task_queue=task_queue,
            types=task_queue_type or [],
            build_ids=select_build_id or [],
            unversioned=select_unversioned,
            all_active=select_all_active,
            reachability=report_reachability,
            stats=not disable_stats,
            time_format=time_format,
        ),
    )


@command(app, name="list-partition")
def list_partition(cli: CliContext, task_queue: TaskQueueOption) -> None:
    """List a task queue's partitions and the host owning each.

    \b
    Examples:
      tempo task-queue list-partition -t orders
      tempo task-queue list-partition -t orders -o json
    """
    from tempo_cli import _task_queue_commands

    _task_queue_commands.list_partitions(cli, task_queue)
