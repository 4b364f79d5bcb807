"""The options of starting a workflow, as frozen values (those of scheduling an activity or
a child workflow are in ``_workflow_options``: a client need not make them).

The public functions take keyword arguments, as the official SDK's do
(:meth:`sdk.client.Client.start_workflow`, :func:`sdk.workflow.execute_activity`, ...).
Each builds one of these once, which checks the values and says clearly what is wrong
before anything reaches the server, and hands it inward; nothing below the public
functions deals in loose keyword arguments.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sdk._client_types import RetryPolicy, WorkflowIdConflictPolicy, WorkflowIdReusePolicy


def check_timeout(name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, datetime.timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, got {value!r} ({type(value).__name__})")
    if value <= datetime.timedelta(0):
        raise ValueError(f"{name} must be positive, got {value}")


def _check_name(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r} ({type(value).__name__})")
    if not value:
        raise ValueError(f"{name} must not be empty")


def _check_type(name: str, value: object, kind: type) -> None:
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {value!r} ({type(value).__name__})")


def _check_mapping(name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise TypeError(f"{name} must be a mapping with string keys, got {value!r}")


class WithStartKeywords(TypedDict, total=False):
    """The optional keyword arguments every way of starting a workflow takes (written once here;
    the public methods take them as ``**options: Unpack[...]`` and forward them as they are).
    :class:`StartWorkflowOptions` says what each means and checks them."""

    execution_timeout: datetime.timedelta | None
    run_timeout: datetime.timedelta | None
    task_timeout: datetime.timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy | None
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Mapping[str, Any] | None
    static_summary: str | None
    static_details: str | None
    start_delay: datetime.timedelta | None


class StartWorkflowKeywords(WithStartKeywords, total=False):
    """:class:`WithStartKeywords`, and the two an update-with-start operation sets otherwise
    (it requires a conflict policy and makes its own request id)."""

    id_conflict_policy: WorkflowIdConflictPolicy | None
    request_id: str | None


@dataclass(frozen=True)
class StartWorkflowOptions:
    """How to start a workflow: what :meth:`Client.start_workflow` was given besides the
    workflow and its arguments.

    Attributes:
        id: Workflow ID, unique among running workflows of the namespace.
        task_queue: Task queue a worker polls for this workflow.
        execution_timeout: Limit for the whole chain of runs (retries, continue-as-new).
        run_timeout: Limit for a single run.
        task_timeout: Limit for one workflow task (server default 10 s).
        id_reuse_policy: Whether the ID of a closed run may be reused.
        id_conflict_policy: What to do if a run with this ID is still running.
        retry_policy: Retry the workflow run on failure.
        cron_schedule: Run the workflow on this cron schedule (``"*/5 * * * *"``), a new
            run each time; the server refuses one it cannot parse.
        memo: Non-indexed values shown by describe and list.
        search_attributes: Indexed values usable in list queries.
        request_id: Idempotency key; ``None`` has one generated per call.
        static_summary: A one-line summary user interfaces show for the workflow.
        static_details: Longer details user interfaces show for the workflow.
        start_delay: Wait this long before the first workflow task (not with a cron
            schedule or signal-with-start's signal, which the server delivers at once).

    Raises:
        TypeError: A value of the wrong type (a number of seconds for a timeout, say).
        ValueError: An empty ID or task queue, or a timeout that is not positive.
    """

    id: str
    task_queue: str
    execution_timeout: datetime.timedelta | None = None
    run_timeout: datetime.timedelta | None = None
    task_timeout: datetime.timedelta | None = None
    id_reuse_policy: WorkflowIdReusePolicy | None = None
    id_conflict_policy: WorkflowIdConflictPolicy | None = None
    retry_policy: RetryPolicy | None = None
    cron_schedule: str = ""
    memo: Mapping[str, Any] | None = field(default=None, hash=False)
    search_attributes: Mapping[str, Any] | None = field(default=None, hash=False)
    request_id: str | None = None
    static_summary: str | None = None
    static_details: str | None = None
    start_delay: datetime.timedelta | None = None

    def __post_init__(self) -> None:
        _check_name("id", self.id)
        _check_name("task_queue", self.task_queue)
        for name in ("execution_timeout", "run_timeout", "task_timeout", "start_delay"):
            check_timeout(name, getattr(self, name))
        _check_type("cron_schedule", self.cron_schedule, str)
        _check_type("id_reuse_policy", self.id_reuse_policy, WorkflowIdReusePolicy)
        _check_type("id_conflict_policy", self.id_conflict_policy, WorkflowIdConflictPolicy)
        _check_type("retry_policy", self.retry_policy, RetryPolicy)
        _check_mapping("memo", self.memo)
        _check_mapping("search_attributes", self.search_attributes)
        _check_name("request_id", self.request_id, optional=True)
        _check_type("static_summary", self.static_summary, str)
        _check_type("static_details", self.static_details, str)
        # Copies: a caller changing its dict afterwards must not change what was asked for.
        if self.memo is not None:
            object.__setattr__(self, "memo", dict(self.memo))
        if self.search_attributes is not None:
            object.__setattr__(self, "search_attributes", dict(self.search_attributes))
