"""`tempo activity update-options`: change a pending activity's timeouts, retry policy or task
queue (UpdateActivityOptions, only the fields given), or restore the ones it was scheduled with.

Prints the activity's options as the server answers them: a key/value table, or with -o json
the ActivityOptions message as protobuf JSON. The options and mask, the request and the table
are `_lean_activity`'s, which the lean path (no Typer, no SDK client) makes and prints alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.activity.v1 import ActivityOptions

from sdk.client import Client
from tempo_cli import _lean_activity
from tempo_cli._activity_commands import _RPC_TIMEOUT, _explain
from tempo_cli._context import CliContext, UsageError
from tempo_cli._inputs import parse_duration
from tempo_cli._render import proto_json


@dataclass(frozen=True)
class OptionChanges:
    """The options as typed; ``None`` is "leave as it is"."""

    task_queue: str | None = None
    schedule_to_close_timeout: str | None = None
    schedule_to_start_timeout: str | None = None
    start_to_close_timeout: str | None = None
    heartbeat_timeout: str | None = None
    retry_initial_interval: str | None = None
    retry_maximum_interval: str | None = None
    retry_backoff_coefficient: float | None = None
    retry_maximum_attempts: int | None = None
    restore_original_options: bool = False


def options_and_mask(changes: OptionChanges) -> tuple[ActivityOptions, list[str]]:
    """The ActivityOptions to send and the mask naming the fields given; raises UsageError."""
    flags = {**_lean_activity.TIMEOUTS, **dict(_lean_activity.INTERVALS.values())}
    durations = {name: parse_duration(flag, getattr(changes, name)) for name, flag in flags.items()}
    try:
        return _lean_activity.options_and_mask(
            durations,
            changes.retry_backoff_coefficient,
            changes.retry_maximum_attempts,
            changes.task_queue,
            changes.restore_original_options,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None


def update_options(
    cli: CliContext, workflow_id: str, run_id: str | None, activity_id: str, changes: OptionChanges
) -> None:
    """`tempo activity update-options`."""
    try:
        options, paths = options_and_mask(changes)
    except UsageError as err:
        cli.abort(str(err))

    async def work(client: Client) -> ActivityOptions:
        request = _lean_activity.update_options_request(
            client.namespace,
            client.identity,
            workflow_id,
            run_id,
            activity_id,
            options,
            paths,
            changes.restore_original_options,
        )
        try:
            response = await client.service.UpdateActivityOptions(request, timeout=_RPC_TIMEOUT)
        except client._conn.failure as err:  # grpcio's error, or the blocking transport's
            raise _explain(err, client, workflow_id, activity_id) from None
        return response.activity_options

    updated = cli.run_blocking(work)
    if cli.json_mode:
        cli.write_json({"activityOptions": proto_json(updated)})
        return
    cli.info(_lean_activity.updated_message(workflow_id, activity_id))
    cli.print_table(_lean_activity.options_table(updated))
