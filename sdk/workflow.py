"""Write workflows: decorators for workflow classes and the API workflow code calls.

A workflow is a class decorated with :func:`defn` whose ``async`` :func:`run` method
holds the business logic. Workflow code must be deterministic: when a worker loses
its cached state it rebuilds it by running the same code against the recorded
event history, so every decision must come from the workflow's inputs, its
signals and the results of the steps it awaited. Use the functions in this module
(:func:`now`, :func:`random`, :func:`uuid4`, :func:`sleep`, :func:`execute_activity`,
...) instead of the clock, ``random`` or I/O. ``asyncio`` primitives (tasks,
``gather``, ``sleep``, ``wait_for``) work inside workflows and are durable.

Example:
    .. code-block:: python

        @workflow.defn
        class Order:
            def __init__(self) -> None:
                self.state = "new"

            @workflow.run
            async def run(self, product_id: int) -> str:
                await workflow.execute_activity(
                    charge, product_id, start_to_close_timeout=timedelta(seconds=5)
                )
                await workflow.wait_condition(lambda: self.state == "picked up")
                return self.state

            @workflow.signal
            def picked_up(self) -> None:
                self.state = "picked up"

            @workflow.query
            def status(self) -> str:
                return self.state
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random as _random
import uuid as _uuid
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sdk._client_types import RetryPolicy
from sdk._options import check_timeout
from sdk._workflow_asyncio import as_completed, time, time_ns, wait
from sdk._workflow_children import (
    ChildWorkflowHandle,
    ExternalWorkflowHandle,
    execute_child_workflow,
    get_external_workflow_handle,
    start_child_workflow,
)
from sdk._workflow_context import (
    ContextRuntime,
    Info,
    NotInWorkflowError,
    ParentInfo,
    RootInfo,
    deprecate_patch,
    get_last_completion_result,
    get_last_failure,
    has_last_completion_result,
    memo,
    memo_value,
    patched,
    upsert_memo,
    upsert_search_attributes,
)
from sdk._workflow_definitions import defn, query, run, signal
from sdk._workflow_handlers import (
    HandlerUnfinishedPolicy,
    RawValue,
    ReadOnlyContextError,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    update,
)
from sdk._workflow_local_activities import (
    LocalActivityOptions,
    execute_local_activity,
    execute_local_activity_method,
    start_local_activity,
    start_local_activity_method,
)
from sdk._workflow_options import (
    ActivityCancellationType,
    ActivityOptions,
    ChildWorkflowCancellationType,
    ChildWorkflowOptions,
    ParentClosePolicy,
)
from sdk._workflow_unsafe import unsafe
from sdk.exceptions import TempoError

__all__ = [
    "ActivityCancellationType",
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "HandlerUnfinishedPolicy",
    "Info",
    "LocalActivityOptions",
    "NondeterminismError",
    "NotInWorkflowError",
    "ParentClosePolicy",
    "ParentInfo",
    "RawValue",
    "ReadOnlyContextError",
    "RetryPolicy",
    "RootInfo",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "all_handlers_finished",
    "as_completed",
    "continue_as_new",
    "current_update_info",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_child_workflow",
    "execute_local_activity",
    "execute_local_activity_method",
    "get_external_workflow_handle",
    "get_last_completion_result",
    "get_last_failure",
    "has_last_completion_result",
    "in_workflow",
    "info",
    "is_replaying",
    "logger",
    "memo",
    "memo_value",
    "now",
    "patched",
    "payload_converter",
    "query",
    "random",
    "run",
    "signal",
    "sleep",
    "start_activity",
    "start_child_workflow",
    "start_local_activity",
    "start_local_activity_method",
    "time",
    "time_ns",
    "unsafe",
    "update",
    "upsert_memo",
    "upsert_search_attributes",
    "uuid4",
    "wait",
    "wait_condition",
]

METADATA_QUERY = "__temporal_workflow_metadata"
"""Built-in query listing a workflow's handlers (used by the TUI and the CLI)."""
STACK_TRACE_QUERY = "__stack_trace"
"""Built-in query returning the stacks of the workflow's tasks (``temporal workflow stack``)."""


class NondeterminismError(TempoError):
    """Workflow code did something different from what its history records.

    The workflow task fails and is retried, so deploying fixed code lets the
    workflow carry on; the workflow itself is not lost.
    """


class ContinueAsNewError(BaseException):
    """Raised by :func:`continue_as_new`; the worker turns it into the command.

    It derives from ``BaseException`` so that a broad ``except Exception`` in
    workflow code does not swallow it by accident.
    """

    def __init__(
        self,
        args: Sequence[Any],
        workflow: str | None,
        task_queue: str | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__("continue as new")
        self.input_args = list(args)
        self.workflow = workflow
        self.task_queue = task_queue
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.headers = dict(headers or {})
        """Header payloads of the new run (set by workflow interceptors)."""


# --- runtime --------------------------------------------------------------------------------


class _Runtime(ContextRuntime):
    """What the public functions need from the worker's workflow instance.

    The instance is the running event loop, so there is no global state: code
    outside a workflow simply has no such loop.
    """

    @staticmethod
    def current() -> _Runtime:
        runtime = _Runtime.maybe_current()
        if runtime is None:
            raise NotInWorkflowError("this function can only be called from workflow code run by a Tempo worker")
        return runtime

    @staticmethod
    def maybe_current() -> _Runtime | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return loop if isinstance(loop, _Runtime) else None

    @abstractmethod
    def workflow_info(self) -> Info: ...

    @abstractmethod
    def workflow_now(self) -> datetime: ...

    @abstractmethod
    def workflow_random(self) -> _random.Random: ...

    @abstractmethod
    def workflow_is_replaying(self) -> bool: ...

    @abstractmethod
    def workflow_start_activity(
        self, activity: str, args: Sequence[Any], options: ActivityOptions, result_type: Any
    ) -> asyncio.Future[Any]: ...

    @abstractmethod
    async def workflow_wait_condition(self, fn: Callable[[], bool], timeout: float | None) -> None: ...

    @abstractmethod
    async def workflow_start_child_workflow(
        self, workflow: str, args: Sequence[Any], options: ChildWorkflowOptions, result_type: Any
    ) -> ChildWorkflowHandle: ...

    @abstractmethod
    def workflow_cancel_child(self, handle: ChildWorkflowHandle, msg: Any) -> bool: ...

    @abstractmethod
    async def workflow_signal_external(
        self, workflow_id: str, run_id: str | None, child_only: bool, signal: str, args: Sequence[Any]
    ) -> None: ...

    @abstractmethod
    async def workflow_cancel_external(self, workflow_id: str, run_id: str | None, reason: str) -> None: ...

    @abstractmethod
    def workflow_all_handlers_finished(self) -> bool: ...

    @abstractmethod
    def workflow_current_update_info(self) -> UpdateInfo | None: ...

    @abstractmethod
    def workflow_payload_converter(self) -> Any: ...

    def workflow_continue_as_new(self, error: ContinueAsNewError) -> NoReturn:
        """Raise ``error`` (a worker passes it through its workflow interceptors first)."""
        raise error


def in_workflow() -> bool:
    """Whether the caller is workflow code run by a worker."""
    return _Runtime.maybe_current() is not None


def info() -> Info:
    """Facts about the current workflow run.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_info()


def now() -> datetime:
    """The current workflow time (UTC, timezone-aware).

    It is the time of the current workflow task and stays the same when the task
    is replayed, unlike ``datetime.now()``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_now()


def random() -> _random.Random:
    """A deterministic random number generator, seeded per workflow run.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_random()


def uuid4() -> _uuid.UUID:
    """A version 4 UUID that is the same every time the workflow replays.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _uuid.UUID(int=_Runtime.current().workflow_random().getrandbits(128), version=4)


def is_replaying() -> bool:
    """Whether the workflow is replaying history rather than making progress.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_is_replaying()


def all_handlers_finished() -> bool:
    """Whether no signal or update handler is running.

    Wait for it before returning from the run method, so that updates in progress
    get their answers: ``await workflow.wait_condition(workflow.all_handlers_finished)``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_all_handlers_finished()


def current_update_info() -> UpdateInfo | None:
    """The update whose handler or validator (or a task it started) runs this code; else None.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_current_update_info()


def payload_converter() -> Any:
    """The worker's data converter (a ``sdk.converter.DataConverter``), to decode the
    :class:`RawValue` arguments of dynamic handlers: ``from_payload(value.payload, Type)``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    return _Runtime.current().workflow_payload_converter()


def _seconds(value: float | timedelta | None, what: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return seconds


async def sleep(duration: float | timedelta) -> None:
    """Wait durably: a server-side timer that survives worker restarts.

    ``asyncio.sleep`` inside a workflow does the same.

    Args:
        duration: Seconds or a ``timedelta``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: Negative duration.
    """
    _Runtime.current()
    await asyncio.sleep(_seconds(duration, "sleep duration") or 0)


async def wait_condition(fn: Callable[[], bool], *, timeout: float | timedelta | None = None) -> None:
    """Wait until ``fn()`` is true, re-checked whenever workflow state may have changed.

    Args:
        fn: A side-effect-free predicate over workflow state.
        timeout: Give up after this long (a durable timer).

    Raises:
        asyncio.TimeoutError: The timeout fired before the condition held (as in the
            official SDK; it is the builtin ``TimeoutError``).
        NotInWorkflowError: Not called from workflow code.
    """
    await _Runtime.current().workflow_wait_condition(fn, _seconds(timeout, "timeout"))


def _activity_name(activity: Callable[..., Any] | str) -> tuple[str, Any]:
    if isinstance(activity, str):
        if not activity:
            raise ValueError("activity name must not be empty")
        return activity, None
    name = getattr(activity, "__tempo_name__", None)
    if not isinstance(name, str) or getattr(activity, "__tempo_activity_definition__", None) is None:
        raise TypeError(
            f"{getattr(activity, '__qualname__', activity)!r} is not an activity: "
            "decorate it with @activity.defn or pass the activity name as a string"
        )
    try:
        hints = inspect.get_annotations(activity, eval_str=True)
    except Exception:
        hints = {}
    return name, hints.get("return")


def start_activity(
    activity: Callable[..., Any] | str,
    *args: Any,
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    result_type: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
) -> asyncio.Future[Any]:
    """Schedule an activity and return a future for its result.

    Cancelling the future (``handle.cancel()``, or cancelling the task awaiting
    it) does what ``cancellation_type`` says; by default (``TRY_CANCEL``) it asks the
    server to cancel the activity and stops waiting at once. Awaiting a cancelled
    activity raises ``ActivityError`` whose cause is ``CancelledError``, as in the
    official SDK. A running activity learns of the request through its next heartbeat.

    Args:
        activity: An ``@activity.defn`` function or the activity's name.
        *args: Arguments for the activity; they must be serialisable.
        task_queue: Task queue for the activity; defaults to the workflow's.
        schedule_to_close_timeout: Limit on the whole activity including retries.
        schedule_to_start_timeout: Limit on the time an attempt waits for a worker.
        start_to_close_timeout: Limit on a single attempt.
        heartbeat_timeout: Limit between heartbeats of a running attempt.
        retry_policy: How failures are retried; the server's default retries forever.
        result_type: Type to decode the result into; defaults to the function's
            return annotation.
        cancellation_type: What cancelling the future does: ``TRY_CANCEL`` (ask and
            stop waiting), ``WAIT_CANCELLATION_COMPLETED`` (ask and wait until the
            activity's worker acknowledged) or ``ABANDON`` (stop waiting, ask nothing).

    Returns:
        A future resolved with the result, or failed with ``ActivityError``.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: Neither ``start_to_close_timeout`` nor ``schedule_to_close_timeout`` given,
            or a timeout that is not positive.
        TypeError: An argument cannot be serialised, ``activity`` is not an activity, or an
            option has the wrong type (a number of seconds for a timeout, say).
    """
    runtime = _Runtime.current()
    name, hint = _activity_name(activity)
    try:
        options = ActivityOptions(
            task_queue=task_queue,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout,
            retry_policy=retry_policy,
            cancellation_type=cancellation_type,
        )
    except (TypeError, ValueError) as err:
        raise type(err)(f"activity {name!r}: {err}") from None
    return runtime.workflow_start_activity(name, args, options, result_type if result_type is not None else hint)


async def execute_activity(
    activity: Callable[..., Any] | str,
    *args: Any,
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    result_type: Any = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
) -> Any:
    """Run an activity and wait for its result; see :func:`start_activity` for the arguments.

    Returns:
        The activity's result.

    Raises:
        ActivityError: The activity failed after its retries, timed out or was cancelled;
            the reason is its ``cause``.
    """
    return await start_activity(
        activity,
        *args,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        result_type=result_type,
        cancellation_type=cancellation_type,
    )


def continue_as_new(
    *args: Any,
    workflow: Callable[..., Any] | str | None = None,
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
) -> Any:
    """End this run and start a fresh one of the same workflow with a new, empty history.

    This function does not return: it raises :class:`ContinueAsNewError`, which
    must propagate out of the run method.

    Args:
        *args: Arguments for the new run.
        workflow: Run method or name of the workflow type to continue as; defaults to this one.
        task_queue: Task queue for the new run; defaults to this one.
        run_timeout: Run timeout for the new run.
        task_timeout: Workflow task timeout for the new run.

    Raises:
        ContinueAsNewError: Always.
        NotInWorkflowError: Not called from workflow code.
        TypeError: A timeout that is not a ``timedelta``.
        ValueError: A timeout that is not positive.
    """
    runtime = _Runtime.current()
    for option, value in (("run_timeout", run_timeout), ("task_timeout", task_timeout)):
        check_timeout(option, value)
    workflow_name: str | None
    if workflow is None or isinstance(workflow, str):
        workflow_name = workflow
    else:
        workflow_name = getattr(workflow, "__tempo_name__", None)
        if workflow_name is None:
            raise TypeError(f"{workflow!r} is not a @workflow.run method")
    runtime.workflow_continue_as_new(ContinueAsNewError(args, workflow_name, task_queue, run_timeout, task_timeout))


class _ReplayAwareLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Drops records while replaying, so each message is logged once per workflow."""

    def isEnabledFor(self, level: int) -> bool:
        runtime = _Runtime.maybe_current()
        if runtime is not None and runtime.workflow_is_replaying():
            return False
        return super().isEnabledFor(level)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        runtime = _Runtime.maybe_current()
        if runtime is not None:
            wf = runtime.workflow_info()
            extra = {"workflow_id": wf.workflow_id, "run_id": wf.run_id}
            kwargs["extra"] = {**extra, **(kwargs.get("extra") or {})}
            msg = f"{msg} ({wf.workflow_type} {wf.workflow_id}/{wf.run_id})"
        return msg, kwargs


logger = _ReplayAwareLogger(logging.getLogger("sdk.workflow"), {})
"""A logger for workflow code: it stays silent while the workflow replays."""
