"""`tempo activity update-options`: change a pending activity's timeouts, retry policy or task
queue (UpdateActivityOptions, only the fields given), or restore the ones it was scheduled with.

Prints the activity's options as the server answers them: a key/value table, or with -o json
the ActivityOptions message as protobuf JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.activity.v1 import ActivityOptions
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1.request_response_pb2 import UpdateActivityOptionsRequest

from sdk._client_types import to_duration
from sdk.client import Client
from tempo_cli._activity_commands import _RPC_TIMEOUT, _explain
from tempo_cli._context import CliContext, UsageError
from tempo_cli._inputs import parse_duration
from tempo_cli._render import key_value_table, proto_json


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


_TIMEOUTS = {
    "schedule_to_close_timeout": "--schedule-to-close-timeout",
    "schedule_to_start_timeout": "--schedule-to-start-timeout",
    "start_to_close_timeout": "--start-to-close-timeout",
    "heartbeat_timeout": "--heartbeat-timeout",
}
_INTERVALS = {
    "initial_interval": ("retry_initial_interval", "--retry-initial-interval"),
    "maximum_interval": ("retry_maximum_interval", "--retry-maximum-interval"),
}


def options_and_mask(changes: OptionChanges) -> tuple[ActivityOptions, list[str]]:
    """The ActivityOptions to send and the mask naming the fields given; raises UsageError."""
    options = ActivityOptions()
    paths: list[str] = []
    for field, flag in _TIMEOUTS.items():
        duration = parse_duration(flag, getattr(changes, field))
        if duration is not None:
            getattr(options, field).CopyFrom(to_duration(duration))
            paths.append(field)
    for field, (attribute, flag) in _INTERVALS.items():
        duration = parse_duration(flag, getattr(changes, attribute))
        if duration is not None:
            getattr(options.retry_policy, field).CopyFrom(to_duration(duration))
            paths.append(f"retry_policy.{field}")
    if changes.retry_backoff_coefficient is not None:
        if changes.retry_backoff_coefficient < 1:
            raise UsageError("--retry-backoff-coefficient must be 1 or larger")
        options.retry_policy.backoff_coefficient = changes.retry_backoff_coefficient
        paths.append("retry_policy.backoff_coefficient")
    if changes.retry_maximum_attempts is not None:
        if changes.retry_maximum_attempts < 0:
            raise UsageError("--retry-maximum-attempts must be 0 (unlimited) or more")
        options.retry_policy.maximum_attempts = changes.retry_maximum_attempts
        paths.append("retry_policy.maximum_attempts")
    if changes.task_queue is not None:
        if not changes.task_queue:
            raise UsageError("--task-queue must not be empty")
        options.task_queue.name = changes.task_queue
        paths.append("task_queue.name")
    if changes.restore_original_options and paths:
        raise UsageError("--restore-original-options cannot be combined with options to change")
    if not changes.restore_original_options and not paths:
        raise UsageError("give at least one option to change, or --restore-original-options")
    return options, paths


def update_options(
    cli: CliContext, workflow_id: str, run_id: str | None, activity_id: str, changes: OptionChanges
) -> None:
    """`tempo activity update-options`."""
    try:
        options, paths = options_and_mask(changes)
    except UsageError as err:
        cli.abort(str(err))

    async def work(client: Client) -> ActivityOptions:
        request = UpdateActivityOptionsRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            id=activity_id,
            identity=client.identity,
            restore_original=changes.restore_original_options,
        )
        if paths:
            request.activity_options.CopyFrom(options)
            request.update_mask.CopyFrom(FieldMask(paths=paths))
        try:
            response = await client.service.UpdateActivityOptions(request, timeout=_RPC_TIMEOUT)
        except client._conn.failure as err:  # grpcio's error, or the blocking transport's
            raise _explain(err, client, workflow_id, activity_id) from None
        return response.activity_options

    updated = cli.run_blocking(work)
    if cli.json_mode:
        cli.write_json({"activityOptions": proto_json(updated)})
        return
    cli.info(f"Updated the options of activity {activity_id} of workflow {workflow_id}.")
    cli.print_table(key_value_table(_rows(updated)))


def _rows(options: ActivityOptions) -> list[tuple[str, Any]]:
    retry = options.retry_policy
    return [
        ("TaskQueue", options.task_queue.name),
        ("ScheduleToCloseTimeout", _seconds(options.schedule_to_close_timeout)),
        ("ScheduleToStartTimeout", _seconds(options.schedule_to_start_timeout)),
        ("StartToCloseTimeout", _seconds(options.start_to_close_timeout)),
        ("HeartbeatTimeout", _seconds(options.heartbeat_timeout)),
        ("RetryInitialInterval", _seconds(retry.initial_interval)),
        ("RetryBackoffCoefficient", retry.backoff_coefficient or None),
        ("RetryMaximumInterval", _seconds(retry.maximum_interval)),
        ("RetryMaximumAttempts", retry.maximum_attempts),
    ]


def _seconds(duration: Any) -> str:
    return f"{duration.ToTimedelta().total_seconds():g}s"
