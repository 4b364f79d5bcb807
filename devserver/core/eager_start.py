"""Eager workflow start: a new run's first workflow task handed back in the start response.

A client that runs a worker for the task queue in the same process asks for it
(`request_eager_execution`); the real server then starts the first workflow
task in the same change that creates the run (identity and request id of the
start request) and never puts it on the task queue.
"""

from __future__ import annotations

from devserver.core import limits as core_limits
from devserver.core import workflow_tasks
from devserver.core.changes import Changes, WorkflowTaskRef
from devserver.core.mutable_state import MutableState, WorkflowTaskStart


def start_first_task(
    state: MutableState,
    ch: Changes,
    identity: str,
    request_id: str,
    limits: core_limits.Limits = core_limits.DEFAULT_LIMITS,
) -> WorkflowTaskStart | None:
    """Start the just-created run's first workflow task for the starter; None when there is
    none to start yet (a start delay)."""
    task = state.workflow_task
    if task is None:
        return None
    start = workflow_tasks.start(state, ch, task.seq, identity, request_id, limits=limits)
    if start is not None:
        ch.tasks = [t for t in ch.tasks if not (isinstance(t, WorkflowTaskRef) and t.seq == task.seq)]
    return start


def eager_task(state: MutableState, request_id: str) -> WorkflowTaskStart | None:
    """The first task the start request `request_id` started eagerly, while it is still running
    (first attempt, started event 3): for the start response, and again for a retried request."""
    task = state.workflow_task
    if task is None or not task.started or task.request_id != request_id or not state.running:
        return None
    if task.attempt != 1 or task.started_event_id != 3:
        return None
    return WorkflowTaskStart(
        seq=task.seq,
        attempt=task.attempt,
        sticky=task.sticky,
        previous_started_event_id=0,
        started_event_id=task.started_event_id,
        scheduled_time=task.scheduled_time,
        started_time=task.started_time,
        transient_events=[],
        queries={},
    )
