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
import math
import os
import time
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

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

    @property
    def skips_to_deadlines(self) -> bool:
        """Whether an armed deadline can move the clock (a skipping clock jumps to it): one
        that is cancelled must then be taken off the clock at once, not when it comes up."""
        ...


class SystemClock:
    skips_to_deadlines = False

    def now(self) -> float:
        return time.time()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0.0, deadline - self.now()), callback)

    def wake(self) -> None:
        pass


Group = TypeVar("Group", bound=Hashable)
Item = TypeVar("Item")

# Cancelled deadlines are swept out of a `Deadlines` heap once there are more than this many
# and they are half of it (so each is swept at most once, and they never hold more memory than
# the armed ones do).
SWEEP_AFTER = 64


class Deadlines(Generic[Group, Item]):
    """Many deadlines on one callback of a clock: `fire(item)` runs for each once it is due.

    Each deadline belongs to a group (the engine's: a run) and is cancelled with its group.
    A server arms several deadlines per workflow and cancels most (timeouts of what finished
    in time): one loop timer each (an object, a heap of Python-compared handles, a handle
    left behind when cancelled) would cost far more than this heap of plain tuples, which
    heapq compares in C, and the one clock callback for its earliest deadline. A cancelled
    deadline only leaves its group's table: its heap entry is dropped when it comes up, or
    swept out with the others once they are half the heap (a year-long timeout of a run that
    closed must not hold memory until its deadline). On a clock that skips to deadlines a
    cancelled one is taken off the clock at once: time must not jump to it.
    """

    def __init__(self, clock: Clock, fire: Callable[[Item], None]) -> None:
        self._clock = clock
        self._fire = fire
        # (moment, arming number, group, item): the number orders deadlines at the same moment
        # by arming, and no two are equal (group and item are never compared).
        self._heap: list[tuple[float, int, Group, Item]] = []
        self._armed: dict[Group, dict[int, Item]] = {}  # what is armed, by group and number
        self._numbers = itertools.count()
        self._cancelled = 0  # entries of the heap no longer armed
        self._wake: Cancellable | None = None
        self._wake_at = math.inf
        self._wake_number = -1  # the deadline the clock's callback is for

    def arm(self, moment: float, group: Group, item: Item) -> None:
        """Fire `item` once the clock reaches `moment`, unless its group is cancelled first."""
        number = next(self._numbers)
        heapq.heappush(self._heap, (moment, number, group, item))
        armed = self._armed.get(group)
        if armed is None:
            armed = self._armed[group] = {}
        armed[number] = item
        if moment < self._wake_at:
            self._wake_for(moment, number)

    def cancel(self, group: Group) -> Collection[Item]:
        """Cancel the group's deadlines; returns their items, in arming order."""
        armed = self._armed.pop(group, None)
        if not armed:
            return ()
        self._cancelled += len(armed)
        if self._cancelled > SWEEP_AFTER and 2 * self._cancelled > len(self._heap):
            groups = self._armed
            self._heap = [entry for entry in self._heap if entry[1] in groups.get(entry[2], ())]
            heapq.heapify(self._heap)
            self._cancelled = 0
        if self._wake_number in armed and self._clock.skips_to_deadlines:
            self._wake_for_earliest()
        return armed.values()

    def armed(self, group: Group) -> int:
        """How many deadlines of the group are armed."""
        return len(self._armed.get(group, ()))

    @property
    def held(self) -> int:
        """How many deadlines the heap holds, cancelled ones not yet dropped included."""
        return len(self._heap)

    def clear(self) -> None:
        """Cancel every deadline."""
        self._heap.clear()
        self._armed.clear()
        self._cancelled = 0
        self._unwake()

    def _wake_for(self, moment: float, number: int) -> None:
        if self._wake is not None:
            self._wake.cancel()
        self._wake_at = moment
        self._wake_number = number
        self._wake = self._clock.call_at(moment, self._due)

    def _unwake(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        self._wake_at = math.inf
        self._wake_number = -1

    def _due(self) -> None:
        """The clock reached the earliest deadline: fire every one that is due, in order."""
        # The moment the clock was called for counts as reached even if `now()` reads a hair
        # before it (a skipping clock's jump is a float sum).
        reached = max(self._wake_at, self._clock.now())
        self._wake = None  # spent (this is it): nothing to cancel
        self._wake_at = math.inf
        self._wake_number = -1
        heap = self._heap
        try:
            while heap and heap[0][0] <= reached:
                _, number, group, item = heapq.heappop(heap)
                armed = self._armed.get(group)
                if armed is None or armed.pop(number, None) is None:
                    self._cancelled -= 1
                    continue
                if not armed:
                    del self._armed[group]
                self._fire(item)
        finally:
            # Also when `fire` raised: the deadlines still due are fired on the next callback.
            self._wake_for_earliest()

    def _wake_for_earliest(self) -> None:
        """Have the clock call back for the earliest armed deadline (cancelled ones ahead of it go)."""
        heap = self._heap
        while heap:
            moment, number, group, _ = heap[0]
            armed = self._armed.get(group)
            if armed is not None and number in armed:
                if number != self._wake_number:
                    self._wake_for(moment, number)
                return
            heapq.heappop(heap)
            self._cancelled -= 1
        self._unwake()


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

    skips_to_deadlines = True

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
        self._wall_at = 0.0  # the wall-clock moment `_wall_handle` waits for
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
        """Wait in wall time for the first deadline (the engine settles after every commit: a
        loop timer already waiting for the same moment is kept, not made again)."""
        head = self._due[0] if self._due and not self._due[0].cancelled else None
        wall_at = None if head is None else head.deadline - self._offset
        if self._wall_handle is not None:
            if wall_at == self._wall_at:
                return
            self._wall_handle.cancel()
            self._wall_handle = None
        if wall_at is not None:
            delay = max(0.0, wall_at - time.time())
            self._wall_handle = asyncio.get_running_loop().call_later(delay, self._wall_reached)
            self._wall_at = wall_at

    def _wall_reached(self) -> None:
        self._wall_handle = None
        self.wake()

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
