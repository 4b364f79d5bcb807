"""The only source of time in the server, injectable so the core is testable.

A clock reads the time (`now`) and runs callbacks when a moment is due (`call_at`): every
deadline of a run (timers, timeouts, retry backoffs) is armed through it, so a clock that
skips time moves all of them at once.

`SystemClock` is the wall clock. `SkippingClock` is the time-skipping test clock (the Java
test server's semantics, `temporal.api.testservice.v1`): virtual time runs with the wall
clock, and whenever nobody holds it back it jumps straight to the next deadline. It is
held back by its lock count (the TestService's LockTimeSkipping / UnlockTimeSkipping; one
lock is held at start) plus the server's own holds: the work the engine has outstanding
(workflow and activity tasks, queries, deadlines being carried out), which it reports
through `holds`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("tempo.clock")


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable:
        """Run `callback` on the running loop once `now()` reaches `deadline`."""
        ...

    def wake(self) -> None:
        """The server's outstanding work may have changed (a change was committed)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0.0, deadline - self.now()), callback)

    def wake(self) -> None:
        pass


class UnbalancedUnlock(Exception):
    """UnlockTimeSkipping without a lock to release (the Java test server's error)."""

    def __init__(self) -> None:
        super().__init__("Unbalanced lock and unlock calls")


@dataclass(eq=False)  # hashed by identity: the engine keeps a set of a run's armed deadlines
class _Due:
    """A callback armed for a deadline; ordered by deadline, then by arming order."""

    deadline: float
    seq: int
    callback: Callable[[], None]
    cancelled: bool = False

    def __lt__(self, other: _Due) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class SkippingClock:
    """Virtual time: the wall clock plus an offset that grows each time the clock skips.

    Time never goes backwards: `start` (a virtual time kept from an earlier run of the
    server) is honoured when it is ahead of the wall clock, and `state_file` (if given)
    keeps the virtual time across restarts.
    """

    def __init__(self, start: float = 0.0, state_file: str | None = None) -> None:
        self.state_file = state_file
        kept = _read_state(state_file) if state_file else 0.0
        self._offset = max(0.0, start - time.time(), kept - time.time())
        self.locks = 1  # the TestService's lock held from the start, as on the Java test server
        # How much outstanding work the server holds the clock back for (set by the engine).
        self.holds: Callable[[], int] = lambda: 0
        self._due: list[_Due] = []
        self._seq = itertools.count()
        self._wall_handle: asyncio.TimerHandle | None = None
        self._settle_pending = False

    def now(self) -> float:
        return time.time() + self._offset

    # ---- deadlines -------------------------------------------------------------------

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable:
        due = _Due(deadline, next(self._seq), callback)
        heapq.heappush(self._due, due)
        self.wake()
        return due

    def wake(self) -> None:
        """Look again (soon, once) whether time may skip or something is due."""
        if self._settle_pending:
            return
        self._settle_pending = True
        asyncio.get_running_loop().call_soon(self._settle)

    # ---- the TestService's lock ------------------------------------------------------

    def lock(self) -> None:
        self.locks += 1

    def unlock(self) -> None:
        if self.locks + self.holds() <= 0:
            raise UnbalancedUnlock()
        self.locks -= 1
        self.wake()

    @property
    def skipping(self) -> bool:
        """Nobody holds the clock back: it jumps to whatever is due next."""
        return self.locks <= 0 and self.locks + self.holds() <= 0

    def catch_up(self, moment: float) -> None:
        """Make sure time is at least `moment` (the latest event a restarted server kept)."""
        if moment > self.now():
            self._offset += moment - self.now()

    def skip(self, seconds: float) -> None:
        """Move virtual time forward by `seconds` at once."""
        self._offset += max(0.0, seconds)
        self._save()
        self.wake()

    async def sleep_until(self, deadline: float) -> None:
        """Wait until virtual time reaches `deadline` (it may skip there)."""
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake_sleeper() -> None:
            if not reached.done():
                reached.set_result(None)

        handle = self.call_at(deadline, wake_sleeper)
        try:
            await reached
        finally:
            handle.cancel()

    async def unlock_while_sleeping(self, seconds: float) -> None:
        """UnlockTimeSkippingWithSleep: release one lock, wait `seconds` of virtual time, lock again."""
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def relock() -> None:
            if not reached.done():
                self.locks += 1
                reached.set_result(None)

        handle = self.call_at(self.now() + seconds, relock)
        try:
            self.unlock()
        except UnbalancedUnlock:
            handle.cancel()
            raise
        try:
            await reached
        finally:
            if not reached.done():
                # The caller went away: its lock is taken back all the same (as if it had slept).
                handle.cancel()
                self.locks += 1

    # ---- the pump --------------------------------------------------------------------

    def _settle(self) -> None:
        """Run what is due; skip to the next deadline while nobody holds the clock back."""
        self._settle_pending = False
        while True:
            while self._due and self._due[0].cancelled:
                heapq.heappop(self._due)
            if not self._due:
                break
            head = self._due[0]
            now = self.now()
            if head.deadline > now:
                if not self.skipping:
                    break
                log.debug("skipping %.3f s to the next deadline", head.deadline - now)
                self._offset += head.deadline - now
                self._save()
            heapq.heappop(self._due)
            # What the callback starts (a change through the engine's door) holds the clock
            # back until it has been carried out; the engine wakes the clock then.
            head.callback()
        self._arm_wall_handle()

    def _arm_wall_handle(self) -> None:
        if self._wall_handle is not None:
            self._wall_handle.cancel()
            self._wall_handle = None
        live = [due for due in self._due[:1] if not due.cancelled]
        if live:
            delay = max(0.0, live[0].deadline - self.now())
            self._wall_handle = asyncio.get_running_loop().call_later(delay, self.wake)

    def _save(self) -> None:
        if self.state_file is None:
            return
        temporary = f"{self.state_file}.tmp"
        with open(temporary, "w") as out:
            json.dump({"virtual_time": self.now()}, out)
        os.replace(temporary, self.state_file)

    def close(self) -> None:
        """Keep the virtual time (for the next start) and stop waiting on the wall clock."""
        self._save()
        if self._wall_handle is not None:
            self._wall_handle.cancel()


def _read_state(path: str) -> float:
    try:
        with open(path) as kept:
            return float(json.load(kept)["virtual_time"])
    except FileNotFoundError:
        return 0.0
    except (ValueError, KeyError, TypeError, OSError) as exc:
        log.warning("ignoring the kept virtual time in %s: %s", path, exc)
        return 0.0
