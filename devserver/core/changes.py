"""What one state change asks the engine to do once it is committed.

Handlers in the core never touch queues, timers or storage: they append to a
`Changes` object, and the engine commits the events first and only then hands
out tasks, arms timers and wakes waiters (so nothing is dispatched that is not
durable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

if TYPE_CHECKING:
    from devserver.core.mutable_state import MutableState


@dataclass(frozen=True)
class RunKey:
    namespace: str
    workflow_id: str
    run_id: str


@dataclass(frozen=True)
class WorkflowTaskRef:
    """A workflow task waiting in a task queue; `seq` tells stale copies apart."""

    run: RunKey
    queue: str
    sticky: bool
    seq: int


@dataclass(frozen=True)
class ActivityTaskRef:
    run: RunKey
    queue: str
    scheduled_event_id: int
    attempt: int


@dataclass(frozen=True)
class QueryTaskRef:
    """A query-only ("legacy") workflow task."""

    run: RunKey
    queue: str
    sticky: bool
    query_id: str


TaskRef = WorkflowTaskRef | ActivityTaskRef | QueryTaskRef


@dataclass(frozen=True)
class TimerKey:
    """A deadline the engine must report back with `MutableState.fire(key)`.

    Keys are never cancelled: when one fires, the core checks that what it
    names is still pending and otherwise ignores it.
    """

    run: RunKey
    # "user_timer", "activity_timeout", "activity_retry", "workflow_task_timeout",
    # "sticky_timeout", "run_timeout", "execution_timeout"
    kind: str
    # What the deadline is for: timer id, activity scheduled event id or workflow task seq.
    ref: str = ""
    # The activity attempt it applies to (0 = any); for a user timer, its started event id,
    # so a timer id reused after a cancel is not fired by the old deadline.
    attempt: int = 0
    timeout_type: int = 0


# ---- work on other runs, carried out by the engine after the commit (see core.children) ----


@dataclass(frozen=True)
class StartChild:
    parent: RunKey
    initiated_event_id: int


@dataclass(frozen=True)
class SignalExternal:
    source: RunKey
    initiated_event_id: int


@dataclass(frozen=True)
class CancelExternal:
    source: RunKey
    initiated_event_id: int


@dataclass(frozen=True)
class NotifyParent:
    """A closed child tells its parent how it ended."""

    child: RunKey


@dataclass(frozen=True)
class ApplyParentClosePolicy:
    """A closed parent terminates or cancels a child it left running."""

    parent: RunKey
    initiated_event_id: int


Transfer = StartChild | SignalExternal | CancelExternal | NotifyParent | ApplyParentClosePolicy


@dataclass
class Changes:
    """The effects of one update, applied by the engine after the commit."""

    now: float
    events: list[history.HistoryEvent] = field(default_factory=list)
    tasks: list[TaskRef] = field(default_factory=list)
    timers: list[tuple[float, TimerKey]] = field(default_factory=list)
    # Activity tasks handed straight back in RespondWorkflowTaskCompleted.
    eager_activities: list[wsv1.PollActivityTaskQueueResponse] = field(default_factory=list)
    # Queries answered (query id -> result) or failed during this update.
    query_answers: dict[str, QueryAnswer] = field(default_factory=dict)
    # A run started by continue-as-new (or a retry) as part of this change.
    new_runs: list[tuple[MutableState, Changes]] = field(default_factory=list)
    # The run was closed by this change.
    closed: bool = False
    # Touched runs whose visibility record needs refreshing.
    touched: list[MutableState] = field(default_factory=list)
    # Updates (by id) that moved to a later stage in this change: their callers are told.
    updates: list[str] = field(default_factory=list)
    # Updates this change ended without recording them (rejected, or their run closed).
    rejected_updates: dict[str, object] = field(default_factory=dict)
    # Work on other runs this change asks for (a closed run's duties are derived by the engine).
    transfers: list[Transfer] = field(default_factory=list)

    # Stale events this change ignored (core.lifecycles); the engine counts them.
    stale: list[StaleEvent] = field(default_factory=list)

    def add_timer(self, deadline: float, key: TimerKey) -> None:
        self.timers.append((deadline, key))

    def ignore_stale(self, entity: str, ref: object, event: str) -> None:
        """Record a late event for something that is gone (or moved on); it changes nothing."""
        self.stale.append(StaleEvent(entity, str(ref), event))

    def only_stale(self) -> bool:
        """Nothing happened but ignoring stale events: there is nothing to commit."""
        return bool(self.stale) and not (
            self.events
            or self.tasks
            or self.timers
            or self.eager_activities
            or self.query_answers
            or self.new_runs
            or self.closed
            or self.touched
            or self.updates
            or self.rejected_updates
            or self.transfers
        )


@dataclass(frozen=True)
class StaleEvent:
    """An event that came too late: for an attempt that is gone, a copy of a task already
    taken, a deadline of something already done. Ignored, and counted by the engine."""

    entity: str
    ref: str
    event: str


@dataclass
class QueryAnswer:
    """The outcome of a query: a result payloads message, or an error message."""

    result: object | None = None
    error: str | None = None
    rejected_status: int = 0
