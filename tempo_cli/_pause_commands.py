"""What `tempo workflow pause` and `tempo workflow unpause` do, once their options are parsed
(kept apart from `workflow.py` so that `--help` never pays for importing the SDK).

The calls go straight to the service (the SDK client does not wrap them); the server's
refusals become one-line messages that name the workflow.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.api.workflowservice.v1.request_response_pb2 import (
    PauseWorkflowExecutionRequest,
    UnpauseWorkflowExecutionRequest,
)

from sdk._client_rpc import map_error
from sdk.client import Client
from tempo_cli._context import CliContext, UsageError

_RPC_TIMEOUT = 10.0
ENABLE_FLAG = "--dynamic-config-value frontend.WorkflowPauseEnabled=true"


def _explain(err: Any, client: Client, workflow_id: str) -> Exception:
    """The server's refusal (a failed call of either transport: ``client._conn.failure``) as a
    message about this workflow."""
    message = err.details() or ""
    code = err.code().name
    if code == "UNIMPLEMENTED":
        return UsageError(f"{message}: the server must be started with {ENABLE_FLAG}")
    if code == "FAILED_PRECONDITION" and "already paused" in message:
        return UsageError(f"workflow {workflow_id!r} is already paused")
    if code == "FAILED_PRECONDITION" and "not paused" in message:
        return UsageError(f"workflow {workflow_id!r} is not paused")
    if code == "NOT_FOUND" and "already completed" in message:
        return UsageError(f"workflow {workflow_id!r} is already closed")
    return map_error(err, client.address, workflow_id)


async def send(client: Client, workflow_id: str, run_id: str | None, pause: bool, reason: str) -> None:
    """Pause (or unpause) the workflow; a refusal raises a one-line error (UsageError or TempoError)."""
    fields: dict[str, Any] = {
        "namespace": client.namespace,
        "workflow_id": workflow_id,
        "run_id": run_id or "",
        "identity": client.identity,
        "reason": reason,
        # A new request each time, as `temporal workflow pause` sends.
        "request_id": str(uuid.uuid4()),
    }
    try:
        if pause:
            await client.service.PauseWorkflowExecution(PauseWorkflowExecutionRequest(**fields), timeout=_RPC_TIMEOUT)
        else:
            await client.service.UnpauseWorkflowExecution(
                UnpauseWorkflowExecutionRequest(**fields), timeout=_RPC_TIMEOUT
            )
    except client._conn.failure as err:  # grpcio's error, or the blocking transport's
        raise _explain(err, client, workflow_id) from None


def pause(cli: CliContext, workflow_id: str, run_id: str | None, reason: str) -> None:
    """`tempo workflow pause`."""
    cli.run_blocking(lambda client: send(client, workflow_id, run_id, True, reason))
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "paused": True})
    else:
        cli.info(f"Paused workflow {workflow_id}.")


def unpause(cli: CliContext, workflow_id: str, run_id: str | None, reason: str) -> None:
    """`tempo workflow unpause`."""
    cli.run_blocking(lambda client: send(client, workflow_id, run_id, False, reason))
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "paused": False})
    else:
        cli.info(f"Unpaused workflow {workflow_id}.")
