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

    @contextlib.contextmanager
    def running_in_this_thread(self) -> Iterator[None]:
        """Wrap the activity call in its pool thread; nothing is raised once it has left."""
        with self._lock:
            if self._pending:  # cancelled before the thread picked the call up
                self._pending = False
                raise ActivityCancelledInThread()
            self._thread_id = threading.get_ident()
        try:
            yield
        finally:
            with self._lock:
                if self._raised and self._thread_id is not None:
                    # Raised as the function returned and not delivered yet: CPython would
                    # deliver it later, in the pool's own code, killing the pool thread.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), None)
                self._thread_id = None
                self._pending = False

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
