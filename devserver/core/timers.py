"""Deadlines coming due: route a fired `TimerKey` to the rule that handles it; user timers."""

from __future__ import annotations

from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import activities, closing, workflow_tasks
from devserver.core.changes import Changes, TimerKey, TimerKind
from devserver.core.lifecycles import TIMER, TimerEvent
from devserver.core.mutable_state import EventType, MutableState, new_event


def fire(state: MutableState, ch: Changes, key: TimerKey) -> None:
    """Apply a deadline; stale keys (their subject already gone) change nothing."""
    if not state.running:
        return
    match key.kind:
        case TimerKind.USER_TIMER:
            fire_user_timer(state, ch, key.timer_id, key.started_event_id)
        case TimerKind.ACTIVITY_TIMEOUT:
            activities.timed_out(state, ch, key)
        case TimerKind.ACTIVITY_RETRY:
            activities.retry_due(state, ch, key.scheduled_event_id, key.attempt)
        case TimerKind.WORKFLOW_TASK_TIMEOUT:
            workflow_tasks.timed_out(state, ch, key.seq)
        case TimerKind.STICKY_TIMEOUT:
            workflow_tasks.sticky_timed_out(state, ch, key.seq)
        case TimerKind.RUN_TIMEOUT:
            closing.time_out_run(state, ch)
        case TimerKind.EXECUTION_TIMEOUT:
            closing.time_out_run(state, ch, execution_expired=True)
        case TimerKind.WORKFLOW_TASK_RETRY:
            workflow_tasks.retry_due(state, ch, key.attempt)
        case TimerKind.FIRST_WORKFLOW_TASK:
            workflow_tasks.first_task_due(state, ch)


def fire_user_timer(state: MutableState, ch: Changes, timer_id: str, started_event_id: int) -> None:
    timer = state.timers.get(timer_id)
    if timer is None or timer.started_event_id != started_event_id or not state.running:
        TIMER.ignore(ch, timer_id, TimerEvent.FIRE)  # canceled (its id may be in use again)
        return
    TIMER.next(timer, TimerEvent.FIRE)
    del state.timers[timer_id]
    attrs = history.TimerFiredEventAttributes(timer_id=timer_id, started_event_id=started_event_id)
    workflow_tasks.add_external(state, ch, [new_event(EventType.EVENT_TYPE_TIMER_FIRED, ch.now, attrs)])
