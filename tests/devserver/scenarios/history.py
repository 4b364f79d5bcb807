"""Reading histories: waiting for events, and the summary of a history that must be
the same on Tempo and on the real server (see `summarize`)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

with workflow.unsafe.imports_passed_through():
    from temporalio.client import WorkflowHandle


async def wait_until(
    condition: Callable[[], Awaitable[Any]], timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll an async condition until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(interval)


async def events(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [e async for e in handle.fetch_history_events()]


async def wait_for_event(
    handle: WorkflowHandle[Any, Any], event_type: int, count: int = 1, timeout: float = 20.0
) -> list[HistoryEvent]:
    """Wait until the history holds `count` events of `event_type` and the
    workflow is idle (no workflow task scheduled or running)."""

    async def check() -> list[HistoryEvent] | None:
        history = await events(handle)
        if sum(1 for e in history if e.event_type == event_type) >= count and is_idle(history):
            return history
        return None

    return await wait_until(check, timeout=timeout, what=f"{count}x {EventType.Name(event_type)} on {handle.id}")


_WFT_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


def is_idle(history: Sequence[HistoryEvent]) -> bool:
    """True when the last workflow-task event is WorkflowTaskCompleted."""
    for e in reversed(history):
        if e.event_type in _WFT_EVENTS:
            return e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return False


def name(event_type: int) -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_")


def summarize(history: Sequence[HistoryEvent]) -> list[tuple[Any, ...]]:
    """Event types plus the attributes that must match between servers."""
    out: list[tuple[Any, ...]] = []
    for e in history:
        t = e.event_type
        row: tuple[Any, ...] = (name(t),)
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = e.workflow_execution_started_event_attributes
            # The real server delays a continued-as-new run by up to ~1 s (a throttle, BUG-T14 note):
            # compare the first-task backoff of started and retried runs only.
            backoff = a.first_workflow_task_backoff.ToTimedelta().total_seconds()
            row += (a.workflow_type.name, a.attempt, None if a.initiator == 1 else round(backoff))
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = e.activity_task_scheduled_event_attributes
            row += (a.activity_type.name, a.activity_id)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            a = e.activity_task_started_event_attributes
            row += (a.attempt, failure_gist(a.last_failure) if a.HasField("last_failure") else None)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            a = e.activity_task_failed_event_attributes
            row += (a.failure.message, a.retry_state)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            a = e.activity_task_timed_out_event_attributes
            row += (failure_gist(a.failure), a.retry_state)
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            row += (e.workflow_task_timed_out_event_attributes.timeout_type,)
        elif t == EventType.EVENT_TYPE_TIMER_STARTED:
            a = e.timer_started_event_attributes
            row += (a.timer_id, a.start_to_fire_timeout.ToTimedelta())
        elif t == EventType.EVENT_TYPE_TIMER_FIRED:
            row += (e.timer_fired_event_attributes.timer_id,)
        elif t == EventType.EVENT_TYPE_TIMER_CANCELED:
            row += (e.timer_canceled_event_attributes.timer_id,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            row += (e.workflow_execution_signaled_event_attributes.signal_name,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            a = e.workflow_task_failed_event_attributes
            row += (a.cause, a.failure.message)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            a = e.workflow_execution_failed_event_attributes
            row += (a.failure.message, a.retry_state, bool(a.new_execution_run_id))
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            a = e.workflow_execution_terminated_event_attributes
            row += (a.reason, a.identity)
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
            row += (e.activity_task_cancel_requested_event_attributes.scheduled_event_id,)
        elif t == EventType.EVENT_TYPE_MARKER_RECORDED:
            row += (e.marker_recorded_event_attributes.marker_name,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            row += (e.workflow_execution_timed_out_event_attributes.retry_state,)
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            row += (e.workflow_execution_continued_as_new_event_attributes.workflow_type.name,)
        else:
            row += _child_and_external_attributes(e)
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = e.workflow_execution_started_event_attributes
            if a.HasField("parent_workflow_execution"):  # a child: who started it
                row += (
                    a.parent_workflow_namespace,
                    _id(a.parent_workflow_execution.workflow_id),
                    a.parent_initiated_event_id,
                    _id(a.root_workflow_execution.workflow_id),
                )
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            a = e.workflow_execution_signaled_event_attributes
            if a.HasField("external_workflow_execution"):  # sent by another workflow
                row += (_id(a.external_workflow_execution.workflow_id), a.identity)
        out.append(row)
    return out


def _id(workflow_id: str) -> str:
    """A workflow id without the random part `unique` gave it (ids differ between servers)."""
    return re.sub(r"-[0-9a-f]{10}(?=-|$)", "-*", workflow_id)


def _no_run_ids(text: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<run id>", text)


def _child_and_external_attributes(e: HistoryEvent) -> tuple[Any, ...]:
    """Key attributes of the child-workflow and external signal/cancel events (and of the
    cancel request / termination they cause in the other workflow)."""
    t = e.event_type
    a: Any
    if t == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        a = e.start_child_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            a.workflow_type.name,
            _id(a.workflow_id),
            a.parent_close_policy,
            a.workflow_id_reuse_policy,
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        a = e.start_child_workflow_execution_failed_event_attributes
        return (a.workflow_type.name, _id(a.workflow_id), a.cause, a.initiated_event_id)
    child_events = {
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    }
    if t in child_events:
        a = getattr(e, e.WhichOneof("attributes") or "")
        row: tuple[Any, ...] = (a.workflow_type.name, _id(a.workflow_execution.workflow_id), a.initiated_event_id)
        if t != EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            row += (a.started_event_id,)
        if t == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            row += (failure_gist(a.failure), a.retry_state)
        elif t == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
            row += (a.retry_state,)
        return row
    if t == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        a = e.signal_external_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            _id(a.workflow_execution.workflow_id),
            bool(a.workflow_execution.run_id),
            a.signal_name,
            a.child_workflow_only,
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        a = e.signal_external_workflow_execution_failed_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.cause, a.initiated_event_id)
    if t == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        a = e.external_workflow_execution_signaled_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.initiated_event_id)
    if t == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        a = e.request_cancel_external_workflow_execution_initiated_event_attributes
        return (
            a.namespace,
            _id(a.workflow_execution.workflow_id),
            bool(a.workflow_execution.run_id),
            a.child_workflow_only,
            _no_run_ids(a.reason),
            a.workflow_task_completed_event_id,
        )
    if t == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        a = e.request_cancel_external_workflow_execution_failed_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.cause, a.initiated_event_id)
    if t == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        a = e.external_workflow_execution_cancel_requested_event_attributes
        return (_id(a.workflow_execution.workflow_id), a.initiated_event_id)
    if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        a = e.workflow_execution_cancel_requested_event_attributes
        if a.HasField("external_workflow_execution"):  # by another workflow or a parent close policy
            return (
                _id(a.external_workflow_execution.workflow_id),
                a.external_initiated_event_id,
                _no_run_ids(a.cause),
                a.identity,
            )
        return ()
    return ()


def failure_gist(failure: Any) -> str:
    """What must match in a failure: the kind of timeout, or the application message."""
    if failure.HasField("timeout_failure_info"):
        return f"timeout:{failure.timeout_failure_info.timeout_type}"
    return str(failure.message)


def event_ids_are_dense(history: Sequence[HistoryEvent]) -> bool:
    return [e.event_id for e in history] == list(range(1, len(history) + 1))


@dataclass
class Outcome:
    """What a scenario produced: its result (or exception type) and its histories."""

    result: Any
    histories: list[list[HistoryEvent]]
    workflow_id: str = ""

    def summary(self) -> list[list[tuple[Any, ...]]]:
        return [summarize(h) for h in self.histories]
