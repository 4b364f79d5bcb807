"""Reset: a new run that replays a run's history up to a workflow task, and carries on from there.

As the real server does it (ResetWorkflowExecution):

- The request names a base run (or the current one) and the id of a workflow task's finish
  event; history is cut just before it, where a workflow task must be pending (scheduled or
  started) and a stored batch of events ends.
- The new run's history is the base's events up to the cut, copied as they are (ids, times,
  task ids); then, if the task was only scheduled, a WorkflowTaskStarted by the server; a
  WorkflowTaskFailed (cause RESET_WORKFLOW, the reason, the base and new run ids); the
  signals and updates the base (and the runs it continued as) received after the cut,
  reapplied as new events unless excluded; and a new workflow task on the normal queue.
- What was pending at the cut is pending again (core.rebuild): activities are scheduled
  anew, timers keep their deadlines, children and external signals and cancels go on.
- The current run, if running, is terminated with the request's reason by
  `history-resetter`; it reports nothing to a parent, and, if it was the base, its children
  are left to the new run. The base remembers the new run (DescribeWorkflowExecution).
- A request whose request id is the one the current run was created with changes nothing
  and answers with the current run (the real server's only deduplication: a reset run is
  created with its base's start request id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import failed_cause_pb2, reset_pb2, update_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import children, closing, execution_options, recovery, workflow_tasks
from devserver.core import limits as core_limits
from devserver.core.changes import Changes, RunKey
from devserver.core.ids import next_task_id
from devserver.core.lifecycles import CHILD, ChildEvent, ChildState, UpdateState
from devserver.core.mutable_state import EventType, MutableState, UpdateInfo, new_event
from devserver.core.protos import seconds_of, with_value_names
from devserver.core.rebuild import batch_end, rebuild
from devserver.errors import InvalidArgument

ET = EventType
ExcludeType = with_value_names(reset_pb2.ResetReapplyExcludeType)
ReapplyType = with_value_names(reset_pb2.ResetReapplyType)
WorkflowTaskFailedCause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)

# Who terminates the current run (the real server's resetter identity).
RESETTER_IDENTITY = "history-resetter"
# The request id the real server gives the started event it writes for a task only scheduled.
SYNTHETIC_REQUEST_ID = "emptyUuid"


@dataclass
class ResetBase:
    """What the engine read for a reset: the base run, its history, and the histories of the
    runs it continued as (continue-as-new), whose signals and updates are reapplied too;
    `last_run_id` is the last of those runs."""

    run: MutableState
    events: Sequence[history.HistoryEvent]
    continued: list[Sequence[history.HistoryEvent]] = field(default_factory=list)
    last_run_id: str = ""


def excluded_types(request: wsv1.ResetWorkflowExecutionRequest) -> set[int]:
    """What is not reapplied: `reset_reapply_exclude_types`, plus what the deprecated
    `reset_reapply_type` leaves out (SIGNAL: updates; NONE: everything)."""
    excluded: set[int] = set(request.reset_reapply_exclude_types)
    if request.reset_reapply_type == ReapplyType.RESET_REAPPLY_TYPE_SIGNAL:
        excluded.add(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE)
    elif request.reset_reapply_type == ReapplyType.RESET_REAPPLY_TYPE_NONE:
        excluded |= {ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL, ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE}
    return excluded


def check_request(request: wsv1.ResetWorkflowExecutionRequest) -> None:
    """What the frontend refuses before looking at any run."""
    if not request.request_id:
        raise InvalidArgument("RequestId is not set on request.")
    if len(request.request_id) > 1000:
        raise InvalidArgument("RequestId length exceeds limit.")
    if request.reset_reapply_type not in ReapplyType.values():
        # The real server answers INTERNAL here; a request that can never succeed is the
        # client's mistake (docs/wire/enums.md).
        raise InvalidArgument(f"unknown reset reapply type: {request.reset_reapply_type}")
    for operation in request.post_reset_operations:
        if operation.HasField("update_workflow_options"):
            execution_options.check_mask(operation.update_workflow_options.update_mask)


def check_finish_event(base: MutableState, finish_event_id: int) -> None:
    if finish_event_id <= 1 or finish_event_id >= base.next_event_id:
        raise InvalidArgument("Workflow task finish ID must be > 1 && <= workflow last event ID.")


def reset(
    current: MutableState,
    ch: Changes,
    base: ResetBase,
    request: wsv1.ResetWorkflowExecutionRequest,
    new_run_id: str,
    default_max_skips: int = 0,
) -> str:
    """Reset `base` as `request` asks, terminating `current` (the workflow id's current run)
    if it runs; returns the run id the caller is given. ``default_max_skips`` is the server's
    time-skipping default, for a post-reset operation that turns skipping on."""
    check_finish_event(base.run, request.workflow_task_finish_event_id)
    if request.request_id == current.start_request_id:
        return current.key.run_id
    cut = request.workflow_task_finish_event_id - 1
    if not batch_end(base.events, cut - 1, base.run.batch_marks_from):
        raise InvalidArgument(
            f"StateRebuilder unable to Rebuild mutable state to event ID: {cut}, version: 0, "
            "this event must be at the boundary"
        )
    key = RunKey(base.run.key.namespace, base.run.key.workflow_id, new_run_id)
    run = rebuild(key, base.events[:cut], ch.now)
    if run.workflow_task is None:
        raise InvalidArgument(
            "Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: "
            f"{request.workflow_task_finish_event_id}"
        )
    terminated: list[history.HistoryEvent] = []
    if current.running:
        closing.terminate(current, ch, request.reason, None, RESETTER_IDENTITY)
        # The new run carries the workflow on: a parent hears nothing of this run's end.
        current.parent_notified = True
        if current.key.run_id == (base.last_run_id or base.run.key.run_id):
            terminated = list(ch.events)  # signals it had buffered are written now, and reapplied
        if base.run is current:
            current.closing_children.clear()  # its children carry on with the new run
    base.run.reset_run_id = new_run_id
    if base.run is not current:
        other = Changes(ch.now)
        other.touched.append(base.run)
        ch.other_runs.append((base.run, other))
    new_ch = Changes(ch.now)
    _start(run, new_ch, base, request, excluded_types(request), terminated, default_max_skips)
    ch.new_runs.append((run, new_ch))
    return new_run_id


def _start(
    run: MutableState,
    ch: Changes,
    base: ResetBase,
    request: wsv1.ResetWorkflowExecutionRequest,
    excluded: set[int],
    terminated: Sequence[history.HistoryEvent],
    default_max_skips: int,
) -> None:
    """The new run's first change: the copied history, the failed task, what is reapplied, the
    post-reset operations, a new task."""
    cut = run.next_event_id - 1
    for event in base.events[:cut]:
        copied = history.HistoryEvent()
        copied.CopyFrom(event)
        ch.events.append(copied)
    marks_from = base.run.batch_marks_from
    run.batch_marks_from = marks_from if 0 < marks_from <= run.next_event_id else run.next_event_id
    next_task_id()  # what the reset writes is a batch of its own (see MutableState.write_events)
    run.start_time = run.last_reset_time = ch.now
    run.start_request_id = base.run.start_request_id
    run.first_wft_backoff = 0.0
    _deadlines(run, ch.now)
    _fail_workflow_task(run, ch, base.run.key.run_id, request.reason)
    for info in run.activities.values():
        # Not started (an attempt's started event is written with its outcome): scheduled anew.
        info.scheduled_time = info.attempt_scheduled_time = ch.now
    recovery.recover(run, ch)
    _reapply(run, ch, base.events[cut:], excluded)
    for later in base.continued:
        _reapply(run, ch, later, excluded)
    _reapply(run, ch, terminated, excluded)
    for operation in request.post_reset_operations:
        # (the real server carries out only this kind; a signal operation is left alone there too)
        if operation.HasField("update_workflow_options"):
            update = operation.update_workflow_options
            paths = execution_options.check_mask(update.update_mask)
            execution_options.update_options(run, ch, update.workflow_execution_options, paths, "", default_max_skips)
    ch.transfers.extend(children.pending_transfers(run))
    workflow_tasks.schedule(run, ch)


def _deadlines(run: MutableState, now: float) -> None:
    """The run and execution timeouts count from the reset, as on the real server."""
    started = run.started_attributes
    execution_timeout = seconds_of(started.workflow_execution_timeout)
    run_timeout = seconds_of(started.workflow_run_timeout)
    run.execution_deadline = now + execution_timeout if execution_timeout else None
    run.run_deadline = now + run_timeout if run_timeout else None
    if run.run_deadline is not None and run.execution_deadline is not None:
        run.run_deadline = min(run.run_deadline, run.execution_deadline)


def _fail_workflow_task(run: MutableState, ch: Changes, base_run_id: str, reason: str) -> None:
    task = run.workflow_task
    assert task is not None
    if not task.started:
        task.started_event_id = run.append_event(
            ch,
            ET.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            history.WorkflowTaskStartedEventAttributes(
                scheduled_event_id=task.scheduled_event_id,
                identity=core_limits.HISTORY_SERVICE_IDENTITY,
                request_id=SYNTHETIC_REQUEST_ID,
                history_size_bytes=run.history_size_bytes,
            ),
        )
    failure = failure_pb.Failure(message=reason)
    failure.reset_workflow_failure_info.SetInParent()
    run.append_event(
        ch,
        ET.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        history.WorkflowTaskFailedEventAttributes(
            scheduled_event_id=task.scheduled_event_id,
            started_event_id=task.started_event_id,
            cause=WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
            failure=failure,
            identity=core_limits.HISTORY_SERVICE_IDENTITY,
            base_run_id=base_run_id,
            new_run_id=run.key.run_id,
        ),
    )
    run.workflow_task = None
    run.sticky_queue = ""


_CHILD_EVENTS = {
    ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
}


def _reapply(run: MutableState, ch: Changes, events: Sequence[history.HistoryEvent], excluded: set[int]) -> None:
    """Write again what came from outside after the cut: signals, updates (as admitted), and
    what happened to children the new run still has. Cancel requests and terminations are
    not reapplied."""
    skip_signals = ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL in excluded
    skip_updates = ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE in excluded
    for event in events:
        t = event.event_type
        if t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED and not skip_signals:
            attrs = event.workflow_execution_signaled_event_attributes
            if attrs.request_id:
                run.signal_request_ids.add(attrs.request_id)
            signaled = history.WorkflowExecutionSignaledEventAttributes(
                signal_name=attrs.signal_name,
                input=attrs.input if attrs.HasField("input") else None,
                identity=attrs.identity,
                header=attrs.header if attrs.HasField("header") else None,
                request_id=attrs.request_id,
            )
            _write(run, ch, event, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signaled)
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED and not skip_updates:
            admitted = event.workflow_execution_update_admitted_event_attributes
            _admit(run, ch, event, admitted.request, admitted.origin)
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED and not skip_updates:
            accepted = event.workflow_execution_update_accepted_event_attributes
            if accepted.HasField("accepted_request"):  # otherwise its admitted event came first
                _admit(run, ch, event, accepted.accepted_request, update_pb2.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY)
        elif t in _CHILD_EVENTS:
            _reapply_child_event(run, ch, event)


def _write(run: MutableState, ch: Changes, original: history.HistoryEvent, event_type: int, attrs: object) -> int:
    event = new_event(event_type, ch.now, attrs)
    event.links.extend(original.links)
    run.write_events(ch, [event])
    return event.event_id


def _admit(run: MutableState, ch: Changes, original: history.HistoryEvent, request: object, origin: int) -> None:
    admitted = history.WorkflowExecutionUpdateAdmittedEventAttributes(request=request, origin=origin)  # type: ignore[arg-type]
    event_id = _write(run, ch, original, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, admitted)
    update = UpdateInfo(admitted.request.meta.update_id, admitted.request, admitted_event_id=event_id)
    known = run.updates.get(update.update_id)
    if known is None or known.state is UpdateState.ADMITTED:
        run.updates[update.update_id] = update


def _reapply_child_event(run: MutableState, ch: Changes, original: history.HistoryEvent) -> None:
    """A child the new run still has started, failed to start or closed after the cut."""
    attrs = getattr(original, original.WhichOneof("attributes") or "")
    child = run.children.get(attrs.initiated_event_id)
    if child is None:
        return
    t = original.event_type
    if t == ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
        if child.state is not ChildState.INITIATED:
            return
        CHILD.next(child, ChildEvent.START)
        child.run_id = attrs.workflow_execution.run_id
    elif t == ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED or child.state is ChildState.STARTED:
        del run.children[attrs.initiated_event_id]
    else:
        return  # closed before it started here: not a history a run could have
    copied = type(attrs)()
    copied.CopyFrom(attrs)  # a close event's started event id is the new run's (MutableState._link_child_events)
    _write(run, ch, original, t, copied)


__all__ = ["RESETTER_IDENTITY", "ResetBase", "check_finish_event", "check_request", "excluded_types", "reset"]
