"""Where runs and their histories live. The engine writes through this seam only.

`HistoryStore` is the interface: `commit` makes a group of run changes durable
together (each run's new events plus its mutable-state snapshot), reads come
from memory. `MemoryStore` (the default, like the real dev server without
`--db-filename`) keeps nothing beyond the process; `devserver.sqlite_store`
writes the same commits to SQLite. The engine does not know which it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from temporalio.api.history.v1 import message_pb2 as history

from devserver.core.changes import RunKey
from devserver.core.mutable_state import MutableState
from devserver.namespaces import Namespace


class StoreError(Exception):
    """The database cannot be used; the message is one line for the user (raised by
    `devserver.sqlite_store`; here so the server catches it without importing SQLite)."""


@dataclass
class RunWrite:
    """One run's part of a commit: its new events and its state after them."""

    state: MutableState
    events: list[history.HistoryEvent]


@dataclass
class Loaded:
    """What a store held when the server started."""

    namespaces: list[Namespace] = field(default_factory=list)
    states: list[MutableState] = field(default_factory=list)
    # Schedules as core.schedules.dump wrote them (JSON text).
    schedules: list[str] = field(default_factory=list)
    # Batch jobs as core.batch.dump wrote them (JSON text), oldest first.
    batch_jobs: list[str] = field(default_factory=list)


class HistoryStore(Protocol):
    async def load(self) -> Loaded:
        """Everything stored, read once at start (before any commit)."""
        ...

    async def commit(self, writes: list[RunWrite]) -> None:
        """Make all writes durable at once; raises if they could not be."""
        ...

    async def save_namespace(self, namespace: Namespace) -> None: ...

    async def delete_namespace(self, name: str) -> None:
        """Forget a namespace and everything kept in it (runs, histories, schedules, batch jobs)."""
        ...

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        """Make a schedule's state (JSON text) durable, replacing what was kept."""
        ...

    async def delete_schedule(self, namespace: str, schedule_id: str) -> None: ...

    async def save_batch_job(self, namespace: str, job_id: str, state: str) -> None:
        """Make a batch job's state (JSON text) durable, replacing what was kept."""
        ...

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        """Events with first_event_id <= id <= last_event_id, in order."""
        ...

    def last_event_id(self, run: RunKey) -> int: ...

    async def delete(self, run: RunKey) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """Histories in process memory; gone when the server stops."""

    def __init__(self) -> None:
        self._histories: dict[RunKey, list[history.HistoryEvent]] = {}

    async def load(self) -> Loaded:
        return Loaded()

    async def commit(self, writes: list[RunWrite]) -> None:
        for write in writes:
            self.append(write.state.key, write.events)

    def append(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        stored = self._histories.setdefault(run, [])
        for event in events:
            if event.event_id != len(stored) + 1:
                raise RuntimeError(f"history of {run} would skip from {len(stored)} to {event.event_id}")
            stored.append(event)

    async def save_namespace(self, namespace: Namespace) -> None:
        return None

    async def delete_namespace(self, name: str) -> None:
        for run in [run for run in self._histories if run.namespace == name]:
            del self._histories[run]

    async def save_schedule(self, namespace: str, schedule_id: str, state: str) -> None:
        return None

    async def delete_schedule(self, namespace: str, schedule_id: str) -> None:
        return None

    async def save_batch_job(self, namespace: str, job_id: str, state: str) -> None:
        return None

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        stored = self._histories.get(run, [])
        return stored[max(first_event_id, 1) - 1 : max(last_event_id, 0)]

    def last_event_id(self, run: RunKey) -> int:
        return len(self._histories.get(run, []))

    async def delete(self, run: RunKey) -> None:
        self._histories.pop(run, None)

    async def close(self) -> None:
        return None
