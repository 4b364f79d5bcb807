"""What each `tempo activity` command does, once its options are parsed (kept apart from
`activity.py` so that `--help` never pays for importing the SDK and the protobuf modules).

The calls go straight to the service (the SDK client does not wrap them); the server's
answers become one-line messages that name the workflow and the activity.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from google.protobuf.duration_pb2 import Duration
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflowservice.v1.request_response_pb2 import (
    PauseActivityRequest,
    ResetActivityRequest,
    RespondActivityTaskCompletedByIdRequest,
    RespondActivityTaskFailedByIdRequest,
    UnpauseActivityRequest,
)

from sdk._client_rpc import map_error
from sdk.client import Client
from sdk.exceptions import ServerUnreachableError, TempoError
from tempo_cli._context import CliContext, UsageError

_RPC_TIMEOUT = 10.0


def _json(flag: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{flag} is not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None


def _as_typed(text: str) -> Payload:
    """A JSON value as a payload, its text kept as typed (as the `temporal` CLI sends it)."""
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def _explain(err: Any, client: Client, workflow_id: str, activity_id: str) -> Exception:
    """The server's refusal (a failed call of either transport: ``client._conn.failure``) as a
    message about this workflow and activity."""
    mapped = map_error(err, client.address, workflow_id)
    if isinstance(mapped, ServerUnreachableError):
        return mapped
    message = err.details() or ""
    code = err.code().name
    if code == "NOT_FOUND":
        if "workflow not found" in message or "workflow execution not found" in message:
            return UsageError(f"workflow {workflow_id!r} not found in namespace {client.namespace!r}")
        if "already completed" in message and "workflow" in message:
            return UsageError(f"workflow {workflow_id!r} is already closed")
        if "namespace" in message.lower():
            return UsageError(f"namespace {client.namespace!r} not found")
        if "activity" in message.lower():
            return UsageError(f"activity {activity_id!r} is not pending in workflow {workflow_id!r} ({message})")
    if code == "FAILED_PRECONDITION" and "already paused" in message:
        return UsageError(f"activity {activity_id!r} of workflow {workflow_id!r} is already paused")
    return UsageError(f"server refused the request ({code}): {message}")


# What the server answers (NOT_FOUND) when an activity it knows is not running an attempt
# that the request could act on: e.g. a scheduled activity no worker has started, or a
# paused one. `describe` still lists it as pending, so the plain words would mislead.
_NO_RUNNING_ATTEMPT = "invalid activityID or activity already timed out or invoking workflow is completed"

_STATE_WORDS = {
    PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED: "scheduled but not started (no worker has picked it up)",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED: "paused, with no attempt running",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED: "being paused",
    PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED: "being canceled",
}


async def _not_running(client: Client, workflow_id: str, run_id: str | None, activity_id: str, verb: str) -> str | None:
    """Why an activity the server knows cannot be ``verb`` now: its state, as describe shows it."""
    try:
        described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    except TempoError:
        return None
    pending = next((a for a in described.raw_description.pending_activities if a.activity_id == activity_id), None)
    if pending is None:
        return None
    state = _STATE_WORDS.get(pending.state, "not running an attempt")
    return f"activity {activity_id!r} of workflow {workflow_id!r} is {state}, so it cannot be {verb} yet"


def _run(
    cli: CliContext,
    workflow_id: str,
    activity_id: str,
    call: Callable[[Client], tuple[Any, Any]],
    done: str,
    doc: dict[str, Any],
    run_id: str | None = None,
) -> None:
    """Send one request (``call`` gives the stub method and the request) and report the outcome."""

    async def work(client: Client) -> None:
        from sdk._payload_codec import coded_call

        method, request = call(client)
        try:
            await coded_call(method, request, client.data_converter.payload_codec, timeout=_RPC_TIMEOUT)
        except client._conn.failure as err:
            failed: Any = err  # grpcio's AioRpcError or the blocking transport's CallFailed: both answer these
            if failed.code().name == "NOT_FOUND" and failed.details() == _NO_RUNNING_ATTEMPT:
                why = await _not_running(client, workflow_id, run_id, activity_id, done.lower())
                if why is not None:
                    raise UsageError(why) from None
            raise _explain(err, client, workflow_id, activity_id) from None

    cli.run_blocking(work)
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "activityId": activity_id, **doc})
    else:
        cli.info(f"{done} activity {activity_id} of workflow {workflow_id}.")


def _execution(workflow_id: str, run_id: str | None) -> WorkflowExecution:
    return WorkflowExecution(workflow_id=workflow_id, run_id=run_id or "")


def pause(
    cli: CliContext, workflow_id: str, run_id: str | None, activity_id: str, reason: str, identity: str | None
) -> None:
    """`tempo activity pause`."""

    def call(client: Client) -> tuple[Any, Any]:
        request = PauseActivityRequest(
            namespace=client.namespace,
            execution=_execution(workflow_id, run_id),
            id=activity_id,
            identity=identity or client.identity,
            reason=reason,
            # A new request each time, as `temporal activity pause` sends: pausing a paused
            # activity again is refused, not silently repeated.
            request_id=str(uuid.uuid4()),
        )
        return client.service.PauseActivity, request

    _run(cli, workflow_id, activity_id, call, "Paused", {"paused": True})


def unpause(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    reset_attempts: bool,
    reset_heartbeats: bool,
    identity: str | None,
    jitter: Duration | None = None,
) -> None:
    """`tempo activity unpause` (one activity; `jitter` as `temporal` sends it)."""

    def call(client: Client) -> tuple[Any, Any]:
        request = UnpauseActivityRequest(
            namespace=client.namespace,
            execution=_execution(workflow_id, run_id),
            id=activity_id,
            identity=identity or client.identity,
            reset_attempts=reset_attempts,
            reset_heartbeat=reset_heartbeats,
            jitter=jitter,
        )
        return client.service.UnpauseActivity, request

    _run(cli, workflow_id, activity_id, call, "Unpaused", {"paused": False})


def reset(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    keep_paused: bool,
    clear_heartbeat_details: bool,
    restore_original_options: bool,
    identity: str | None,
    jitter: Duration | None = None,
) -> None:
    """`tempo activity reset` (one activity)."""

    def call(client: Client) -> tuple[Any, Any]:
        request = ResetActivityRequest(
            namespace=client.namespace,
            execution=_execution(workflow_id, run_id),
            id=activity_id,
            identity=identity or client.identity,
            keep_paused=keep_paused,
            reset_heartbeat=clear_heartbeat_details,
            restore_original_options=restore_original_options,
            jitter=jitter,
        )
        return client.service.ResetActivity, request

    _run(cli, workflow_id, activity_id, call, "Reset", {"reset": True})


def complete(
    cli: CliContext, workflow_id: str, run_id: str | None, activity_id: str, result: str, identity: str | None
) -> None:
    """`tempo activity complete`."""
    try:
        value = _json("--result", result)
    except UsageError as err:
        cli.abort(str(err))
    payload = _as_typed(result)

    def call(client: Client) -> tuple[Any, Any]:
        request = RespondActivityTaskCompletedByIdRequest(
            namespace=client.namespace,
            workflow_id=workflow_id,
            run_id=run_id or "",
            activity_id=activity_id,
            result=Payloads(payloads=[payload]),
            identity=identity or client.identity,
        )
        return client.service.RespondActivityTaskCompletedById, request

    _run(cli, workflow_id, activity_id, call, "Completed", {"result": value}, run_id)


def fail(
    cli: CliContext,
    workflow_id: str,
    run_id: str | None,
    activity_id: str,
    reason: str,
    detail: str | None,
    identity: str | None,
) -> None:
    """`tempo activity fail`."""
    if detail is not None:
        try:
            _json("--detail", detail)
        except UsageError as err:
            cli.abort(str(err))

    def call(client: Client) -> tuple[Any, Any]:
        # As `temporal activity fail` records it: from the CLI, not retried.
        failure = Failure(message=reason, source="CLI")
        failure.application_failure_info.non_retryable = True
        if detail is not None:
            failure.application_failure_info.details.payloads.append(_as_typed(detail))
        request = RespondActivityTaskFailedByIdRequest(
            namespace=client.namespace,
            workflow_id=workflow_id,
            run_id=run_id or "",
            activity_id=activity_id,
            failure=failure,
            identity=identity or client.identity,
        )
        return client.service.RespondActivityTaskFailedById, request

    _run(cli, workflow_id, activity_id, call, "Failed", {"failure": reason}, run_id)
