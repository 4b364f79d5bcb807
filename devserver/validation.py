"""A request's own fields, checked as the real server's frontend checks them (before any run is touched)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from google.protobuf.message import Message
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums

from devserver.core import cron
from devserver.core.ids import is_uuid
from devserver.core.limits import Limits
from devserver.core.mutable_state import MutableState
from devserver.core.protos import seconds_of, with_value_names
from devserver.errors import InvalidArgument, WorkflowAlreadyStarted

log = logging.getLogger("tempo.engine")

Status = with_value_names(wf_enums.WorkflowExecutionStatus)
ReusePolicy = with_value_names(wf_enums.WorkflowIdReusePolicy)
ConflictPolicy = with_value_names(wf_enums.WorkflowIdConflictPolicy)
VersioningBehavior = with_value_names(wf_enums.VersioningBehavior)

_CRON_CHECK_FROM = datetime(2000, 1, 1, tzinfo=UTC)

# Limits the real server enforces (its defaults), so users meet them here first.
MAX_ID_LENGTH = 1000

_FAILED_STATUSES = {
    Status.WORKFLOW_EXECUTION_STATUS_FAILED,
    Status.WORKFLOW_EXECUTION_STATUS_CANCELED,
    Status.WORKFLOW_EXECUTION_STATUS_TERMINATED,
    Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
}


def check_blob_size(*messages: Message, limits: Limits) -> None:
    """Payloads over the real server's blob limit (2 MB unless limit.blobSize.error says otherwise)
    are refused here too, not first in production.

    Like the real server, a payload is refused only when it is over the warn limit too
    (limit.blobSize.error below limit.blobSize.warn takes effect from the warn limit).
    """
    for message in messages:
        size = message.ByteSize()
        if size > limits.blob_size_warn:
            if size > limits.blob_size_error:
                raise InvalidArgument("Blob data size exceeds limit.")
            log.warning("Blob data size exceeds the warning limit (%d > %d bytes).", size, limits.blob_size_warn)


def validate_start(request: wsv1.StartWorkflowExecutionRequest, limits: Limits) -> None:
    """A start request's own fields, checked as the real server's frontend checks them."""
    if not request.workflow_id:
        raise InvalidArgument("WorkflowId is not set on request.")
    if len(request.workflow_id) > MAX_ID_LENGTH:
        raise InvalidArgument("WorkflowId length exceeds limit.")
    if not request.workflow_type.name:
        raise InvalidArgument("WorkflowType is not set on request.")
    if len(request.workflow_type.name) > MAX_ID_LENGTH:
        raise InvalidArgument("WorkflowType length exceeds limit.")
    if not request.task_queue.name:
        raise InvalidArgument("TaskQueue is not set on request.")
    if len(request.task_queue.name) > MAX_ID_LENGTH:
        raise InvalidArgument("taskQueue length exceeds limit")
    if len(request.request_id) > MAX_ID_LENGTH:
        raise InvalidArgument("RequestId length exceeds limit.")
    check_blob_size(request.input, request.memo, request.header, limits=limits)
    for name in ("workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "workflow_start_delay"):
        if seconds_of(getattr(request, name)) < 0:
            raise InvalidArgument(f"Invalid {name}: must not be negative.")
    check_versioning_override(request)
    if request.cron_schedule and request.HasField("workflow_start_delay"):
        raise InvalidArgument("CronSchedule and WorkflowStartDelay may not be used together.")
    check_cron_schedule(request.cron_schedule)


def check_cron_schedule(text: str) -> None:
    """A cron string the real server's parser takes, and that names a time at all (a cron
    string repeats within years, so any starting point tells)."""
    if not text:
        return
    try:
        schedule = cron.parse(text)
    except cron.CronError:
        raise InvalidArgument("invalid CronSchedule.") from None
    if schedule.next_after(_CRON_CHECK_FROM) is None:
        raise InvalidArgument("invalid CronSchedule, no time can be found to satisfy the schedule")


def check_versioning_override(
    request: wsv1.StartWorkflowExecutionRequest | wsv1.SignalWithStartWorkflowExecutionRequest,
) -> None:
    """A behavior the real server does not know is refused with its words (proto3 enums are
    open: any number decodes)."""
    if not request.HasField("versioning_override"):
        return
    behavior = request.versioning_override.behavior
    if behavior not in VersioningBehavior.values():
        raise InvalidArgument(f"override behavior {behavior} not recognized")


def conflict_policy_for_running(request: wsv1.StartWorkflowExecutionRequest) -> int:
    """What a start does about a running run of its workflow id (TERMINATE_IF_RUNNING, the
    older reuse policy, means TERMINATE_EXISTING).

    The real server meets a conflict policy it does not know in a switch's default branch and
    answers INTERNAL "something went wrong, please retry": a request that can never succeed is
    refused here as the client's mistake instead (docs/wire/enums.md).
    """
    if request.workflow_id_reuse_policy == ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING:
        return ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
    policy = request.workflow_id_conflict_policy
    if policy not in ConflictPolicy.values():
        raise InvalidArgument(f"unknown workflow ID conflict policy: {policy}")
    return policy


def check_reuse_policy(request: wsv1.StartWorkflowExecutionRequest, last: MutableState) -> None:
    """Whether a start may follow `last`, the workflow id's closed run.

    A reuse policy the real server does not know reaches a default branch there (INTERNAL
    "something went wrong, please retry"), only when such a run exists; the same case is
    INVALID_ARGUMENT here (docs/wire/enums.md).
    """
    policy = request.workflow_id_reuse_policy
    if policy not in ReusePolicy.values():
        raise InvalidArgument(f"unknown workflow ID reuse policy: {policy}")
    location = f"WorkflowId: {request.workflow_id}, RunId: {last.key.run_id}."
    if policy == ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
        raise WorkflowAlreadyStarted(
            f"Workflow execution already finished. {location} Workflow Id reuse policy: reject duplicate workflow Id.",
            last.start_request_id,
            last.key.run_id,
            last.first_execution_run_id,
        )
    if (
        policy == ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
        and last.status not in _FAILED_STATUSES
    ):
        raise WorkflowAlreadyStarted(
            f"Workflow execution already finished successfully. {location} "
            "Workflow Id reuse policy: allow duplicate workflow Id if last run failed.",
            last.start_request_id,
            last.key.run_id,
            last.first_execution_run_id,
        )


def check_run_id(run_id: str) -> None:
    """A run id must be a UUID (the real server's check)."""
    if not is_uuid(run_id):
        raise InvalidArgument("Invalid RunId.")
