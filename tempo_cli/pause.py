"""`tempo workflow pause` and `tempo workflow unpause`: options and help only (registered in
`workflow.py`); `_pause_commands` does the work and is imported when a command runs."""

from __future__ import annotations

from typing import Annotated

import typer

from tempo_cli._context import CliContext

WorkflowIdOption = Annotated[str, typer.Option("--workflow-id", "-w", help="Workflow ID.", show_default=False)]
RunIdOption = Annotated[
    str | None, typer.Option("--run-id", "-r", help="Run ID; default: the latest run.", show_default=False)
]


def pause_workflow(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it is paused (shown by describe).")] = "",
) -> None:
    """Pause a workflow: no workflow task or activity attempt goes out until it is unpaused.

    Signals, fired timers and activity results are still recorded; the workflow sees them
    once unpaused. A workflow task a worker already runs finishes. The server must allow it:
    start it with --dynamic-config-value frontend.WorkflowPauseEnabled=true.

    \b
    Examples:
      tempo workflow pause --workflow-id order-3 --reason "courier service down"
    """
    from tempo_cli import _pause_commands

    _pause_commands.pause(cli, workflow_id, run_id, reason)


def unpause_workflow(
    cli: CliContext,
    workflow_id: WorkflowIdOption,
    run_id: RunIdOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it is unpaused (recorded in the history).")] = "",
) -> None:
    """Unpause a paused workflow: its next workflow task and waiting activities go out.

    \b
    Examples:
      tempo workflow unpause --workflow-id order-3
    """
    from tempo_cli import _pause_commands

    _pause_commands.unpause(cli, workflow_id, run_id, reason)
