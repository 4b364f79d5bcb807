"""SkippingClock on its own: when it jumps, what holds it back, what it runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from devserver.clock import SkippingClock, UnbalancedUnlock

DAY = 86400.0


async def test_while_locked_deadlines_wait_in_wall_time() -> None:
    clock = SkippingClock()
    fired = asyncio.Event()
    clock.call_at(clock.now() + 0.2, fired.set)
    wall_start = time.monotonic()
    await asyncio.wait_for(fired.wait(), 5)
    assert time.monotonic() - wall_start >= 0.19
    assert abs(clock.now() - time.time()) < 1  # no skip happened


async def test_unlocked_it_jumps_to_each_deadline_in_order() -> None:
    clock = SkippingClock()
    start = clock.now()
    seen: list[float] = []
    for days in (3, 1, 2):
        clock.call_at(start + days * DAY, lambda: seen.append(clock.now() - start))
    clock.unlock()
    await asyncio.wait_for(clock.sleep_until(start + 3 * DAY), 5)
    assert [round(offset / DAY, 3) for offset in seen] == [1, 2, 3]


async def test_outstanding_work_holds_it_back() -> None:
    clock = SkippingClock()
    work = [1]
    clock.holds = lambda: work[0]
    clock.unlock()
    fired = asyncio.Event()
    clock.call_at(clock.now() + DAY, fired.set)
    await asyncio.sleep(0.05)
    assert not fired.is_set()
    work[0] = 0
    clock.wake()
    await asyncio.wait_for(fired.wait(), 5)


async def test_a_cancelled_deadline_neither_runs_nor_pulls_time() -> None:
    clock = SkippingClock()
    start = clock.now()
    ran: list[str] = []
    clock.call_at(start + DAY, lambda: ran.append("cancelled")).cancel()
    clock.call_at(start + 2 * DAY, lambda: ran.append("kept"))
    clock.unlock()
    await asyncio.wait_for(clock.sleep_until(start + 2 * DAY), 5)
    assert ran == ["kept"]


async def test_unlocking_more_than_was_locked_is_refused() -> None:
    clock = SkippingClock()
    clock.unlock()
    with pytest.raises(UnbalancedUnlock):
        clock.unlock()
    assert clock.locks == 0


async def test_the_virtual_time_is_kept_in_its_state_file(tmp_path: Path) -> None:
    state = str(tmp_path / "tempo.db.clock")
    clock = SkippingClock(state_file=state)
    clock.skip(10 * DAY)
    kept = clock.now()
    clock.close()
    again = SkippingClock(state_file=state)
    assert kept <= again.now() < kept + 60


async def test_settling_after_each_commit_keeps_its_wall_clock_wait() -> None:
    # The engine wakes the clock after every commit: while the first deadline stays the same,
    # the loop timer waiting for it in wall time is kept.
    clock = SkippingClock()
    fired = asyncio.Event()
    clock.call_at(clock.now() + 0.2, fired.set)
    await asyncio.sleep(0.01)
    waiting = clock._wall_handle
    assert waiting is not None
    for _ in range(5):
        clock.wake()
        await asyncio.sleep(0)
    assert clock._wall_handle is waiting
    earlier = asyncio.Event()
    clock.call_at(clock.now() + 0.05, earlier.set)  # an earlier deadline: waited for instead
    await asyncio.sleep(0.01)
    assert clock._wall_handle is not waiting and waiting.cancelled()
    await asyncio.wait_for(earlier.wait(), 5)
    assert not fired.is_set()
    await asyncio.wait_for(fired.wait(), 5)
