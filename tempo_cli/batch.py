"""`tempo batch ...` (describe, list, terminate a batch job) and the options of the batch form
of `tempo workflow signal|cancel|terminate|delete|reset` (`--query`, `--rps`, `--yes`).

The flags of `temporal batch ...` and of the `temporal workflow ... --query` forms. A batch job
runs on the server (StartBatchOperation); these commands start it, show it, or stop it. This
module only declares options and help; `_batch_commands` does the work (imported when a
command runs, so `--help` stays fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tempo_cli._context import CliContext, TimeFormat, TimeFormatOption, command, store_global_options
from tempo_cli._usage_errors import OneLineUsageErrors

app = typer.Typer(
    help=(
        "Show, list or stop batch jobs: one operation (terminate, cancel, signal, delete, reset) "
        "on every workflow a query matches.\n\n"
        "\b\nExamples:\n"
        "  tempo workflow terminate --query \"WorkflowType='Order'\" --reason cleanup --yes\n"
        "  tempo batch list\n"
        "  tempo batch describe --job-id JOB\n"
        "  tempo batch terminate --job-id JOB --reason 'wrong query'"
    ),
    no_args_is_help=True,
    cls=OneLineUsageErrors,
    rich_markup_mode=None,
)
app.callback()(store_global_options)

JobIdOption = Annotated[str, typer.Option("--job-id", help="Batch job ID.", show_default=False)]

# Options of the batch form of `tempo workflow ...`.
QueryOption = Annotated[
    str | None,
    typer.Option(
        "--query", "-q", help="Act on every workflow this List Filter matches (a batch job).", show_default=False
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
BatchReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (with --query); default: your user name.", show_default=False)
]
OptionalWorkflowIdOption = Annotated[
    str | None,
    typer.Option("--workflow-id", "-w", help="Workflow ID. Give this or --query.", show_default=False),
]


@command(app)
def describe(cli: CliContext, job_id: JobIdOption) -> None:
    """Show a batch job: its state, type and progress.

    \b
    Examples:
      tempo batch describe --job-id JOB
      tempo batch describe --job-id JOB -o json
    """
    from tempo_cli import _batch_commands

    _batch_commands.describe(cli, job_id)


@command(app, "list")
def list_jobs(
    cli: CliContext,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most this many batch jobs.", show_default=False)
    ] = None,
    time_format: TimeFormatOption = TimeFormat.relative,
) -> None:
    """List the namespace's batch jobs, newest first.

    \b
    Examples:
      tempo batch list
      tempo batch list --time-format iso
      tempo batch list --limit 5 -o json
    """
    from tempo_cli import _batch_commands

    _batch_commands.list_jobs(cli, limit, time_format)


@command(app)
def terminate(
    cli: CliContext,
    job_id: JobIdOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the job is stopped. Required.", show_default=False)],
) -> None:
    """Stop a running batch job; workflows it already reached stay as they are.

    \b
    Examples:
      tempo batch terminate --job-id JOB --reason "wrong query"
    """
    from tempo_cli import _batch_commands

    _batch_commands.stop(cli, job_id, reason)


def delete_workflow(
    cli: CliContext,
    workflow_id: OptionalWorkflowIdOption = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", "-r", help="Run ID; default: the latest run.", show_default=False)
    ] = None,
    query: QueryOption = None,
    reason: BatchReasonOption = "",
    rps: RpsOption = None,
    yes: YesOption = False,
) -> None:
    """Delete a workflow run and its history (a running one is terminated first).

    \b
    Examples:
      tempo workflow delete --workflow-id order-3
      tempo workflow delete --query "ExecutionStatus='Completed'" --yes
    """
    from tempo_cli import _batch_commands

    if _batch_commands.wants_batch(cli, workflow_id, run_id, query, rps, yes):
        _batch_commands.delete_workflows(cli, str(query), rps, yes, reason)
    else:
        _batch_commands.delete_one(cli, str(workflow_id), run_id)
