"""`tempo workflow update start|execute|result|describe`: workflow updates, as `temporal` sends them.

Output as the real CLI's: a key/value table (`Name`, `UpdateID`, `Result`, `Stage`), or with
-o json the same keys (`name`, `updateId`, `result`, `stage`). A failed or refused update is a
one-line error naming the handler's failure, exit code 1.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import grpc
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest

from sdk.client import Client, WorkflowUpdateStage
from sdk.exceptions import ApplicationError, RPCError, WorkflowUpdateFailedError
from tempo_cli._commands import validated
from tempo_cli._context import CliContext, UsageError
from tempo_cli._inputs import parse_inputs
from tempo_cli._render import key_value_table

_STAGE_NAMES = {
    WorkflowUpdateStage.ADMITTED: "Admitted",
    WorkflowUpdateStage.ACCEPTED: "Accepted",
    WorkflowUpdateStage.COMPLETED: "Completed",
}


def _failure_text(err: WorkflowUpdateFailedError) -> str:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return f"{cause.message} (type: {cause.type}, retryable: {str(not cause.non_retryable).lower()})"
    return str(cause)


def _print(cli: CliContext, fields: dict[str, Any]) -> None:
    if cli.json_mode:
        cli.write_json(fields)
        return
    labels = {"name": "Name", "updateId": "UpdateID", "result": "Result", "stage": "Stage"}
    cli.print_table(key_value_table([(labels[key], value) for key, value in fields.items()]))


def send(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    name: str,
    inputs: list[str],
    files: list[Path],
    update_id: str | None,
    wait_for_completion: bool,
) -> None:
    """`update execute` (waits for the result) and `update start` (returns once accepted)."""
    args = validated(cli, parse_inputs, inputs, files)
    update_id = update_id or str(uuid.uuid4())

    async def work(client: Client) -> dict[str, Any]:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        try:
            if wait_for_completion:
                value = await handle.execute_update(name, *args, id=update_id)
                return {"name": name, "updateId": update_id, "result": value}
            await handle.start_update(name, *args, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        except WorkflowUpdateFailedError as err:
            raise UsageError(f"unable to update workflow: {_failure_text(err)}") from None
        return {"name": name, "updateId": update_id}

    _print(cli, cli.run(work))


def result(cli: CliContext, workflow_id: str, run_id: str | None, update_id: str) -> None:
    """`update result`: wait for an update's outcome."""

    async def work(client: Client) -> dict[str, Any]:
        _, outcome = await _poll(client, workflow_id, run_id, update_id, wait=True)
        return {"updateId": update_id, "result": _value(client, outcome)}

    _print(cli, cli.run(work))


def describe(cli: CliContext, workflow_id: str, run_id: str | None, update_id: str) -> None:
    """`update describe`: an update's stage, and its result once completed (without waiting)."""

    async def work(client: Client) -> dict[str, Any]:
        stage, outcome = await _poll(client, workflow_id, run_id, update_id, wait=False)
        fields: dict[str, Any] = {"updateId": update_id}
        if outcome is not None:
            fields["result"] = _value(client, outcome)
        fields["stage"] = _STAGE_NAMES.get(WorkflowUpdateStage(stage), str(stage)) if stage else "Unspecified"
        return fields

    _print(cli, cli.run(work))


async def _poll(client: Client, workflow_id: str, run_id: str | None, update_id: str, *, wait: bool) -> tuple[int, Any]:
    conn = client._conn
    request = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""), update_id=update_id
        ),
        identity=client.identity,
        wait_policy=WaitPolicy(lifecycle_stage=WorkflowUpdateStage.COMPLETED if wait else 0),  # type: ignore[arg-type]
    )
    while True:
        try:
            response = await conn.call(
                conn.service.PollWorkflowExecutionUpdate,
                request,
                timeout=75.0,
                workflow_id=workflow_id,
                codec=client.data_converter.payload_codec,
            )
        except RPCError as err:
            if err.status_code == grpc.StatusCode.NOT_FOUND:
                raise UsageError(f"unable to fetch update result: update {update_id!r} not found") from None
            if wait and err.status_code == grpc.StatusCode.DEADLINE_EXCEEDED:
                continue
            raise
        if not wait or response.HasField("outcome"):
            return response.stage, response.outcome if response.HasField("outcome") else None


def _value(client: Client, outcome: Any) -> Any:
    if outcome is None:
        return None
    if outcome.HasField("failure"):
        cause = client.data_converter.from_failure(outcome.failure)
        raise UsageError(f"unable to update workflow: {_failure_text(WorkflowUpdateFailedError(cause))}")
    if not outcome.success.payloads:
        return None
    return client.data_converter.from_payload(outcome.success.payloads[0])
