"""The engine: owns every run's mutable state, and is the one door every change passes through.

`Engine.change(run, rule)` (and `Engine.create_run(make)` for a new run) builds a
`Changes`, applies a pure core rule to the run, checks the history limits,
commits the events and the run's new state to the `HistoryStore` in one write,
and only then hands tasks to the task queues (`matching`), arms timers, answers
queries and updates, refreshes visibility, wakes history long-polls and starts
the cross-run work the change asked for (`transfers`). RPC handlers, timers,
transfers and recovery all change runs this way; nothing else writes to a run or
to the store. The engine runs on one asyncio loop: core rules are synchronous,
so no locks are needed. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import query_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver import transfers, validation
from devserver.clock import Cancellable, Clock
from devserver.core import children, closing, cron, eager_start, queries, runs, signals, time_skipping, workflow_tasks
from devserver.core import limits as core_limits
from devserver.core import reset as core_reset
from devserver.core import timers as core_timers
from devserver.core.changes import (
    Changes,
    QueryAnswer,
    QueryTaskRef,
    RunKey,
    TaskRef,
    TimerKey,
    Transfer,
    WorkflowTaskRef,
)
from devserver.core.ids import advance_task_ids, new_run_id
from devserver.core.lifecycles import ActivityState
from devserver.core.limits import Limits
from devserver.core.mutable_state import MutableState, UpdateInfo, task_queue_message
from devserver.core.protos import duration, seconds_of, timestamp
from devserver.core.recovery import recover
from devserver.core.reset import ResetBase
from devserver.core.snapshot import dump as dump_state
from devserver.core.snapshot import restore_into
from devserver.errors import (
    DeadlineExceeded,
    HistoryLimitExceeded,
    InvalidArgument,
    NotFound,
    QueryFailed,
    Unavailable,
    WorkflowAlreadyStarted,
    WorkflowNotFound,
)
from devserver.matching import Matching
from devserver.metrics import Metrics
from devserver.namespaces import NamespaceRegistry
from devserver.store import HistoryStore, Loaded, RunWrite
from devserver.visibility import VisibilityIndex, record_of
from devserver.waiters import Waiters

log = logging.getLogger("tempo.engine")

T = TypeVar("T")

Status = wf_enums.WorkflowExecutionStatus
ReusePolicy = wf_enums.WorkflowIdReusePolicy
ConflictPolicy = wf_enums.WorkflowIdConflictPolicy

# Rejected updates remembered for callers still waiting on them.
MAX_UNRECORDED_UPDATES = 1000

# A sticky queue nobody has polled for this long is presumed abandoned.
STICKY_POLLER_IDLE = 10.0


@dataclass
class EngineConfig:
    long_poll_timeout: float = 60.0
    history_long_poll_timeout: float = 20.0
    limits: Limits = field(default_factory=Limits)
    eager_workflow_start: bool = True
    # Per-workflow time skipping (core.time_skipping): dynamic config
    # frontend.WorkflowTimeSkippingEnabled / frontend.WorkflowTimeSkippingMaxSkipPerSession.
    time_skipping_enabled: bool = True
    max_skips_per_session: int = time_skipping.DEFAULT_MAX_SESSION_SKIP_COUNT


@dataclass
class WorkflowChain:
    """Every run of one workflow id in one namespace; the last is the current one."""

    runs: dict[str, MutableState] = field(default_factory=dict)
    request_ids: dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> MutableState:
        return next(reversed(self.runs.values()))


class Engine:
    def __init__(
        self,
        clock: Clock,
        store: HistoryStore,
        namespaces: NamespaceRegistry,
        visibility: VisibilityIndex,
        config: EngineConfig | None = None,
    ) -> None:
        self.clock = clock
        self.store = store
        self.namespaces = namespaces
        self.visibility = visibility
        self.config = config or EngineConfig()
        self.matching = Matching()
        self.chains: dict[tuple[str, str], WorkflowChain] = {}
        self.runs: dict[RunKey, MutableState] = {}
        # Armed deadlines per run; a closed run's are cancelled (a year-long timeout of a run
        # that closed must not hold memory until its deadline).
        # Each with its deadline in the run's time (ahead of the wall clock when it skips time).
        self._timer_handles: dict[RunKey, dict[Cancellable, tuple[float, TimerKey]]] = {}
        # Counts closed runs for `--metrics-port` (devserver/metrics.py), when it is served.
        self.metrics: Metrics | None = None
        # Deadlines that came due and are being carried out (a time-skipping clock waits for them).
        self._firing = 0
        self._background: set[asyncio.Task[None]] = set()
        self._history_waiters: Waiters[RunKey] = Waiters()
        self._query_waiters: dict[str, asyncio.Future[QueryAnswer]] = {}
        self._transfers_in_flight: set[Transfer] = set()
        self._update_waiters: Waiters[tuple[RunKey, str]] = Waiters()
        # Updates that ended without a record in their run (rejected): kept for their callers.
        self.unrecorded_updates: dict[tuple[RunKey, str], UpdateInfo] = {}
        # Stale events (late answers, copies of tasks already taken, timers of what is gone)
        # the door ignored, by (entity, event): see core.lifecycles.
        self.stale_events: Counter[tuple[str, str]] = Counter()
        self._warned: set[tuple[RunKey, str]] = set()
        self.closing = False
        # Schedules the store held at start, for devserver.schedule_ops to take over.
        self.saved_schedules: list[str] = []

    # ---- lookup -----------------------------------------------------------------

    def run(self, namespace: str, workflow_id: str, run_id: str = "") -> MutableState:
        """The named run, or the current run of the workflow id; NOT_FOUND otherwise."""
        if not workflow_id:
            raise InvalidArgument("WorkflowId is not set on request.")
        if run_id:
            _check_run_id(run_id)
        chain = self.chains.get((namespace, workflow_id))
        if chain is None:
            raise WorkflowNotFound(workflow_id)
        if not run_id:
            return chain.current
        state = chain.runs.get(run_id)
        if state is None:
            raise WorkflowNotFound(workflow_id, run_id)
        return state

    def run_for_execution(self, namespace: str, execution: common.WorkflowExecution) -> MutableState:
        return self.run(namespace, execution.workflow_id, execution.run_id)

    # ---- the door: every change to a run goes through here ----------------------------

    async def change(self, state: MutableState, rule: Callable[[MutableState, Changes], T]) -> T:
        """Apply `rule` (a pure core function) to the run, commit what it changed, carry it out.

        The one way to change a run: builds the `Changes`, applies the rule, checks the
        history limits, commits the events and the run's new state to the store, and only
        then hands out tasks, arms timers, wakes waiters and starts cross-run work. Returns
        what the rule returned. A rule that raises changes nothing durable. A change whose
        only outcome is a stale event (core.lifecycles) commits nothing.

        A change that would take the run past a history error limit is undone (from a copy
        the door keeps of runs near a limit) and the run is terminated instead;
        HistoryLimitExceeded is raised.
        """
        skipped = time_skipping.offset(state)
        ch = Changes(self.clock.now() + skipped)
        undo = self._undo_point(state)
        try:
            result = rule(state, ch)
            # As the real server closes a transaction: a run left with nothing in flight skips time.
            time_skipping.skip(state, ch, self.clock.now())
        finally:
            self._count_stale(ch)
        if ch.only_stale():
            return result
        await self._commit(state, ch, undo)
        if time_skipping.offset(state) != skipped:
            self._rearm(state.key)
        for new_run, _ in ch.new_runs:
            # The next run of a skipping chain may wait out a backoff: it skips it at once.
            if time_skipping.skip_target(new_run, self.clock.now() + time_skipping.offset(new_run)) is not None:
                await self.change(new_run, lambda run, nothing: None)
        return result

    async def create_run(self, make: Callable[[Changes], MutableState], request_id: str = "") -> MutableState:
        """The door for a new run: `make` builds it (core.runs.start), the door registers and commits it."""
        ch = Changes(self.clock.now())
        state = make(ch)
        self._register(state, request_id)
        await self._commit(state, ch, None)
        return state

    async def _commit(self, state: MutableState, ch: Changes, undo: bytes | None) -> None:
        self._skip_dead_sticky_queues(state, ch)
        reason = self._over_limit(state, ch)
        if reason is not None:
            await self._terminate_over_limit(state, ch, undo, reason)
            raise HistoryLimitExceeded(reason)
        await self._write([(state, ch), *ch.other_runs, *ch.new_runs])

    async def _write(self, changed: list[tuple[MutableState, Changes]]) -> None:
        """The engine's one store commit: all runs' events and states at once, then their effects."""
        await self.store.commit([RunWrite(state, ch.events) for state, ch in changed])
        for state, ch in changed:
            for new_state, _ in ch.new_runs:
                # A run started by continue-as-new or a retry, or a reset (which has its base's
                # start request id, as on the real server).
                self._register(new_state, new_state.start_request_id)
            self._apply(state, ch)
            self._schedule_transfers(ch.transfers)
            if ch.closed:
                # A closed run may owe its parent a report and its children their close policy.
                self._schedule_transfers(children.pending_transfers(state))
                if self.metrics is not None:
                    key = state.key
                    self.metrics.run_closed(key.namespace, state.task_queue, state.workflow_type, state.status)
        self.clock.wake()

    def _count_stale(self, ch: Changes) -> None:
        for stale in ch.stale:
            self.stale_events[(stale.entity, stale.event)] += 1
            log.debug("stale event ignored: %s", stale)

    # ---- history limits -----------------------------------------------------------------

    def _undo_point(self, state: MutableState) -> bytes | None:
        """A copy of a running run near a history error limit, to undo a change that would cross it."""
        if state.running and core_limits.near_error_limit(
            state.next_event_id, state.history_size_bytes, self.config.limits
        ):
            return dump_state(state)
        return None

    def _over_limit(self, state: MutableState, ch: Changes) -> str | None:
        """Why this change must not be applied (core.limits), or None; logs the warn limits once per run."""
        limits = self.config.limits
        if ch.events:
            reason = core_limits.exceeded(
                state.running, state.next_event_id, state.history_size_bytes, ch.events, limits
            )
            if reason is not None:
                return reason
        for warning in core_limits.warnings(state.next_event_id, state.history_size_bytes, limits):
            kind = warning.split(" exceeds")[0]
            if (state.key, kind) not in self._warned:
                self._warned.add((state.key, kind))
                log.warning("%s: workflow %s run %s", warning, state.key.workflow_id, state.key.run_id)
        if not state.running:
            self._warned = {warned for warned in self._warned if warned[0] != state.key}
        return None

    async def _terminate_over_limit(self, state: MutableState, ch: Changes, undo: bytes | None, reason: str) -> None:
        """Undo the change (the run goes back to how it was before it) and terminate the run."""
        if undo is not None:
            restore_into(state, undo)
        else:
            # Nothing to go back to (the run jumped from far below the limit): keep the change,
            # then terminate.
            await self._write([(state, ch), *ch.new_runs])
        log.warning("%s workflow %s run %s terminated", reason, state.key.workflow_id, state.key.run_id)
        await self.change(
            state,
            lambda run, terminate: closing.terminate(
                run, terminate, reason, None, core_limits.HISTORY_SERVICE_IDENTITY
            ),
        )

    def _schedule_transfers(self, transfers: Iterable[Transfer]) -> None:
        for transfer in transfers:
            if transfer not in self._transfers_in_flight and not self.closing:
                self._transfers_in_flight.add(transfer)
                self.spawn(self._carry_out(transfer))

    async def _carry_out(self, transfer: Transfer) -> None:
        try:
            await transfers.carry_out(self, transfer)
        finally:
            self._transfers_in_flight.discard(transfer)

    def _apply(self, state: MutableState, ch: Changes) -> None:
        """Carry out a committed change: tasks, timers, answers, visibility, waiters."""
        for task in ch.tasks:
            self.matching.add(self._route(state, task))
        for deadline, key in ch.timers:
            if state.running or key.run != state.key:
                self._arm(deadline, key)
        if not state.running:
            self._disarm(state.key)
        for query_id, answer in ch.query_answers.items():
            waiter = self._query_waiters.get(query_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(answer)
        for update_id, update in ch.rejected_updates.items():
            self.unrecorded_updates[(state.key, update_id)] = update
            while len(self.unrecorded_updates) > MAX_UNRECORDED_UPDATES:
                del self.unrecorded_updates[next(iter(self.unrecorded_updates))]
        for update_id in ch.updates:
            self._update_waiters.wake((state.key, update_id))
        for touched in ch.touched:
            self.visibility.upsert(record_of(touched))
        if ch.events or ch.closed:
            self._history_waiters.wake(state.key)

    def _sticky_worker_gone(self, namespace: str, queue_name: str) -> bool:
        """No poll on a sticky queue lately: its worker may be gone without saying so."""
        sticky = self.matching.queue(namespace, queue_name, "workflow")
        recent = self.clock.now() - STICKY_POLLER_IDLE
        return not sticky.waiters and not any(p.last_access_time >= recent for p in sticky.pollers.values())

    def _skip_dead_sticky_queues(self, state: MutableState, ch: Changes) -> None:
        """Put a workflow task meant for an abandoned sticky queue on the normal queue at once.

        Like the real server (StickyWorkerUnavailable), rather than waiting out the
        sticky schedule-to-start timeout. Runs before the commit, so the store sees it.
        """
        for task in list(ch.tasks):
            sticky = isinstance(task, WorkflowTaskRef) and task.sticky
            if sticky and self._sticky_worker_gone(task.run.namespace, task.queue):
                ch.tasks.remove(task)
                workflow_tasks.move_off_sticky(state, ch)

    def _route(self, state: MutableState, task: TaskRef) -> TaskRef:
        """Send a query meant for an abandoned sticky queue to the normal queue."""
        if isinstance(task, QueryTaskRef) and task.sticky and self._sticky_worker_gone(task.run.namespace, task.queue):
            return QueryTaskRef(task.run, state.task_queue, False, task.query_id)
        return task

    def requeue_queries(self, refs: Iterable[TaskRef]) -> None:
        """Query tasks left on a sticky queue that is gone go to their runs' normal queues."""
        for ref in refs:
            if isinstance(ref, QueryTaskRef):
                state = self.runs.get(ref.run)
                if state is not None and queries.has_legacy_query(state, ref.query_id):
                    self.matching.add(QueryTaskRef(ref.run, state.task_queue, False, ref.query_id))

    def _register(self, state: MutableState, request_id: str = "") -> None:
        chain = self.chains.setdefault((state.key.namespace, state.key.workflow_id), WorkflowChain())
        chain.runs[state.key.run_id] = state
        if request_id:
            chain.request_ids[request_id] = state.key.run_id
        self.runs[state.key] = state

    async def restore(self, loaded: Loaded) -> None:
        """Take over what a store held: namespaces, runs, and every pending task and deadline."""
        self.saved_schedules = list(loaded.schedules)
        for namespace in loaded.namespaces:
            self.namespaces.namespaces.setdefault(namespace.name, namespace)
            for name, value_type in namespace.search_attributes.items():
                self.visibility.declare_search_attribute(name, value_type)
        max_task_id = 0
        for state in sorted(loaded.states, key=lambda s: (s.start_time, s.key.run_id)):
            self._register(state, state.start_request_id)
            self.visibility.upsert(record_of(state))
            last = self.store.read(state.key, state.next_event_id - 1, state.next_event_id - 1)
            if last:
                max_task_id = max(max_task_id, last[0].task_id)
        advance_task_ids(max_task_id)
        recovered: list[tuple[MutableState, Changes]] = []
        for state in list(self.runs.values()):
            if state.running:
                ch = Changes(self.clock.now() + time_skipping.offset(state))
                recover(state, ch)
                recovered.append((state, ch))
        # One transaction for all runs: a restart with many workflows stays fast.
        await self._write(recovered)
        for state in list(self.runs.values()):
            self._schedule_transfers(children.pending_transfers(state))

    async def add_search_attributes(self, namespace_name: str, attributes: dict[str, int]) -> None:
        namespace = self.namespaces.get(namespace_name)
        namespace.add_search_attributes(attributes)
        for name, value_type in attributes.items():
            self.visibility.declare_search_attribute(name, value_type)
        await self.store.save_namespace(namespace)

    async def remove_search_attributes(self, namespace_name: str, names: list[str]) -> None:
        namespace = self.namespaces.get(namespace_name)
        namespace.remove_search_attributes(names)
        await self.store.save_namespace(namespace)

    async def register_namespace(self, name: str, description: str, owner_email: str, retention: float) -> None:
        namespace = self.namespaces.register(name, description, owner_email, retention)
        await self.store.save_namespace(namespace)

    # ---- timers -------------------------------------------------------------------

    def _arm(self, deadline: float, key: TimerKey) -> None:
        if self.closing:
            return
        handle: Cancellable

        def due() -> None:
            armed = self._timer_handles.get(key.run)
            if armed is not None:
                armed.pop(handle, None)
                if not armed:
                    del self._timer_handles[key.run]
            self._firing += 1
            self.spawn(self._fire(key))

        handle = self.clock.call_at(deadline - time_skipping.offset(self.runs.get(key.run)), due)
        self._timer_handles.setdefault(key.run, {})[handle] = (deadline, key)

    def _disarm(self, run: RunKey) -> None:
        """Cancel a closed run's deadlines: `_fire` would ignore every one of them."""
        for handle in self._timer_handles.pop(run, ()):
            handle.cancel()

    def _rearm(self, run: RunKey) -> None:
        """The run's clock jumped (core.time_skipping): its deadlines come sooner in wall time."""
        for handle, (deadline, key) in list(self._timer_handles.pop(run, {}).items()):
            handle.cancel()
            self._arm(deadline, key)

    def armed_timers(self, run: RunKey) -> int:
        """How many deadlines of the run are armed (for tests and diagnostics)."""
        return len(self._timer_handles.get(run, ()))

    async def _fire(self, key: TimerKey) -> None:
        try:
            state = self.runs.get(key.run)
            if state is None or not state.running:
                return
            await self.change(state, lambda run, ch: core_timers.fire(run, ch, key))
        finally:
            self._firing -= 1
            self.clock.wake()

    def outstanding_work(self) -> int:
        """What a time-skipping clock waits for before it skips: workflow and activity tasks
        not yet answered, queries, deadlines and cross-run work being carried out. An activity
        backing off or paused waits for time, so it does not count."""
        work = self._firing + len(self._query_waiters) + len(self._transfers_in_flight)
        for state in self.runs.values():
            if state.running:
                work += state.workflow_task is not None
                work += sum(activity.state in _WORKING_ACTIVITY for activity in state.activities.values())
        return work

    def spawn(self, coro: Any) -> None:
        """Run a background coroutine the engine keeps track of (and cancels at shutdown)."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        # A timer or transfer whose change took its run past a history limit: the run was
        # terminated instead, and the engine logged it.
        if not task.cancelled() and not isinstance(task.exception(), HistoryLimitExceeded | None):
            log.error("background task failed", exc_info=task.exception())

    # ---- starting workflows ---------------------------------------------------------

    async def start_workflow(
        self,
        request: wsv1.StartWorkflowExecutionRequest,
        signal: history.WorkflowExecutionSignaledEventAttributes | None = None,
        parent: history.WorkflowExecutionStartedEventAttributes | None = None,
        *,
        eager: bool = False,
    ) -> tuple[MutableState, bool]:
        """Start a run (or find the one this request already started); (run, started).

        `parent` holds the parent fields of a child workflow's started event. With `eager`, a
        new run's first workflow task is started for the caller (core.eager_start).
        """
        namespace = self.namespaces.get(request.namespace)
        validation.validate_start(request, self.config.limits)
        if request.HasField("time_skipping_config"):
            time_skipping.check_config(request.time_skipping_config, self.config.time_skipping_enabled)
        namespace.check_search_attributes(request.search_attributes)
        chain = self.chains.get((request.namespace, request.workflow_id))
        if chain is not None:
            if request.request_id and request.request_id in chain.request_ids:
                return chain.runs[chain.request_ids[request.request_id]], True
            existing = chain.current
            if existing.running:
                policy = validation.conflict_policy_for_running(request)
                if policy == ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
                    return existing, False
                if policy == ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING:
                    # Recorded as the real server records it (the reason names the old reuse policy).
                    new_run = new_run_id()
                    note = common.Payload(
                        metadata={"encoding": b"json/plain"},
                        data=json.dumps(f"terminated by new runID: {new_run}").encode(),
                    )
                    details = common.Payloads(payloads=[note])
                    await self.change(
                        existing,
                        lambda run, ch: closing.terminate(
                            run, ch, "TerminateIfRunning WorkflowIdReusePolicy", details, "history-service"
                        ),
                    )
                    return await self._start_run(request, signal, parent, run_id=new_run, eager=eager), True
                else:
                    raise WorkflowAlreadyStarted(
                        f"Workflow execution is already running. WorkflowId: {request.workflow_id}, "
                        f"RunId: {existing.key.run_id}.",
                        existing.start_request_id,
                        existing.key.run_id,
                        existing.first_execution_run_id,
                    )
            else:
                validation.check_reuse_policy(request, existing)
        return await self._start_run(request, signal, parent, eager=eager), True

    async def _start_run(
        self,
        request: wsv1.StartWorkflowExecutionRequest,
        signal: history.WorkflowExecutionSignaledEventAttributes | None,
        parent: history.WorkflowExecutionStartedEventAttributes | None = None,
        run_id: str = "",
        eager: bool = False,
    ) -> MutableState:
        now = self.clock.now()
        run_id = run_id or new_run_id()
        execution_timeout = seconds_of(request.workflow_execution_timeout)
        run_timeout = seconds_of(request.workflow_run_timeout)
        if execution_timeout and (not run_timeout or run_timeout > execution_timeout):
            run_timeout = execution_timeout
        task_timeout = seconds_of(request.workflow_task_timeout) or 10.0
        attrs = history.WorkflowExecutionStartedEventAttributes(
            workflow_type=request.workflow_type,
            task_queue=task_queue_message(request.task_queue.name),
            input=request.input if request.HasField("input") else None,
            workflow_task_timeout=duration(min(task_timeout, 120.0)),
            original_execution_run_id=run_id,
            identity=request.identity,
            first_execution_run_id=run_id,
            attempt=1,
            first_workflow_task_backoff=request.workflow_start_delay
            if seconds_of(request.workflow_start_delay)
            else duration(0),
            workflow_id=request.workflow_id,
            priority=request.priority if request.HasField("priority") else None,
        )
        if execution_timeout:
            attrs.workflow_execution_timeout.CopyFrom(duration(execution_timeout))
            attrs.workflow_execution_expiration_time.CopyFrom(timestamp(now + execution_timeout))
        if run_timeout:
            attrs.workflow_run_timeout.CopyFrom(duration(run_timeout))
        if request.HasField("retry_policy"):
            attrs.retry_policy.CopyFrom(request.retry_policy)
        if request.cron_schedule:
            # As the real server: the first run waits for the schedule's first time.
            attrs.cron_schedule = request.cron_schedule
            attrs.initiator = wf_enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE
            first = cron.backoff_seconds(request.cron_schedule, now, now) or 0.0
            attrs.first_workflow_task_backoff.CopyFrom(duration(max(first, 0.0)))
        if request.memo.fields:
            attrs.memo.CopyFrom(request.memo)
        if request.search_attributes.indexed_fields:
            attrs.search_attributes.CopyFrom(request.search_attributes)
        if request.header.fields:
            attrs.header.CopyFrom(request.header)
        # A schedule's start carries what the schedule's previous run ended with.
        if request.HasField("last_completion_result"):
            attrs.last_completion_result.CopyFrom(request.last_completion_result)
        if request.HasField("continued_failure"):
            attrs.continued_failure.CopyFrom(request.continued_failure)
        if request.HasField("time_skipping_config"):
            attrs.time_skipping_config.CopyFrom(
                time_skipping.effective(request.time_skipping_config, self.config.max_skips_per_session)
            )
        if parent is not None:
            attrs.MergeFrom(parent)

        def make(ch: Changes) -> MutableState:
            state = runs.start(
                ch,
                RunKey(request.namespace, request.workflow_id, run_id),
                attrs,
                execution_deadline=now + execution_timeout if execution_timeout else None,
                request_id=request.request_id,
                signal=signal,
                user_metadata=request.user_metadata if request.HasField("user_metadata") else None,
            )
            if eager:
                eager_start.start_first_task(state, ch, request.identity, request.request_id, self.config.limits)
            return state

        return await self.create_run(make, request.request_id)

    # ---- client operations on a run ---------------------------------------------------

    async def signal(self, request: wsv1.SignalWorkflowExecutionRequest) -> None:
        self.namespaces.get(request.namespace)
        if not request.signal_name:
            raise InvalidArgument("SignalName is not set on request.")
        validation.check_blob_size(request.input, request.header, limits=self.config.limits)
        state = self.run_for_execution(request.namespace, request.workflow_execution)
        await self.change(
            state,
            lambda run, ch: signals.signal(
                run, ch, request.signal_name, request.input, request.identity, request.request_id, request.header
            ),
        )

    async def signal_with_start(self, request: wsv1.SignalWithStartWorkflowExecutionRequest) -> MutableState:
        self.namespaces.get(request.namespace)
        if not request.signal_name:
            raise InvalidArgument("SignalName is not set on request.")
        validation.check_versioning_override(request)
        validation.check_blob_size(
            request.signal_input, request.input, request.memo, request.header, limits=self.config.limits
        )
        chain = self.chains.get((request.namespace, request.workflow_id))
        if chain is not None and chain.current.running:
            state = chain.current
            await self.change(
                state,
                lambda run, ch: signals.signal(
                    run,
                    ch,
                    request.signal_name,
                    request.signal_input,
                    request.identity,
                    request.request_id,
                    request.header,
                ),
            )
            return state
        start = wsv1.StartWorkflowExecutionRequest(
            namespace=request.namespace,
            workflow_id=request.workflow_id,
            workflow_type=request.workflow_type,
            task_queue=request.task_queue,
            input=request.input,
            workflow_execution_timeout=request.workflow_execution_timeout,
            workflow_run_timeout=request.workflow_run_timeout,
            workflow_task_timeout=request.workflow_task_timeout,
            identity=request.identity,
            request_id=request.request_id,
            workflow_id_reuse_policy=request.workflow_id_reuse_policy,
            workflow_id_conflict_policy=request.workflow_id_conflict_policy,
            retry_policy=request.retry_policy if request.HasField("retry_policy") else None,
            memo=request.memo,
            search_attributes=request.search_attributes,
            header=request.header,
            workflow_start_delay=request.workflow_start_delay,
            priority=request.priority,
            user_metadata=request.user_metadata if request.HasField("user_metadata") else None,
            time_skipping_config=request.time_skipping_config if request.HasField("time_skipping_config") else None,
        )
        signal = history.WorkflowExecutionSignaledEventAttributes(
            signal_name=request.signal_name,
            input=request.signal_input if request.HasField("signal_input") else None,
            identity=request.identity,
            header=request.header if request.header.fields else None,
        )
        state, _ = await self.start_workflow(start, signal)
        return state

    def _run_in_chain(
        self, namespace: str, execution: common.WorkflowExecution, first_execution_run_id: str
    ) -> MutableState:
        """The run a terminate or cancel acts on: with a first execution run id, the current
        run (the core checks it belongs to that chain), as on the real server."""
        if first_execution_run_id:
            return self.run(namespace, execution.workflow_id)
        return self.run_for_execution(namespace, execution)

    async def terminate(self, request: wsv1.TerminateWorkflowExecutionRequest) -> None:
        self.namespaces.get(request.namespace)
        state = self._run_in_chain(request.namespace, request.workflow_execution, request.first_execution_run_id)
        details = request.details if request.HasField("details") else None
        # The real server tells a user's terminate from the system's by these defaults.
        reason = request.reason or "terminated by user via frontend"
        identity = request.identity or "frontend-service"
        await self.change(
            state, lambda run, ch: closing.terminate(run, ch, reason, details, identity, request.first_execution_run_id)
        )

    async def request_cancel(self, request: wsv1.RequestCancelWorkflowExecutionRequest) -> None:
        self.namespaces.get(request.namespace)
        state = self._run_in_chain(request.namespace, request.workflow_execution, request.first_execution_run_id)
        await self.change(
            state,
            lambda run, ch: signals.request_cancel(
                run, ch, request.reason, request.identity, first_execution_run_id=request.first_execution_run_id
            ),
        )

    async def reset(self, request: wsv1.ResetWorkflowExecutionRequest) -> str:
        """ResetWorkflowExecution (core.reset): the id of the run it started (or of the current
        run, for a repeated request)."""
        core_reset.check_request(request)
        execution = request.workflow_execution
        if not execution.workflow_id:
            raise InvalidArgument("WorkflowId is not set on request.")
        if execution.run_id:
            _check_run_id(execution.run_id)
        self.namespaces.get(request.namespace)
        chain = self.chains.get((request.namespace, execution.workflow_id))
        if chain is None:
            raise WorkflowNotFound(execution.workflow_id)
        base = chain.runs.get(execution.run_id) if execution.run_id else chain.current
        if base is None:
            raise NotFound(
                f'workflow execution not found for workflow ID "{execution.workflow_id}" '
                f'and run ID "{execution.run_id}"'
            )
        read = ResetBase(base, self.store.read(base.key, 1, base.next_event_id - 1), last_run_id=base.key.run_id)
        # Signals and updates of the runs it continued as are reapplied too.
        run = base
        while run.status == Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW and run.continued_to_run_id in chain.runs:
            run = chain.runs[run.continued_to_run_id]
            read.continued.append(self.store.read(run.key, 1, run.next_event_id - 1))
            read.last_run_id = run.key.run_id
        run_id = new_run_id()
        return await self.change(
            chain.current, lambda current, ch: core_reset.reset(current, ch, read, request, run_id)
        )

    async def delete(self, request: wsv1.DeleteWorkflowExecutionRequest) -> None:
        self.namespaces.get(request.namespace)
        state = self.run_for_execution(request.namespace, request.workflow_execution)
        if state.running:
            await self.change(state, lambda run, ch: closing.terminate(run, ch, "Delete workflow execution", None, ""))
        chain = self.chains[(state.key.namespace, state.key.workflow_id)]
        del chain.runs[state.key.run_id]
        chain.request_ids = {r: run for r, run in chain.request_ids.items() if run != state.key.run_id}
        if not chain.runs:
            del self.chains[(state.key.namespace, state.key.workflow_id)]
        del self.runs[state.key]
        self.visibility.delete(state.key.namespace, state.key.run_id)
        await self.store.delete(state.key)

    async def query(self, request: wsv1.QueryWorkflowRequest, timeout: float | None) -> wsv1.QueryWorkflowResponse:

        self.namespaces.get(request.namespace)
        if not request.query.query_type:
            raise InvalidArgument("QueryType is not set on request.")
        state = self.run_for_execution(request.namespace, request.execution)
        condition = request.query_reject_condition
        if condition == query_pb2.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN and not state.running:
            return wsv1.QueryWorkflowResponse(query_rejected=query_pb.QueryRejected(status=state.status))  # type: ignore[arg-type]
        if (
            condition == query_pb2.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY
            and state.status
            not in (Status.WORKFLOW_EXECUTION_STATUS_RUNNING, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED)
        ):
            return wsv1.QueryWorkflowResponse(query_rejected=query_pb.QueryRejected(status=state.status))  # type: ignore[arg-type]
        query_id = str(uuid.uuid4())
        waiter: asyncio.Future[QueryAnswer] = asyncio.get_running_loop().create_future()
        self._query_waiters[query_id] = waiter
        try:
            await self.change(state, lambda run, ch: queries.query(run, ch, query_id, request.query))
            answer = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            # The caller's own deadline (the wait is as long as it): it sees DEADLINE_EXCEEDED
            # either way, whichever of gRPC and this answer comes first.
            raise DeadlineExceeded("query timed out before a worker answered") from None
        finally:
            self._query_waiters.pop(query_id, None)
            # Not a change of the run (queries are not history and nothing waits on them once
            # their caller is gone), so not through the door: no commit per query.
            queries.forget(state, query_id)
        if answer.error is not None:
            raise QueryFailed(answer.error)
        response = wsv1.QueryWorkflowResponse()
        if answer.result is not None:
            response.query_result.CopyFrom(answer.result)  # type: ignore[arg-type]
        return response

    # ---- updates ---------------------------------------------------------------------

    async def update_changed(self, key: RunKey, update_id: str, timeout: float) -> None:
        """Return when the update moves on (or its run closes), or after `timeout`."""
        await self._update_waiters.wait((key, update_id), timeout)

    # ---- history reading ---------------------------------------------------------------

    async def wait_for_history(self, key: RunKey, timeout: float) -> None:
        """Return when the run's history grows or it closes, or after `timeout`."""
        await self._history_waiters.wait(key, timeout)

    def running_states(self) -> Iterable[MutableState]:
        return [state for state in self.runs.values() if state.running]

    # ---- shutdown ----------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Answer every long poll now and stop all timers and background work."""
        self.closing = True
        self.matching.release_all()
        self._history_waiters.wake_all()
        self._update_waiters.wake_all()
        for query_waiter in self._query_waiters.values():
            if not query_waiter.done():
                query_waiter.set_exception(Unavailable("server is shutting down"))
        for run in list(self._timer_handles):
            self._disarm(run)
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


_WORKING_ACTIVITY = (ActivityState.SCHEDULED, ActivityState.STARTED)


def _check_run_id(run_id: str) -> None:
    try:
        uuid.UUID(run_id)
    except ValueError:
        raise InvalidArgument("Invalid RunId.") from None
