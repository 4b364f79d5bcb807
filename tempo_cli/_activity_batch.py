"""The batch form of `tempo activity unpause|reset|update-options` (`--query`): one batch job
that acts on every pending activity of each workflow the query matches, as `temporal activity
... --query` starts it (StartBatchOperation with an unpause, reset or update-activity-options
operation for all activities: `match_all`).

The flags are checked before connecting, as `temporal` checks them: --query excludes
--workflow-id, --run-id and --activity-id; --reason, --rps and --yes belong to --query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.batch.v1 import message_pb2 as batch_pb

from sdk._client_types import to_duration
from tempo_cli._activity_options import OptionChanges, options_and_mask
from tempo_cli._batch_commands import start_job
from tempo_cli._context import CliContext, UsageError
from tempo_cli._inputs import parse_duration
from tempo_cli._start_request import parse_key_values

_ZERO = re.compile(r"(0+(\.0*)?(ns|us|ms|s|m|h)?)+")


@dataclass(frozen=True)
class Target:
    """Which activities a command names: one (workflow and activity id) or a batch (query)."""

    workflow_id: str | None
    run_id: str | None
    activity_id: str | None
    query: str | None
    reason: str | None = None
    rps: float | None = None
    yes: bool = False
    headers: Sequence[str] = ()

    @property
    def batch(self) -> bool:
        return self.query is not None


def check_target(target: Target) -> None:
    """Refuse a mix of flags `temporal` refuses; raises UsageError with a one-line message.

    --headers are checked as `temporal` checks them (KEY=VALUE, VALUE in JSON); like its, these
    requests carry no workflow header, so they change nothing else.
    """
    parse_key_values("--headers", list(target.headers))
    if target.query is None:
        if target.rps is not None or target.yes:
            raise UsageError("--rps and --yes need --query")
        if target.reason is not None:
            raise UsageError("--reason needs --query (it is the batch job's reason)")
        if target.workflow_id is None or target.activity_id is None:
            raise UsageError("give --workflow-id and --activity-id for one activity, or --query for a batch")
        return
    if not target.query.strip():
        raise UsageError("--query must not be empty")
    if target.workflow_id is not None:
        raise UsageError("give --workflow-id or --query, not both")
    if target.run_id is not None:
        raise UsageError("--run-id cannot be used with --query")
    if target.activity_id is not None:
        raise UsageError(
            "--activity-id cannot be used with --query (the batch acts on every pending activity of the "
            "matching workflows)"
        )


def jitter_of(text: str | None) -> Duration | None:
    """--jitter as a Duration (None when not given, or 0s: `temporal`'s default); raises UsageError."""
    if text is not None and _ZERO.fullmatch(text.strip()):
        return None
    delay = parse_duration("--jitter", text)
    return None if delay is None else to_duration(delay)


def _start(cli: CliContext, target: Target, operation: dict[str, object]) -> None:
    assert target.query is not None
    start_job(cli, target.query, target.rps, target.yes, target.reason or "", operation)


def unpause_activities(
    cli: CliContext,
    target: Target,
    jitter: Duration | None,
    reset_attempts: bool,
    reset_heartbeats: bool,
    identity: str | None,
) -> None:
    """`tempo activity unpause --query`: unpause every paused activity of the matching workflows."""
    operation = batch_pb.BatchOperationUnpauseActivities(
        identity=identity or "",
        match_all=True,
        reset_attempts=reset_attempts,
        reset_heartbeat=reset_heartbeats,
        jitter=jitter,
    )
    _start(cli, target, {"unpause_activities_operation": operation})


def reset_activities(
    cli: CliContext,
    target: Target,
    jitter: Duration | None,
    keep_paused: bool,
    restore_original_options: bool,
    identity: str | None,
) -> None:
    """`tempo activity reset --query`: reset every pending activity of the matching workflows.

    As `temporal`'s batch reset, it always clears their heartbeat details.
    """
    operation = batch_pb.BatchOperationResetActivities(
        identity=identity or "",
        match_all=True,
        reset_heartbeat=True,
        keep_paused=keep_paused,
        jitter=jitter,
        restore_original_options=restore_original_options,
    )
    _start(cli, target, {"reset_activities_operation": operation})


def update_activity_options(cli: CliContext, target: Target, changes: OptionChanges) -> None:
    """`tempo activity update-options --query`: change the options of every pending activity of
    the matching workflows, or restore the ones they were scheduled with."""
    try:
        options, paths = options_and_mask(changes)
    except UsageError as err:
        cli.abort(str(err))
    # Always a mask, if an empty one (as `temporal` sends it: the real server's batch worker
    # crashes on a job without one); options only when there are some (the server refuses
    # them next to restore_original, which `temporal`'s batch --restore-original-options runs into).
    operation = batch_pb.BatchOperationUpdateActivityOptions(
        match_all=True, restore_original=changes.restore_original_options, update_mask=FieldMask(paths=paths)
    )
    if paths:
        operation.activity_options.CopyFrom(options)
    _start(cli, target, {"update_activity_options_operation": operation})
