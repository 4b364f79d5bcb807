"""`sdk.testing.ActivityEnvironment`: run one activity function as a worker would, without a
server, to test its heartbeats and how it takes cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import inspect
from collections.abc import Callable
from typing import Any

from sdk import activity
from sdk.converter import DataConverter
from sdk.worker._thread_cancel import ThreadCancelRaiser


def default_info() -> activity.Info:
    """The :class:`sdk.activity.Info` an activity sees in an :class:`ActivityEnvironment` unless
    the test sets its own (attempt 1 of ``test`` in workflow ``test``)."""
    now = datetime.datetime.now(datetime.UTC)
    return activity.Info(
        activity_id="test",
        activity_type="unknown",
        attempt=1,
        task_queue="test",
        task_token=b"test",
        workflow_id="test",
        workflow_run_id="test-run",
        workflow_type="test",
        workflow_namespace="default",
        heartbeat_details=[],
        heartbeat_timeout=None,
        start_to_close_timeout=datetime.timedelta(seconds=1),
        schedule_to_close_timeout=datetime.timedelta(seconds=1),
        scheduled_time=now,
        started_time=now,
    )


class ActivityEnvironment:
    """Runs activity functions with an activity context of its own, as the official SDK's
    ``ActivityEnvironment`` does.

    Example::

        env = ActivityEnvironment()
        beats = []
        env.on_heartbeat = lambda *details: beats.append(details)
        assert await env.run(charge, order) == "charged"

    Attributes:
        info: What :func:`sdk.activity.info` returns inside the activity.
        on_heartbeat: Called with the details of every :func:`sdk.activity.heartbeat`.
    """

    def __init__(self) -> None:
        self.info = default_info()
        self.on_heartbeat: Callable[..., None] = lambda *details: None
        self._cancelled = False
        self._cancel_signal = activity._CancelSignal()
        self._task: asyncio.Task[Any] | None = None
        # Async functions get the cancellation raised at their current await; plain ones in
        # their thread, as a worker with a thread pool delivers it.
        self._thread_raiser: ThreadCancelRaiser | None = None

    def cancel(self) -> None:
        """Request cancellation, as a workflow would: an ``async`` activity gets
        ``asyncio.CancelledError`` at its current ``await``; a plain function gets
        :class:`sdk.exceptions.CancelledError` raised in the thread that runs it (unless it
        is defined with ``no_thread_cancel_exception=True``); both see
        :func:`sdk.activity.is_cancelled` become true."""
        self._cancelled = True
        self._cancel_signal.set()
        if self._thread_raiser is not None:
            self._thread_raiser.request()
        if self._task is not None and not self._task.done():
            self._task.get_loop().call_soon_threadsafe(self._task.cancel)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` as the activity. For an ``async`` function this returns an
        awaitable of its result; a plain function runs here and its result is returned."""
        context = activity._Context(
            self.info,
            self._heartbeat,
            lambda: self._cancelled,
            cancelled=self._cancel_signal,
            converter=DataConverter(),
            shield=lambda: self._thread_raiser.shielded() if self._thread_raiser else contextlib.nullcontext(),
        )
        variables = contextvars.copy_context()
        variables.run(activity._CURRENT.set, context)
        if inspect.iscoroutinefunction(fn):
            return self._run_async(fn, args, variables)
        definition = getattr(fn, "__tempo_activity_definition__", None)
        if definition is not None and definition.no_thread_cancel_exception:
            return variables.run(fn, *args)
        self._thread_raiser = ThreadCancelRaiser()
        if self._cancelled:
            self._thread_raiser.request()
        try:
            with self._thread_raiser.running_in_this_thread():
                return variables.run(fn, *args)
        finally:
            self._thread_raiser = None

    async def _run_async(self, fn: Callable[..., Any], args: tuple[Any, ...], variables: contextvars.Context) -> Any:
        self._task = asyncio.get_running_loop().create_task(fn(*args), context=variables)
        if self._cancelled:
            self._task.cancel()
        try:
            return await self._task
        finally:
            self._task = None

    def _heartbeat(self, details: tuple[Any, ...]) -> None:
        self.on_heartbeat(*details)
