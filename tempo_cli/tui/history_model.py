"""What the Workflow screen shows of a history, computed from the events: pure, no Textual.

Rows of the full view, the compact view that folds each activity, timer, child workflow
and workflow task into one row with its duration, the links to related runs, the work
a run asked of other workflows that is still pending, and the JSON documents of the
event detail and of `temporal workflow show -o json`.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent

from sdk.client import WorkflowStatus
from sdk.converter import DataConverter
from tempo_cli._render import (
    CLOSE_STATUS,
    decode_payloads,
    event_details,
    event_type_name,
    failure_chain,
    history_json,
    proto_json,
)
from tempo_cli.tui.formatting import between, one_line

E = EventType


class Category(enum.StrEnum):
    """What an event is about; the history colours its rows by it."""

    WORKFLOW = "workflow"
    WORKFLOW_TASK = "workflow-task"
    ACTIVITY = "activity"
    TIMER = "timer"
    SIGNAL = "signal"
    CHILD = "child"
    UPDATE = "update"
    CLOSE = "close"
    OTHER = "other"


def category(event_type: int) -> Category:
    """The category of an event type, from its name."""
    if event_type in CLOSE_STATUS:
        return Category.CLOSE
    name = event_type_name(event_type)
    if name.startswith("WorkflowTask"):
        return Category.WORKFLOW_TASK
    if name.startswith("ActivityTask"):
        return Category.ACTIVITY
    if name.startswith("Timer"):
        return Category.TIMER
    if "Signal" in name:
        return Category.SIGNAL
    if "ChildWorkflow" in name:
        return Category.CHILD
    if name.startswith("WorkflowExecutionUpdate"):
        return Category.UPDATE
    if name.startswith("WorkflowExecution"):
        return Category.WORKFLOW
    return Category.OTHER


_FAILURE_WORDS = ("Failed", "TimedOut", "Terminated")


def is_failure(event_type: int) -> bool:
    """True for events that record something going wrong (failed, timed out, terminated)."""
    return event_type_name(event_type).endswith(_FAILURE_WORDS)


def event_time(event: HistoryEvent) -> datetime.datetime | None:
    """The event's time, aware UTC, if it has one."""
    if not event.HasField("event_time"):
        return None
    return event.event_time.ToDatetime(tzinfo=datetime.UTC)


def attributes(event: HistoryEvent) -> Message | None:
    """The event's ``*_event_attributes`` message, whichever it is."""
    name = event.WhichOneof("attributes")
    return getattr(event, name) if name else None


def _attr(event: HistoryEvent, name: str, default: Any = None) -> Any:
    attrs = attributes(event)
    if attrs is None or name not in attrs.DESCRIPTOR.fields_by_name:
        return default
    return getattr(attrs, name)


@dataclass(frozen=True)
class EventRow:
    """One event as the full history view shows it."""

    event_id: int
    time: datetime.datetime | None
    type_name: str
    category: Category
    failure: bool
    details: str


def event_row(event: HistoryEvent, converter: DataConverter) -> EventRow:
    """The row of one event."""
    return EventRow(
        event_id=event.event_id,
        time=event_time(event),
        type_name=event_type_name(event.event_type),
        category=category(event.event_type),
        failure=is_failure(event.event_type),
        details=event_details(event, converter),
    )


# Folding: which event opens a group, and how later events name the group they belong to.
_OPENERS: dict[int, tuple[str, Category]] = {
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: ("Activity", Category.ACTIVITY),
    E.EVENT_TYPE_TIMER_STARTED: ("Timer", Category.TIMER),
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: ("Child", Category.CHILD),
    E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: ("WorkflowTask", Category.WORKFLOW_TASK),
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: ("SignalExternal", Category.SIGNAL),
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: ("CancelExternal", Category.OTHER),
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: ("Update", Category.UPDATE),
}
_GROUP_FIELDS = ("scheduled_event_id", "started_event_id", "initiated_event_id", "accepted_event_id")
# Events that end a group, with the status the folded row shows.
_CLOSERS: dict[int, str] = {
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "Completed",
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: "Failed",
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "TimedOut",
    E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "Canceled",
    E.EVENT_TYPE_TIMER_FIRED: "Fired",
    E.EVENT_TYPE_TIMER_CANCELED: "Canceled",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: "Completed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: "Failed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: "Canceled",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: "Terminated",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: "TimedOut",
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: "StartFailed",
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "Completed",
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED: "Failed",
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "TimedOut",
    E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: "Signaled",
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: "Failed",
    E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: "CancelRequested",
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: "Failed",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: "Completed",
}
# Events inside a group that move it along without ending it.
_PROGRESS: dict[int, str] = {
    E.EVENT_TYPE_ACTIVITY_TASK_STARTED: "Started",
    E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: "CancelRequested",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: "Started",
    E.EVENT_TYPE_WORKFLOW_TASK_STARTED: "Started",
}
_OPEN_STATUS = {
    "Activity": "Scheduled",
    "Timer": "Started",
    "Child": "Initiated",
    "WorkflowTask": "Scheduled",
    "SignalExternal": "Initiated",
    "CancelExternal": "Initiated",
    "Update": "Accepted",
}


@dataclass
class FoldedRow:
    """One row of the compact view: a group of events (activity, timer, ...) or one event.

    Attributes:
        event_id: The first event of the row (what Enter opens).
        kind: ``Activity``, ``Timer``, ``Child``, ``WorkflowTask``, ... or the event type
            of a lone event.
        name: What the group is: activity type, timer ID, child workflow type and ID, signal name.
        status: Where the group is (``Scheduled``, ``Started``, ``Completed``, ``Fired``, ...).
        category: For the colour.
        start: When the group began (scheduled, started, initiated).
        end: When it ended; ``None`` while it is open.
        started: When a worker (or the child) started it, for activities and children: the
            time before it is spent waiting, in earlier attempts and their backoff.
        attempt: The activity's attempt (1 unless retried).
        details: The key facts of its last event.
        event_ids: Every event folded into the row.
    """

    event_id: int
    kind: str
    name: str
    status: str
    category: Category
    start: datetime.datetime | None
    end: datetime.datetime | None = None
    started: datetime.datetime | None = None
    attempt: int = 1
    details: str = ""
    failure: bool = False
    event_ids: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """True while the group waits for its last event."""
        return self.end is None and self.kind in _OPEN_STATUS

    def duration(self, now: datetime.datetime | None = None) -> float | None:
        """Seconds from start to end (or to ``now`` while open)."""
        return between(self.start, self.end or now)


def _group_name(kind: str, event: HistoryEvent) -> str:
    attrs: Any = attributes(event)
    if kind == "Activity":
        return str(attrs.activity_type.name)
    if kind == "Timer":
        return f"{attrs.timer_id} ({attrs.start_to_fire_timeout.ToTimedelta().total_seconds():g}s)"
    if kind == "Child":
        return f"{attrs.workflow_type.name} {attrs.workflow_id}"
    if kind == "SignalExternal":
        return f"{attrs.signal_name} → {attrs.workflow_execution.workflow_id}"
    if kind == "CancelExternal":
        return f"→ {attrs.workflow_execution.workflow_id}"
    if kind == "Update":
        return str(attrs.accepted_request.input.name)
    return ""


def _group_of(event: HistoryEvent) -> int:
    for name in _GROUP_FIELDS:
        value = _attr(event, name, 0)
        if value:
            return int(value)
    return 0


def fold(events: Iterable[HistoryEvent], converter: DataConverter) -> list[FoldedRow]:
    """The compact view: one row per activity, timer, child, workflow task, external signal
    or cancel and update; every other event keeps its own row. Rows are in the order of
    their first event."""
    rows: list[FoldedRow] = []
    groups: dict[int, FoldedRow] = {}
    for event in events:
        kind_category = _OPENERS.get(event.event_type)
        when = event_time(event)
        if kind_category is not None:
            kind, cat = kind_category
            row = FoldedRow(
                event_id=event.event_id,
                kind=kind,
                name=_group_name(kind, event),
                status=_OPEN_STATUS[kind],
                category=cat,
                start=when,
                details=event_details(event, converter),
                event_ids=[event.event_id],
            )
            groups[event.event_id] = row
            rows.append(row)
            continue
        group = groups.get(_group_of(event))
        if group is not None and (event.event_type in _CLOSERS or event.event_type in _PROGRESS):
            group.event_ids.append(event.event_id)
            if event.event_type in _CLOSERS:
                group.status = _CLOSERS[event.event_type]
                group.end = when
                group.failure = is_failure(event.event_type)
                group.details = event_details(event, converter) or group.details
            else:
                group.status = _PROGRESS[event.event_type]
                group.started = when
                attempt = _attr(event, "attempt", 0)
                if attempt:
                    group.attempt = int(attempt)
            continue
        name = event_type_name(event.event_type)
        rows.append(
            FoldedRow(
                event_id=event.event_id,
                kind=name,
                name="",
                status="",
                category=category(event.event_type),
                start=when,
                end=when,
                details=event_details(event, converter),
                failure=is_failure(event.event_type),
                event_ids=[event.event_id],
            )
        )
    return rows


@dataclass(frozen=True)
class RunLink:
    """A run related to the one shown: its parent, the runs before and after it, a child."""

    relation: str
    workflow_id: str
    run_id: str
    note: str = ""


def run_links(events: Sequence[HistoryEvent], workflow_id: str) -> list[RunLink]:
    """Parent, previous and next run (continue-as-new, retry, cron) and children, from the history."""
    links: list[RunLink] = []
    if events and events[0].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        started = events[0].workflow_execution_started_event_attributes
        if started.HasField("parent_workflow_execution"):
            parent = started.parent_workflow_execution
            links.append(RunLink("Parent", parent.workflow_id, parent.run_id, started.parent_workflow_namespace))
        if started.continued_execution_run_id:
            links.append(RunLink("Previous run", workflow_id, started.continued_execution_run_id))
    for event in events:
        if event.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            attrs = event.child_workflow_execution_started_event_attributes
            execution = attrs.workflow_execution
            links.append(RunLink("Child", execution.workflow_id, execution.run_id, attrs.workflow_type.name))
    if events and events[-1].event_type in CLOSE_STATUS:
        next_run = str(_attr(events[-1], "new_execution_run_id", ""))
        if next_run:
            links.append(RunLink("Next run", workflow_id, next_run))
    return links


@dataclass(frozen=True)
class PendingExternal:
    """A signal or cancel request this run sent another workflow, not yet delivered."""

    event_id: int
    kind: str
    workflow_id: str
    name: str
    time: datetime.datetime | None


def pending_external(events: Iterable[HistoryEvent]) -> list[PendingExternal]:
    """Signals and cancel requests to other workflows still waiting for their outcome."""
    pending: dict[int, PendingExternal] = {}
    for event in events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            attrs = event.signal_external_workflow_execution_initiated_event_attributes
            pending[event.event_id] = PendingExternal(
                event.event_id, "Signal", attrs.workflow_execution.workflow_id, attrs.signal_name, event_time(event)
            )
        elif kind == E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            cancel = event.request_cancel_external_workflow_execution_initiated_event_attributes
            pending[event.event_id] = PendingExternal(
                event.event_id, "Cancel", cancel.workflow_execution.workflow_id, "", event_time(event)
            )
        elif kind in (
            E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
            E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
            E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
            E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        ):
            pending.pop(int(_attr(event, "initiated_event_id", 0)), None)
    return list(pending.values())


@dataclass(frozen=True)
class RunOutcome:
    """The input a run started with and how it ended, from its first and last events."""

    input: list[Any] | None
    status: WorkflowStatus | None
    result: list[Any] | None
    failure: str


def run_outcome(events: Sequence[HistoryEvent], converter: DataConverter) -> RunOutcome:
    """Input, and result or failure if the run is closed."""
    start_input: list[Any] | None = None
    if events and events[0].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        start_input = decode_payloads(events[0].workflow_execution_started_event_attributes.input, converter)
    if not events or events[-1].event_type not in CLOSE_STATUS:
        return RunOutcome(start_input, None, None, "")
    last = events[-1]
    status = CLOSE_STATUS[last.event_type]
    result: list[Any] | None = None
    failure = ""
    if last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        result = decode_payloads(last.workflow_execution_completed_event_attributes.result, converter)
    elif last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        failure = failure_chain(last.workflow_execution_failed_event_attributes.failure)
    elif last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        failure = last.workflow_execution_terminated_event_attributes.reason or "terminated"
    elif last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        failure = "timed out"
    elif last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        failure = "canceled"
    return RunOutcome(start_input, status, result, failure)


def event_document(event: HistoryEvent) -> Any:
    """The event as JSON (protobuf's mapping), payloads decoded as the `temporal` CLI shows them."""
    return proto_json(event)


def history_document(events: Iterable[HistoryEvent]) -> str:
    """The history as `temporal workflow show -o json` writes it (readable by the replayers)."""
    return history_json(History(events=list(events)))


def describe_values(values: list[Any] | None) -> str:
    """Decoded payloads for one line: one value alone, several as a JSON array."""
    if values is None:
        return ""
    return one_line(values[0] if len(values) == 1 else values)


@dataclass(frozen=True)
class AlignedRow:
    """One line of two histories side by side.

    Attributes:
        left: The left run's event, or ``None`` where it has nothing in its place.
        right: The right run's event, likewise.
        difference: ``""`` when both match, ``"type"`` when the event types differ or one
            side is missing, ``"details"`` when the types match but the attributes differ.
    """

    left: EventRow | None
    right: EventRow | None
    difference: str


def align(left: Sequence[EventRow], right: Sequence[EventRow]) -> list[AlignedRow]:
    """Line up two histories by event type (a diff), so an extra or missing event shifts
    nothing after it; matched events whose attributes differ are marked too."""
    import difflib

    matcher = difflib.SequenceMatcher(a=[r.type_name for r in left], b=[r.type_name for r in right], autojunk=False)
    rows: list[AlignedRow] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for a, b in zip(left[i1:i2], right[j1:j2], strict=True):
                rows.append(AlignedRow(a, b, "" if a.details == b.details else "details"))
            continue
        lefts, rights = list(left[i1:i2]), list(right[j1:j2])
        for k in range(max(len(lefts), len(rights))):
            rows.append(
                AlignedRow(lefts[k] if k < len(lefts) else None, rights[k] if k < len(rights) else None, "type")
            )
    return rows
