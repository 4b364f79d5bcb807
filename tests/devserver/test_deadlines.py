"""clock.Deadlines: the engine's deadlines on one clock callback, on either clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from devserver.clock import SWEEP_AFTER, Cancellable, Deadlines, SkippingClock, SystemClock

DAY = 86400.0


class CountingClock(SystemClock):
    """The wall clock, counting the callbacks it is asked for."""

    def __init__(self) -> None:
        self.calls = 0

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Cancellable:
        self.calls += 1
        return super().call_at(deadline, callback)


async def test_they_fire_in_deadline_then_arming_order() -> None:
    clock = SystemClock()
    fired: list[str] = []
    deadlines: Deadlines[str, str] = Deadlines(clock, fired.append)
    now = clock.now()
    for moment, item in [(0.06, "c"), (0.02, "a"), (0.04, "b1"), (0.04, "b2"), (0.0, "first")]:
        deadlines.arm(now + moment, "run", item)
    await asyncio.sleep(0.15)
    assert fired == ["first", "a", "b1", "b2", "c"]
    assert deadlines.armed("run") == 0 and deadlines.held == 0


async def test_a_cancelled_group_never_fires_and_the_others_do() -> None:
    clock = SystemClock()
    fired: list[str] = []
    deadlines: Deadlines[str, str] = Deadlines(clock, fired.append)
    now = clock.now()
    deadlines.arm(now + 0.02, "gone", "gone-1")
    deadlines.arm(now + 0.03, "kept", "kept-1")
    deadlines.arm(now + 0.04, "gone", "gone-2")
    assert deadlines.armed("gone") == 2
    assert list(deadlines.cancel("gone")) == ["gone-1", "gone-2"]
    assert not deadlines.cancel("gone")
    await asyncio.sleep(0.1)
    assert fired == ["kept-1"]


async def test_later_deadlines_share_the_one_clock_callback() -> None:
    clock = CountingClock()
    deadlines: Deadlines[int, int] = Deadlines(clock, lambda item: None)
    now = clock.now()
    for run in range(100):
        deadlines.arm(now + 10 + run, run, run)
    assert clock.calls == 1
    deadlines.arm(now + 5, -1, -1)  # an earlier one moves the callback
    assert clock.calls == 2
    deadlines.clear()


async def test_cancelled_deadlines_do_not_pile_up() -> None:
    clock = SystemClock()
    deadlines: Deadlines[int, int] = Deadlines(clock, lambda item: None)
    now = clock.now()
    deadlines.arm(now + DAY, -1, -1)  # one that stays
    for run in range(10 * SWEEP_AFTER):
        deadlines.arm(now + 365 * DAY, run, run)
        deadlines.arm(now + 365 * DAY, run, run)
        deadlines.cancel(run)
    assert deadlines.armed(-1) == 1
    assert deadlines.held <= 2 * SWEEP_AFTER + 2
    deadlines.clear()
    assert deadlines.held == 0


async def test_time_skips_past_a_cancelled_deadline_to_the_next_armed_one() -> None:
    clock = SkippingClock()
    start = clock.now()
    fired: list[tuple[str, float]] = []
    deadlines: Deadlines[str, str] = Deadlines(clock, lambda item: fired.append((item, clock.now() - start)))
    deadlines.arm(start + DAY, "gone", "gone")
    deadlines.arm(start + 2 * DAY, "kept", "kept")
    deadlines.cancel("gone")
    clock.unlock()
    await asyncio.wait_for(clock.sleep_until(start + 2 * DAY), 5)
    assert [(item, round(offset / DAY, 3)) for item, offset in fired] == [("kept", 2)]


async def test_time_does_not_skip_to_a_deadline_that_was_cancelled() -> None:
    clock = SkippingClock()
    start = clock.now()
    fired: list[str] = []
    deadlines: Deadlines[str, str] = Deadlines(clock, fired.append)
    deadlines.arm(start + DAY, "gone", "gone")
    deadlines.cancel("gone")
    clock.unlock()
    await asyncio.sleep(0.05)
    assert clock.now() - start < 60
    assert fired == []
    clock.close()


async def test_a_skipping_clock_fires_each_deadline_when_it_jumps_there() -> None:
    clock = SkippingClock()
    start = clock.now()
    fired: list[tuple[str, int]] = []
    deadlines: Deadlines[str, str] = Deadlines(
        clock, lambda item: fired.append((item, round((clock.now() - start) / DAY)))
    )
    for days, run in [(3, "c"), (1, "a"), (2, "b")]:
        deadlines.arm(start + days * DAY, run, run)
    clock.unlock()
    await asyncio.wait_for(clock.sleep_until(start + 3 * DAY), 5)
    assert fired == [("a", 1), ("b", 2), ("c", 3)]
