"""Where a run can be reset to, read from its history (pure, no Textual).

A reset goes back to the end of a workflow task: a WorkflowTaskCompleted, Failed or
TimedOut event. The Web UI offers the first and the last one, the one just before the
run's last failure, and any of them by event id; so does the TUI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tempo_cli._render import event_type_name

E = EventType

_TASK_ENDS = {
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}
_FAILURES = {
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
}


@dataclass(frozen=True)
class ResetPoint:
    """A workflow task's end to reset to, and how to name it to a person."""

    event_id: int
    label: str


def reset_points(events: Sequence[HistoryEvent]) -> list[ResetPoint]:
    """The named points first (first, last, before the last failure), then every task end."""
    ends = [e for e in events if e.event_type in _TASK_ENDS]
    if not ends:
        # A run whose first task never finished: the event after its first WorkflowTaskScheduled.
        scheduled = [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
        if not scheduled:
            return []
        return [ResetPoint(scheduled[0].event_id + 1, f"First workflow task (event {scheduled[0].event_id + 1})")]
    named = [
        ResetPoint(ends[0].event_id, f"First workflow task (event {ends[0].event_id})"),
        ResetPoint(ends[-1].event_id, f"Last workflow task (event {ends[-1].event_id})"),
    ]
    failures = [e for e in events if e.event_type in _FAILURES]
    if failures:
        last_failure = failures[-1]
        before = [e for e in ends if e.event_id < last_failure.event_id]
        if before:
            failed = event_type_name(last_failure.event_type)
            named.append(
                ResetPoint(
                    before[-1].event_id,
                    f"Before the last failure, {failed} at event {last_failure.event_id} (event {before[-1].event_id})",
                )
            )
    every = [ResetPoint(e.event_id, f"Event {e.event_id}: {event_type_name(e.event_type)}") for e in ends]
    return named + every
