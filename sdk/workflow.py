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
import dataclasses
import inspect
import logging
import random as _random
import uuid as _uuid
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from sdk._client_types import RetryPolicy
from sdk._options import (
    ActivityCancellationType,
    ActivityOptions,
    ChildWorkflowCancellationType,
    ChildWorkflowOptions,
    ParentClosePolicy,
    check_timeout,
)
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
from sdk._workflow_handlers import (
    HandlerUnfinishedPolicy,
    RawValue,
    ReadOnlyContextError,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    _UpdateDefinition,
    collect_updates,
    update,
)
from sdk._workflow_local_activities import (
    LocalActivityOptions,
    execute_local_activity,
    execute_local_activity_method,
    start_local_activity,
    start_local_activity_method,
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

ClassT = TypeVar("ClassT", bound=type)
CallableT = TypeVar("CallableT", bound=Callable[..., Any])

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
    ) -> None:
        super().__init__("continue as new")
        self.input_args = list(args)
        self.workflow = workflow
        self.task_queue = task_queue
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout


# --- definitions --------------------------------------------------------------------------


@dataclass(frozen=True)
class _SignalDefinition:
    name: str
    fn: Callable[..., Any]
    is_async: bool
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON


@dataclass(frozen=True)
class _QueryDefinition:
    name: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class _Definition:
    """Everything the worker needs to know about a workflow class; stored on the class."""

    name: str
    cls: type
    run_fn: Callable[..., Awaitable[Any]]
    signals: Mapping[str, _SignalDefinition] = field(default_factory=dict)
    queries: Mapping[str, _QueryDefinition] = field(default_factory=dict)
    dynamic_signal: _SignalDefinition | None = None
    """Receives signals no other handler is named for, as ``(name, args)``."""
    updates: Mapping[str, _UpdateDefinition] = field(default_factory=dict)
    dynamic_update: _UpdateDefinition | None = None
    dynamic_query: _QueryDefinition | None = None
    sandboxed: bool = True
    """Whether the worker refuses nondeterministic calls in this workflow's code."""
    dynamic: bool = False
    """Runs every workflow type the worker has no class for; ``run`` gets ``Sequence[RawValue]``."""
    failure_exception_types: tuple[type[BaseException], ...] = ()
    """Exceptions that fail the workflow rather than its workflow task."""

    @staticmethod
    def from_class(cls: Any) -> _Definition:
        """The definition of a ``@workflow.defn`` class, or a clear error."""
        defn = getattr(cls, "__tempo_workflow_definition__", None) if isinstance(cls, type) else None
        if not isinstance(defn, _Definition) or defn.cls is not cls:
            name = getattr(cls, "__qualname__", repr(cls))
            raise TypeError(f"{name} is not a workflow class: decorate it with @workflow.defn")
        return defn


_RUN_MARK = "__tempo_workflow_run__"
_SIGNAL_MARK = "__tempo_workflow_signal__"
_DYNAMIC_SIGNAL_MARK = "__tempo_workflow_dynamic_signal__"
_QUERY_MARK = "__tempo_workflow_query__"
_DYNAMIC_QUERY_MARK = "__tempo_workflow_dynamic_query__"
_POLICY_MARK = "__tempo_unfinished_policy__"


@overload
def defn(cls: ClassT) -> ClassT: ...


@overload
def defn(
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
) -> Callable[[ClassT], ClassT]: ...


def defn(
    cls: ClassT | None = None,
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
) -> Any:
    """Mark a class as a workflow.

    The class needs exactly one ``async`` method decorated with :func:`run`, and
    may have :func:`signal`, :func:`query` and :func:`update` handlers. All problems found are
    reported together in one ``ValueError`` when the class is defined.

    Args:
        cls: The class (when used as ``@workflow.defn`` without parentheses).
        name: Workflow type name; defaults to the class name.
        sandboxed: With False, the worker does not watch this workflow's code for
            nondeterministic calls (the clock, I/O, ...), which makes its workflow tasks
            cheaper in CPU; the official SDK's option of this name turns off its sandbox.
        dynamic: Run every workflow type the worker has no class for; the ``run`` method
            takes one parameter, ``Sequence[RawValue]`` (``info().workflow_type`` names
            the type).
        failure_exception_types: Exceptions (and subclasses) that fail the workflow when
            its code raises them, instead of failing the workflow task (added to the
            worker's ``workflow_failure_exception_types``).

    Returns:
        The same class, with its definition attached.

    Raises:
        ValueError: The class is not a valid workflow definition.
    """

    def apply(target: ClassT) -> ClassT:
        if dynamic and name is not None:
            raise ValueError("a dynamic workflow has no name: it runs every unregistered workflow type")
        _apply_definition(target, "" if dynamic else name, sandboxed, dynamic)
        definition = target.__tempo_workflow_definition__  # type: ignore[attr-defined]
        target.__tempo_workflow_definition__ = dataclasses.replace(  # type: ignore[attr-defined]
            definition, dynamic=dynamic, failure_exception_types=tuple(failure_exception_types)
        )
        return target

    return apply(cls) if cls is not None else apply


def _apply_definition(cls: type, name: str | None, sandboxed: bool = True, dynamic: bool = False) -> None:
    if not isinstance(cls, type):
        raise ValueError(f"@workflow.defn goes on a class, not on {cls!r}")
    type_name = name if name is not None else cls.__name__
    issues: list[str] = []
    if not type_name and not dynamic:
        issues.append("workflow name must not be empty")
    run_fns: list[Callable[..., Any]] = []
    signals: dict[str, _SignalDefinition] = {}
    queries: dict[str, _QueryDefinition] = {}
    dynamic_signals: list[_SignalDefinition] = []
    dynamic_queries: list[_QueryDefinition] = []
    members = inspect.getmembers(cls)
    updates, dynamic_update = collect_updates(members, issues)
    for attr, member in members:
        if getattr(member, _RUN_MARK, False):
            run_fns.append(member)
            if not inspect.iscoroutinefunction(member):
                issues.append(f"@workflow.run method {attr} must be 'async def'")
        policy = getattr(member, _POLICY_MARK, HandlerUnfinishedPolicy.WARN_AND_ABANDON)
        if getattr(member, _DYNAMIC_SIGNAL_MARK, False):
            dynamic_signals.append(_SignalDefinition("", member, inspect.iscoroutinefunction(member), policy))
        if getattr(member, _DYNAMIC_QUERY_MARK, False):
            dynamic_queries.append(_QueryDefinition("", member))
        sig_name = getattr(member, _SIGNAL_MARK, None)
        if sig_name is not None:
            if sig_name in signals:
                issues.append(f"signal name {sig_name!r} is used by two methods")
            signals[sig_name] = _SignalDefinition(sig_name, member, inspect.iscoroutinefunction(member), policy)
        query_name = getattr(member, _QUERY_MARK, None)
        if query_name is not None:
            if query_name in queries:
                issues.append(f"query name {query_name!r} is used by two methods")
            if query_name.startswith("__"):
                issues.append(f"query name {query_name!r} is reserved (starts with '__')")
            if inspect.iscoroutinefunction(member):
                issues.append(
                    f"@workflow.query method {attr} must not be 'async def': queries read state, they cannot wait"
                )
            queries[query_name] = _QueryDefinition(query_name, member)
    if not run_fns:
        issues.append("no method is decorated with @workflow.run")
    elif len(run_fns) > 1:
        names = ", ".join(sorted(f.__name__ for f in run_fns))
        issues.append(f"only one @workflow.run method is allowed, found {names}")
    init_params = list(inspect.signature(cls).parameters.values())
    required = [p.name for p in init_params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        issues.append(f"__init__ must take no arguments besides self (the worker creates the object), got {required}")
    if len(dynamic_signals) > 1:
        names = ", ".join(sorted(d.fn.__name__ for d in dynamic_signals))
        issues.append(f"only one dynamic signal handler is allowed, found {names}")
    if len(dynamic_queries) > 1:
        names = ", ".join(sorted(d.fn.__name__ for d in dynamic_queries))
        issues.append(f"only one dynamic query handler is allowed, found {names}")
    for handler in dynamic_queries:
        if inspect.iscoroutinefunction(handler.fn):
            issues.append(f"dynamic query handler {handler.fn.__name__} must not be 'async def'")
    if issues:
        raise ValueError(f"invalid workflow class {cls.__qualname__}: " + "; ".join(issues))
    run_fn = run_fns[0]
    # Let clients resolve the type name from the method: client.start_workflow(Order.run, ...).
    run_fn.__tempo_name__ = type_name  # type: ignore[attr-defined]
    cls.__tempo_workflow_definition__ = _Definition(  # type: ignore[attr-defined]
        type_name,
        cls,
        run_fn,
        signals,
        queries,
        dynamic_signals[0] if dynamic_signals else None,
        updates,
        dynamic_update,
        dynamic_queries[0] if dynamic_queries else None,
        sandboxed,
    )
    cls.__tempo_name__ = type_name  # type: ignore[attr-defined]


def run(fn: CallableT) -> CallableT:
    """Mark the ``async`` method that runs the workflow; its return value is the result.

    Args:
        fn: The method.

    Returns:
        The same method, marked.
    """
    setattr(fn, _RUN_MARK, True)
    return fn


@overload
def signal(fn: CallableT) -> CallableT: ...


@overload
def signal(
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> Callable[[CallableT], CallableT]: ...


def signal(
    fn: CallableT | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> Any:
    """Mark a method as a signal handler; it may be ``async``.

    Signal handlers change workflow state; their return value is ignored. An
    ``async`` handler runs as a workflow task and may await activities or timers.
    A signal with no handler is logged and dropped, unless the class has a
    dynamic handler.

    Args:
        fn: The method (when used without parentheses).
        name: Signal name; defaults to the method name.
        dynamic: Make this the handler of every signal without a handler of its
            own; it is called as ``handler(signal_name, args)`` with ``args`` a
            sequence of :class:`RawValue` (decode each with :func:`payload_converter`).
        unfinished_policy: Whether to warn if the workflow finishes while this
            (``async``) handler runs.

    Returns:
        The method, marked.

    Raises:
        ValueError: Both ``name`` and ``dynamic`` given, or an empty name.
    """

    def apply(target: CallableT) -> CallableT:
        setattr(target, _POLICY_MARK, HandlerUnfinishedPolicy(unfinished_policy))
        if dynamic:
            if name is not None:
                raise ValueError("a dynamic signal handler has no name")
            setattr(target, _DYNAMIC_SIGNAL_MARK, True)
            return target
        signal_name = name if name is not None else target.__name__
        if not signal_name:
            raise ValueError("signal name must not be empty")
        setattr(target, _SIGNAL_MARK, signal_name)
        target.__tempo_name__ = signal_name  # type: ignore[attr-defined]
        return target

    return apply(fn) if fn is not None else apply


@overload
def query(fn: CallableT) -> CallableT: ...


@overload
def query(*, name: str | None = None, dynamic: bool = False) -> Callable[[CallableT], CallableT]: ...


def query(fn: CallableT | None = None, *, name: str | None = None, dynamic: bool = False) -> Any:
    """Mark a plain (non-``async``) method as a query handler.

    A query reads workflow state and returns it; it must not change state or
    start any step. If it raises, the caller gets a query failure.

    Args:
        fn: The method (when used without parentheses).
        name: Query name; defaults to the method name.
        dynamic: Make this the handler of every query without a handler of its own;
            it is called as ``handler(query_name, args)`` with ``args`` a sequence of
            :class:`RawValue`.

    Returns:
        The method, marked.
    """

    def apply(target: CallableT) -> CallableT:
        if dynamic:
            if name is not None:
                raise ValueError("a dynamic query handler has no name")
            setattr(target, _DYNAMIC_QUERY_MARK, True)
            return target
        query_name = name if name is not None else target.__name__
        if not query_name:
            raise ValueError("query name must not be empty")
        setattr(target, _QUERY_MARK, query_name)
        target.__tempo_name__ = query_name  # type: ignore[attr-defined]
        return target

    return apply(fn) if fn is not None else apply


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
    _Runtime.current()
    for option, value in (("run_timeout", run_timeout), ("task_timeout", task_timeout)):
        check_timeout(option, value)
    workflow_name: str | None
    if workflow is None or isinstance(workflow, str):
        workflow_name = workflow
    else:
        workflow_name = getattr(workflow, "__tempo_name__", None)
        if workflow_name is None:
            raise TypeError(f"{workflow!r} is not a @workflow.run method")
    raise ContinueAsNewError(args, workflow_name, task_queue, run_timeout, task_timeout)


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
