"""Where histories live. The engine writes through this seam only.

`HistoryStore` is the storage interface the engine commits to; `MemoryStore`
keeps everything in process memory (the default, like the real dev server
without `--db-filename`). A SQLite implementation plugs in behind the same
methods without the core knowing which one it has.
"""

from __future__ import annotations

from typing import Protocol

from temporalio.api.history.v1 import message_pb2 as history

from devserver.core.changes import RunKey


class HistoryStore(Protocol):
    async def append(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        """Durably add events to a run's history (event ids are consecutive)."""
        ...

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        """Events with first_event_id <= id <= last_event_id, in order."""
        ...

    def last_event_id(self, run: RunKey) -> int: ...

    async def delete(self, run: RunKey) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._histories: dict[RunKey, list[history.HistoryEvent]] = {}

    async def append(self, run: RunKey, events: list[history.HistoryEvent]) -> None:
        stored = self._histories.setdefault(run, [])
        for event in events:
            if event.event_id != len(stored) + 1:
                raise RuntimeError(f"history of {run} would skip from {len(stored)} to {event.event_id}")
            stored.append(event)

    def read(self, run: RunKey, first_event_id: int, last_event_id: int) -> list[history.HistoryEvent]:
        stored = self._histories.get(run, [])
        return stored[max(first_event_id, 1) - 1 : max(last_event_id, 0)]

    def last_event_id(self, run: RunKey) -> int:
        return len(self._histories.get(run, []))

    async def delete(self, run: RunKey) -> None:
        self._histories.pop(run, None)
