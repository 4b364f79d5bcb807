"""More `tempo workflow` commands: signal-with-start, start-update-with-start,
execute-update-with-start, metadata and fix-history-json (options and help only; the work is in
`_with_start_commands` and `_workflow_files`, imported when a command runs).

Imported at the end of `workflow.py`, which these commands register on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tempo_cli._context import CliContext, command
from tempo_cli.workflow import (
    RejectConditionOption,
    RunIdOption,
    StartOptions,
    WaitForStage,
    WorkflowIdOption,
    app,
)


@dataclass(frozen=True)
class SignalOptions:
    """The signal that `signal-with-start` sends."""

    signal_name: Annotated[
        str,
        typer.Option("--signal-name", "--signal-type", help="Signal name (alias --signal-type).", show_default=False),
    ]
    signal_inputs: Annotated[
        list[str] | None,
        typer.Option("--signal-input", help="A signal argument as JSON; repeatable.", show_default=False),
    ] = None
    signal_input_files: Annotated[
        list[Path] | None,
        typer.Option("--signal-input-file", help="A file holding one signal argument as JSON.", show_default=False),
    ] = None


@dataclass(frozen=True)
class UpdateOptions:
    """The update that the *-update-with-start commands send."""

    update_name: Annotated[
        str,
        typer.Option("--update-name", "--update-type", help="Update name (alias --update-type).", show_default=False),
    ]
    update_id: Annotated[
        str | None, typer.Option("--update-id", help="Update ID; default: a new UUID.", show_default=False)
    ] = None
    update_inputs: Annotated[
        list[str] | None,
        typer.Option("--update-input", help="An update argument as JSON; repeatable.", show_default=False),
    ] = None
    update_input_files: Annotated[
        list[Path] | None,
        typer.Option("--update-input-file", help="A file holding one update argument as JSON.", show_default=False),
    ] = None
    run_id: RunIdOption = None
    first_execution_run_id: Annotated[
        str | None,
        typer.Option(
            "--update-first-execution-run-id",
            help="Send the update to the latest run of the chain this run started.",
            show_default=False,
        ),
    ] = None


@command(app, "signal-with-start")
def signal_with_start(cli: CliContext, options: StartOptions, signal: SignalOptions) -> None:
    """Signal a workflow, starting it first if it is not running.

    Prints the workflow ID and the run ID that got the signal (the running one, or the
    new one).

    \b
    Examples:
      tempo workflow signal-with-start --type Order -t deliveries -w order-3 --signal-name add --signal-input '"tea"'
      tempo workflow signal-with-start --type Order -t deliveries -w order-3 --signal-name ping -o json
    """
    from tempo_cli import _with_start_commands

    _with_start_commands.signal_with_start(cli, options, signal)


@command(app, "start-update-with-start")
def start_update_with_start(
    cli: CliContext,
    options: StartOptions,
    update: UpdateOptions,
    wait_for_stage: Annotated[
        WaitForStage, typer.Option("--update-wait-for-stage", help="Return once the update is accepted.")
    ],
) -> None:
    """Send a workflow an update, starting the workflow first if needed; return once accepted.

    --id-conflict-policy is required: UseExisting sends the update to a running
    workflow, TerminateExisting starts it over.

    \b
    Examples:
      tempo workflow start-update-with-start --type Order -t deliveries -w order-3 --id-conflict-policy UseExisting \\
          --update-name approve --update-wait-for-stage accepted
    """
    from tempo_cli import _with_start_commands

    _with_start_commands.update_with_start(cli, options, update, wait_for_result=False)


@command(app, "execute-update-with-start")
def execute_update_with_start(cli: CliContext, options: StartOptions, update: UpdateOptions) -> None:
    """Send a workflow an update, starting the workflow first if needed; wait for its result.

    --id-conflict-policy is required: UseExisting sends the update to a running
    workflow, TerminateExisting starts it over.

    \b
    Examples:
      tempo workflow execute-update-with-start --type Order -t deliveries -w order-3 --id-conflict-policy UseExisting \\
          --update-name add_item --update-input '"tea"'
    """
    from tempo_cli import _with_start_commands

    _with_start_commands.update_with_start(cli, options, update, wait_for_result=True)


@command(app)
def metadata(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    reject_condition: RejectConditionOption = None,
) -> None:
    """Show a workflow's type and its signal, query and update handlers, as its worker reports them.

    Sends the `__temporal_workflow_metadata` query, so a worker for the workflow must be
    running.

    \b
    Examples:
      tempo workflow metadata --workflow-id order-3
      tempo workflow metadata -w order-3 -o json
    """
    from tempo_cli import _workflow_files

    _workflow_files.metadata(cli, workflow_id, run_id, reject_condition)


@command(app, "fix-history-json")
def fix_history_json(
    cli: CliContext,
    source: Annotated[Path, typer.Option("--source", "-s", help="The history JSON file to fix.", show_default=False)],
    target: Annotated[
        Path | None,
        typer.Option("--target", "-t", help="Where to write it; default: stdout.", show_default=False),
    ] = None,
) -> None:
    """Rewrite a history JSON file written by older tools in today's protobuf JSON.

    Enum values written the old way (`"eventType": "WorkflowExecutionStarted"`,
    `"kind": "Normal"`) become their full names, which the SDKs' replayers read.

    \b
    Examples:
      tempo workflow fix-history-json -s old.history.json -t order-3.history.json
    """
    from tempo_cli import _workflow_files

    _workflow_files.fix_history_json(cli, source, target)
