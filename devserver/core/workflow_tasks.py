"""The workflow task: scheduled, started by a worker, completed, failed or timed out.

A run has at most one outstanding workflow task (`MutableState.workflow_task`). Rules
that matter for wire compatibility:

- While a workflow task is *started*, new external events (signals, activity
  results, fired timers, cancel requests) are buffered and written after the
  task's completion events, so a worker never sees history change under it
  (`add_external`).
- Workflow-task attempts after the first are *transient*: their scheduled and
  started events are sent to the worker but only written if the attempt completes.
- A task on a sticky queue that nobody takes in time, or whose worker is gone, goes
  back to the normal queue with the full history.
"""

from __future__ import annotations

import zlib

from google.protobuf import any_pb2
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb

from devserver.core import limits as core_limits
from devserver.core.changes import Changes, TimerKey, WorkflowTaskRef
from devserver.core.lifecycles import WORKFLOW_TASK, UpdateState, WorkflowTaskEvent, WorkflowTaskState
from devserver.core.mutable_state import (
    EventType,
    MutableState,
    WorkflowTask,
    WorkflowTaskStart,
    new_event,
    task_queue_message,
)
from devserver.core.protos import duration, with_value_names
from devserver.errors import TaskNotFound, WorkflowClosed

Event = WorkflowTaskEvent
TimeoutType = with_value_names(wf_enums.TimeoutType)
WorkflowTaskFailedCause = with_value_names(failed_cause_pb2.WorkflowTaskFailedCause)

# Attempts up to this one are retried at once, like the real server; later ones back off.
IMMEDIATE_WORKFLOW_TASK_ATTEMPTS = 5
MAX_WORKFLOW_TASK_RETRY_DELAY = 60.0


def retry_delay(attempt: int) -> float:
    """Seconds to wait before handing out workflow task `attempt` (0: at once)."""
    if attempt <= IMMEDIATE_WORKFLOW_TASK_ATTEMPTS:
        return 0.0
    return float(min(2 ** (attempt - IMMEDIATE_WORKFLOW_TASK_ATTEMPTS - 1), MAX_WORKFLOW_TASK_RETRY_DELAY))


# From this attempt on, the real server gives a retried workflow task more time to finish:
# its start-to-close timeout plus an exponential backoff (5 s, doubling, at most 10 minutes,
# history.workflowTaskRetryMaxInterval), less up to 20% jitter. A worker too slow for the
# configured timeout (busy, or holding the task open for a local activity) catches up
# instead of timing out forever.
EXTENDED_TIMEOUT_AFTER_ATTEMPT = 3
EXTENDED_TIMEOUT_INITIAL = 5.0
EXTENDED_TIMEOUT_MAX = 600.0


def start_to_close_timeout(state: MutableState, attempt: int) -> float:
    """Seconds a worker has to finish workflow task `attempt` of this run, as the real server counts them."""
    if attempt <= EXTENDED_TIMEOUT_AFTER_ATTEMPT:
        return state.task_timeout
    doublings = min(attempt - EXTENDED_TIMEOUT_AFTER_ATTEMPT - 1, 32)
    extra = min(EXTENDED_TIMEOUT_INITIAL * 2**doublings, EXTENDED_TIMEOUT_MAX)
    # The jitter is derived from the run and the attempt, not drawn, so the core stays a
    # function of its inputs (and a restart recomputes the same timeout).
    fraction = zlib.crc32(f"{state.key.run_id}/{attempt}".encode()) % 1000 / 1000
    return state.task_timeout + extra * (0.8 + 0.2 * fraction)


def add_external(state: MutableState, ch: Changes, events: list[history.HistoryEvent]) -> None:
    """Events from outside the workflow's own commands; they need a workflow task.

    Buffered while a workflow task is started, written at once otherwise.
    """
    if not state.running:
        raise WorkflowClosed()
    if state.workflow_task_started:
        state.buffered_events.extend(events)
        return
    state.write_events(ch, events)
    if state.workflow_task is None:
        schedule(state, ch)


def schedule(state: MutableState, ch: Changes, attempt: int = 1, *, speculative: bool = False) -> None:
    """Schedule the next workflow task (on the sticky queue when there is one); none while the
    run is paused (core.pause: the unpause schedules one), nor before the first one is due."""
    if not state.running or state.workflow_task is not None or state.paused or state.awaiting_first_workflow_task:
        return
    # Anything new for the workflow ends a failing task's backoff early.
    state.workflow_task_retry_at = 0.0
    state.workflow_task_retry_attempt = 0
    state.workflow_task_seq += 1
    sticky = bool(state.sticky_queue)
    queue = state.sticky_queue if sticky else state.task_queue
    task = WorkflowTask(
        seq=state.workflow_task_seq,
        attempt=attempt,
        queue=queue,
        sticky=sticky,
        scheduled_time=ch.now,
        timeout=start_to_close_timeout(state, attempt),
        speculative=speculative,
        base_event_id=state.next_event_id,
    )
    state.workflow_task = task
    if not task.unwritten:
        task.scheduled_event_id = state.append_event(
            ch,
            EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            _scheduled_attributes(state, task),
        )
    if state.buffered_queries:
        task.queries.update(state.buffered_queries)
        state.buffered_queries.clear()
    ch.tasks.append(WorkflowTaskRef(state.key, queue, sticky, task.seq))
    if sticky and state.sticky_schedule_to_start > 0:
        ch.add_timer(
            ch.now + state.sticky_schedule_to_start,
            TimerKey.sticky_timeout(state.key, task.seq),
        )


def first_task_due(state: MutableState, ch: Changes) -> None:
    """The start delay (or a retry's or cron run's backoff) is over: the first task goes out."""
    state.awaiting_first_workflow_task = False
    schedule(state, ch)


def _scheduled_attributes(state: MutableState, task: WorkflowTask) -> history.WorkflowTaskScheduledEventAttributes:
    return history.WorkflowTaskScheduledEventAttributes(
        task_queue=task_queue_message(task.queue, task.sticky, state.task_queue),
        start_to_close_timeout=duration(task.timeout),
        attempt=task.attempt,
    )


def start(
    state: MutableState,
    ch: Changes,
    seq: int,
    identity: str,
    request_id: str,
    build_id: str = "",
    limits: core_limits.Limits = core_limits.DEFAULT_LIMITS,
) -> WorkflowTaskStart | None:
    """A worker polled the task with sequence `seq` (or gets it inline or eagerly); None if
    that is a stale copy (the task is gone, or already taken)."""
    task = state.workflow_task
    if task is None or task.seq != seq or not state.running:
        WORKFLOW_TASK.ignore(ch, seq, Event.START)
        return None
    if WORKFLOW_TASK.move(ch, task, Event.START) is None:
        return None
    task.started_time = ch.now
    task.identity = identity
    task.request_id = request_id
    task.build_id = build_id
    # Like the real server: the size of what was stored before this change.
    task.history_size_bytes = state.history_size_bytes - sum(core_limits.encoded_size(e) for e in ch.events)
    started_event_id = state.next_event_id + 1 if task.unwritten else state.next_event_id
    task.suggest_continue_as_new_reasons = core_limits.suggest_continue_as_new_reasons(
        task.history_size_bytes, started_event_id, limits
    )
    transient: list[history.HistoryEvent] = []
    if task.unwritten:
        # Sent to the worker, written only if this attempt completes.
        task.scheduled_event_id = state.next_event_id
        task.started_event_id = state.next_event_id + 1
        transient = _transient_pair(state, task)
    else:
        started_attrs = _started_attributes(state, task)
        task.started_event_id = state.append_event(ch, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, started_attrs)
    state.any_workflow_task_started = True
    ch.add_timer(
        ch.now + task.timeout,
        TimerKey.workflow_task_timeout(state.key, task.seq),
    )
    return WorkflowTaskStart(
        seq=task.seq,
        attempt=task.attempt,
        sticky=task.sticky,
        previous_started_event_id=state.last_completed_started_event_id,
        started_event_id=task.started_event_id,
        scheduled_time=task.scheduled_time,
        started_time=ch.now,
        transient_events=transient,
        queries=dict(task.queries),
        messages=_update_messages(state, task),
    )


def _update_messages(state: MutableState, task: WorkflowTask) -> list[protocol_pb.Message]:
    """Every admitted update goes to the worker with the task, sequenced after the
    task's scheduled event (as the real server does). One with an admitted event (a reset
    reapplied it) reaches the worker through that event in history, not as a message."""
    messages = []
    for update in state.updates.values():
        if update.state is not UpdateState.ADMITTED:
            continue
        update.delivered_seq = task.seq
        if update.admitted_event_id:
            continue
        body = any_pb2.Any()
        body.Pack(update.request)
        messages.append(
            protocol_pb.Message(
                id=f"{update.update_id}/request",
                protocol_instance_id=update.update_id,
                event_id=task.scheduled_event_id,
                body=body,
            )
        )
    return messages


def transient_events(state: MutableState) -> list[history.HistoryEvent]:
    """The started transient attempt's events, for history pages fetched mid-task."""
    task = state.workflow_task
    if task is None or not task.started or not task.unwritten:
        return []
    return _transient_pair(state, task)


def unwritten_events(state: MutableState) -> list[history.HistoryEvent]:
    """The outstanding transient or speculative attempt's events (scheduled, and started once a
    worker has it), with the ids they will get: the real server ends a client's full history
    with them."""
    task = state.workflow_task
    if task is None or not task.unwritten:
        return []
    if task.started:
        return _transient_pair(state, task)
    scheduled = new_event(
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, task.scheduled_time, _scheduled_attributes(state, task)
    )
    scheduled.event_id = state.next_event_id
    return [scheduled]


def _transient_pair(state: MutableState, task: WorkflowTask) -> list[history.HistoryEvent]:
    """A transient attempt's scheduled and started events, with the ids they will get."""
    scheduled = new_event(
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, task.scheduled_time, _scheduled_attributes(state, task)
    )
    started = new_event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, task.started_time, _started_attributes(state, task))
    scheduled.event_id, started.event_id = task.scheduled_event_id, task.started_event_id
    return [scheduled, started]


def _started_attributes(state: MutableState, task: WorkflowTask) -> history.WorkflowTaskStartedEventAttributes:
    attrs = history.WorkflowTaskStartedEventAttributes(
        scheduled_event_id=task.scheduled_event_id,
        identity=task.identity,
        request_id=task.request_id,
        history_size_bytes=task.history_size_bytes,
        suggest_continue_as_new=bool(task.suggest_continue_as_new_reasons),
        suggest_continue_as_new_reasons=task.suggest_continue_as_new_reasons,  # type: ignore[arg-type]
    )
    if task.build_id:
        attrs.worker_version.build_id = task.build_id
    return attrs


def started_task(state: MutableState, ch: Changes, seq: int, event: WorkflowTaskEvent) -> WorkflowTask:
    """The started workflow task a worker's answer (`event`) names; NOT_FOUND for a late
    answer (the task is gone, or it is not the attempt the worker has), as on the real server."""
    task = state.workflow_task
    if task is None or task.seq != seq or not state.running:
        WORKFLOW_TASK.ignore(ch, seq, event)
        raise TaskNotFound("Workflow task not found.")
    if WORKFLOW_TASK.stale(ch, task, event):
        raise TaskNotFound("Workflow task not found.")
    return task


def completed(state: MutableState, task: WorkflowTask) -> None:
    """The worker's answer is taken (its commands applied, or a speculative task discarded)."""
    WORKFLOW_TASK.next(task, Event.COMPLETE)
    state.workflow_task = None


def persist_transient(state: MutableState, ch: Changes, task: WorkflowTask) -> None:
    """A transient or speculative attempt completes: its scheduled and started events become history."""
    if not task.unwritten:
        return
    # Nothing is written while a task is started, so the ids promised to the worker hold.
    assert state.next_event_id == task.scheduled_event_id
    state.write_events(ch, _transient_pair(state, task))


def fail(
    state: MutableState,
    ch: Changes,
    seq: int,
    cause: int,
    failure: failure_pb.Failure | None,
    identity: str,
    *,
    next_attempt_transient: bool = True,
) -> None:
    """The worker could not complete the task (or the server failed it for a bad command):
    record it and retry."""
    task = started_task(state, ch, seq, Event.FAIL)
    _end_attempt(
        state,
        ch,
        task,
        Event.FAIL,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        history.WorkflowTaskFailedEventAttributes(
            scheduled_event_id=task.scheduled_event_id,
            started_event_id=task.started_event_id,
            cause=cause,  # type: ignore[arg-type]
            failure=failure,
            identity=identity,
        ),
        next_attempt_transient=next_attempt_transient,
    )


def _end_attempt(
    state: MutableState,
    ch: Changes,
    task: WorkflowTask,
    event: WorkflowTaskEvent,
    event_type: int,
    attributes: object,
    *,
    next_attempt_transient: bool,
    back_off: bool = True,
) -> None:
    """Shared by failure and timeout: write the event (first attempt only), retry.

    A failed attempt's retry may wait (`retry_delay`); a timed-out one is paced by the
    longer timeouts of later attempts (`start_to_close_timeout`), as on the real server."""
    WORKFLOW_TASK.next(task, event)
    if not task.transient or not next_attempt_transient:
        persist_transient(state, ch, task)
        state.append_event(ch, event_type, attributes)
    # A failed task may have been the sticky worker's last words: go back to the
    # normal queue with full history, as the real server does; and, as there, that first
    # try on the normal queue is a new attempt 1 (written to history), not a retry.
    was_sticky = bool(state.sticky_queue)
    state.sticky_queue = ""
    state.workflow_task = None
    state.flush_buffered(ch)
    if task.queries:
        state.buffered_queries.update(task.queries)
    attempt = task.attempt + 1 if next_attempt_transient and not was_sticky else 1
    delay = retry_delay(attempt) if back_off else 0.0
    if delay and not state.buffered_queries:
        # A task that keeps failing is retried less and less often instead of in a hot loop.
        state.workflow_task_retry_at = ch.now + delay
        state.workflow_task_retry_attempt = attempt
        ch.add_timer(state.workflow_task_retry_at, TimerKey.workflow_task_retry(state.key, attempt))
    else:
        schedule(state, ch, attempt=attempt)


def retry_due(state: MutableState, ch: Changes, attempt: int) -> None:
    """A failing workflow task's backoff is over: hand out its next attempt."""
    if state.workflow_task_retry_attempt != attempt or state.workflow_task is not None:
        # Something new for the workflow ended the backoff early.
        ch.ignore_stale(WORKFLOW_TASK.entity, f"attempt {attempt}", "RETRY_DUE")
        return
    state.workflow_task_retry_at = 0.0
    state.workflow_task_retry_attempt = 0
    schedule(state, ch, attempt=attempt)


def move_off_sticky(state: MutableState, ch: Changes) -> None:
    """Re-dispatch a scheduled sticky task to the normal queue."""
    task = state.workflow_task
    state.sticky_queue = ""
    if task is None or task.started or not task.sticky:
        return
    task.sticky = False
    task.queue = state.task_queue
    state.workflow_task_seq += 1
    task.seq = state.workflow_task_seq
    ch.tasks.append(WorkflowTaskRef(state.key, task.queue, False, task.seq))


def timed_out(state: MutableState, ch: Changes, seq: int) -> None:
    """A started task's start-to-close timeout: record it (first attempt only) and retry."""
    task = state.workflow_task
    if task is None or task.seq != seq or not state.running:
        WORKFLOW_TASK.ignore(ch, seq, Event.START_TO_CLOSE_TIMEOUT)  # it was answered in time
        return
    _end_attempt(
        state,
        ch,
        task,
        Event.START_TO_CLOSE_TIMEOUT,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        history.WorkflowTaskTimedOutEventAttributes(
            scheduled_event_id=task.scheduled_event_id,
            started_event_id=task.started_event_id,
            timeout_type=TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        ),
        next_attempt_transient=True,
        back_off=False,
    )


def sticky_timed_out(state: MutableState, ch: Changes, seq: int) -> None:
    """Nobody took the task from the sticky queue in time: use the normal queue."""
    task = state.workflow_task
    if task is None or task.seq != seq or not task.sticky:
        WORKFLOW_TASK.ignore(ch, seq, Event.SCHEDULE_TO_START_TIMEOUT)
        return
    timed_out_state = WorkflowTaskState.SCHEDULED if task.unwritten else WorkflowTaskState.TIMED_OUT
    if WORKFLOW_TASK.move(ch, task, Event.SCHEDULE_TO_START_TIMEOUT, timed_out_state) is None:
        return
    if task.unwritten:
        move_off_sticky(state, ch)
        return
    state.append_event(
        ch,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        history.WorkflowTaskTimedOutEventAttributes(
            scheduled_event_id=task.scheduled_event_id,
            timeout_type=TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
        ),
    )
    state.sticky_queue = ""
    state.workflow_task = None
    if task.queries:
        state.buffered_queries.update(task.queries)
    schedule(state, ch)
