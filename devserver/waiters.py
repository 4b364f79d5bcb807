"""Long polls parked on a key (a run's history, one update) until something about it changes."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Waiters(Generic[K]):
    """Callers waiting on a key; `wake(key)` releases all of them at once.

    A caller re-reads what it waits for after it is released, so a wake carries no value and
    a spurious one (shutdown, a change that did not concern it) costs only a re-read.
    """

    def __init__(self) -> None:
        self._parked: dict[K, list[asyncio.Future[None]]] = {}

    async def wait(self, key: K, timeout: float) -> None:
        """Return when `key` is woken, or after `timeout` seconds."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parked.setdefault(key, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            parked = self._parked.get(key, [])
            if waiter in parked:
                parked.remove(waiter)
            if not parked:
                self._parked.pop(key, None)

    def wake(self, key: K) -> None:
        """Release everyone waiting on `key`."""
        for waiter in self._parked.pop(key, []):
            if not waiter.done():
                waiter.set_result(None)

    def wake_all(self) -> None:
        """Release every waiter (the server is shutting down)."""
        for key in list(self._parked):
            self.wake(key)
