"""Deliver a cancellation to a plain (non-async) activity running in a pool thread.

As the official SDK does, the worker raises ``sdk.exceptions.CancelledError`` in the
activity's thread (CPython's ``PyThreadState_SetAsyncExc``): the function stops at its next
Python instruction without having to poll. A thread blocked inside C code (``time.sleep``, a
socket read) gets the exception when that call returns. Code that must not be interrupted
holds it back with ``activity.shield_thread_cancel_exception()``.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator

from sdk.exceptions import CancelledError


class ActivityCancelledInThread(CancelledError):
    """The exception raised in the thread; CPython creates it with no arguments."""

    def __init__(self) -> None:
        super().__init__("activity cancelled")


class ThreadCancelRaiser:
    """Raises the cancellation in the thread that runs one activity attempt, once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending = False
        self._raised = False
        self._shield_depth = 0

    def running_in_this_thread(self) -> contextlib.AbstractContextManager[None]:
        """Wrap the activity call in its pool thread; nothing is raised once it has left."""
        return _Running(self)

    def _enter(self) -> None:
        with self._lock:
            if self._pending:  # cancelled before the thread picked the call up
                self._pending = False
                raise ActivityCancelledInThread()
            self._thread_id = threading.get_ident()

    def _leave(self) -> None:
        # A cancellation raised while the function ran may arrive anywhere on the way out,
        # here too: catch it and finish leaving, so that none is left pending.
        while True:
            try:
                with self._lock:
                    self._thread_id = None  # no raise from now on
                    self._pending = False
                    raised = self._raised
                if raised:
                    _take_undelivered_cancellation()
                return
            except ActivityCancelledInThread:
                continue

    def request(self) -> None:
        """Cancel: raise now, or when the thread starts or leaves its last shield."""
        with self._lock:
            self._pending = True
            self._raise_if_due()

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        with self._lock:
            self._shield_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._shield_depth -= 1
                self._raise_if_due()

    def _raise_if_due(self) -> None:
        if self._thread_id is None or not self._pending or self._shield_depth:
            return
        self._pending = False
        self._raised = True
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self._thread_id), ctypes.py_object(ActivityCancelledInThread)
        )


class _Running(contextlib.AbstractContextManager[None]):
    def __init__(self, raiser: ThreadCancelRaiser) -> None:
        self._raiser = raiser

    def __enter__(self) -> None:
        self._raiser._enter()

    def __exit__(self, *exc_info: object) -> None:
        self._raiser._leave()


def _take_undelivered_cancellation() -> None:
    """Let a cancellation raised as the function returned arrive here, and drop it.

    Not delivered, CPython would raise it later in the pool's own code, killing the pool
    thread. It cannot be withdrawn instead: ``PyThreadState_SetAsyncExc(id, NULL)`` leaves
    CPython 3.11's interpreter-wide "asynchronous exception pending" flag set with no
    thread to clear it, and every thread running under a profile hook (a workflow
    activation under the determinism checks) then spins at its next function entry.
    A pending exception is delivered at the first check of a loop or a call, so a few
    turns of a loop always take it.
    """
    try:
        for _ in range(8):
            _turn()
    except ActivityCancelledInThread:
        pass


def _turn() -> None:
    pass
