"""After a restart: hand out again every task a run had and arm every deadline it had.

Everything needed is in the mutable state itself (deadlines are absolute), so a
stored snapshot is enough to carry on. Deadlines that passed while the server
was down fire at once.
"""

from __future__ import annotations

from devserver.core import workflow_tasks
from devserver.core.activities import ActivityInfo, TimeoutType, timeout_deadline
from devserver.core.changes import ActivityTaskRef, Changes, TimerKey, WorkflowTaskRef
from devserver.core.lifecycles import ActivityState, UpdateState
from devserver.core.mutable_state import MutableState


def recover(state: MutableState, ch: Changes) -> None:
    if not state.running:
        return
    key = state.key
    # Admitted updates live only as long as the process, as on the real server (the
    # client asks again); a task made just to deliver them goes too. One a reset carried
    # over has its admitted event in history, and stays.
    state.updates = {
        i: u for i, u in state.updates.items() if u.state is not UpdateState.ADMITTED or u.admitted_event_id
    }
    task = state.workflow_task
    if task is not None and task.speculative and not task.started:
        state.workflow_task = None
    if state.run_deadline is not None:
        ch.add_timer(state.run_deadline, TimerKey.run_timeout(key))
    if state.execution_deadline is not None:
        ch.add_timer(state.execution_deadline, TimerKey.execution_timeout(key))
    _recover_workflow_task(state, ch)
    for timer in state.timers.values():
        ch.add_timer(timer.deadline, TimerKey.user_timer(key, timer.timer_id, timer.started_event_id))
    for info in state.activities.values():
        _recover_activity(state, ch, info)


def _recover_workflow_task(state: MutableState, ch: Changes) -> None:
    task = state.workflow_task
    key = state.key
    if task is None:
        if state.workflow_task_retry_attempt:
            ch.add_timer(
                state.workflow_task_retry_at,
                TimerKey.workflow_task_retry(key, state.workflow_task_retry_attempt),
            )
        elif state.awaiting_first_workflow_task or (state.next_event_id == 2 and state.first_wft_backoff > 0):
            ch.add_timer(state.start_time + state.first_wft_backoff, TimerKey.first_workflow_task(key))
        state.sticky_queue = ""
        return
    if task.started:
        # The worker may still answer with its token; if not, the task times out as usual.
        ch.add_timer(
            task.started_time + task.timeout,
            TimerKey.workflow_task_timeout(key, task.seq),
        )
        return
    if task.sticky:
        # Nobody knows whether the sticky worker outlived the restart: use the normal queue.
        workflow_tasks.move_off_sticky(state, ch)
    else:
        state.sticky_queue = ""
        ch.tasks.append(WorkflowTaskRef(key, task.queue, False, task.seq))


def _recover_activity(state: MutableState, ch: Changes, info: ActivityInfo) -> None:
    key = state.key
    ref = info.scheduled_event_id
    expiration = info.expiration
    if expiration is not None:
        ch.add_timer(expiration, TimerKey.activity_timeout(key, ref, 0, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE))
    match info.state:
        case ActivityState.STARTED | ActivityState.PAUSE_REQUESTED:
            _recover_attempt(state, ch, info)
        case ActivityState.BACKING_OFF:
            ch.add_timer(info.next_attempt_time, TimerKey.activity_retry(key, ref, info.attempt))
        case ActivityState.PAUSED:
            pass  # waits for an unpause
        case ActivityState.SCHEDULED:
            ch.tasks.append(ActivityTaskRef(key, info.queue, info.scheduled_event_id, info.attempt))
            schedule_to_start = info.timeout("schedule_to_start_timeout")
            if schedule_to_start:
                ch.add_timer(
                    timeout_deadline(info.attempt_scheduled_time, schedule_to_start),
                    TimerKey.activity_timeout(key, ref, info.attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START),
                )


def _recover_attempt(state: MutableState, ch: Changes, info: ActivityInfo) -> None:
    """A running attempt: its worker may still answer; if not, its timeouts apply as usual."""
    key, ref = state.key, info.scheduled_event_id
    start_to_close = info.timeout("start_to_close_timeout")
    if start_to_close:
        ch.add_timer(
            timeout_deadline(info.started_time, start_to_close),
            TimerKey.activity_timeout(key, ref, info.attempt, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
        )
    heartbeat = info.timeout("heartbeat_timeout")
    if heartbeat:
        ch.add_timer(
            timeout_deadline(info.last_heartbeat_time or info.started_time, heartbeat),
            TimerKey.activity_timeout(key, ref, info.attempt, TimeoutType.TIMEOUT_TYPE_HEARTBEAT),
        )


__all__ = ["recover"]
