"""Deadlines coming due: route a fired `TimerKey` to the rule that handles it; user timers."""

from __future__ import annotations

from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import activities, closing, workflow_tasks
from devserver.core.changes import Changes, TimerKey
from devserver.core.mutable_state import EventType, MutableState, new_event


def fire(state: MutableState, ch: Changes, key: TimerKey) -> None:
    """Apply a deadline; stale keys (their subject already gone) change nothing."""
    if not state.running:
        return
    if key.kind == "user_timer":
        fire_user_timer(state, ch, key.ref, key.attempt)
    elif key.kind == "activity_timeout":
        activities.timed_out(state, ch, key)
    elif key.kind == "activity_retry":
        activities.retry_due(state, ch, int(key.ref), key.attempt)
    elif key.kind == "workflow_task_timeout":
        workflow_tasks.timed_out(state, ch, int(key.ref))
    elif key.kind == "sticky_timeout":
        workflow_tasks.sticky_timed_out(state, ch, int(key.ref))
    elif key.kind == "run_timeout":
        closing.time_out_run(state, ch)
    elif key.kind == "execution_timeout":
        closing.time_out_run(state, ch, execution_expired=True)
    elif key.kind == "workflow_task_retry":
        workflow_tasks.retry_due(state, ch, key.attempt)
    elif key.kind == "first_workflow_task":
        workflow_tasks.schedule(state, ch)
    else:
        raise ValueError(f"unknown timer kind {key.kind!r}")


def fire_user_timer(state: MutableState, ch: Changes, timer_id: str, started_event_id: int) -> None:
    timer = state.timers.get(timer_id)
    if timer is None or timer.started_event_id != started_event_id or not state.running:
        return
    del state.timers[timer_id]
    attrs = history.TimerFiredEventAttributes(timer_id=timer_id, started_event_id=started_event_id)
    workflow_tasks.add_external(state, ch, [new_event(EventType.EVENT_TYPE_TIMER_FIRED, ch.now, attrs)])
