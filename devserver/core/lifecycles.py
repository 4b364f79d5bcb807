"""Lifecycles: each entity's states, the events that move it, and the transitions allowed.

One table per entity (workflow task, activity, timer, child workflow, update), read as
`(state, event) -> next state`; an activity has two more, for the requests its running
attempt's worker is told of on a heartbeat (a cancel, a reset). This module is the only
place an entity's state is written (tests/devserver/test_one_door.py checks): every change
goes through its lifecycle,

- `move`: an allowed event gives the next state (some events have more than one possible
  destination, decided by the rule: an attempt that fails is retried or closed; the table
  lists the destinations allowed, and `move` checks the one chosen). A *late* event (listed
  in the table's `late` set) is a stale one: a copy of a task a worker already took, a
  deadline of an attempt that has moved on, an answer for an attempt that is gone. It
  changes nothing; `move` records it in the `Changes` (`Changes.ignore_stale`), the engine
  counts it (`Engine.stale_events`) and logs it at debug level. An event for an entity (or
  an attempt of it) that no longer exists, or a deadline that has moved, is stale the same
  way (`Lifecycle.ignore`);
- `next`: the same for an event the rule knows is not late;
- `restore`: a transition the run's history records, replayed by `core.rebuild` (the run a
  reset starts from); checked against the table the same way.

Anything else is a bug in the server: `IllegalTransition` names the entity, its state, the
event and the transitions the entity went through (each entity keeps them in
`transitions_taken`, as the Java test server's state machines do). They are for that
message only: a snapshot does not store them, so after a restart (or a change undone at a
history limit) an entity's list starts again from the state it was loaded in.

Where an RPC caused a stale event, its rule answers as the real server does (a worker
completing a workflow task twice gets NOT_FOUND, as does a late activity heartbeat).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, NamedTuple, TypeVar

from devserver.core.changes import Changes

S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)

# How many transitions an entity remembers for IllegalTransition's message (an activity retried
# for days takes three per attempt): the latest ones.
TRANSITIONS_KEPT = 64


class Transition(NamedTuple):
    """One transition an entity took."""

    lifecycle: str  # "" for the entity's own; a part's name ("cancel request") for an activity's others
    source: Enum
    event: Enum
    target: Enum
    restored: bool = False  # replayed from history (core.rebuild)

    def __str__(self) -> str:
        part = f"{self.lifecycle}: " if self.lifecycle else ""
        replayed = " (replayed)" if self.restored else ""
        return f"{part}{self.source.name} -{self.event.name}-> {self.target.name}{replayed}"


class IllegalTransition(Exception):
    """An event the entity's lifecycle does not allow in its state: a bug in the server."""

    def __init__(self, entity: str, ref: object, state: Enum, event: Enum, taken: Sequence[Transition] = ()) -> None:
        went = ", ".join(str(t) for t in taken) if taken else "none since it was created or loaded"
        super().__init__(f"{entity} {ref}: {event.name} is not allowed in state {state.name} (transitions: {went})")
        self.entity = entity
        self.ref = ref
        self.state = state
        self.event = event
        self.taken = list(taken)


def _no_ref(entity: Any) -> object:
    return entity


@dataclass(frozen=True)
class Lifecycle(Generic[S, E]):
    """An entity's transition table (see the module docstring).

    `attribute` is the entity's field that holds the state (`state`, or a part's own), `ref`
    names an entity in messages and in the stale-event record, and `part` names a lifecycle
    that is one part of an entity's state (an activity's cancel request)."""

    entity: str
    # (state, event) -> the next state, or the set of states the rule may choose from.
    transitions: Mapping[tuple[S, E], S | frozenset[S]]
    # Events that may arrive after the fact in a state: stale, ignored.
    late: frozenset[tuple[S, E]] = frozenset()
    ref: Callable[[Any], object] = _no_ref
    attribute: str = "state"
    part: str = ""

    @property
    def name(self) -> str:
        return f"{self.entity} {self.part}" if self.part else self.entity

    def state_of(self, entity: Any) -> S:
        state: S = getattr(entity, self.attribute)
        return state

    def move(self, ch: Changes, entity: Any, event: E, to: S | None = None) -> S | None:
        """Move `entity` on `event`: its new state, or None (recorded as stale, nothing changed)
        if the event is late in its state. `to` is the destination the rule chose, for events
        with more than one."""
        if self.stale(ch, entity, event):
            return None
        return self.next(entity, event, to)

    def next(self, entity: Any, event: E, to: S | None = None) -> S:
        """Move `entity` on `event`, which the rule knows is not late; IllegalTransition if the
        table does not allow it."""
        return self._take(entity, event, to, restored=False)

    def restore(self, entity: Any, event: E, to: S | None = None) -> S:
        """Move `entity` on `event` as the run's history records it (core.rebuild replaying a
        history prefix); IllegalTransition if the table does not allow it."""
        return self._take(entity, event, to, restored=True)

    def stale(self, ch: Changes, entity: Any, event: E) -> bool:
        """Whether `event` is late in the entity's state (then it is recorded as stale)."""
        if (self.state_of(entity), event) in self.late:
            self.ignore(ch, self.ref(entity), event)
            return True
        return False

    def ignore(self, ch: Changes, ref: object, event: E) -> None:
        """Record a stale event: for an entity (or an attempt of it) that is gone, or a deadline
        that has moved."""
        ch.ignore_stale(self.name, ref, event.name)

    def target(self, state: S, event: E, to: S | None = None) -> S | None:
        """The state `event` leads to from `state` (`to`, if the rule chose), or None if the
        table does not allow it."""
        allowed = self.transitions.get((state, event))
        if allowed is None:
            return None
        if isinstance(allowed, frozenset):
            return to if to in allowed else None
        if to is not None and to is not allowed:
            return None
        return allowed

    def _take(self, entity: Any, event: E, to: S | None, restored: bool) -> S:
        state = self.state_of(entity)
        taken: list[Transition] = entity.transitions_taken
        moved = self.target(state, event, to)
        if moved is None:
            raise IllegalTransition(self.name, self.ref(entity), state, event, taken)
        setattr(entity, self.attribute, moved)
        taken.append(Transition(self.part, state, event, moved, restored))
        if len(taken) > TRANSITIONS_KEPT:
            del taken[0]
        return moved

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as (state, event, next states) rows, late events last (for docs and tests)."""
        found = []
        for (state, event), to in self.transitions.items():
            names = sorted(s.name for s in to) if isinstance(to, frozenset) else [to.name]
            found.append((state.name, event.name, " | ".join(names)))
        for state, event in sorted(self.late, key=lambda pair: (pair[1].name, pair[0].name)):
            found.append((state.name, event.name, "(stale: ignored)"))
        return found


# ---- the workflow task ---------------------------------------------------------------------


class WorkflowTaskState(Enum):
    SCHEDULED = "scheduled"  # in a task queue (or to be handed out inline / eagerly)
    STARTED = "started"  # a worker has it
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


class WorkflowTaskEvent(Enum):
    START = "start"  # a worker polled it (or got it inline / eagerly)
    COMPLETE = "complete"  # RespondWorkflowTaskCompleted (or a speculative task discarded)
    FAIL = "fail"  # RespondWorkflowTaskFailed, or a bad command
    START_TO_CLOSE_TIMEOUT = "start_to_close_timeout"
    SCHEDULE_TO_START_TIMEOUT = "schedule_to_start_timeout"  # on a sticky queue, nobody took it
    PAUSE = "pause"  # the workflow was paused before a worker took it (core.pause)


_WT = WorkflowTaskState
_WTE = WorkflowTaskEvent
WORKFLOW_TASK: Lifecycle[WorkflowTaskState, WorkflowTaskEvent] = Lifecycle(
    "workflow task",
    {
        (_WT.SCHEDULED, _WTE.START): _WT.STARTED,
        # A written task times out (the next one goes to the normal queue); a transient or
        # speculative one just moves to the normal queue.
        (_WT.SCHEDULED, _WTE.SCHEDULE_TO_START_TIMEOUT): frozenset({_WT.TIMED_OUT, _WT.SCHEDULED}),
        (_WT.SCHEDULED, _WTE.PAUSE): _WT.FAILED,
        (_WT.STARTED, _WTE.COMPLETE): _WT.COMPLETED,
        (_WT.STARTED, _WTE.FAIL): _WT.FAILED,
        (_WT.STARTED, _WTE.START_TO_CLOSE_TIMEOUT): _WT.TIMED_OUT,
    },
    late=frozenset(
        {
            (_WT.STARTED, _WTE.START),  # a copy of the task a worker already took
            (_WT.STARTED, _WTE.SCHEDULE_TO_START_TIMEOUT),  # taken in time
            (_WT.SCHEDULED, _WTE.COMPLETE),  # a token for an attempt that never started
            (_WT.SCHEDULED, _WTE.FAIL),
        }
    ),
    ref=lambda task: task.seq,
)


# ---- the activity -------------------------------------------------------------------------


class ActivityState(Enum):
    SCHEDULED = "scheduled"  # its current attempt is in a task queue
    STARTED = "started"  # a worker runs the current attempt
    # Paused by an operator while a worker runs the attempt: the attempt runs on (its worker
    # learns of the pause from a heartbeat), and no attempt follows it until it is unpaused.
    PAUSE_REQUESTED = "pause_requested"
    BACKING_OFF = "backing_off"  # waiting out the retry backoff before the next attempt
    PAUSED = "paused"  # paused by an operator: no attempt goes out until it is unpaused
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"


class ActivityEvent(Enum):
    START = "start"  # a worker polled the attempt
    START_BY_ID = "start_by_id"  # completed by id without a poll: it counts as started
    COMPLETE = "complete"
    FAIL = "fail"  # the attempt failed: retried, held (paused) or failed for good
    ATTEMPT_TIMEOUT = "attempt_timeout"  # start-to-close or heartbeat: retried, held or timed out
    SCHEDULE_TO_START_TIMEOUT = "schedule_to_start_timeout"
    SCHEDULE_TO_CLOSE_TIMEOUT = "schedule_to_close_timeout"
    RETRY_DUE = "retry_due"  # the backoff is over
    CANCEL = "cancel"  # the workflow canceled it (before it started), or its worker acknowledged a cancel
    PAUSE = "pause"
    UNPAUSE = "unpause"
    RESET = "reset"  # attempts count from 1 again (and options may change)
    UPDATE_OPTIONS = "update_options"


_A = ActivityState
_AE = ActivityEvent
_WAITING = (_A.SCHEDULED, _A.BACKING_OFF, _A.PAUSED)  # no attempt running
_RUNNING = (_A.STARTED, _A.PAUSE_REQUESTED)  # a worker runs an attempt
_DISPATCHED = frozenset({_A.SCHEDULED, _A.BACKING_OFF})  # an attempt goes out now or after a wait
ACTIVITY: Lifecycle[ActivityState, ActivityEvent] = Lifecycle(
    "activity",
    {
        (_A.SCHEDULED, _AE.START): _A.STARTED,
        (_A.SCHEDULED, _AE.START_BY_ID): _A.STARTED,
        (_A.BACKING_OFF, _AE.START_BY_ID): _A.STARTED,
        (_A.PAUSED, _AE.START_BY_ID): _A.PAUSE_REQUESTED,
        **{(s, _AE.COMPLETE): _A.COMPLETED for s in _RUNNING},
        (_A.STARTED, _AE.FAIL): frozenset({_A.BACKING_OFF, _A.FAILED}),
        (_A.STARTED, _AE.ATTEMPT_TIMEOUT): frozenset({_A.BACKING_OFF, _A.TIMED_OUT}),
        # Paused: the next attempt waits for the unpause, whatever the retry policy's maximum.
        (_A.PAUSE_REQUESTED, _AE.FAIL): frozenset({_A.PAUSED, _A.FAILED}),
        (_A.PAUSE_REQUESTED, _AE.ATTEMPT_TIMEOUT): frozenset({_A.PAUSED, _A.TIMED_OUT}),
        **{(s, _AE.SCHEDULE_TO_START_TIMEOUT): _A.TIMED_OUT for s in _WAITING},
        **{(s, _AE.SCHEDULE_TO_CLOSE_TIMEOUT): _A.TIMED_OUT for s in (*_WAITING, *_RUNNING)},
        (_A.BACKING_OFF, _AE.RETRY_DUE): _A.SCHEDULED,
        **{(s, _AE.CANCEL): _A.CANCELED for s in (*_WAITING, *_RUNNING)},
        (_A.SCHEDULED, _AE.PAUSE): _A.PAUSED,
        (_A.BACKING_OFF, _AE.PAUSE): _A.PAUSED,
        (_A.STARTED, _AE.PAUSE): _A.PAUSE_REQUESTED,
        (_A.PAUSED, _AE.UNPAUSE): _DISPATCHED,
        (_A.PAUSE_REQUESTED, _AE.UNPAUSE): _A.STARTED,
        (_A.SCHEDULED, _AE.RESET): _DISPATCHED,
        (_A.BACKING_OFF, _AE.RESET): _DISPATCHED,
        (_A.PAUSED, _AE.RESET): _DISPATCHED | {_A.PAUSED},  # kept paused, or unpaused by the reset
        (_A.STARTED, _AE.RESET): _A.STARTED,
        (_A.PAUSE_REQUESTED, _AE.RESET): frozenset({_A.PAUSE_REQUESTED, _A.STARTED}),
        (_A.SCHEDULED, _AE.UPDATE_OPTIONS): _DISPATCHED,
        (_A.BACKING_OFF, _AE.UPDATE_OPTIONS): _DISPATCHED,
        (_A.PAUSED, _AE.UPDATE_OPTIONS): _A.PAUSED,
        **{(s, _AE.UPDATE_OPTIONS): s for s in _RUNNING},
    },
    late=frozenset(
        {
            *((s, _AE.START) for s in _RUNNING),  # a copy of an attempt already taken
            (_A.BACKING_OFF, _AE.START),  # a copy of an earlier attempt
            (_A.PAUSED, _AE.START),  # paused after it was queued
            *((s, _AE.ATTEMPT_TIMEOUT) for s in _WAITING),  # the deadline of an attempt that ended
            *((s, _AE.SCHEDULE_TO_START_TIMEOUT) for s in _RUNNING),  # started in time
            (_A.SCHEDULED, _AE.RETRY_DUE),  # dispatched early (reset, unpause, new options)
            *((s, _AE.RETRY_DUE) for s in _RUNNING),
            (_A.PAUSED, _AE.RETRY_DUE),  # paused during the backoff
        }
    ),
    ref=lambda info: info.scheduled_event_id,
)


# What the workflow and the operator asked of an activity's running attempt: its worker is
# told on a heartbeat. Each is a part of the activity's state with a table of its own.


class CancelRequest(Enum):
    NOT_REQUESTED = "not_requested"
    # The workflow asked (RequestCancelActivityTask) while an attempt ran: its worker is told;
    # the activity ends when the worker acknowledges (ActivityEvent.CANCEL) or fails.
    REQUESTED = "requested"


class CancelRequestEvent(Enum):
    REQUEST = "request"  # the workflow's RequestCancelActivityTask command


ACTIVITY_CANCEL: Lifecycle[CancelRequest, CancelRequestEvent] = Lifecycle(
    "activity",
    {
        (CancelRequest.NOT_REQUESTED, CancelRequestEvent.REQUEST): CancelRequest.REQUESTED,
        (CancelRequest.REQUESTED, CancelRequestEvent.REQUEST): CancelRequest.REQUESTED,  # asked again
    },
    ref=lambda info: info.scheduled_event_id,
    attribute="cancel_request",
    part="cancel request",
)


class ResetRequest(Enum):
    NOT_REQUESTED = "not_requested"
    # Reset (ResetActivity) while an attempt ran, or while paused: the worker is told; the next
    # attempt starts clean, with its heartbeat details kept or dropped.
    REQUESTED = "requested"
    REQUESTED_DROP_HEARTBEATS = "requested_drop_heartbeats"


class ResetRequestEvent(Enum):
    REQUEST = "request"  # ResetActivity
    DONE = "done"  # the next attempt is due (a retry, an unpause, new options): the reset is done with


_R = ResetRequest
_RE = ResetRequestEvent
ACTIVITY_RESET: Lifecycle[ResetRequest, ResetRequestEvent] = Lifecycle(
    "activity",
    {
        (_R.NOT_REQUESTED, _RE.REQUEST): frozenset({_R.REQUESTED, _R.REQUESTED_DROP_HEARTBEATS}),
        (_R.REQUESTED, _RE.REQUEST): frozenset({_R.REQUESTED, _R.REQUESTED_DROP_HEARTBEATS}),
        (_R.REQUESTED_DROP_HEARTBEATS, _RE.REQUEST): _R.REQUESTED_DROP_HEARTBEATS,  # a drop asked for stays
        (_R.REQUESTED, _RE.DONE): _R.NOT_REQUESTED,
        (_R.REQUESTED_DROP_HEARTBEATS, _RE.DONE): _R.NOT_REQUESTED,
    },
    ref=lambda info: info.scheduled_event_id,
    attribute="reset_request",
    part="reset request",
)


# ---- the timer -----------------------------------------------------------------------------


class TimerState(Enum):
    STARTED = "started"
    FIRED = "fired"
    CANCELED = "canceled"


class TimerEvent(Enum):
    FIRE = "fire"
    CANCEL = "cancel"  # the workflow's CancelTimer command


TIMER: Lifecycle[TimerState, TimerEvent] = Lifecycle(
    "timer",
    {
        (TimerState.STARTED, TimerEvent.FIRE): TimerState.FIRED,
        (TimerState.STARTED, TimerEvent.CANCEL): TimerState.CANCELED,
    },
    ref=lambda timer: timer.timer_id,
)


# ---- the child workflow (as its parent sees it) --------------------------------------------


class ChildState(Enum):
    INITIATED = "initiated"  # StartChildWorkflowExecutionInitiated written, the child not started yet
    STARTED = "started"
    START_FAILED = "start_failed"
    CLOSED = "closed"  # the child's last run closed and the parent was told


class ChildEvent(Enum):
    START = "start"  # the child's first run started
    START_FAIL = "start_fail"  # it could not start (the workflow id is taken, no such namespace)
    CLOSE = "close"  # the child's last run closed


_C = ChildState
_CE = ChildEvent
CHILD: Lifecycle[ChildState, ChildEvent] = Lifecycle(
    "child workflow",
    {
        (_C.INITIATED, _CE.START): _C.STARTED,
        (_C.INITIATED, _CE.START_FAIL): _C.START_FAILED,
        (_C.STARTED, _CE.CLOSE): _C.CLOSED,
    },
    late=frozenset(
        {
            (_C.STARTED, _CE.START),  # a start carried out again after a restart
            (_C.STARTED, _CE.START_FAIL),
            (_C.INITIATED, _CE.CLOSE),  # the child closed before its start was recorded
        }
    ),
    ref=lambda child: child.initiated_event_id,
)


# ---- the workflow update -------------------------------------------------------------------


class UpdateState(Enum):
    ADMITTED = "admitted"  # waiting for a worker to accept or reject it
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REJECTED = "rejected"  # by the workflow, or by the server for a worker that did not process it
    ABORTED = "aborted"  # its run closed before it was accepted
    # Accepted, but its run closed before the workflow completed it: callers get a failure
    # outcome, yet the run has no completed event, so update-with-start does not attach to it.
    UNFINISHED = "unfinished"


class UpdateEvent(Enum):
    ACCEPT = "accept"
    COMPLETE = "complete"  # the workflow's response
    REJECT = "reject"
    RUN_CLOSED = "run_closed"


_U = UpdateState
_UE = UpdateEvent
UPDATE: Lifecycle[UpdateState, UpdateEvent] = Lifecycle(
    "update",
    {
        (_U.ADMITTED, _UE.ACCEPT): _U.ACCEPTED,
        (_U.ADMITTED, _UE.REJECT): _U.REJECTED,
        (_U.ACCEPTED, _UE.COMPLETE): _U.COMPLETED,
        (_U.ADMITTED, _UE.RUN_CLOSED): _U.ABORTED,
        (_U.ACCEPTED, _UE.RUN_CLOSED): _U.UNFINISHED,  # with a failure outcome
    },
    late=frozenset(
        {
            # A worker's message for an update that has moved on: ignored, as on the real server.
            (_U.ACCEPTED, _UE.ACCEPT),
            (_U.COMPLETED, _UE.ACCEPT),
            (_U.ACCEPTED, _UE.REJECT),
            (_U.COMPLETED, _UE.REJECT),
            (_U.ADMITTED, _UE.COMPLETE),
            (_U.COMPLETED, _UE.COMPLETE),
        }
    ),
    ref=lambda update: update.update_id,
)


# ---- the workflow's pause (PauseWorkflowExecution) -------------------------------------------


class WorkflowPauseState(Enum):
    UNPAUSED = "unpaused"
    # Paused by an operator: no workflow task goes out and no activity attempt starts until
    # the unpause (a task a worker already has runs to its end).
    PAUSED = "paused"


class WorkflowPauseEvent(Enum):
    PAUSE = "pause"  # PauseWorkflowExecution
    UNPAUSE = "unpause"  # UnpauseWorkflowExecution


WORKFLOW_PAUSE: Lifecycle[WorkflowPauseState, WorkflowPauseEvent] = Lifecycle(
    "workflow pause",
    {
        (WorkflowPauseState.UNPAUSED, WorkflowPauseEvent.PAUSE): WorkflowPauseState.PAUSED,
        (WorkflowPauseState.PAUSED, WorkflowPauseEvent.UNPAUSE): WorkflowPauseState.UNPAUSED,
    },
    ref=lambda pause: "",
)


LIFECYCLES: dict[str, Lifecycle[Enum, Enum]] = {
    lifecycle.name: lifecycle  # type: ignore[misc]
    for lifecycle in (WORKFLOW_TASK, ACTIVITY, ACTIVITY_CANCEL, ACTIVITY_RESET, TIMER, CHILD, UPDATE, WORKFLOW_PAUSE)
}
