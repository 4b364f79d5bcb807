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
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from sdk.exceptions import TempoError

__all__ = ["Info", "NotInActivityError", "defn", "heartbeat", "info", "is_cancelled"]

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


class _Context:
    """What the worker provides to a running activity; found through a context variable."""

    def __init__(
        self,
        info: Info,
        heartbeat: Callable[[tuple[Any, ...]], None],
        is_cancelled: Callable[[], bool],
    ) -> None:
        self.info = info
        self.heartbeat = heartbeat
        self.is_cancelled = is_cancelled

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
def defn(*, name: str | None = None) -> Callable[[CallableT], CallableT]: ...


def defn(fn: CallableT | None = None, *, name: str | None = None) -> Any:
    """Mark a function as an activity.

    Args:
        fn: The function (when used as ``@activity.defn`` without parentheses).
        name: Activity type name; defaults to the function name.

    Returns:
        The same function, marked with its name.

    Raises:
        ValueError: Not a function, or an empty name.
    """

    def apply(target: CallableT) -> CallableT:
        if not callable(target) or inspect.isclass(target):
            raise ValueError(f"@activity.defn goes on a function, not on {target!r}")
        activity_name = name if name is not None else getattr(target, "__name__", "")
        if not activity_name:
            raise ValueError("activity name must not be empty")
        target.__tempo_name__ = activity_name  # type: ignore[attr-defined]
        target.__tempo_activity_definition__ = _Definition(  # type: ignore[attr-defined]
            activity_name, target, inspect.iscoroutinefunction(target)
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
        return _Definition(defn_.name, fn, defn_.is_async)
    return defn_


def info() -> Info:
    """Facts about the current activity attempt.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    return _Context.current().info


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
        CancelledError: (plain functions only) cancellation was requested.
    """
    _Context.current().heartbeat(details)


def is_cancelled() -> bool:
    """Whether cancellation of this activity has been requested.

    Raises:
        NotInActivityError: Not called from an activity.
    """
    return _Context.current().is_cancelled()
