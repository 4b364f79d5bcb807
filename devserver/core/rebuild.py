"""A run's mutable state derived from a prefix of its history: where a reset starts from.

`rebuild` replays events in order, as the real server's state rebuilder does, and keeps
what is pending after the last one: the workflow task (scheduled or started), activities
scheduled and not closed, timers, children, signals and cancels sent to other workflows,
updates, and the search attributes and memo the workflow set. It writes no event and
arms nothing: the caller (core.reset) decides what the rebuilt run does next. Entities move
through their lifecycles as the events record (`Lifecycle.restore`); a history whose events
their tables do not allow is not one a run could have (RebuildError).

`batch_end` tells whether an event ends the batch it was stored in (the real server's
rebuilder reads whole batches, so a reset may only cut history there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from temporalio.api.enums.v1 import task_queue_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import build_ids, reset_points
from devserver.core import limits as core_limits
from devserver.core.activities import ActivityInfo
from devserver.core.changes import RunKey
from devserver.core.commands import _merge_payload_map as merge_payload_map
from devserver.core.lifecycles import (
    ACTIVITY,
    ACTIVITY_CANCEL,
    CHILD,
    UPDATE,
    WORKFLOW_TASK,
    ActivityEvent,
    CancelRequestEvent,
    ChildEvent,
    IllegalTransition,
    UpdateEvent,
    WorkflowTaskEvent,
)
from devserver.core.mutable_state import (
    DEFAULT_WORKFLOW_TASK_TIMEOUT,
    ChildInfo,
    EventType,
    MutableState,
    TimerInfo,
    UpdateInfo,
    WorkflowTask,
)
from devserver.core.protos import seconds_of, with_value_names

ET = EventType
Status = with_value_names(wf_enums.WorkflowExecutionStatus)


class RebuildError(Exception):
    """The events are not a history a run could have (no started event first, ids not dense)."""


def rebuild(key: RunKey, events: Sequence[history.HistoryEvent], now: float) -> MutableState:
    """The state of run `key` after `events` (a history prefix, from event 1), rebuilt at
    `now` (the time its auto-reset points are recorded with, as on the real server)."""
    if not events or events[0].event_type != ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise RebuildError("a history starts with WorkflowExecutionStarted")
    state = _started(key, events[0])
    for event in events:
        if event.event_id != state.next_event_id:
            raise RebuildError(f"event {event.event_id} follows event {state.next_event_id - 1}")
        if event.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            _wft_completed(state, event, now)
        else:
            apply = _APPLY.get(event.event_type)
            if apply is not None:
                try:
                    apply(state, event)
                except IllegalTransition as illegal:
                    raise RebuildError(f"event {event.event_id}: {illegal}") from illegal
        state.next_event_id = event.event_id + 1
        state.history_size_bytes += core_limits.encoded_size(event)
    state.state_transitions = 1
    return state


def batch_end(events: Sequence[history.HistoryEvent], index: int, marks_from: int) -> bool:
    """Whether `events[index]` is the last event of its batch.

    A workflow task's started event always ends one. Elsewhere the first event of a batch
    follows a gap in the task ids (MutableState.write_events), from event `marks_from` on;
    events stored before it (by an older server, 0: all of them) count as batch ends.
    """
    event = events[index]
    if event.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_STARTED or index + 1 >= len(events):
        return True
    if not marks_from or event.event_id < marks_from:
        return True
    return events[index + 1].task_id != event.task_id + 1


def _started(key: RunKey, event: history.HistoryEvent) -> MutableState:
    attrs = history.WorkflowExecutionStartedEventAttributes()
    attrs.CopyFrom(event.workflow_execution_started_event_attributes)
    start_time = event.event_time.ToNanoseconds() / 1e9
    expiration = attrs.workflow_execution_expiration_time
    has_expiration = attrs.HasField("workflow_execution_expiration_time")
    state = MutableState(
        key=key,
        workflow_type=attrs.workflow_type.name,
        task_queue=attrs.task_queue.name,
        started_attributes=attrs,
        start_time=start_time,
        first_execution_run_id=attrs.first_execution_run_id or key.run_id,
        task_timeout=seconds_of(attrs.workflow_task_timeout) or DEFAULT_WORKFLOW_TASK_TIMEOUT,
        execution_deadline=expiration.ToNanoseconds() / 1e9 if has_expiration else None,
    )
    state.memo.CopyFrom(attrs.memo)
    state.search_attributes.CopyFrom(attrs.search_attributes)
    state.auto_reset_points.CopyFrom(attrs.prev_auto_reset_points)
    state.first_wft_backoff = seconds_of(attrs.first_workflow_task_backoff)
    return state


def _time(event: history.HistoryEvent) -> float:
    return event.event_time.ToNanoseconds() / 1e9


# ---- workflow task ----------------------------------------------------------------------


def _wft_scheduled(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.workflow_task_scheduled_event_attributes
    state.workflow_task_seq += 1
    sticky = attrs.task_queue.kind == task_queue_pb2.TASK_QUEUE_KIND_STICKY
    state.workflow_task = WorkflowTask(
        seq=state.workflow_task_seq,
        attempt=attrs.attempt or 1,
        queue=attrs.task_queue.name,
        sticky=sticky,
        scheduled_time=_time(event),
        timeout=seconds_of(attrs.start_to_close_timeout) or state.task_timeout,
        scheduled_event_id=event.event_id,
    )


def _wft_started(state: MutableState, event: history.HistoryEvent) -> None:
    task = state.workflow_task
    if task is None:
        raise RebuildError(f"WorkflowTaskStarted {event.event_id} without a scheduled task")
    attrs = event.workflow_task_started_event_attributes
    WORKFLOW_TASK.restore(task, WorkflowTaskEvent.START)
    task.started_event_id = event.event_id
    task.started_time = _time(event)
    task.identity = attrs.identity
    task.request_id = attrs.request_id
    task.build_id = attrs.worker_version.build_id
    task.history_size_bytes = attrs.history_size_bytes
    state.any_workflow_task_started = True


def _wft_completed(state: MutableState, event: history.HistoryEvent, now: float) -> None:
    attrs = event.workflow_task_completed_event_attributes
    state.workflow_task = None
    state.last_completed_started_event_id = attrs.started_event_id
    build_id = attrs.worker_version.build_id
    stamp = attrs.worker_version if build_id else None
    build_ids.record(state.search_attributes, stamp)
    reset_points.record(state, event.event_id, build_id, now)


def _wft_ended(state: MutableState, event: history.HistoryEvent) -> None:
    state.workflow_task = None


# ---- activities -------------------------------------------------------------------------


def _activity_scheduled(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = history.ActivityTaskScheduledEventAttributes()
    attrs.CopyFrom(event.activity_task_scheduled_event_attributes)
    state.activities[event.event_id] = ActivityInfo(
        scheduled_event_id=event.event_id,
        attributes=attrs,
        scheduled_time=_time(event),
        attempt_scheduled_time=_time(event),
    )
    state.activity_ids[attrs.activity_id] = event.event_id


def _activity_started(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.activity_task_started_event_attributes
    info = state.activities.get(attrs.scheduled_event_id)
    if info is None:
        return
    ACTIVITY.restore(info, ActivityEvent.START)
    info.attempt = attrs.attempt or 1
    info.started_time = _time(event)
    info.identity = attrs.identity
    info.last_worker_identity = attrs.identity
    info.request_id = attrs.request_id
    if attrs.HasField("last_failure"):
        info.last_failure = attrs.last_failure


def _activity_cancel_requested(state: MutableState, event: history.HistoryEvent) -> None:
    info = state.activities.get(event.activity_task_cancel_requested_event_attributes.scheduled_event_id)
    if info is not None:
        ACTIVITY_CANCEL.restore(info, CancelRequestEvent.REQUEST)
        info.cancel_requested_event_id = event.event_id


def _activity_closed(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    info = state.activities.pop(attrs.scheduled_event_id, None)
    if info is not None:
        state.activity_ids.pop(info.activity_id, None)


# ---- timers -------------------------------------------------------------------------------


def _timer_started(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.timer_started_event_attributes
    deadline = _time(event) + seconds_of(attrs.start_to_fire_timeout)
    state.timers[attrs.timer_id] = TimerInfo(attrs.timer_id, event.event_id, deadline)


def _timer_ended(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    state.timers.pop(attrs.timer_id, None)


# ---- children and other workflows -----------------------------------------------------------


def _child_initiated(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = history.StartChildWorkflowExecutionInitiatedEventAttributes()
    attrs.CopyFrom(event.start_child_workflow_execution_initiated_event_attributes)
    state.children[event.event_id] = ChildInfo(event.event_id, attrs)


def _child_started(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.child_workflow_execution_started_event_attributes
    child = state.children.get(attrs.initiated_event_id)
    if child is None:
        return
    CHILD.restore(child, ChildEvent.START)
    child.run_id = attrs.workflow_execution.run_id
    state.child_started_event_ids[attrs.initiated_event_id] = event.event_id


def _child_ended(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    state.children.pop(attrs.initiated_event_id, None)
    state.child_started_event_ids.pop(attrs.initiated_event_id, None)


def _signal_external_initiated(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = history.SignalExternalWorkflowExecutionInitiatedEventAttributes()
    attrs.CopyFrom(event.signal_external_workflow_execution_initiated_event_attributes)
    state.external_signals[event.event_id] = attrs


def _signal_external_ended(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    state.external_signals.pop(attrs.initiated_event_id, None)


def _cancel_external_initiated(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes()
    attrs.CopyFrom(event.request_cancel_external_workflow_execution_initiated_event_attributes)
    state.external_cancels[event.event_id] = attrs


def _cancel_external_ended(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    state.external_cancels.pop(attrs.initiated_event_id, None)


# ---- what came from outside, and what the workflow set ------------------------------------------


def _signaled(state: MutableState, event: history.HistoryEvent) -> None:
    request_id = event.workflow_execution_signaled_event_attributes.request_id
    if request_id:
        state.signal_request_ids.add(request_id)


def _cancel_requested(state: MutableState, event: history.HistoryEvent) -> None:
    state.cancel_requested = True


def _search_attributes_upserted(state: MutableState, event: history.HistoryEvent) -> None:
    upserted = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    merge_payload_map(state.search_attributes.indexed_fields, upserted.indexed_fields)


def _properties_modified(state: MutableState, event: history.HistoryEvent) -> None:
    merge_payload_map(state.memo.fields, event.workflow_properties_modified_event_attributes.upserted_memo.fields)


def _update_admitted(state: MutableState, event: history.HistoryEvent) -> None:
    request = event.workflow_execution_update_admitted_event_attributes.request
    update = UpdateInfo(request.meta.update_id, request, admitted_event_id=event.event_id)
    state.updates[update.update_id] = update


def _update_accepted(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.workflow_execution_update_accepted_event_attributes
    update = state.updates.get(attrs.protocol_instance_id)
    if update is None:
        update = UpdateInfo(attrs.protocol_instance_id, attrs.accepted_request)
        state.updates[update.update_id] = update
    UPDATE.restore(update, UpdateEvent.ACCEPT)
    update.accepted_event_id = event.event_id


def _update_completed(state: MutableState, event: history.HistoryEvent) -> None:
    attrs = event.workflow_execution_update_completed_event_attributes
    update = state.updates.get(attrs.meta.update_id)
    if update is None:
        return
    UPDATE.restore(update, UpdateEvent.COMPLETE)
    update.outcome = attrs.outcome


# ---- the run's end ----------------------------------------------------------------------------

_CLOSE_STATUS = {
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: Status.WORKFLOW_EXECUTION_STATUS_FAILED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: Status.WORKFLOW_EXECUTION_STATUS_CANCELED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: Status.WORKFLOW_EXECUTION_STATUS_TERMINATED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
}


def _closed(state: MutableState, event: history.HistoryEvent) -> None:
    state.status = _CLOSE_STATUS[event.event_type]
    state.close_time = _time(event)
    state.close_event_id = event.event_id
    state.workflow_task = None
    attrs = getattr(event, event.WhichOneof("attributes") or "")
    state.continued_to_run_id = getattr(attrs, "new_execution_run_id", "")
    state.timers.clear()
    state.activities.clear()
    state.activity_ids.clear()
    state.external_signals.clear()
    state.external_cancels.clear()


_Apply = Callable[[MutableState, history.HistoryEvent], None]

_APPLY: dict[int, _Apply] = {
    ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: _wft_scheduled,
    ET.EVENT_TYPE_WORKFLOW_TASK_STARTED: _wft_started,
    ET.EVENT_TYPE_WORKFLOW_TASK_FAILED: _wft_ended,
    ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: _wft_ended,
    ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _activity_scheduled,
    ET.EVENT_TYPE_ACTIVITY_TASK_STARTED: _activity_started,
    ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: _activity_cancel_requested,
    ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _activity_closed,
    ET.EVENT_TYPE_ACTIVITY_TASK_FAILED: _activity_closed,
    ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _activity_closed,
    ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED: _activity_closed,
    ET.EVENT_TYPE_TIMER_STARTED: _timer_started,
    ET.EVENT_TYPE_TIMER_FIRED: _timer_ended,
    ET.EVENT_TYPE_TIMER_CANCELED: _timer_ended,
    ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _child_initiated,
    ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: _child_ended,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: _child_started,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: _child_ended,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: _child_ended,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: _child_ended,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: _child_ended,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: _child_ended,
    ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: _signal_external_initiated,
    ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: _signal_external_ended,
    ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: _signal_external_ended,
    ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: _cancel_external_initiated,
    ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _cancel_external_ended,
    ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: _cancel_external_ended,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _signaled,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _cancel_requested,
    ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _search_attributes_upserted,
    ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED: _properties_modified,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED: _update_admitted,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _update_accepted,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _update_completed,
    **dict.fromkeys(_CLOSE_STATUS, _closed),
}
