"""Reading reset histories and comparing them across servers: run ids as labels, the rows of
a history that must match (`compat.summary` plus what a reset writes), and waiting for a run
to settle.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio.api.enums.v1 import EventType, TaskQueueKind
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from tests.devserver import compat, scenarios

ET = EventType


class Labels:
    """Run ids as the labels a scenario gives them, so histories compare across servers."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add(self, run_id: str, name: str) -> str:
        self.names[run_id] = name
        return run_id

    def __call__(self, run_id: str) -> str:
        return self.names.get(run_id, "<other run>" if run_id else "")


def summary(history: list[HistoryEvent], labels: Labels) -> list[tuple[Any, ...]]:
    rows = []
    for event, row in zip(history, compat.summary(history), strict=True):
        t = event.event_type
        if t == ET.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            a = event.workflow_task_failed_event_attributes
            row += (labels(a.base_run_id), labels(a.new_run_id), a.failure.HasField("reset_workflow_failure_info"))
        elif t == ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            row += (TaskQueueKind.Name(event.workflow_task_scheduled_event_attributes.task_queue.kind),)
        elif t == ET.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            a = event.workflow_task_started_event_attributes
            if a.identity == "history-service":  # written by the server for a task only scheduled
                row += (a.identity, a.request_id)
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            a = event.workflow_execution_signaled_event_attributes
            row += ([compat.decoded(p) for p in a.input.payloads], bool(a.request_id))
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
            a = event.workflow_execution_update_admitted_event_attributes
            row += (a.request.input.name, a.origin)
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            a = event.workflow_execution_update_accepted_event_attributes
            row += (a.accepted_request_sequencing_event_id, a.HasField("accepted_request"))
        elif t == ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = event.workflow_execution_started_event_attributes
            row += (labels(a.original_execution_run_id), labels(a.first_execution_run_id))
        rows.append(row)
    return rows


async def history(client: Client, workflow_id: str, run_id: str = "") -> list[HistoryEvent]:
    return [e async for e in client.get_workflow_handle(workflow_id, run_id=run_id or None).fetch_history_events()]


async def settled(
    client: Client, workflow_id: str, run_id: str = "", min_events: int = 0, having: int = 0
) -> list[HistoryEvent]:
    """The run's history once no workflow task is pending (its last task completed, or it closed),
    it has `min_events` events, and one of type `having`."""

    async def check() -> list[HistoryEvent] | None:
        events = await history(client, workflow_id, run_id)
        closed = events[-1].event_type in CLOSE_EVENTS
        has = not having or any(e.event_type == having for e in events)
        return events if len(events) >= min_events and has and (closed or scenarios.is_idle(events)) else None

    return await scenarios.wait_until(check, timeout=30, what=f"{workflow_id} settled")  # type: ignore[no-any-return]


CLOSE_EVENTS = {
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
}


def finish_ids(events: list[HistoryEvent]) -> list[int]:
    """Ids of the workflow task completed events: where a reset may go."""
    return [e.event_id for e in events if e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]


def check_same(ours: dict[str, Any], real: dict[str, Any]) -> None:
    differences = [
        f"{key}:\n  tempo={json.dumps(ours.get(key), default=str)}\n  real ={json.dumps(real.get(key), default=str)}"
        for key in sorted(set(ours) | set(real))
        if ours.get(key) != real.get(key)
    ]
    assert not differences, "differs from the real server:\n" + "\n".join(differences)
