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
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from devserver import transfers, validation
from devserver.clock import Clock, Deadlines
from devserver.core import children, closing, describe, queries, time_skipping, workflow_tasks
from devserver.core import limits as core_limits
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
from devserver.core.ids import advance_task_ids
from devserver.core.lifecycles import ActivityState
from devserver.core.limits import Limits
from devserver.core.mutable_state import MutableState, UpdateInfo
from devserver.core.recovery import recover
from devserver.core.snapshot import dump as dump_state
from devserver.core.snapshot import restore_into
from devserver.errors import (
    HistoryLimitExceeded,
    InvalidArgument,
    Unavailable,
    WorkflowNotFound,
)
from devserver.matching import Matching
from devserver.metrics import Metrics
from devserver.namespaces import NamespaceRegistry
from devserver.run_table import RunTable, at_rest
from devserver.store import AtRest, HistoryStore, Loaded, RunWrite
from devserver.visibility import VisibilityIndex, record_if_changed, record_of
from devserver.visibility_record import VisibilityRecord
from devserver.waiters import Waiters, release

log = logging.getLogger("tempo.engine")

T = TypeVar("T")

# Rejected updates remembered for callers still waiting on them.
MAX_UNRECORDED_UPDATES = 1000

# A sticky queue nobody has polled for this long is presumed abandoned.
STICKY_POLLER_IDLE = 10.0


@dataclass
class EngineConfig:
    """The engine's settings: poll timeouts, limits and the features switched on."""

    long_poll_timeout: float = 60.0
    history_long_poll_timeout: float = 20.0
    limits: Limits = field(default_factory=Limits)
    eager_workflow_start: bool = True
    workflow_pause_enabled: bool = False
    # Per-workflow time skipping (core.time_skipping): dynamic config
    # frontend.WorkflowTimeSkippingEnabled / frontend.WorkflowTimeSkippingMaxSkipPerSession.
    time_skipping_enabled: bool = True
    max_skips_per_session: int = time_skipping.DEFAULT_MAX_SESSION_SKIP_COUNT


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
        # Every run, by key and by workflow id; closed runs at rest are read from the store.
        self.runs = RunTable(store.load_run)
        self.chains = self.runs.chains
        # Armed deadlines (clock.Deadlines), by run: a closed run's are cancelled. Each with its
        # deadline in the run's time (ahead of the wall clock when it skips time).
        self._deadlines: Deadlines[RunKey, tuple[float, TimerKey]] = Deadlines(clock, self._deadline_due)
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
        # Schedules and batch jobs the store held at start, for devserver.schedule_ops and
        # devserver.batch_ops to take over.
        self.saved_schedules: list[str] = []
        self.saved_batch_jobs: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the engine runs on. Asked of asyncio once, not per long poll or query:
        on Python 3.11 each `asyncio.get_running_loop()` is a system call (getpid), and system
        calls are dear on the virtual machines a server often runs on."""
        loop = self._loop
        if loop is None or not loop.is_running():  # one loop after another, in tests
            loop = self._loop = asyncio.get_running_loop()
        return loop

    # ---- lookup -----------------------------------------------------------------

    def run(self, namespace: str, workflow_id: str, run_id: str = "") -> MutableState:
        """The named run, or the current run of the workflow id; NOT_FOUND otherwise."""
        if not workflow_id:
            raise InvalidArgument("WorkflowId is not set on request.")
        if run_id:
            validation.check_run_id(run_id)
        chain = self.chains.get((namespace, workflow_id))
        state = None
        if chain is not None:
            state = chain.runs.get(run_id) if run_id else chain.current
        if state is None:
            # Named by its run id, a run is looked up on its own: the same answer whether the
            # workflow id is unknown or only the run is, as on the real server.
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

    async def pass_query(self, state: MutableState, rule: Callable[[MutableState, Changes], T]) -> T:
        """The door for a query handed to a worker, or its answer: carried out like a change,
        and committed only if something durable came of it (`Changes.durable`).

        A query is no part of a run's history or of what a restart brings back (its caller
        would be gone), so the store is not told: with `--db-filename` a query costs no write,
        and a closed run at rest that is queried stays at rest in the store.
        """
        ch = Changes(self.clock.now() + time_skipping.offset(state))
        try:
            result = rule(state, ch)
        finally:
            self._count_stale(ch)
        if ch.durable():
            await self._commit(state, ch, None)
        else:
            self._apply(state, ch)
            self.runs.settle(state)
        return result

    async def create_run(self, make: Callable[[Changes], MutableState]) -> MutableState:
        """The door for a new run: `make` builds it (core.runs.start), the door registers and commits it."""
        ch = Changes(self.clock.now())
        state = make(ch)
        self.runs.add(state)
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
                # A run started by continue-as-new or a retry, or a reset.
                self.runs.add(new_state)
            self._apply(state, ch)
            self.runs.settle(state)
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
            if waiter is not None:
                release(waiter, answer)
        for update_id, update in ch.rejected_updates.items():
            self.unrecorded_updates[(state.key, update_id)] = update
            while len(self.unrecorded_updates) > MAX_UNRECORDED_UPDATES:
                del self.unrecorded_updates[next(iter(self.unrecorded_updates))]
        for update_id in ch.updates:
            self._update_waiters.wake((state.key, update_id))
        for touched in ch.touched:
            run = touched.key
            record = record_if_changed(self.visibility.get(run.namespace, run.run_id), touched)
            if record is not None:
                self.visibility.upsert(record)
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

    async def forget_run(self, state: MutableState) -> None:
        """Remove a closed run from the engine, visibility and the store (DeleteWorkflowExecution)."""
        self.runs.remove(state.key)
        self.visibility.delete(state.key.namespace, state.key.run_id)
        await self.store.delete(state.key)

    def query_gone(self, state: MutableState) -> None:
        """A query of the run ended (not a change of the run: nothing is committed); a closed
        run whose last query it was comes to rest."""
        if state.key in self.runs and at_rest(state):
            self.store.rest(state)
        self.runs.settle(state)

    def execution_info(self, key: RunKey) -> workflow_pb.WorkflowExecutionInfo | None:
        """What ListWorkflowExecutions shows of a run; a run at rest's comes from the store as
        it was when the run came to rest (its state is not read)."""
        state = self.runs.in_memory(key)
        if state is not None:
            return describe.execution_info(state)
        if key not in self.runs:
            return None
        info = self.store.closed_info(key)
        if info is None:
            state = self.runs.get(key)
            return None if state is None else describe.execution_info(state)
        return info

    async def restore(self, loaded: Loaded) -> None:
        """Take over what a store held: namespaces, runs, and every pending task and deadline."""
        self.saved_schedules = list(loaded.schedules)
        self.saved_batch_jobs = list(loaded.batch_jobs)
        for namespace in loaded.namespaces:
            self.namespaces.namespaces.setdefault(namespace.name, namespace)
            for name, value_type in namespace.search_attributes.items():
                self.visibility.declare_search_attribute(name, value_type)
        # Runs join their chains in start order (a chain's last run is its current one).
        arrivals: list[tuple[tuple[float, str], MutableState | AtRest]] = [
            ((state.start_time, state.key.run_id), state) for state in loaded.states
        ]
        arrivals += [((rest.start_time, rest.key.run_id), rest) for rest in loaded.at_rest]
        arrivals.sort(key=lambda arrival: arrival[0])
        records: list[VisibilityRecord] = []
        for _, arrival in arrivals:
            if isinstance(arrival, AtRest):
                self.runs.add_at_rest(arrival.key)
                records.append(arrival.record)
                continue
            if not arrival.running:
                closing.share_fixed_messages(arrival)
            self.runs.add(arrival)
            records.append(record_of(arrival))
        self.visibility.upsert_many(records)
        advance_task_ids(loaded.max_task_id)
        recovered: list[tuple[MutableState, Changes]] = []
        for state in self.runs.live():
            if state.running:
                ch = Changes(self.clock.now() + time_skipping.offset(state))
                recover(state, ch)
                recovered.append((state, ch))
        # One transaction for all runs: a restart with many workflows stays fast.
        await self._write(recovered)
        for state in self.runs.live():
            self._schedule_transfers(children.pending_transfers(state))

    # ---- timers -------------------------------------------------------------------

    def _arm(self, deadline: float, key: TimerKey) -> None:
        if self.closing:
            return
        self._deadlines.arm(deadline - time_skipping.offset(self.runs.get(key.run)), key.run, (deadline, key))

    def _deadline_due(self, armed: tuple[float, TimerKey]) -> None:
        """A deadline came due: carry it out, counted as outstanding work until it is done."""
        self._firing += 1
        self.spawn(self._fire(armed[1]))

    def _disarm(self, run: RunKey) -> None:
        """Cancel a closed run's deadlines: `_fire` would ignore every one of them."""
        self._deadlines.cancel(run)

    def _rearm(self, run: RunKey) -> None:
        """The run's clock jumped (core.time_skipping): its deadlines come sooner in wall time."""
        for deadline, key in self._deadlines.cancel(run):
            self._arm(deadline, key)

    def armed_timers(self, run: RunKey) -> int:
        """How many deadlines of the run are armed (for tests and diagnostics)."""
        return self._deadlines.armed(run)

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
        for state in self.runs.live():
            if state.running:
                work += state.workflow_task is not None
                work += sum(activity.state in _WORKING_ACTIVITY for activity in state.activities.values())
        return work

    def spawn_due(self, coro: Any) -> None:
        """Carry out a deadline's work (a schedule's wake, say) in the background, counted as
        outstanding work until it is done, so a time-skipping clock does not skip past what it
        starts."""
        self._firing += 1

        async def counted() -> None:
            try:
                await coro
            finally:
                self._firing -= 1
                self.clock.wake()

        self.spawn(counted())

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

    # ---- queries ---------------------------------------------------------------------

    def wait_for_query_answer(self, query_id: str) -> asyncio.Future[QueryAnswer]:
        """A future the door resolves when a worker's answer to the query is committed."""
        waiter: asyncio.Future[QueryAnswer] = self.loop.create_future()
        self._query_waiters[query_id] = waiter
        return waiter

    def forget_query_waiter(self, query_id: str) -> None:
        self._query_waiters.pop(query_id, None)

    # ---- updates ---------------------------------------------------------------------

    async def update_changed(self, key: RunKey, update_id: str, timeout: float) -> None:
        """Return when the update moves on (or its run closes), or after `timeout`."""
        await self._update_waiters.wait((key, update_id), timeout, self.loop)

    # ---- history reading ---------------------------------------------------------------

    async def wait_for_history(self, key: RunKey, timeout: float) -> None:
        """Return when the run's history grows or it closes, or after `timeout`."""
        await self._history_waiters.wait(key, timeout, self.loop)

    def running_states(self) -> Iterable[MutableState]:
        return [state for state in self.runs.live() if state.running]

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
        self._deadlines.clear()
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


_WORKING_ACTIVITY = (ActivityState.SCHEDULED, ActivityState.STARTED)
