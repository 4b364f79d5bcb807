"""What each `tempo activity` command does, once its options are parsed (kept apart from
`activity.py` so that `--help` never pays for importing the SDK and the protobuf modules).

The calls go straight to the service (the SDK client does not wrap them); the server's
answers become one-line messages that name the workflow and the activity. The requests, the
messages and the errors' words are `_lean_activity`'s, which the lean path (no Typer, no SDK
client) makes and prints the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from google.protobuf.duration_pb2 import Duration

from sdk._client_rpc import map_error
from sdk._request_id import request_id
from sdk.client import Client
from sdk.exceptions import ServerUnreachableError, TempoError
from tempo_cli._context import CliContext, UsageError
from tempo_cli._lean_activity import (
    NO_RUNNING_ATTEMPT,
    complete_request,
    done_message,
    fail_request,
    not_running,
    pause_request,
    refusal,
    reset_request,
    unpause_request,
)

_RPC_TIMEOUT = 10.0


def _json(flag: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{flag} is not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None


def _explain(err: Any, client: Client, workflow_id: str, activity_id: str) -> Exception:
    """The server's refusal (a failed call of either transport: ``client._conn.failure``) as a
    message about this workflow and activity (worded as the lean path words it: `_lean_activity`)."""
    mapped = map_error(err, client.address, workflow_id)
    if isinstance(mapped, ServerUnreachableError):
        return mapped
    return UsageError(refusal(err.code().name, err.details() or "", client.namespace, workflow_id, activity_id))


async def _not_running(client: Client, workflow_id: str, run_id: str | None, activity_id: str, verb: str) -> str | None:
    """Why an activity the server knows cannot be ``verb`` now: its state, as describe shows it."""
    try:
        described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    except TempoError:
        return None
    return not_running(described.raw_description.pending_activities, workflow_id, activity_id, verb)


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
            if failed.code().name == "NOT_FOUND" and failed.details() == NO_RUNNING_ATTEMPT:
                why = await _not_running(client, workflow_id, run_id, activity_id, done.lower())
                if why is not None:
                    raise UsageError(why) from None
            raise _explain(err, client, workflow_id, activity_id) from None

    cli.run_blocking(work)
    if cli.json_mode:
        cli.write_json({"workflowId": workflow_id, "activityId": activity_id, **doc})
    else:
        cli.info(done_message(done, workflow_id, activity_id))


def pause(
    cli: CliContext, workflow_id: str, run_id: str | None, activity_id: str, reason: str, identity: str | None
) -> None:
    """`tempo activity pause`."""

    def call(client: Client) -> tuple[Any, Any]:
        request = pause_request(
            client.namespace, identity or client.identity, workflow_id, run_id, activity_id, reason, request_id()
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
        flags = reset_attempts, reset_heartbeats
        request = unpause_request(
            client.namespace, identity or client.identity, workflow_id, run_id, activity_id, *flags, jitter
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
        flags = keep_paused, clear_heartbeat_details, restore_original_options
        request = reset_request(
            client.namespace, identity or client.identity, workflow_id, run_id, activity_id, *flags, jitter
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

    def call(client: Client) -> tuple[Any, Any]:
        request = complete_request(
            client.namespace, identity or client.identity, workflow_id, run_id, activity_id, result
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
        request = fail_request(
            client.namespace, identity or client.identity, workflow_id, run_id, activity_id, reason, detail
        )
        return client.service.RespondActivityTaskFailedById, request

    _run(cli, workflow_id, activity_id, call, "Failed", {"failure": reason}, run_id)
