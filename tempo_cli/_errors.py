"""One-line messages for the errors a `tempo workflow` command can expect."""

from __future__ import annotations

import sys

from sdk.client import WorkflowStatus
from sdk.converter import PayloadDecodeError
from sdk.exceptions import (
    RPCError,
    ServerUnreachableError,
    WorkflowAlreadyStartedError,
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from tempo_cli._cli import UsageError
from tempo_cli._lean_errors import not_found_words


def describe_error(err: Exception, namespace: str) -> str | None:
    """The one-line message for an expected error, or ``None`` for a bug (re-raised)."""
    if isinstance(err, ServerUnreachableError | UsageError) or _is_codec_server_error(err):
        return str(err)
    if isinstance(err, WorkflowQueryRejectedError):
        # Worded as `temporal workflow query --reject-condition` words it.
        return f"query was rejected, workflow has status: {WorkflowStatus(err.status).display}"
    if isinstance(err, WorkflowAlreadyStartedError):
        return (
            f"workflow {err.workflow_id!r} is already running (run {err.run_id}); "
            "use --id-conflict-policy UseExisting to attach to it"
        )
    if isinstance(err, WorkflowNotFoundError):
        if err.already_closed:
            which = f"workflow {err.workflow_id!r}" if err.workflow_id else "workflow"
            return f"{which} is already closed"
        return not_found_words(err.message, err.workflow_id, namespace)
    if isinstance(err, WorkflowQueryFailedError):
        return f"query failed: {err}"
    if isinstance(err, RPCError):
        if err.status_code.name == "NOT_FOUND" and "namespace" in str(err).lower():
            return f"namespace {namespace!r} not found"
        if err.status_code.name == "DEADLINE_EXCEEDED":
            return "the server did not answer in time (is a worker polling the task queue?)"
        return f"server refused the request ({err.status_code.name}): {err}"
    if isinstance(err, PayloadDecodeError):
        if "unknown payload encoding" in str(err):  # a codec's (encrypted, compressed)
            return f"cannot decode a value from the server: {err}; decode it with --codec-endpoint"
        return f"cannot decode a value from the server: {err}"
    if isinstance(err, ValueError):
        # Client.connect's address check and similar argument checks.
        return str(err)
    return None


def _is_codec_server_error(err: Exception) -> bool:
    # Only a command with a codec server loaded `_codec_http`: importing it here would load
    # aiohttp (about 130 ms) for every other command's error message.
    codec_http = sys.modules.get("tempo_cli._codec_http")
    return codec_http is not None and isinstance(err, codec_http.CodecServerError)
