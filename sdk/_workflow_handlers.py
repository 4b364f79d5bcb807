"""Update handlers and what signal, query and update handlers share: the ``@workflow.update``
decorator, its validator, dynamic handlers' raw arguments and the policy for handlers still
running when the workflow finishes. Import these from ``sdk.workflow``.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from temporalio.api.common.v1 import message_pb2 as common

CallableT = TypeVar("CallableT", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R", covariant=True)

_UPDATE_MARK = "__tempo_workflow_update__"


class HandlerUnfinishedPolicy(enum.IntEnum):
    """What happens to a signal or update handler still running when the workflow finishes.

    Either way the handler is abandoned (an update's caller gets an error instead of the
    result); the policy only says whether the worker warns about it.
    """

    WARN_AND_ABANDON = 1
    """Warn (:class:`UnfinishedUpdateHandlersWarning`, :class:`UnfinishedSignalHandlersWarning`)."""
    ABANDON = 2
    """Abandon it silently."""


class ReadOnlyContextError(RuntimeError):
    """A query handler or an update validator tried to change the workflow (start a timer,
    an activity, ...); they may only read its state. It fails the workflow task."""


class UnfinishedUpdateHandlersWarning(RuntimeWarning):
    """The workflow finished while update handlers were still running."""


class UnfinishedSignalHandlersWarning(RuntimeWarning):
    """The workflow finished while signal handlers were still running."""


@dataclass(frozen=True)
class RawValue:
    """An argument of a dynamic handler, not decoded yet.

    Decode it with ``workflow.payload_converter().from_payload(value.payload, SomeType)``.
    """

    payload: common.Payload


@dataclass(frozen=True)
class UpdateInfo:
    """The update whose handler (or validator) is running, from :func:`current_update_info`."""

    id: str
    name: str


class _UpdateSpec:
    """What ``@workflow.update`` records on the method; the class decorator reads it."""

    def __init__(self, name: str | None, policy: HandlerUnfinishedPolicy) -> None:
        self.name = name
        """The update's name; None for the dynamic handler."""
        self.policy = policy
        self.validator: Callable[..., Any] | None = None

    def set_validator(self, fn: CallableT) -> CallableT:
        if inspect.iscoroutinefunction(fn):
            raise ValueError(f"update validator {fn.__qualname__} must not be 'async def': it cannot wait")
        if self.validator is not None:
            raise ValueError(f"update {self.name or '(dynamic)'} already has a validator")
        self.validator = fn
        return fn


@dataclass(frozen=True)
class _UpdateDefinition:
    name: str
    """Empty for the dynamic handler."""
    fn: Callable[..., Any]
    is_async: bool
    validator: Callable[..., Any] | None
    unfinished_policy: HandlerUnfinishedPolicy


class UpdateMethod(Protocol[P, R]):
    """What ``@workflow.update`` makes of a method: the method, with a ``validator`` decorator."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def validator(self, fn: Callable[P, None]) -> Callable[P, None]:
        """Declare the method that checks the update's arguments first (raise to refuse it)."""
        ...


@overload
def update(fn: Callable[P, R]) -> UpdateMethod[P, R]: ...


@overload
def update(
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> Callable[[Callable[P, R]], UpdateMethod[P, R]]: ...


def update(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> Any:
    """Mark a method as an update handler; it may be ``async``.

    An update is a request a client sends and waits on: the handler may change workflow
    state, wait (if ``async``) and returns the caller's answer. An optional validator,
    declared with ``@<handler>.validator`` on a plain method taking the same arguments,
    runs first and refuses the update by raising; a refused update leaves no trace in
    history. If the handler raises an ``ApplicationError`` (any ``FailureError``) the
    update fails and the workflow carries on; any other exception fails the workflow task.

    Example:
        .. code-block:: python

            @workflow.update
            def add(self, amount: int) -> int:
                self.total += amount
                return self.total

            @add.validator
            def check_add(self, amount: int) -> None:
                if amount < 0:
                    raise ValueError("negative amounts are refused")

    Args:
        fn: The method (when used without parentheses).
        name: Update name; defaults to the method name.
        dynamic: Make this the handler of every update without a handler of its own; it
            is called as ``handler(update_name, args)`` with ``args`` a sequence of
            :class:`RawValue`.
        unfinished_policy: Whether to warn if the workflow finishes while this handler runs.

    Returns:
        The method, marked, with a ``validator`` decorator attribute.

    Raises:
        ValueError: Both ``name`` and ``dynamic`` given, or an empty name.
    """

    def apply(target: Callable[..., Any]) -> Any:
        if dynamic and name is not None:
            raise ValueError("a dynamic update handler has no name")
        update_name = None if dynamic else (name if name is not None else target.__name__)
        if update_name == "":
            raise ValueError("update name must not be empty")
        spec = _UpdateSpec(update_name, HandlerUnfinishedPolicy(unfinished_policy))
        setattr(target, _UPDATE_MARK, spec)
        target.validator = spec.set_validator  # type: ignore[attr-defined]
        if update_name is not None:
            target.__tempo_name__ = update_name  # type: ignore[attr-defined]
        return target

    return apply(fn) if fn is not None else apply


def collect_updates(
    members: Sequence[tuple[str, Any]], issues: list[str]
) -> tuple[dict[str, _UpdateDefinition], _UpdateDefinition | None]:
    """The update handlers among a class's members (named, and the dynamic one); problems
    go to ``issues``."""
    updates: dict[str, _UpdateDefinition] = {}
    dynamic: list[_UpdateDefinition] = []
    for _, member in members:
        spec = getattr(member, _UPDATE_MARK, None)
        if not isinstance(spec, _UpdateSpec):
            continue
        definition = _UpdateDefinition(
            spec.name or "", member, inspect.iscoroutinefunction(member), spec.validator, spec.policy
        )
        if spec.name is None:
            dynamic.append(definition)
        elif spec.name in updates:
            issues.append(f"update name {spec.name!r} is used by two methods")
        else:
            updates[spec.name] = definition
    if len(dynamic) > 1:
        names = ", ".join(sorted(d.fn.__name__ for d in dynamic))
        issues.append(f"only one dynamic update handler is allowed, found {names}")
    return updates, dynamic[0] if dynamic else None
