"""How a cancellation is raised in a plain activity's pool thread: at once, held back by a
shield, never after the function has returned (where it would kill the pool's thread)."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sdk.worker._thread_cancel import ActivityCancelledInThread, ThreadCancelRaiser


def _busy(raiser: ThreadCancelRaiser, seconds: float) -> str:
    with raiser.running_in_this_thread():
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            time.sleep(0.001)
        return "finished"


def test_cancellations_racing_the_return_leave_the_pool_working() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = []
        for _ in range(200):
            raiser = ThreadCancelRaiser()
            running = pool.submit(_busy, raiser, 0.002)
            time.sleep(0.002)
            raiser.request()
            try:
                outcomes.append(running.result(timeout=5))
            except ActivityCancelledInThread:
                outcomes.append("cancelled")
        assert "cancelled" in outcomes
        # Every thread of the pool is still alive and takes work.
        assert [pool.submit(threading.get_ident).result(timeout=5) for _ in range(4)]


def test_a_shield_holds_the_cancellation_until_it_ends() -> None:
    raiser = ThreadCancelRaiser()
    reached: list[str] = []

    def shielded() -> str:
        with raiser.running_in_this_thread():
            with raiser.shielded():
                time.sleep(0.3)
                reached.append("end of shield")
            time.sleep(5)
            return "not cancelled"

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(shielded)
        time.sleep(0.05)
        raiser.request()
        with pytest.raises(ActivityCancelledInThread):
            running.result(timeout=5)
    assert reached == ["end of shield"]


def test_a_cancellation_before_the_thread_starts_is_raised_at_once() -> None:
    raiser = ThreadCancelRaiser()
    raiser.request()
    with pytest.raises(ActivityCancelledInThread):
        _busy(raiser, 5)


def test_after_racing_cancellations_a_thread_under_a_profile_hook_still_runs() -> None:
    """A cancellation withdrawn instead of delivered left CPython 3.11's "asynchronous
    exception pending" flag set, and a thread with a profile hook (a workflow activation
    under the determinism checks) then spun at its next function entry for good."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(100):
            raiser = ThreadCancelRaiser()
            running = pool.submit(_busy, raiser, 0.002)
            time.sleep(0.002)
            raiser.request()
            with contextlib.suppress(ActivityCancelledInThread):
                running.result(timeout=5)
    calls: list[int] = []

    def profiled() -> None:
        sys.setprofile(lambda frame, event, arg: None)
        try:
            for n in range(1000):
                calls.append(_identity(n))
        finally:
            sys.setprofile(None)

    thread = threading.Thread(target=profiled, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert len(calls) == 1000


def _identity(n: int) -> int:
    return n
