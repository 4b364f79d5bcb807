"""What `tempo workflow result`, `execute`, `terminate` and `cancel` print in text mode: a
closed run's outcome rows and error line, and the messages of a termination or cancellation.

Only the standard library and the plain tables: both the app's commands (`_commands`, which
print through `_cli.CliContext`) and the lean path (`_lean_commands`, which loads neither the
SDK's client, `_cli` nor Rich) call these, so the two print the same bytes.
"""

from __future__ import annotations

from typing import Any

from tempo_cli._render_text import compact, status_text, status_words

TERMINATE_REASON = "Terminated by tempo CLI"
"""The reason `tempo workflow terminate` records when given no --reason (the Typer command's default)."""


def result_rows(
    status: int | None, completed: bool, result: Any, result_encoding: str | None, reason: str
) -> list[tuple[str, Any]]:
    """The rows under "Results:" for a closed run (``status`` None: a close event of no known
    status): its status, then its result (and the result's encoding when no converter reads
    it) once completed, else why it closed."""
    rows: list[tuple[str, Any]] = [("  Status", status_text(status) if status else "Unknown")]
    if completed:
        rows.append(("  Result", compact(result, limit=10_000)))
        # As `temporal` marks a result it could not decode.
        rows.append(("  ResultEncoding", result_encoding))
    else:
        rows.append(("  Reason", reason))
    return rows


def not_completed(workflow_id: str, status: int | None, reason: str) -> str:
    """The error a run that closed without completing ends the command with."""
    state = status_words(status) if status else "closed"
    return f"workflow {workflow_id} {state.lower()}: {reason}"


def terminated(workflow_id: str) -> str:
    return f"Terminated workflow {workflow_id}."


def cancel_requested(workflow_id: str) -> str:
    return f"Requested cancellation of workflow {workflow_id}."
