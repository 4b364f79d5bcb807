"""What one state change asks the engine to do once it is committed.

Handlers in the core never touch queues, timers or storage: they append to a
`Changes` object, and the engine commits the events first and only then hands
out tasks, arms timers and wakes waiters (so nothing is dispatched that is not
durable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.history.v1 import message_pb2 as history

if TYPE_CHECKING:
    from devserver.core.mutable_state import MutableState, UpdateInfo


class RunKey(NamedTuple):
    """One run: its namespace, workflow id and run id."""

    # A NamedTuple, not a frozen dataclass: the key of every table of runs, so hashed and
    # compared all the time (a tuple does both in C), and made for most calls.
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
    """An activity task to dispatch: its run, task queue, scheduled event and attempt."""

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


class TimerKind(StrEnum):
    """What a deadline is for."""

    USER_TIMER = "user_timer"  # a workflow's timer (StartTimer)
    ACTIVITY_TIMEOUT = "activity_timeout"  # one of an activity's four timeouts
    ACTIVITY_RETRY = "activity_retry"  # an activity's retry backoff is over
    WORKFLOW_TASK_TIMEOUT = "workflow_task_timeout"  # a started workflow task's start-to-close
    STICKY_TIMEOUT = "sticky_timeout"  # a workflow task on a sticky queue not taken in time
    WORKFLOW_TASK_RETRY = "workflow_task_retry"  # a failing workflow task's backoff is over
    FIRST_WORKFLOW_TASK = "first_workflow_task"  # a start delay or retry backoff is over
    RUN_TIMEOUT = "run_timeout"
    EXECUTION_TIMEOUT = "execution_timeout"


@dataclass(frozen=True)
class TimerKey:
    """A deadline the engine reports back to the core (`core.timers.fire`) when it comes due.

    Keys are never cancelled: when one fires, the core checks that what it names is still
    pending as it was when the key was made, and otherwise ignores it (a stale event).
    Build keys with the constructors below; each kind uses only the fields it names.
    """

    run: RunKey
    kind: TimerKind
    # USER_TIMER: the timer, and its TimerStarted event (a timer id reused after a cancel
    # is another timer, which the old deadline must not fire).
    timer_id: str = ""
    started_event_id: int = 0
    # ACTIVITY_*: the activity (its scheduled event id), the attempt (0: whichever attempt
    # runs then, for schedule-to-close) and which timeout.
    scheduled_event_id: int = 0
    attempt: int = 0  # also WORKFLOW_TASK_RETRY: the workflow task attempt that is due
    timeout_type: int = 0
    # WORKFLOW_TASK_TIMEOUT, STICKY_TIMEOUT: the workflow task's sequence number.
    seq: int = 0

    @classmethod
    def user_timer(cls, run: RunKey, timer_id: str, started_event_id: int) -> TimerKey:
        return cls(run, TimerKind.USER_TIMER, timer_id=timer_id, started_event_id=started_event_id)

    @classmethod
    def activity_timeout(cls, run: RunKey, scheduled_event_id: int, attempt: int, timeout_type: int) -> TimerKey:
        return cls(
            run,
            TimerKind.ACTIVITY_TIMEOUT,
            scheduled_event_id=scheduled_event_id,
            attempt=attempt,
            timeout_type=timeout_type,
        )

    @classmethod
    def activity_retry(cls, run: RunKey, scheduled_event_id: int, attempt: int) -> TimerKey:
        return cls(run, TimerKind.ACTIVITY_RETRY, scheduled_event_id=scheduled_event_id, attempt=attempt)

    @classmethod
    def workflow_task_timeout(cls, run: RunKey, seq: int) -> TimerKey:
        return cls(run, TimerKind.WORKFLOW_TASK_TIMEOUT, seq=seq)

    @classmethod
    def sticky_timeout(cls, run: RunKey, seq: int) -> TimerKey:
        return cls(run, TimerKind.STICKY_TIMEOUT, seq=seq)

    @classmethod
    def workflow_task_retry(cls, run: RunKey, attempt: int) -> TimerKey:
        return cls(run, TimerKind.WORKFLOW_TASK_RETRY, attempt=attempt)

    @classmethod
    def first_workflow_task(cls, run: RunKey) -> TimerKey:
        return cls(run, TimerKind.FIRST_WORKFLOW_TASK)

    @classmethod
    def run_timeout(cls, run: RunKey) -> TimerKey:
        return cls(run, TimerKind.RUN_TIMEOUT)

    @classmethod
    def execution_timeout(cls, run: RunKey) -> TimerKey:
        return cls(run, TimerKind.EXECUTION_TIMEOUT)


# ---- work on other runs, carried out by the engine after the commit (see core.children) ----


@dataclass(frozen=True)
class StartChild:
    """A parent's StartChildWorkflowExecutionInitiated event, for the child to be started."""

    parent: RunKey
    initiated_event_id: int


@dataclass(frozen=True)
class SignalExternal:
    """A run's SignalExternalWorkflowExecutionInitiated event, for the signal to be sent."""

    source: RunKey
    initiated_event_id: int


@dataclass(frozen=True)
class CancelExternal:
    """A run's RequestCancelExternalWorkflowExecutionInitiated event, for the request to be made."""

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
    # A run started by continue-as-new (or a retry, or a reset) as part of this change.
    new_runs: list[tuple[MutableState, Changes]] = field(default_factory=list)
    # Other existing runs this change also changed (a reset marks the run it started from).
    other_runs: list[tuple[MutableState, Changes]] = field(default_factory=list)
    # The run was closed by this change.
    closed: bool = False
    # Touched runs whose visibility record needs refreshing.
    touched: list[MutableState] = field(default_factory=list)
    # Updates (by id) that moved to a later stage in this change: their callers are told.
    updates: list[str] = field(default_factory=list)
    # Updates this change ended without recording them (rejected, or their run closed).
    rejected_updates: dict[str, UpdateInfo] = field(default_factory=dict)
    # Work on other runs this change asks for (a closed run's duties are derived by the engine).
    transfers: list[Transfer] = field(default_factory=list)

    # Stale events this change ignored (core.lifecycles); the engine counts them.
    stale: list[StaleEvent] = field(default_factory=list)

    def add_timer(self, deadline: float, key: TimerKey) -> None:
        self.timers.append((deadline, key))

    def ignore_stale(self, entity: str, ref: object, event: str) -> None:
        """Record a late event for something that is gone (or moved on); it changes nothing."""
        self.stale.append(StaleEvent(entity, str(ref), event))

    def durable(self) -> bool:
        """Whether anything the store keeps came of this change. Only tasks and answers that
        live as long as the process (a query handed to a worker, and its answer) do not."""
        return self._effects_kept() or any(not isinstance(task, QueryTaskRef) for task in self.tasks)

    def only_stale(self) -> bool:
        """Nothing happened but ignoring stale events: there is nothing to commit."""
        return bool(self.stale) and not (self._effects_kept() or self.tasks or self.query_answers)

    def _effects_kept(self) -> bool:
        """Any effect besides tasks and query answers (each of which the store keeps)."""
        return bool(
            self.events
            or self.timers
            or self.eager_activities
            or self.new_runs
            or self.other_runs
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
