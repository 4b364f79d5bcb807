"""`tempo workflow signal-with-start` and `start|execute-update-with-start`: one request that
starts the workflow if it is not running, and signals or updates it.

Output as `temporal` prints it: "Running execution:" and a key/value table, or with -o json the
keys `workflowId`, `runId`, `type`, `namespace` (plus `updateName`, `updateId`, `updateResult`
for updates). A refused start or update is a one-line error, exit code 1.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.any_pb2 import Any as AnyProto
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.errordetails.v1 import MultiOperationExecutionFailure
from temporalio.api.failure.v1 import MultiOperationExecutionAborted
from temporalio.api.update.v1 import Input, Meta, Request, WaitPolicy
from temporalio.api.workflowservice.v1 import (
    ExecuteMultiOperationRequest,
    SignalWithStartWorkflowExecutionRequest,
    UpdateWorkflowExecutionRequest,
)

from sdk._client_rpc import map_error, status_detail
from sdk._payload_codec import coded_call
from sdk.client import Client, WorkflowUpdateStage
from sdk.exceptions import RPCError, WorkflowUpdateFailedError
from tempo_cli._commands import validated
from tempo_cli._context import CliContext, UsageError
from tempo_cli._inputs import parse_inputs
from tempo_cli._render import key_value_table
from tempo_cli._start_request import StartRequest, parse_start
from tempo_cli._update_commands import _failure_text, _poll

if TYPE_CHECKING:
    from tempo_cli.workflow import StartOptions
    from tempo_cli.workflow_more import SignalOptions, UpdateOptions

# Long enough for a worker to run the update's handler; a longer wait goes on polling.
_CALL_TIMEOUT = 60.0

_LABELS = {
    "workflowId": "WorkflowId",
    "runId": "RunId",
    "type": "Type",
    "namespace": "Namespace",
    "updateName": "UpdateName",
    "updateId": "UpdateID",
    "updateResult": "UpdateResult",
}


def _print(cli: CliContext, doc: dict[str, Any]) -> None:
    if cli.json_mode:
        cli.write_json(doc)
        return
    cli.out.print("Running execution:")
    cli.print_table(key_value_table([(f"  {_LABELS[key]}", value) for key, value in doc.items()]))


def _started_doc(cli: CliContext, start: StartRequest, run_id: str) -> dict[str, Any]:
    return {
        "workflowId": start.options.id,
        "runId": run_id,
        "type": start.workflow_type,
        "namespace": cli.settings.namespace,
    }


def signal_with_start(cli: CliContext, typed: StartOptions, signal: SignalOptions) -> None:
    """`tempo workflow signal-with-start`: SignalWithStartWorkflowExecution."""
    start = validated(cli, parse_start, typed)
    signal_args = validated(cli, _signal_inputs, signal)

    async def work(client: Client) -> dict[str, Any]:
        conn = client._conn
        request = SignalWithStartWorkflowExecutionRequest(
            **start.fields(client),
            signal_name=signal.signal_name,
            signal_input=Payloads(payloads=client.data_converter.to_payloads(signal_args)) if signal_args else None,
        )
        response = await conn.call(
            conn.service.SignalWithStartWorkflowExecution,
            request,
            workflow_id=start.options.id,
            codec=client.data_converter.payload_codec,
        )
        return _started_doc(cli, start, response.run_id)

    _print(cli, cli.run(work))


def _signal_inputs(signal: SignalOptions) -> list[Any]:
    try:
        return parse_inputs(signal.signal_inputs or [], signal.signal_input_files or [])
    except UsageError as err:
        raise UsageError(str(err).replace("--input", "--signal-input")) from None


def _update_inputs(update: UpdateOptions) -> list[Any]:
    try:
        return parse_inputs(update.update_inputs or [], update.update_input_files or [])
    except UsageError as err:
        raise UsageError(str(err).replace("--input", "--update-input")) from None


def update_with_start(cli: CliContext, typed: StartOptions, update: UpdateOptions, *, wait_for_result: bool) -> None:
    """`start-update-with-start` (returns once accepted) and `execute-update-with-start` (waits for the result)."""
    start = validated(cli, parse_start, typed)
    update_args = validated(cli, _update_inputs, update)
    if start.options.id_conflict_policy is None:
        # As `temporal` asks: what to do with a running workflow must be said, not guessed.
        cli.abort("--id-conflict-policy is required (UseExisting, TerminateExisting or Fail)")
    update_id = update.update_id or str(uuid.uuid4())
    stage = WorkflowUpdateStage.COMPLETED if wait_for_result else WorkflowUpdateStage.ACCEPTED

    async def work(client: Client) -> dict[str, Any]:
        request = ExecuteMultiOperationRequest(namespace=client.namespace)
        request.operations.add().start_workflow.CopyFrom(start.message(client))
        request.operations.add().update_workflow.CopyFrom(
            UpdateWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=start.options.id, run_id=update.run_id or ""),
                first_execution_run_id=update.first_execution_run_id or "",
                wait_policy=WaitPolicy(lifecycle_stage=int(stage)),  # type: ignore[arg-type]
                request=Request(
                    meta=Meta(update_id=update_id, identity=client.identity),
                    input=Input(
                        name=update.update_name,
                        args=Payloads(payloads=client.data_converter.to_payloads(update_args)) if update_args else None,
                    ),
                ),
            )
        )
        conn = client._conn
        try:
            response = await coded_call(
                conn.service.ExecuteMultiOperation,
                request,
                client.data_converter.payload_codec,
                timeout=_CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            raise _multi_operation_error(err, client, start.options.id) from None
        run_id = response.responses[0].start_workflow.run_id
        doc = {**_started_doc(cli, start, run_id), "updateName": update.update_name, "updateId": update_id}
        updated = response.responses[1].update_workflow
        outcome = updated.outcome if updated.HasField("outcome") else None
        if wait_for_result or (outcome is not None and outcome.HasField("failure")):
            if outcome is None:  # the server held the update past its deadline: wait on
                _, outcome = await _poll(client, start.options.id, run_id, update_id, wait=True)
            if outcome.HasField("failure"):
                cause = client.data_converter.from_failure(outcome.failure)
                raise UsageError(f"unable to update workflow: {_failure_text(WorkflowUpdateFailedError(cause))}")
        if wait_for_result:
            payloads = outcome.success.payloads if outcome is not None else []
            doc["updateResult"] = client.data_converter.from_payload(payloads[0]) if payloads else None
        return doc

    _print(cli, cli.run(work))


def _multi_operation_error(err: grpc.aio.AioRpcError, client: Client, workflow_id: str) -> Exception:
    """The failed operation's reason (the other one is only "aborted"), worded as `temporal` words it."""
    detail = status_detail(err)
    if isinstance(detail, AnyProto):
        failure = MultiOperationExecutionFailure()
        if detail.Unpack(failure):
            reasons = [s.message for s in failure.statuses if s.code and not _aborted(s)]
            if reasons:
                return UsageError(f"failed workflow start: {reasons[0]}")
    mapped = map_error(err, client._conn.address, workflow_id)
    if isinstance(mapped, RPCError) and mapped.status_code == grpc.StatusCode.INVALID_ARGUMENT:
        return UsageError(str(mapped))
    return mapped


def _aborted(status: Any) -> bool:
    return any(d.Is(MultiOperationExecutionAborted.DESCRIPTOR) for d in status.details)
