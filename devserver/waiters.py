"""Long polls parked on a key (a run's history, one update) until something about it changes."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def release(waiter: asyncio.Future[T], value: T) -> None:
    """Give a waiter its value, unless it has one already (or was cancelled)."""
    if not waiter.done():
        waiter.set_result(value)


class Waiters(Generic[K]):
    """Callers waiting on a key; `wake(key)` releases all of them at once.

    A caller re-reads what it waits for after it is released, so a wake carries no value and
    a spurious one (shutdown, a change that did not concern it) costs only a re-read.
    """

    def __init__(self) -> None:
        self._parked: dict[K, list[asyncio.Future[None]]] = {}

    async def wait(self, key: K, timeout: float, loop: asyncio.AbstractEventLoop) -> None:
        """Return when `key` is woken, or after `timeout` seconds (on `loop`, the running one)."""
        waiter: asyncio.Future[None] = loop.create_future()
        self._parked.setdefault(key, []).append(waiter)
        # The waiter is ours: the timeout releases it too (`asyncio.wait_for` would add a
        # future, callbacks and, when time runs out, a cancellation: every long poll has one).
        expiry = loop.call_later(timeout, release, waiter, None)
        try:
            await waiter
        finally:
            expiry.cancel()
            parked = self._parked.get(key, [])
            if waiter in parked:
                parked.remove(waiter)
            if not parked:
                self._parked.pop(key, None)

    def wake(self, key: K) -> None:
        """Release everyone waiting on `key`."""
        for waiter in self._parked.pop(key, []):
            release(waiter, None)

    def wake_all(self) -> None:
        """Release every waiter (the server is shutting down)."""
        for key in list(self._parked):
            self.wake(key)
