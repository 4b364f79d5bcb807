"""Write activities: the decorator and the API activity code calls.

An activity is an ordinary function (``async def`` or plain ``def``) that does
the real-world work of a workflow: calls, I/O, anything non-deterministic. The
worker retries it according to the workflow's retry policy, so it should be
idempotent. Plain functions run in a thread pool.

Example:
    .. code-block:: python

        @activity.defn
        async def charge_customer(product: Product) -> None:
            activity.heartbeat("charging")
            ...

An activity may also be a method of a class whose object holds what the
activities need (clients, settings): decorate the method and register the bound
method, ``Worker(..., activities=[payments.charge])``; workflows refer to it
through the class, ``workflow.execute_activity(Payments.charge, ...)``.

Plain functions need a thread pool: ``Worker(..., activity_executor=ThreadPoolExecutor(8))``.
A cancellation reaches them as :class:`sdk.exceptions.CancelledError` raised in their thread
(unless ``@activity.defn(no_thread_cancel_exception=True)``), as in the official SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from sdk._workflow_handlers import RawValue
from sdk.exceptions import TempoError

__all__ = [
    "Info",
    "LoggerAdapter",
    "NotInActivityError",
    "RawValue",
    "defn",
    "heartbeat",
    "info",
    "is_cancelled",
    "logger",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
]

CallableT = TypeVar("CallableT", bound=Callable[..., Any])


class NotInActivityError(TempoError):
    """An activity-only function was called outside an activity."""


@dataclass(frozen=True)
class Info:
    """Facts about the running activity attempt, from :func:`info`.

    Attributes:
        activity_id: ID of the activity within its workflow.
        activity_type: Registered name of the activity.
        attempt: Attempt number, starting at 1.
        task_queue: Task queue the attempt was polled from.
        task_token: Opaque token identifying this attempt to the server.
        workflow_id: ID of the workflow that scheduled the activity.
        workflow_run_id: Run ID of that workflow.
        workflow_type: Type name of that workflow.
        workflow_namespace: Namespace of that workflow.
        heartbeat_details: Details of the last heartbeat of a previous attempt.
        heartbeat_timeout: Heartbeat timeout, if set.
        start_to_close_timeout: Limit on this attempt, if set.
        schedule_to_close_timeout: Limit on the whole activity, if set.
        scheduled_time: When the activity was first scheduled.
        started_time: When this attempt started.
    """

    activity_id: str
    activity_type: str
    attempt: int
    task_queue: str
    task_token: bytes
    workflow_id: str
    workflow_run_id: str
    workflow_type: str
    workflow_namespace: str
    heartbeat_details: list[Any]
    heartbeat_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime | None
    started_time: datetime | None


@dataclass(frozen=True)
class _Definition:
    name: str
    fn: Callable[..., Any]
    is_async: bool
    dynamic: bool = False
    """Runs every activity type the worker has no definition for; gets ``Sequence[RawValue]``."""
    no_thread_cancel_exception: bool = False


class _CancelSignal:
    """Set once when cancellation is requested; awaited by async activities and waited on
    by threads (it is set from the worker's event loop)."""

    def __init__(self) -> None:
        self._flag = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def set(self) -> None:
        with self._lock:
            self._flag.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def is_set(self) -> bool:
        return self._flag.is_set()

    def wait_sync(self, timeout: float | None) -> bool:
        return self._flag.wait(timeout)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._flag.is_set():
                return
            self._waiters.append((loop, future))
        await future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _CompleteAsyncError(BaseException):
    """Raised by :func:`raise_complete_async`; a BaseException so ``except Exception`` in the
    activity does not swallow it."""


class _Context:
    """What the worker provides to a running activity; found through a context variable."""

    def __init__(
        self,
        info: Info,
        heartbeat: Callable[[tuple[Any, ...]], None],
        is_cancelled: Callable[[], bool],
        *,
        cancelled: _CancelSignal | None = None,
        converter: Any = None,
        shield: Callable[[], contextlib.AbstractContextManager[None]] | None = None,
    ) -> None:
        self.info = info
        self.heartbeat = heartbeat
        self.is_cancelled = is_cancelled
        self.cancelled = cancelled if cancelled is not None else _CancelSignal()
        self.converter = converter
        self.shield = shield
        self.outbound_info: Callable[[], Info] | None = None
        """Set when worker interceptors wrap ``info()`` (their outbound chain)."""

    @staticmethod
    def current() -> _Context:
        context = _CURRENT.get(None)
        if context is None:
            raise NotInActivityError("this function can only be called from an activity run by a Tempo worker")
        return context


_CURRENT: contextvars.ContextVar[_Context] = contextvars.ContextVar("tempo_activity")


@overload
def defn(fn: CallableT) -> CallableT: ...


@overload
def defn(
    *, name: str | None = None, dynamic: bool = False, no_thread_cancel_exception: bool = False
) -> Callable[[CallableT], CallableT]: ...


def defn(
    fn: CallableT | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    no_thread_cancel_exception: bool = False,
) -> Any:
    """Mark a function as an activity.

    Args:
        fn: The function (when used as ``@activity.defn`` without parentheses).
        name: Activity type name; defaults to the function name.
        dynamic: Run every activity type the worker has no definition for. The function
            takes one parameter, ``Sequence[RawValue]``; :func:`info` names the type asked
            for, and :func:`payload_converter` decodes the values.
        no_thread_cancel_exception: For plain functions: do not raise
            :class:`sdk.exceptions.CancelledError` in the activity's thread on cancellation
            (it polls :func:`is_cancelled` or :func:`wait_for_cancelled_sync` instead).

    Returns:
        The same function, marked with its name.

    Raises:
        ValueError: Not a function, an empty name, or a name given to a dynamic activity.
    """

    def apply(target: CallableT) -> CallableT:
        if not callable(target) or inspect.isclass(target):
            raise ValueError(f"@activity.defn goes on a function, not on {target!r}")
        if dynamic and name is not None:
            raise ValueError("a dynamic activity has no name: it runs every unregistered activity type")
        activity_name = "" if dynamic else name if name is not None else getattr(target, "__name__", "")
        if not activity_name and not dynamic:
            raise ValueError("activity name must not be empty")
        target.__tempo_name__ = activity_name  # type: ignore[attr-defined]
        target.__tempo_activity_definition__ = _Definition(  # type: ignore[attr-defined]
            activity_name,
            target,
            inspect.iscoroutinefunction(target),
            dynamic=dynamic,
            no_thread_cancel_exception=no_thread_cancel_exception,
        )
        return target

    return apply(fn) if fn is not None else apply


def _definition(fn: Any) -> _Definition:
    defn_ = getattr(fn, "__tempo_activity_definition__", None)
    if not isinstance(defn_, _Definition):
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} is not an activity: decorate it with @activity.defn")
    if inspect.ismethod(fn) and fn.__func__ is defn_.fn:
        # A decorated method, bound to the object that holds the activity's
        # dependencies (a payment client, settings): the worker calls it bound.
        return dataclasses.replace(defn_, fn=fn)
    return defn_


def info() -> Info:
    """Facts about the current activity attempt.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    context = _Context.current()
    return context.outbound_info() if context.outbound_info is not None else context.info


def heartbeat(*details: Any) -> None:
    """Tell the server the activity is alive, optionally recording progress details.

    Heartbeats are sent in the background and throttled. The details of the last
    heartbeat reach the next attempt as ``info().heartbeat_details``. A
    cancellation requested by the workflow is delivered through the heartbeat
    response: ``async`` activities get ``asyncio.CancelledError`` raised at their
    current ``await``; plain functions see :func:`is_cancelled` become true and
    their next ``heartbeat()`` raises ``sdk.exceptions.CancelledError``.

    Args:
        *details: Serialisable progress details.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    _Context.current().heartbeat(details)


def is_cancelled() -> bool:
    """Whether cancellation of this activity has been requested.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    return _Context.current().is_cancelled()


async def wait_for_cancelled() -> None:
    """Wait until cancellation of this activity is requested (from an ``async`` activity).

    Raises:
        NotInActivityError: Not called from an activity.
    """
    await _Context.current().cancelled.wait()


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> bool:
    """Block until cancellation of this activity is requested or ``timeout`` passes (from a
    plain activity function).

    Returns:
        Whether cancellation was requested.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    return _Context.current().cancelled.wait_sync(seconds)


def raise_complete_async() -> None:
    """End the activity function without completing the activity: something else completes
    it later with its task token (``activity.info().task_token``), through
    ``client.get_async_activity_handle(task_token=...)``.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    _Context.current()
    raise _CompleteAsyncError()


def payload_converter() -> Any:
    """The worker's data converter (a ``sdk.converter.DataConverter``), to decode the
    :class:`RawValue` arguments of a dynamic activity: ``from_payload(value.payload, Type)``.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    return _Context.current().converter


@contextlib.contextmanager
def shield_thread_cancel_exception() -> Iterator[None]:
    """In a plain activity function, hold back the cancellation exception while the block
    runs; it is raised when the block ends (if cancellation was requested meanwhile)."""
    context = _CURRENT.get(None)
    if context is None or context.shield is None:
        yield
        return
    with context.shield():
        yield


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The activity logger: adds the running activity's details to each record, as the
    official SDK's does (appended to the message, and as ``temporal_activity`` in ``extra``).

    Attributes:
        activity_info_on_message: Append the details to the message.
        activity_info_on_extra: Put them in the record as ``temporal_activity``.
    """

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None = None) -> None:
        """Wrap ``logger``."""
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Add the activity's details, when called from an activity."""
        context = _CURRENT.get(None)
        if context is not None:
            details = _log_details(context.info)
            if self.activity_info_on_message:
                msg = f"{msg} ({details})"
            if self.activity_info_on_extra:
                kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {}), "temporal_activity": details}
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger."""
        return self.logger


def _log_details(info: Info) -> dict[str, Any]:
    return {
        "activity_id": info.activity_id,
        "activity_type": info.activity_type,
        "attempt": info.attempt,
        "namespace": info.workflow_namespace,
        "task_queue": info.task_queue,
        "workflow_id": info.workflow_id,
        "workflow_run_id": info.workflow_run_id,
        "workflow_type": info.workflow_type,
    }


logger = LoggerAdapter(logging.getLogger("sdk.activity"))
"""Log from activities through this: each record carries the activity's details."""
