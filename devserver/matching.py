"""Task queues that workers long-poll: a backlog of task references and waiting pollers."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from devserver.core.changes import ActivityTaskRef, TaskRef
from devserver.waiters import release


@dataclass
class Poller:
    """A worker seen polling a task queue, and when."""

    identity: str
    last_access_time: float


RATE_WINDOW_SECONDS = 30
"""DescribeTaskQueue's add and dispatch rates count the tasks of the last 30 seconds, as the
real matching service measures them."""


@dataclass
class TaskRate:
    """Tasks per second over the last ``RATE_WINDOW_SECONDS`` (or since the queue appeared, if
    that is sooner), counted in one-second buckets of the wall clock: cheap on the hot path."""

    started: float = field(default_factory=time.monotonic)
    per_second: dict[int, int] = field(default_factory=dict)

    def count(self) -> None:
        second = int(time.monotonic())
        self.per_second[second] = self.per_second.get(second, 0) + 1
        if len(self.per_second) > RATE_WINDOW_SECONDS + 1:
            for old in [s for s in self.per_second if s <= second - RATE_WINDOW_SECONDS]:
                del self.per_second[old]

    def rate(self) -> float:
        now = time.monotonic()
        recent = sum(n for s, n in self.per_second.items() if s > now - RATE_WINDOW_SECONDS)
        elapsed = min(float(RATE_WINDOW_SECONDS), now - self.started)
        return recent / elapsed if elapsed > 0 else 0.0


@dataclass
class TaskQueue:
    """One queue of one kind ("workflow" or "activity") in one namespace."""

    backlog: deque[TaskRef] = field(default_factory=deque)
    # When each backlog task arrived (monotonic seconds), beside it: the backlog's age.
    arrived: deque[float] = field(default_factory=deque)
    waiters: deque[asyncio.Future[TaskRef | None]] = field(default_factory=deque)
    pollers: dict[str, Poller] = field(default_factory=dict)
    added: TaskRate = field(default_factory=TaskRate)
    dispatched: TaskRate = field(default_factory=TaskRate)

    def __post_init__(self) -> None:
        self.dispatched.started = self.added.started  # both rates measured over the same time

    def add(self, ref: TaskRef) -> None:
        """Hand the task to a waiting poller, or keep it in the backlog."""
        self.added.count()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(ref)
                self.dispatched.count()
                return
        self.backlog.append(ref)
        self.arrived.append(time.monotonic())

    def backlog_age(self) -> float:
        """Seconds the oldest backlog task has waited (0 without a backlog)."""
        return time.monotonic() - self.arrived[0] if self.arrived else 0.0

    async def poll(self, timeout: float, loop: asyncio.AbstractEventLoop) -> TaskRef | None:
        """The next task, or None when `timeout` passes first (on `loop`, the running one)."""
        if self.backlog:
            self.arrived.popleft()
            self.dispatched.count()
            return self.backlog.popleft()
        waiter: asyncio.Future[TaskRef | None] = loop.create_future()
        self.waiters.append(waiter)
        # When time runs out the waiter gets None (a waiter with a value is passed over by
        # `add`); cheaper than `asyncio.wait_for`, and every long poll has one.
        expiry = loop.call_later(timeout, release, waiter, None)
        try:
            return await waiter
        except asyncio.CancelledError:
            # The poll RPC went away; a task already handed to it goes back in front.
            if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                result = waiter.result()
                assert result is not None
                self.backlog.appendleft(result)
                self.arrived.appendleft(time.monotonic())
            else:
                waiter.cancel()
            raise
        finally:
            expiry.cancel()

    def release_pollers(self) -> None:
        """Answer every waiting poll with nothing (server shutdown)."""
        while self.waiters:
            release(self.waiters.popleft(), None)


class Matching:
    """All task queues, keyed by (namespace, name, kind)."""

    def __init__(self) -> None:
        self.queues: dict[tuple[str, str, str], TaskQueue] = {}

    def queue(self, namespace: str, name: str, kind: str) -> TaskQueue:
        key = (namespace, name, kind)
        found = self.queues.get(key)
        if found is None:
            found = self.queues[key] = TaskQueue()
        return found

    def add(self, ref: TaskRef) -> None:
        kind = "activity" if isinstance(ref, ActivityTaskRef) else "workflow"
        self.queue(ref.run.namespace, ref.queue, kind).add(ref)

    def drop_queue(self, namespace: str, name: str, kind: str) -> list[TaskRef]:
        """Remove a queue (a sticky queue whose worker left); returns its backlog."""
        queue = self.queues.pop((namespace, name, kind), None)
        if queue is None:
            return []
        queue.release_pollers()
        return list(queue.backlog)

    def release_all(self) -> None:
        for queue in self.queues.values():
            queue.release_pollers()
