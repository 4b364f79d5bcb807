"""`tempo workflow reset` and `tempo workflow reset with-workflow-update-options`: the flags of
`temporal workflow reset ...`, one workflow (-w) or a batch (-q).

This module only declares options and help; `_commands` and `_batch_commands` do the work
(imported when a command runs, so `--help` stays fast).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated

import typer

from tempo_cli import batch
from tempo_cli._context import CliContext, command
from tempo_cli._usage_errors import OneLineUsageErrors
from tempo_cli._versioning_options import OverrideBehavior

app = typer.Typer(
    help=(
        "Start a workflow over from a point in its history, as a new run.\n\n"
        "The new run keeps the history up to the workflow task you name, then runs on with the code "
        "your workers run now; signals and updates received after that point are given to it again. "
        "A running workflow is terminated. The way out of a workflow stuck on a bug: deploy the fix, "
        "then reset to before the bad workflow task.\n\n"
        "\b\nExamples:\n"
        '  tempo workflow reset --workflow-id order-3 --type LastWorkflowTask --reason "fixed the bug"\n'
        "  tempo workflow reset --workflow-id order-3 --event-id 4 --reason retry --reapply-exclude Signal\n"
        "  tempo workflow reset --query \"WorkflowType='Order'\" --type FirstWorkflowTask --reason again --yes"
    ),
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)


class ResetType(enum.StrEnum):
    """`--type` of `tempo workflow reset`: where to go back to, found in the run's history."""

    FirstWorkflowTask = "FirstWorkflowTask"
    LastWorkflowTask = "LastWorkflowTask"
    LastContinuedAsNew = "LastContinuedAsNew"


class ReapplyExclude(enum.StrEnum):
    """`--reapply-exclude` of `tempo workflow reset`: what the new run is not given again."""

    All = "All"
    Signal = "Signal"
    Update = "Update"


@dataclass
class ResetOptions:
    """The flags of `temporal workflow reset`, which its subcommand takes too."""

    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why; recorded in the new run's history. Required.", show_default=False),
    ] = None
    workflow_id: batch.OptionalWorkflowIdOption = None
    run_id: Annotated[
        str | None, typer.Option("--run-id", "-r", help="Run ID; default: the latest run.", show_default=False)
    ] = None
    event_id: Annotated[
        int | None,
        typer.Option(
            "--event-id",
            "-e",
            help="The end of the workflow task to go back to (WorkflowTaskCompleted, Failed or TimedOut).",
            show_default=False,
        ),
    ] = None
    reset_type: Annotated[
        ResetType | None,
        typer.Option("--type", "-t", help="Where to go back to, instead of --event-id.", show_default=False),
    ] = None
    reapply_exclude: Annotated[
        list[ReapplyExclude] | None,
        typer.Option(
            "--reapply-exclude",
            help="Do not give the new run the later signals or updates again (repeatable).",
            show_default=False,
        ),
    ] = None
    query: batch.QueryOption = None
    rps: batch.RpsOption = None
    yes: batch.YesOption = False


@command(app, runs_itself=True)
def reset(cli: CliContext, options: ResetOptions) -> None:
    """Start a workflow over from a point in its history, as a new run."""
    from tempo_cli import _commands

    _commands.reset_as_asked(cli, options, [])


@command(app, name="with-workflow-update-options")
def with_workflow_update_options(
    cli: CliContext,
    options: ResetOptions,
    behavior: Annotated[
        OverrideBehavior,
        typer.Option(
            "--versioning-override-behavior",
            help="Override the versioning behavior of the new run: pinned, one_time, auto_upgrade. Required.",
            show_default=False,
        ),
    ],
    deployment_name: Annotated[
        str,
        typer.Option(
            "--versioning-override-deployment-name",
            help="With pinned or one_time: the Deployment Name of the version to target.",
        ),
    ] = "",
    build_id: Annotated[
        str,
        typer.Option(
            "--versioning-override-build-id", help="With pinned or one_time: the Build ID of the version to target."
        ),
    ] = "",
) -> None:
    """Reset, then set the new run's workflow options (its versioning override) in the same step.

    Workflows selected by the reset flags (-w, or -q for a batch) are reset with the override.

    \b
    Examples:
      tempo workflow reset with-workflow-update-options -w order-3 -t LastWorkflowTask \\
          --reason upgrade --versioning-override-behavior auto_upgrade
    """
    from tempo_cli import _commands

    _commands.reset_as_asked(
        cli, options, [_commands.versioning_override_operation(cli, behavior, deployment_name, build_id)]
    )
