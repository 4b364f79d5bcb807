"""Task queues that workers long-poll: a backlog of task references and waiting pollers."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from devserver.core.changes import ActivityTaskRef, TaskRef


@dataclass
class Poller:
    identity: str
    last_access_time: float


@dataclass
class TaskQueue:
    """One queue of one kind ("workflow" or "activity") in one namespace."""

    backlog: deque[TaskRef] = field(default_factory=deque)
    waiters: deque[asyncio.Future[TaskRef | None]] = field(default_factory=deque)
    pollers: dict[str, Poller] = field(default_factory=dict)

    def add(self, ref: TaskRef) -> None:
        """Hand the task to a waiting poller, or keep it in the backlog."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(ref)
                return
        self.backlog.append(ref)

    async def poll(self, timeout: float) -> TaskRef | None:
        """The next task, or None when `timeout` passes first."""
        if self.backlog:
            return self.backlog.popleft()
        waiter: asyncio.Future[TaskRef | None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return waiter.result()
            waiter.cancel()
            return None
        except asyncio.CancelledError:
            # The poll RPC went away; a task already handed to it goes back in front.
            if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                result = waiter.result()
                assert result is not None
                self.backlog.appendleft(result)
            else:
                waiter.cancel()
            raise

    def release_pollers(self) -> None:
        """Answer every waiting poll with nothing (server shutdown)."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)


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
