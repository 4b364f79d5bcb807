"""The options of scheduling an activity and of starting a child workflow, as frozen values.

Apart from the start options of ``_options`` (whose checks they share) so that a client,
which starts workflows but schedules no activity (the `tempo` CLI), need not make these
classes: a dataclass takes about half a millisecond to make.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sdk._client_types import RetryPolicy, WorkflowIdReusePolicy
from sdk._options import _check_mapping, _check_name, _check_type, check_timeout


class ParentClosePolicy(enum.IntEnum):
    """What happens to a child when its parent closes. Values match the proto enum."""

    UNSPECIFIED = 0
    TERMINATE = 1
    ABANDON = 2
    REQUEST_CANCEL = 3


class ChildWorkflowCancellationType(enum.IntEnum):
    """What cancelling a child's handle does. Values match the official SDK's."""

    ABANDON = 0
    """Stop waiting at once; ask nothing of the server: the child runs on."""
    TRY_CANCEL = 1
    """Ask the server to cancel the child and stop waiting at once."""
    WAIT_CANCELLATION_COMPLETED = 2
    """Ask the server to cancel the child and wait until it has closed (the default)."""
    WAIT_CANCELLATION_REQUESTED = 3
    """Ask the server to cancel the child and wait. Meant to wait until the child has been
    told; the official SDK (1.35) waits until the child has closed, and so does Tempo's,
    so that their histories replay on either."""


class ActivityCancellationType(enum.IntEnum):
    """What cancelling an activity's handle does. Values match the official SDK's."""

    TRY_CANCEL = 0
    """Ask the server to cancel the activity and stop waiting at once (the default)."""
    WAIT_CANCELLATION_COMPLETED = 1
    """Ask the server to cancel the activity and wait until its worker has acknowledged."""
    ABANDON = 2
    """Stop waiting at once; ask nothing of the server: the activity runs on."""


@dataclass(frozen=True)
class ActivityOptions:
    """How to schedule an activity: what :func:`sdk.workflow.start_activity` was given
    besides the activity and its arguments.

    Attributes:
        task_queue: Task queue for the activity; ``None`` means the workflow's.
        schedule_to_close_timeout: Limit on the whole activity including retries.
        schedule_to_start_timeout: Limit on the time an attempt waits for a worker.
        start_to_close_timeout: Limit on a single attempt.
        heartbeat_timeout: Limit between heartbeats of a running attempt.
        retry_policy: How failures are retried; ``None`` is the server's default (forever).
        cancellation_type: What cancelling the activity's handle does.

    Raises:
        TypeError: A value of the wrong type (a number of seconds for a timeout, say).
        ValueError: Neither ``start_to_close_timeout`` nor ``schedule_to_close_timeout``,
            a timeout that is not positive, or an empty task queue.
    """

    task_queue: str | None = None
    schedule_to_close_timeout: datetime.timedelta | None = None
    schedule_to_start_timeout: datetime.timedelta | None = None
    start_to_close_timeout: datetime.timedelta | None = None
    heartbeat_timeout: datetime.timedelta | None = None
    retry_policy: RetryPolicy | None = None
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL

    def __post_init__(self) -> None:
        _check_name("task_queue", self.task_queue, optional=True)
        _check_type("cancellation_type", self.cancellation_type, ActivityCancellationType)
        for name in (
            "schedule_to_close_timeout",
            "schedule_to_start_timeout",
            "start_to_close_timeout",
            "heartbeat_timeout",
        ):
            check_timeout(name, getattr(self, name))
        _check_type("retry_policy", self.retry_policy, RetryPolicy)
        if self.start_to_close_timeout is None and self.schedule_to_close_timeout is None:
            raise ValueError("needs start_to_close_timeout or schedule_to_close_timeout")


class ChildWorkflowKeywords(TypedDict, total=False):
    """The optional keyword arguments of starting a child workflow (``start_child_workflow``
    and ``execute_child_workflow`` take them as ``**options: Unpack[...]``); what each means
    and its default: :class:`ChildWorkflowOptions`."""

    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: datetime.timedelta | None
    run_timeout: datetime.timedelta | None
    task_timeout: datetime.timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Mapping[str, Any] | None


@dataclass(frozen=True)
class ChildWorkflowOptions:
    """How to start a child workflow: what :func:`sdk.workflow.start_child_workflow` was
    given besides the workflow and its arguments.

    Attributes:
        id: Workflow ID of the child.
        task_queue: Task queue of the child; ``None`` means the parent's.
        cancellation_type: What cancelling the child's handle does.
        parent_close_policy: What happens to the child when the parent closes.
        execution_timeout: Limit for the child's whole chain of runs.
        run_timeout: Limit for a single run of the child.
        task_timeout: Limit for one workflow task of the child.
        id_reuse_policy: Whether the ID of a closed run may be reused.
        retry_policy: Retry the child's run on failure.
        cron_schedule: Run the child on this cron schedule.
        memo: Non-indexed values shown by describe and list.
        search_attributes: Indexed values usable in list queries.

    Raises:
        TypeError: A value of the wrong type (a number of seconds for a timeout, say).
        ValueError: An empty ID or task queue, or a timeout that is not positive.
    """

    id: str
    task_queue: str | None = None
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE
    execution_timeout: datetime.timedelta | None = None
    run_timeout: datetime.timedelta | None = None
    task_timeout: datetime.timedelta | None = None
    id_reuse_policy: WorkflowIdReusePolicy = WorkflowIdReusePolicy.ALLOW_DUPLICATE
    retry_policy: RetryPolicy | None = None
    cron_schedule: str = ""
    memo: Mapping[str, Any] | None = field(default=None, hash=False)
    search_attributes: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        _check_name("id", self.id)
        _check_name("task_queue", self.task_queue, optional=True)
        _check_type("cancellation_type", self.cancellation_type, ChildWorkflowCancellationType)
        _check_type("parent_close_policy", self.parent_close_policy, ParentClosePolicy)
        for name in ("execution_timeout", "run_timeout", "task_timeout"):
            check_timeout(name, getattr(self, name))
        _check_type("id_reuse_policy", self.id_reuse_policy, WorkflowIdReusePolicy)
        _check_type("retry_policy", self.retry_policy, RetryPolicy)
        _check_type("cron_schedule", self.cron_schedule, str)
        _check_mapping("memo", self.memo)
        _check_mapping("search_attributes", self.search_attributes)
        if self.memo is not None:
            object.__setattr__(self, "memo", dict(self.memo))
        if self.search_attributes is not None:
            object.__setattr__(self, "search_attributes", dict(self.search_attributes))
