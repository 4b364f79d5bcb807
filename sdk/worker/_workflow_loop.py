"""The asyncio side of a workflow run: an event loop that never touches real time or I/O.

:class:`WorkflowLoop` is the part of ``asyncio.AbstractEventLoop`` that workflow code and
asyncio's own machinery (tasks, futures, ``gather``) need: ready callbacks, the activation's
time, futures and tasks bound to it. What a timer *means* (a StartTimer command) and what a
callback's exception does to the workflow task are the instance's, in
``_workflow_instance.py``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


@contextmanager
def running(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Make ``loop`` the thread's running loop for a while, then restore the caller's.

    asyncio's private setter, as the official SDK uses it: ``asyncio.get_running_loop()`` in
    workflow code (and so the ``_Runtime`` lookup of ``sdk.workflow``) then finds the run.
    """
    previous_loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(previous_loop)


class TimerHandle(asyncio.TimerHandle):
    """A workflow timer: cancelling it cancels its timer on the server (by ``seq``)."""

    def __init__(
        self,
        seq: int,
        when: float,
        callback: Callable[..., Any],
        args: Sequence[Any],
        loop: WorkflowLoop,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context)
        self.seq = seq
        self._workflow_loop = loop

    def cancel(self) -> None:
        if not self.cancelled():
            self._workflow_loop._cancel_timer(self.seq)
        super().cancel()


class WorkflowLoop(asyncio.AbstractEventLoop):
    """Ready callbacks run in order, at the activation's time; no threads, executors or I/O."""

    def __init__(self) -> None:
        self._time = 0.0
        self._ready: collections.deque[asyncio.Handle] = collections.deque()

    def _cancel_timer(self, seq: int) -> None:
        raise NotImplementedError

    def time(self) -> float:
        return self._time

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_later(when - self._time, callback, *args, context=context)

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> Any:
        return asyncio.Task(coro, loop=self, name=name, context=context)

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return asyncio.events._get_running_loop() is self

    def is_closed(self) -> bool:
        return False

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        pass

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        self.call_exception_handler(context)

    def get_exception_handler(self) -> None:
        return None

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Any, *args: Any
    ) -> Any:
        raise RuntimeError("workflows cannot run code in executors: use an activity")
