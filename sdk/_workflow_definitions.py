"""Workflow definitions: the decorators that mark a workflow class and its handlers, and
what the worker reads from them (:class:`_Definition`).

Re-exported by :mod:`sdk.workflow` (``defn``, ``run``, ``signal``, ``query``); use them from
there. ``@workflow.update`` and its definition live in :mod:`sdk._workflow_handlers`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from sdk._workflow_handlers import HandlerUnfinishedPolicy, _UpdateDefinition, collect_updates

ClassT = TypeVar("ClassT", bound=type)
CallableT = TypeVar("CallableT", bound=Callable[..., Any])


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
