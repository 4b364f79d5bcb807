"""The kill loop: official-SDK load against a server on a database file that is SIGKILLed at
random moments and restarted, with a ledger of everything the server acknowledged, checked
against the histories afterwards.

Used by `tests/reliability/test_kill_loop.py` (a few kills, in CI) and `bench/kill_loop.py`
(100 kills, Tempo and the real dev server side by side).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.reliability.harness import connect
from tests.reliability.ledger_app import LedgerOrder, deliver_order, prepare_order
from tests.servers import ServerProcess

SIGNALS_PER_WORKFLOW = 3
# How long one client call is retried across server restarts before the loop gives up on it.
CALL_PATIENCE = 120.0


@dataclass
class Ledger:
    """What the server acknowledged, and what it took to get there."""

    starts: dict[str, tuple[int, float, int]] = field(default_factory=dict)  # workflow id -> args
    signals: dict[str, list[str]] = field(default_factory=dict)  # workflow id -> tokens acknowledged
    start_answers_lost: int = 0  # a retried start found its earlier try already committed
    signal_retries: int = 0  # a signal sent again (same request id) after an error
    down: list[tuple[float, float]] = field(default_factory=list)  # (killed at, answering again at)


@dataclass
class Verdict:
    kills: int
    starts: int
    signals: int
    start_answers_lost: int
    signal_retries: int
    lost_starts: list[str]
    lost_signals: list[str]
    duplicated_signals: list[str]
    duplicated_activities: list[str]
    unfinished_activities: list[str]
    gaps: list[str]
    timers_due_while_down: int
    timers_not_fired: list[str]
    longest_timer_delay_after_restart: float
    seconds: float
    result_errors: list[str] = field(default_factory=list)
    # result() calls made while the kills went on that failed, by status (calls cut by a kill:
    # UNAVAILABLE or UNKNOWN "transport error"); CANCELLED would be the server's fault.
    result_call_errors: dict[str, int] = field(default_factory=dict)
    # CANCELLED answers that came while the server was up and not just killed: the server's own.
    # (A call the kill cuts ends CANCELLED "operation was canceled" within ~0.1 s, client side,
    # on either server.)
    cancelled_by_server: int = 0

    @property
    def lost(self) -> int:
        return len(self.lost_starts) + len(self.lost_signals)

    @property
    def duplicated(self) -> int:
        return len(self.duplicated_signals) + len(self.duplicated_activities)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.unfinished_activities or self.gaps or self.timers_not_fired)

    def summary(self) -> dict[str, object]:
        return {
            "kills": self.kills,
            "acknowledged_starts": self.starts,
            "acknowledged_signals": self.signals,
            "start_answers_lost": self.start_answers_lost,
            "signal_retries": self.signal_retries,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "history_gaps": len(self.gaps),
            "unfinished_activities": len(self.unfinished_activities),
            "timers_due_while_down": self.timers_due_while_down,
            "timers_not_fired": len(self.timers_not_fired),
            "failed_result_calls": len(self.result_errors),
            "result_calls_cut_while_killing": dict(self.result_call_errors),
            "cancelled_by_server": self.cancelled_by_server,
            "longest_timer_delay_after_restart_s": round(self.longest_timer_delay_after_restart, 2),
            "seconds": round(self.seconds, 1),
        }


class KillLoop:
    def __init__(
        self,
        server: ServerProcess,
        *,
        kills: int,
        workflows: int,
        seed: int,
        start_timeout: float = 60.0,
        progress: Callable[[str], None] | None = None,
        waiters: int = 0,
    ) -> None:
        self.server = server
        self.kills = kills
        self.workflows = workflows
        self.rng = random.Random(seed)
        # Workflows started before the kills whose timers outlast them, each with a result()
        # waiting all through: many long polls cut and made again at every restart.
        self.waiters = waiters
        self.start_timeout = start_timeout
        self.progress = progress or (lambda _: None)
        self.ledger = Ledger()
        self.queue = f"ledger-{uuid.uuid4().hex[:8]}"
        self._orders: list[asyncio.Task[None]] = []
        self.result_errors: list[str] = []
        self._waiters: list[asyncio.Task[None]] = []
        self.result_call_errors: Counter[str] = Counter()
        self.result_call_examples: dict[str, str] = {}
        self.result_call_timing: list[tuple[str, float, bool]] = []
        self._killed_at = 0.0
        self._up = True

    # ---- load ---------------------------------------------------------------------------

    async def _start(self, client: Client, order: int, nap: float, signals: int = SIGNALS_PER_WORKFLOW) -> str:
        workflow_id = f"{self.queue}-{order}"
        args = (order, nap, signals)
        deadline = time.monotonic() + CALL_PATIENCE
        while True:
            try:
                await client.start_workflow(
                    LedgerOrder.run,
                    args=list(args),
                    id=workflow_id,
                    task_queue=self.queue,
                    task_timeout=timedelta(seconds=2),
                    rpc_timeout=timedelta(seconds=5),
                )
                break
            except WorkflowAlreadyStartedError:
                self.ledger.start_answers_lost += 1  # an earlier try was committed; its answer was lost
                break
            except RPCError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        self.ledger.starts[workflow_id] = args
        self.ledger.signals.setdefault(workflow_id, [])
        return workflow_id

    async def _signal(self, client: Client, workflow_id: str, token: str) -> None:
        """Send one signal until the server acknowledges it, always with the same request id."""
        request = SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name="add",
            input=Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(token).encode())]),
            identity="kill-loop",
            request_id=str(uuid.uuid4()),
        )
        deadline = time.monotonic() + CALL_PATIENCE
        while True:
            try:
                await client.workflow_service.signal_workflow_execution(
                    request, retry=True, timeout=timedelta(seconds=5)
                )
                break
            except RPCError:
                if time.monotonic() > deadline:
                    raise
                self.ledger.signal_retries += 1
                await asyncio.sleep(0.2)
        self.ledger.signals[workflow_id].append(token)

    async def _one_order(self, client: Client, order: int, nap: float, signals: int = SIGNALS_PER_WORKFLOW) -> None:
        workflow_id = await self._start(client, order, nap, signals)
        self._waiters.append(asyncio.create_task(self._await_result(client, workflow_id)))
        for n in range(signals):
            await asyncio.sleep(self.rng.uniform(0.0, 0.8))
            await self._signal(client, workflow_id, f"{workflow_id}/signal-{n}")

    async def _await_result(self, client: Client, workflow_id: str) -> None:
        """A user waiting on result() all through the kills: calls cut by a kill fail with
        UNAVAILABLE (or a transport error) and are made again; CANCELLED is never right."""
        deadline = time.monotonic() + 10 * CALL_PATIENCE
        while time.monotonic() < deadline:
            try:
                await client.get_workflow_handle(workflow_id).result()
                return
            except WorkflowFailureError:
                return
            except RPCError as error:
                self.result_call_errors[error.status.name] += 1
                # When, relative to the last kill, and whether the server was answering again.
                since_kill = time.time() - self._killed_at
                self.result_call_timing.append((error.status.name, round(since_kill, 2), self._up))
                self.result_call_examples.setdefault(error.status.name, error.message)

            except Exception as error:  # an answer the SDK could not use
                self.result_call_errors[type(error).__name__] += 1
            await asyncio.sleep(0.5)

    def _launch(self, client: Client, order: int, nap: float) -> None:
        self._orders.append(asyncio.create_task(self._one_order(client, order, nap)))

    async def _load(self, client: Client, kills_done: asyncio.Event) -> None:
        """Orders all through the kill phase (at least `workflows` of them), a few at a time."""
        limit = asyncio.Semaphore(20)

        async def order(i: int) -> None:
            async with limit:
                await self._one_order(client, i, self.rng.uniform(0.1, 2.5))

        i = 0
        while i < self.workflows or not kills_done.is_set():
            self._orders.append(asyncio.create_task(order(i)))
            i += 1
            await asyncio.sleep(self.rng.uniform(0.0, 0.3))

    # ---- faults -------------------------------------------------------------------------

    async def _kill_and_restart(self, client: Client) -> None:
        for k in range(self.kills):
            await asyncio.sleep(self.rng.uniform(0.3, 1.5))
            # Timers that will come due while the server is down.
            down_for = self.rng.uniform(0.2, 1.2)
            for p in range(2):
                self._launch(client, 1_000_000 + k * 10 + p, 0.6 + down_for / 2)
            await asyncio.sleep(0.5)
            killed_at = self._killed_at = time.time()
            self._up = False
            self.server.kill()
            await asyncio.sleep(down_for)
            await asyncio.to_thread(self.server.start, self.start_timeout)
            self._up = True
            self.ledger.down.append((killed_at, time.time()))
            self.progress(f"kill {k + 1}/{self.kills}: down {time.time() - killed_at:.1f}s")

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> Verdict:
        began = time.monotonic()
        client = await connect(self.server.address)
        async with Worker(
            client,
            task_queue=self.queue,
            workflows=[LedgerOrder],
            activities=[prepare_order, deliver_order],
        ):
            if self.waiters:
                limit = asyncio.Semaphore(50)

                async def waiter(i: int) -> None:
                    async with limit:
                        await self._one_order(client, 2_000_000 + i, 3.0 * self.kills, signals=0)

                await asyncio.gather(*(waiter(i) for i in range(self.waiters)))
                self.progress(f"{self.waiters} workflows waiting, each with a result() call")
            kills_done = asyncio.Event()
            load = asyncio.create_task(self._load(client, kills_done))
            await self._kill_and_restart(client)
            kills_done.set()
            await load
            await asyncio.gather(*self._orders)
            await asyncio.gather(*self._waiters)
            self.progress("load done; waiting for every acknowledged workflow")
            await self._wait_for_results(client)
            return await self._verify(client, time.monotonic() - began)

    async def _wait_for_results(self, client: Client) -> None:
        """Every acknowledged workflow's result, as a user waits for it; after the last restart no
        result() call may fail (a failed workflow is reported by the verification)."""

        async def result(workflow_id: str) -> None:
            deadline = time.monotonic() + CALL_PATIENCE
            while time.monotonic() < deadline:
                try:
                    await client.get_workflow_handle(workflow_id).result()
                    return
                except WorkflowFailureError:
                    return
                except Exception as exc:  # an RPC error or an empty answer the SDK cannot use
                    self.result_errors.append(f"{workflow_id}: {type(exc).__name__}: {exc}")
                    await asyncio.sleep(0.5)

        await asyncio.gather(*(result(w) for w in self.ledger.starts))

    async def _verify(self, client: Client, seconds: float) -> Verdict:
        verdict = Verdict(
            kills=self.kills,
            starts=len(self.ledger.starts),
            signals=sum(len(t) for t in self.ledger.signals.values()),
            start_answers_lost=self.ledger.start_answers_lost,
            signal_retries=self.ledger.signal_retries,
            lost_starts=[],
            lost_signals=[],
            duplicated_signals=[],
            duplicated_activities=[],
            unfinished_activities=[],
            gaps=[],
            timers_due_while_down=0,
            timers_not_fired=[],
            longest_timer_delay_after_restart=0.0,
            seconds=seconds,
            result_errors=self.result_errors,
            result_call_errors=dict(self.result_call_errors),
            cancelled_by_server=sum(
                1 for code, since_kill, up in self.result_call_timing if code == "CANCELLED" and up and since_kill > 1.0
            ),
        )
        for workflow_id in self.ledger.starts:
            try:
                events = [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
            except RPCError:
                verdict.lost_starts.append(workflow_id)
                continue
            self._check_history(workflow_id, events, verdict)
        return verdict

    def _check_history(self, workflow_id: str, events: list[HistoryEvent], verdict: Verdict) -> None:
        if [e.event_id for e in events] != list(range(1, len(events) + 1)):
            verdict.gaps.append(workflow_id)
        if not events or events[-1].event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            verdict.lost_starts.append(workflow_id)
        tokens: Counter[str] = Counter()
        for event in events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                for payload in event.workflow_execution_signaled_event_attributes.input.payloads:
                    tokens[json.loads(payload.data)] += 1
        for token in self.ledger.signals.get(workflow_id, []):
            if tokens[token] == 0:
                verdict.lost_signals.append(token)
        verdict.duplicated_signals += [token for token, n in tokens.items() if n > 1]
        scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
        completed = Counter(
            e.activity_task_completed_event_attributes.scheduled_event_id
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        )
        verdict.duplicated_activities += [f"{workflow_id}#{s}" for s, n in completed.items() if n > 1]
        verdict.unfinished_activities += [f"{workflow_id}#{s}" for s in scheduled if completed[s] != 1]
        fired = {
            e.timer_fired_event_attributes.started_event_id: e.event_time.ToDatetime().timestamp()
            for e in events
            if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED
        }
        for event in events:
            if event.event_type != EventType.EVENT_TYPE_TIMER_STARTED:
                continue
            attributes = event.timer_started_event_attributes
            due = (
                event.event_time.ToDatetime().timestamp()
                + attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
            )
            if event.event_id not in fired:
                verdict.timers_not_fired.append(f"{workflow_id}#{event.event_id}")
                continue
            for killed_at, up_at in self.ledger.down:
                if killed_at <= due <= up_at:
                    verdict.timers_due_while_down += 1
                    delay = fired[event.event_id] - up_at
                    verdict.longest_timer_delay_after_restart = max(verdict.longest_timer_delay_after_restart, delay)


def database_server(make: Callable[..., ServerProcess], db: Path) -> ServerProcess:
    return make("--db-filename", str(db))
