"""Lifecycles: each entity's states, the events that move it, and the transitions allowed.

One table per entity (workflow task, activity, timer, child workflow, update), read as
`(state, event) -> next state`. Every change of an entity's state goes through
`Lifecycle.move`:

- an allowed event gives the next state (some events have more than one possible
  destination, decided by the rule: an attempt that fails is retried or closed; the
  table lists the destinations allowed, and `move` checks the one chosen);
- a *late* event (listed in the table's `late` set) is a stale one: a copy of a task a
  worker already took, a deadline of an attempt that has moved on, an answer for an
  attempt that is gone. It changes nothing; `move` records it in the `Changes`
  (`Changes.ignore_stale`), the engine counts it (`Engine.stale_events`) and logs it at
  debug level. An event for an entity (or an attempt of it) that no longer exists, or a
  deadline that has moved, is stale the same way (`Lifecycle.ignore`);
- anything else is a bug in the server: `IllegalTransition` names the entity, its
  state and the event.

Where an RPC caused a stale event, its rule answers as the real server does (a worker
completing a workflow task twice gets NOT_FOUND, as does a late activity heartbeat).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from devserver.core.changes import Changes

S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)


class IllegalTransition(Exception):
    """An event the entity's lifecycle does not allow in its state: a bug in the server."""

    def __init__(self, entity: str, ref: object, state: Enum, event: Enum) -> None:
        super().__init__(f"{entity} {ref}: {event.name} is not allowed in state {state.name}")
        self.entity = entity
        self.ref = ref
        self.state = state
        self.event = event


@dataclass(frozen=True)
class Lifecycle(Generic[S, E]):
    """An entity's transition table (see the module docstring)."""

    entity: str
    # (state, event) -> the next state, or the set of states the rule may choose from.
    transitions: Mapping[tuple[S, E], S | frozenset[S]]
    # Events that may arrive after the fact in a state: stale, ignored.
    late: frozenset[tuple[S, E]] = field(default_factory=frozenset)

    def move(self, ch: Changes, ref: object, state: S, event: E, to: S | None = None) -> S | None:
        """The state after `event`; None (and recorded as stale) if the event is late here.

        `to` is the destination the rule chose, for events with more than one.
        """
        if self.stale(ch, ref, state, event):
            return None
        return self.next(ref, state, event, to)

    def next(self, ref: object, state: S, event: E, to: S | None = None) -> S:
        """The state after `event`, which the rule knows is not late; IllegalTransition otherwise."""
        allowed = self.transitions.get((state, event))
        if allowed is None:
            raise IllegalTransition(self.entity, ref, state, event)
        if isinstance(allowed, frozenset):
            if to not in allowed:
                raise IllegalTransition(self.entity, ref, state, event)
            return to
        if to is not None and to is not allowed:
            raise IllegalTransition(self.entity, ref, state, event)
        return allowed

    def stale(self, ch: Changes, ref: object, state: S, event: E) -> bool:
        """Whether `event` is late in `state` (then it is recorded as stale)."""
        if (state, event) in self.late:
            self.ignore(ch, ref, event)
            return True
        return False

    def ignore(self, ch: Changes, ref: object, event: E) -> None:
        """Record a stale event: for an entity (or an attempt of it) that is gone, or a deadline
        that has moved."""
        ch.ignore_stale(self.entity, ref, event.name)

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


_WT = WorkflowTaskState
_WTE = WorkflowTaskEvent
WORKFLOW_TASK: Lifecycle[WorkflowTaskState, WorkflowTaskEvent] = Lifecycle(
    "workflow task",
    {
        (_WT.SCHEDULED, _WTE.START): _WT.STARTED,
        # A written task times out (the next one goes to the normal queue); a transient or
        # speculative one just moves to the normal queue.
        (_WT.SCHEDULED, _WTE.SCHEDULE_TO_START_TIMEOUT): frozenset({_WT.TIMED_OUT, _WT.SCHEDULED}),
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
)


# ---- the activity -------------------------------------------------------------------------


class ActivityState(Enum):
    SCHEDULED = "scheduled"  # its current attempt is in a task queue
    STARTED = "started"  # a worker runs the current attempt
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
ACTIVITY: Lifecycle[ActivityState, ActivityEvent] = Lifecycle(
    "activity",
    {
        (_A.SCHEDULED, _AE.START): _A.STARTED,
        **{(s, _AE.START_BY_ID): _A.STARTED for s in _WAITING},
        (_A.STARTED, _AE.COMPLETE): _A.COMPLETED,
        (_A.STARTED, _AE.FAIL): frozenset({_A.BACKING_OFF, _A.PAUSED, _A.FAILED}),
        (_A.STARTED, _AE.ATTEMPT_TIMEOUT): frozenset({_A.BACKING_OFF, _A.PAUSED, _A.TIMED_OUT}),
        **{(s, _AE.SCHEDULE_TO_START_TIMEOUT): _A.TIMED_OUT for s in _WAITING},
        **{(s, _AE.SCHEDULE_TO_CLOSE_TIMEOUT): _A.TIMED_OUT for s in (*_WAITING, _A.STARTED)},
        (_A.BACKING_OFF, _AE.RETRY_DUE): _A.SCHEDULED,
        **{(s, _AE.CANCEL): _A.CANCELED for s in (*_WAITING, _A.STARTED)},
        (_A.SCHEDULED, _AE.PAUSE): _A.PAUSED,
        (_A.BACKING_OFF, _AE.PAUSE): _A.PAUSED,
        (_A.STARTED, _AE.PAUSE): _A.STARTED,  # the attempt runs on; its worker learns from a heartbeat
        (_A.PAUSED, _AE.UNPAUSE): frozenset({_A.SCHEDULED, _A.BACKING_OFF}),
        (_A.STARTED, _AE.UNPAUSE): _A.STARTED,
        **{(s, _AE.RESET): frozenset({_A.SCHEDULED, _A.BACKING_OFF, _A.PAUSED}) for s in _WAITING},
        (_A.STARTED, _AE.RESET): _A.STARTED,
        **{(s, _AE.UPDATE_OPTIONS): frozenset({_A.SCHEDULED, _A.BACKING_OFF, _A.PAUSED}) for s in _WAITING},
        (_A.STARTED, _AE.UPDATE_OPTIONS): _A.STARTED,
    },
    late=frozenset(
        {
            (_A.STARTED, _AE.START),  # a copy of an attempt already taken
            (_A.BACKING_OFF, _AE.START),  # a copy of an earlier attempt
            (_A.PAUSED, _AE.START),  # paused after it was queued
            (_A.SCHEDULED, _AE.ATTEMPT_TIMEOUT),  # the deadline of an attempt that ended
            (_A.BACKING_OFF, _AE.ATTEMPT_TIMEOUT),
            (_A.PAUSED, _AE.ATTEMPT_TIMEOUT),
            (_A.STARTED, _AE.SCHEDULE_TO_START_TIMEOUT),  # started in time
            (_A.SCHEDULED, _AE.RETRY_DUE),  # dispatched early (reset, unpause, new options)
            (_A.STARTED, _AE.RETRY_DUE),
            (_A.PAUSED, _AE.RETRY_DUE),  # paused during the backoff
        }
    ),
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
)


LIFECYCLES: dict[str, Lifecycle[Enum, Enum]] = {
    lifecycle.entity: lifecycle  # type: ignore[misc]
    for lifecycle in (WORKFLOW_TASK, ACTIVITY, TIMER, CHILD, UPDATE)
}
