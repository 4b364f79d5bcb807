"""Deadlines coming due: route a fired `TimerKey` to the rule that handles it."""

from __future__ import annotations

from devserver.core import activities
from devserver.core.changes import Changes, TimerKey
from devserver.core.mutable_state import MutableState


def fire(state: MutableState, ch: Changes, key: TimerKey) -> None:
    """Apply a deadline; stale keys (their subject already gone) change nothing."""
    if not state.running:
        return
    if key.kind == "user_timer":
        state.fire_user_timer(ch, key.ref, key.attempt)
    elif key.kind == "activity_timeout":
        activities.timed_out(state, ch, key)
    elif key.kind == "activity_retry":
        activities.retry_due(state, ch, int(key.ref), key.attempt)
    elif key.kind == "workflow_task_timeout":
        state.workflow_task_timed_out(ch, int(key.ref))
    elif key.kind == "sticky_timeout":
        state.sticky_timed_out(ch, int(key.ref))
    elif key.kind == "run_timeout":
        state.time_out_run(ch)
    elif key.kind == "execution_timeout":
        state.time_out_run(ch, execution_expired=True)
    elif key.kind == "workflow_task_retry":
        state.retry_workflow_task(ch, key.attempt)
    elif key.kind == "first_workflow_task":
        state.schedule_workflow_task(ch)
    else:
        raise ValueError(f"unknown timer kind {key.kind!r}")
