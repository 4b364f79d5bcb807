"""What workflow code learns about its run and changes about it: :class:`Info`, patches
(versioning), search attributes and memo, and the previous run's result or failure.

The functions are re-exported by :mod:`sdk.workflow`; they reach the running workflow
through :class:`ContextRuntime`, which the worker's workflow instance implements.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import message_pb2 as common

from sdk._client_types import RetryPolicy
from sdk.common import SearchAttributeUpdate, TypedSearchAttributes
from sdk.exceptions import TempoError


class NotInWorkflowError(TempoError):
    """A workflow-only function was called outside workflow code."""


@dataclass(frozen=True)
class ParentInfo:
    """The workflow that started this one as a child."""

    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class RootInfo:
    """The first workflow of the chain of parents this one belongs to."""

    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class Info:
    """Facts about the running workflow, from ``workflow.info()``.

    The search attributes and memo reflect the workflow's own upserts so far.

    Attributes:
        workflow_id: The workflow ID chosen by whoever started it.
        run_id: ID of this run (continue-as-new starts a new run).
        workflow_type: Registered name of the workflow class.
        task_queue: Task queue the workflow's tasks go to.
        namespace: Namespace of the workflow.
        attempt: Attempt number of the workflow run (1 unless retried).
        start_time: When this run started.
        continued_run_id: Run ID this run continued from, if any.
        first_execution_run_id: Run ID of the first run in the chain.
        run_timeout: Run timeout, if one was set.
        execution_timeout: Execution timeout, if one was set.
        history_length: Number of events in history at the current workflow task.
        task_timeout: Workflow task timeout.
        cron_schedule: The cron schedule the workflow runs on, if any.
        original_execution_run_id: Run ID in the start event (kept across resets).
        parent: The parent workflow, for a child workflow.
        root: The root of the chain of parents, for a child workflow.
        retry_policy: The workflow's retry policy, if it has one.
        search_attributes: Search attributes, every value a list (the official SDK's
            deprecated form).
        typed_search_attributes: Search attributes by typed key.
        raw_memo: Memo payloads by key; ``workflow.memo()`` decodes them.
        headers: Headers the workflow was started with.
    """

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    namespace: str
    attempt: int
    start_time: datetime
    continued_run_id: str | None = None
    first_execution_run_id: str = ""
    run_timeout: timedelta | None = None
    execution_timeout: timedelta | None = None
    history_length: int = 0
    task_timeout: timedelta = timedelta(seconds=10)
    cron_schedule: str | None = None
    original_execution_run_id: str = ""
    parent: ParentInfo | None = None
    root: RootInfo | None = None
    retry_policy: RetryPolicy | None = None
    search_attributes: Mapping[str, list[Any]] = field(default_factory=dict)
    typed_search_attributes: TypedSearchAttributes = field(default_factory=TypedSearchAttributes)
    raw_memo: Mapping[str, common.Payload] = field(default_factory=dict)
    headers: Mapping[str, common.Payload] = field(default_factory=dict)

    def get_current_history_length(self) -> int:
        """Number of events in history up to the current workflow task."""
        return _runtime().workflow_history_length()

    def get_current_history_size(self) -> int:
        """Size of the history in bytes up to the current workflow task, as the server counts it."""
        return _runtime().workflow_history_size()

    def is_continue_as_new_suggested(self) -> bool:
        """Whether the server suggests continuing as new (the history grows too long or large)."""
        return _runtime().workflow_continue_as_new_suggested()


class ContextRuntime(ABC):
    """What the functions of this module need from the running workflow instance."""

    @abstractmethod
    def workflow_history_length(self) -> int: ...

    @abstractmethod
    def workflow_history_size(self) -> int: ...

    @abstractmethod
    def workflow_continue_as_new_suggested(self) -> bool: ...

    @abstractmethod
    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool: ...

    @abstractmethod
    def workflow_upsert_search_attributes(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> None: ...

    @abstractmethod
    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def workflow_memo_value(self, key: str, type_hint: Any) -> Any: ...

    @abstractmethod
    def workflow_memo_keys(self) -> list[str]: ...

    @abstractmethod
    def workflow_last_completion_result(self, type_hint: Any) -> tuple[bool, Any]: ...

    @abstractmethod
    def workflow_last_failure(self) -> BaseException | None: ...


def _runtime() -> ContextRuntime:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if not isinstance(loop, ContextRuntime):
        raise NotInWorkflowError("this function can only be called from workflow code run by a Tempo worker")
    return loop


def patched(id: str) -> bool:
    """Whether this run takes the code path added under patch ``id``.

    Wrap a change to workflow code in ``if workflow.patched("my-change"):`` to keep runs
    that started before it deterministic. A new run (and a run replaying a history that
    recorded the patch) gets True and the patch is recorded in history as a marker; a run
    replaying a history from before the change gets False and follows the old path. The
    first answer for an ``id`` holds for the rest of the run.

    Once no run from before the change remains, replace the call with
    :func:`deprecate_patch` and drop the old path.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: An empty ``id``.
    """
    return _runtime().workflow_patch(_patch_id(id), deprecated=False)


def deprecate_patch(id: str) -> None:
    """Say that every run now takes patch ``id``'s new path.

    Runs that recorded the patch replay with this call in place of :func:`patched`;
    once none of them remain, remove the call: a history's marker of a deprecated patch
    needs no matching call.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        ValueError: An empty ``id``.
    """
    _runtime().workflow_patch(_patch_id(id), deprecated=True)


def _patch_id(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a patch ID must be a non-empty string, got {value!r}")
    return value


def upsert_search_attributes(updates: Sequence[SearchAttributeUpdate[Any]]) -> None:
    """Set or remove search attributes of this workflow, as one history event.

    Example:
        .. code-block:: python

            STATUS = SearchAttributeKey.for_keyword("OrderStatus")
            workflow.upsert_search_attributes([STATUS.value_set("shipped")])

    ``workflow.info().typed_search_attributes`` shows the change at once; list queries
    see it once the workflow task completes.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        TypeError: Not a list of ``key.value_set(...)``/``key.value_unset()`` updates.
    """
    _runtime().workflow_upsert_search_attributes(updates)


def upsert_memo(updates: Mapping[str, Any]) -> None:
    """Set memo values of this workflow (a None value removes the key), as one history event.

    Raises:
        NotInWorkflowError: Not called from workflow code.
        TypeError: Not a mapping with string keys, or a value that cannot be serialised.
    """
    if not isinstance(updates, Mapping) or not all(isinstance(k, str) and k for k in updates):
        raise TypeError("memo updates are a mapping from non-empty string keys to values")
    _runtime().workflow_upsert_memo(updates)


def memo() -> Mapping[str, Any]:
    """The workflow's memo, each value decoded as plain JSON.

    Raises:
        NotInWorkflowError: Not called from workflow code.
    """
    runtime = _runtime()
    return {key: runtime.workflow_memo_value(key, None) for key in runtime.workflow_memo_keys()}


_MISSING: Any = object()


def memo_value(key: str, default: Any = _MISSING, *, type_hint: Any = None) -> Any:
    """One memo value, decoded into ``type_hint`` if given.

    Raises:
        KeyError: No such key and no ``default``.
        NotInWorkflowError: Not called from workflow code.
    """
    runtime = _runtime()
    if key not in runtime.workflow_memo_keys():
        if default is _MISSING:
            raise KeyError(f"the memo has no value for key {key!r}")
        return default
    return runtime.workflow_memo_value(key, type_hint)


def has_last_completion_result() -> bool:
    """Whether the previous run of this cron workflow or continue-as-new chain left a result."""
    return _runtime().workflow_last_completion_result(None)[0]


def get_last_completion_result(type_hint: Any = None) -> Any:
    """The result of the previous run of this cron workflow or continue-as-new chain, or None."""
    return _runtime().workflow_last_completion_result(type_hint)[1]


def get_last_failure() -> BaseException | None:
    """The failure of the previous run (a cron run that failed, or a retried attempt), or None."""
    return _runtime().workflow_last_failure()
