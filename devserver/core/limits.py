"""History limits: how big a run may grow, when to suggest continue-as-new, when to stop it.

The numbers are the real server's defaults (its dynamic config keys in brackets);
`tempo server start-dev --dynamic-config-value KEY=JSON` changes them. The rules
follow what the real dev server was seen to do:

- A workflow task's started event carries `history_size_bytes` (the size of the
  history already stored, as the real server's serialized event batches count
  it) and suggests continue-as-new once the size or the started event's id
  reaches a threshold.
- A change that leaves a running run's history over the event-count or size
  error limit is not applied: the run is terminated instead ("Workflow history
  count exceeds limit.", identity `history-service`), and whoever asked for the
  change gets INVALID_ARGUMENT with that reason. The count includes the events
  the change adds, except external events (signals, activity results, ...) the
  real server buffers and numbers only when it stores them; the size counts only
  what was stored before the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2, failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core.protos import with_value_names

EventType = with_value_names(event_type_pb2.EventType)
CommandType = with_value_names(command_type_pb2.CommandType)
Cause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)
SuggestReason = with_value_names(wf_enums.SuggestContinueAsNewReason)

KIB = 1024
MIB = 1024 * 1024

HISTORY_COUNT_EXCEEDED = "Workflow history count exceeds limit."
HISTORY_SIZE_EXCEEDED = "Workflow history size exceeds limit."
# Who the real server names as terminating a run that outgrew its limits.
HISTORY_SERVICE_IDENTITY = "history-service"


@dataclass(frozen=True)
class Limits:
    """Per-run limits, in events and bytes."""

    history_count_error: int = 50 * KIB  # limit.historyCount.error
    history_count_warn: int = 10 * KIB  # limit.historyCount.warn
    history_count_suggest_continue_as_new: int = 4 * KIB  # limit.historyCount.suggestContinueAsNew
    history_size_error: int = 50 * MIB  # limit.historySize.error
    history_size_warn: int = 10 * MIB  # limit.historySize.warn
    history_size_suggest_continue_as_new: int = 4 * MIB  # limit.historySize.suggestContinueAsNew
    blob_size_error: int = 2 * MIB  # limit.blobSize.error: one payload field of a request or command
    blob_size_warn: int = 512 * KIB  # limit.blobSize.warn
    # Work a run may have pending at once; a workflow task whose command goes past one fails
    # with the matching PENDING_*_LIMIT_EXCEEDED cause (reliability helper: counted in
    # commands._validate, re-apply after the core refactor).
    pending_activities_error: int = 2000  # limit.numPendingActivities.error
    pending_children_error: int = 2000  # limit.numPendingChildExecutions.error
    pending_signals_error: int = 2000  # limit.numPendingSignals.error
    pending_cancels_error: int = 2000  # limit.numPendingCancelRequests.error


DEFAULT_LIMITS = Limits()


def encoded_size(event: history.HistoryEvent) -> int:
    """Bytes an event adds to a stored history batch (a `History` message): tag, length, body."""
    body = event.ByteSize()
    return 1 + _varint_length(body) + body


def _varint_length(value: int) -> int:
    length = 1
    while value >= 0x80:
        value >>= 7
        length += 1
    return length


def suggest_continue_as_new_reasons(history_size: int, started_event_id: int, limits: Limits) -> list[int]:
    """Why a workflow task started as `started_event_id` should suggest continue-as-new (empty: it should not)."""
    reasons: list[int] = []
    if history_size >= limits.history_size_suggest_continue_as_new:
        reasons.append(SuggestReason.SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE)
    if started_event_id >= limits.history_count_suggest_continue_as_new:
        reasons.append(SuggestReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS)
    return reasons


# Events the real server writes at once; every other kind is buffered and only numbered
# when stored (or when a workflow task scheduled in the same change flushes it).
_WRITTEN_AT_ONCE = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_TIMER_CANCELED,
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
    EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
}


def exceeded(
    running: bool, next_event_id: int, history_size: int, new_events: Sequence[history.HistoryEvent], limits: Limits
) -> str | None:
    """The reason to terminate a run instead of applying a change that wrote `new_events`, or None.

    `next_event_id` and `history_size` are the run's, with the change applied.
    """
    if not running:
        return None
    # Only a history over a limit with the change can have been over it before: the common
    # case asks no event its size again.
    if history_size > limits.history_size_error:
        stored_size = history_size - sum(encoded_size(e) for e in new_events)
        if stored_size > limits.history_size_error:
            return HISTORY_SIZE_EXCEEDED
    if next_event_id - 1 > limits.history_count_error:
        unnumbered = 0
        for event in reversed(new_events):
            if event.event_type in _WRITTEN_AT_ONCE:
                break
            unnumbered += 1
        if next_event_id - 1 - unnumbered > limits.history_count_error:
            return HISTORY_COUNT_EXCEEDED
    return None


def warnings(next_event_id: int, history_size: int, limits: Limits) -> list[str]:
    """The warn limits a run's history is over (the real server logs these)."""
    found = []
    if next_event_id - 1 > limits.history_count_warn:
        found.append(f"history count exceeds warn limit ({next_event_id - 1} > {limits.history_count_warn} events)")
    if history_size > limits.history_size_warn:
        found.append(f"history size exceeds warn limit ({history_size} > {limits.history_size_warn} bytes)")
    return found


def near_error_limit(next_event_id: int, history_size: int, limits: Limits) -> bool:
    """Past half an error limit: the engine then keeps a copy of the run to undo a change that
    would cross it (a change much bigger than that is applied, then the run is terminated)."""
    return 2 * (next_event_id - 1) >= limits.history_count_error or 2 * history_size >= limits.history_size_error


def oversized_payload(command: command_pb.Command, limits: Limits) -> tuple[int, str] | None:
    """(workflow task failed cause, message) when a command carries a payload over the blob
    limits; the real server then fails the task and terminates the run with that message.
    (Causes and wording are the real server's, including a completion's odd cause.)"""
    kind = command.command_type
    size = 0
    found: tuple[int, str] | None = None
    if kind == CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        size = command.schedule_activity_task_command_attributes.input.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
            "ScheduleActivityTaskCommandAttributes.Input exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        size = command.complete_workflow_execution_command_attributes.result.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
            "CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        size = command.fail_workflow_execution_command_attributes.failure.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
            "FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_RECORD_MARKER:
        details = command.record_marker_command_attributes.details
        size = sum(len(key) + value.ByteSize() for key, value in details.items())
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
            "RecordMarkerCommandAttributes.Details exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        size = command.continue_as_new_workflow_execution_command_attributes.input.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
            "ContinueAsNewWorkflowExecutionCommandAttributes. Input exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        size = command.start_child_workflow_execution_command_attributes.input.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
            "StartChildWorkflowExecutionCommandAttributes. Input exceeds size limit.",
        )
    elif kind == CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        size = command.signal_external_workflow_execution_command_attributes.input.ByteSize()
        found = (
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            "SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.",
        )
    # Like the real server: refused only when over the warn limit too.
    if found is not None and size > limits.blob_size_warn and size > limits.blob_size_error:
        return found
    return None
