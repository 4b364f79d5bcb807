"""Local activities: what workflow code calls (re-exported by :mod:`sdk.workflow`).

A local activity runs in the worker that runs the workflow, not through the server's task
queues: the worker runs it (with its retries and timeouts) while it holds the workflow task,
and records the outcome as a ``core_local_activity`` marker, as the official SDKs do.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sdk._client_types import RetryPolicy
from sdk._options import _check_name, _check_type, check_timeout
from sdk._workflow_options import ActivityCancellationType

_NO_ARG: Any = object()
"""``arg`` not given (None is an argument)."""

DEFAULT_LOCAL_RETRY_THRESHOLD = datetime.timedelta(minutes=1)
"""Backoffs up to this long are slept in the worker; longer ones become a workflow timer."""


@dataclass(frozen=True)
class LocalActivityOptions:
    """How to run a local activity: what :func:`start_local_activity` was given besides the
    activity and its arguments.

    Attributes:
        schedule_to_close_timeout: Limit on the whole activity, retries and backoffs included.
        schedule_to_start_timeout: Limit on the time before the first attempt starts.
        start_to_close_timeout: Limit on a single attempt.
        retry_policy: How failures are retried; ``None`` retries forever (1 s, doubling, at
            most 100 s apart), as the official SDKs do.
        local_retry_threshold: Longest backoff slept in the worker; a longer one is a timer.
        cancellation_type: What cancelling the handle does.
        activity_id: The activity's ID; defaults to its sequence number in the run.
        summary: A short description (kept for the caller; markers have no place for it).

    Raises:
        TypeError: A value of the wrong type.
        ValueError: Neither ``start_to_close_timeout`` nor ``schedule_to_close_timeout``, or a
            timeout that is not positive.
    """

    schedule_to_close_timeout: datetime.timedelta | None = None
    schedule_to_start_timeout: datetime.timedelta | None = None
    start_to_close_timeout: datetime.timedelta | None = None
    retry_policy: RetryPolicy | None = None
    local_retry_threshold: datetime.timedelta | None = None
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL
    activity_id: str | None = None
    summary: str | None = None

    def __post_init__(self) -> None:
        _check_type("cancellation_type", self.cancellation_type, ActivityCancellationType)
        for name in (
            "schedule_to_close_timeout",
            "schedule_to_start_timeout",
            "start_to_close_timeout",
            "local_retry_threshold",
        ):
            check_timeout(name, getattr(self, name))
        _check_type("retry_policy", self.retry_policy, RetryPolicy)
        _check_name("activity_id", self.activity_id, optional=True)
        if self.summary is not None and not isinstance(self.summary, str):
            raise TypeError(f"summary must be a str, not {type(self.summary).__name__}")
        if self.start_to_close_timeout is None and self.schedule_to_close_timeout is None:
            raise ValueError("needs start_to_close_timeout or schedule_to_close_timeout")


def start_local_activity(
    activity: Callable[..., Any] | str,
    *activity_args: Any,
    arg: Any = _NO_ARG,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: datetime.timedelta | None = None,
    schedule_to_start_timeout: datetime.timedelta | None = None,
    start_to_close_timeout: datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: datetime.timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    result_type: Any = None,
) -> asyncio.Future[Any]:
    """Run an activity in this worker and return a future for its result.

    The activity must be registered on the worker running the workflow. The worker runs it
    while it holds the workflow task (asking the server for a new task before the task would
    time out, if the activity runs long), retries it locally while the backoff is at most
    ``local_retry_threshold`` and otherwise waits on a workflow timer, and records its
    outcome in history as a marker: a replay takes the result from the marker without
    running the activity again.

    Cancelling the future (``handle.cancel()``) does what ``cancellation_type`` says:
    ``TRY_CANCEL`` and ``ABANDON`` stop waiting at once, ``WAIT_CANCELLATION_COMPLETED``
    waits for the running attempt to end. Awaiting it then raises ``ActivityError`` caused
    by ``CancelledError``.

    Args:
        activity: An ``@activity.defn`` function or the activity's name.
        *activity_args: Arguments for the activity; they must be serialisable.
        arg: The activity's one argument, as the official SDK takes it.
        args: The activity's arguments as a list, as the official SDK takes them.
        schedule_to_close_timeout: Limit on the whole activity, retries included.
        schedule_to_start_timeout: Limit on the time before the first attempt starts.
        start_to_close_timeout: Limit on a single attempt.
        retry_policy: How failures are retried; the default retries forever.
        local_retry_threshold: Longest backoff slept in the worker (default 1 minute).
        cancellation_type: What cancelling the future does.
        activity_id: The activity's ID; defaults to its sequence number.
        summary: A short description of the call.
        result_type: Type to decode the result into; defaults to the function's return hint.

    Returns:
        A future resolved with the result. As in the official SDK, an activity that failed
        raises its own error (``ApplicationError`` ...); one that timed out or was cancelled
        raises ``ActivityError`` whose cause is ``TimeoutError`` or ``CancelledError``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: No start-to-close or schedule-to-close timeout, or a timeout not positive.
        TypeError: An argument cannot be serialised or an option has the wrong type.
    """
    from sdk.workflow import _activity_name, _Runtime

    runtime = _Runtime.current()
    name, hint = _activity_name(activity)
    given = [form for form in (activity_args, () if arg is _NO_ARG else (arg,), tuple(args)) if form]
    if len(given) > 1:
        raise TypeError(f"local activity {name!r}: pass its arguments one way: positionally, as arg= or as args=")
    values = given[0] if given else ()
    try:
        options = LocalActivityOptions(
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            retry_policy=retry_policy,
            local_retry_threshold=local_retry_threshold,
            cancellation_type=cancellation_type,
            activity_id=activity_id,
            summary=summary,
        )
    except (TypeError, ValueError) as err:
        raise type(err)(f"local activity {name!r}: {err}") from None
    start = getattr(runtime, "workflow_start_local_activity", None)
    if start is None:
        raise RuntimeError("this workflow runtime cannot run local activities")
    future: asyncio.Future[Any] = start(name, values, options, result_type if result_type is not None else hint)
    return future


async def execute_local_activity(
    activity: Callable[..., Any] | str,
    *activity_args: Any,
    arg: Any = _NO_ARG,
    args: Sequence[Any] = (),
    schedule_to_close_timeout: datetime.timedelta | None = None,
    schedule_to_start_timeout: datetime.timedelta | None = None,
    start_to_close_timeout: datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: datetime.timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    result_type: Any = None,
) -> Any:
    """Run an activity in this worker and wait for its result; see :func:`start_local_activity`.

    Example:
        ``total = await workflow.execute_local_activity(add, 1, 2,
        start_to_close_timeout=timedelta(seconds=5))``
    """
    return await start_local_activity(
        activity,
        *activity_args,
        arg=arg,
        args=args,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        result_type=result_type,
    )


def start_local_activity_method(method: Callable[..., Any], *args: Any, **options: Any) -> asyncio.Future[Any]:
    """:func:`start_local_activity` for an activity that is a method of an object (the
    official SDK's spelling; the method's ``@activity.defn`` name is used)."""
    return start_local_activity(method, *args, **options)


async def execute_local_activity_method(method: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """:func:`execute_local_activity` for an activity that is a method of an object."""
    return await start_local_activity(method, *args, **options)
