"""Plain value types of the client API: options, statuses, descriptions.

The pages, counts and descriptions only browsing answers are in ``_client_pages``: a client
that starts, lists or describes workflows (the `tempo` CLI) need not make those classes.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import RetryPolicy as RetryPolicyProto
from temporalio.api.workflow.v1 import WorkflowExecutionInfo as WorkflowExecutionInfoProto
from temporalio.api.workflowservice.v1.request_response_pb2 import DescribeWorkflowExecutionResponse

from sdk.converter import DataConverter


class WorkflowIdReusePolicy(enum.IntEnum):
    """May a new run reuse the ID of a *closed* run? Values match the proto enum."""

    ALLOW_DUPLICATE = 1
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    REJECT_DUPLICATE = 3
    TERMINATE_IF_RUNNING = 4


class WorkflowIdConflictPolicy(enum.IntEnum):
    """What to do when a run with the ID is *still running*. Values match the proto enum."""

    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3


class WorkflowExecutionStatus(enum.IntEnum):
    """Status of a workflow execution. Values match the proto's ``WorkflowExecutionStatus``.

    ``print(status)`` shows ``WorkflowExecutionStatus.RUNNING``, not the bare number an
    ``IntEnum`` prints since Python 3.11; comparisons with ints still work.
    """

    UNSPECIFIED = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7
    PAUSED = 8  # still open, but paused by an operator (PauseWorkflowExecution)

    @property
    def display(self) -> str:
        """The name Temporal's UI and CLI show, e.g. ``ContinuedAsNew``."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


WorkflowStatus = WorkflowExecutionStatus
"""The name this SDK used first; the same class."""


def to_duration(value: datetime.timedelta | None) -> Duration | None:
    """Proto duration of ``value`` (``None`` stays unset)."""
    if value is None:
        return None
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


def from_timestamp(ts: Timestamp, present: bool) -> datetime.datetime | None:
    """Aware UTC datetime of a proto timestamp, or ``None`` when the field is unset."""
    if not present:
        return None
    return ts.ToDatetime(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """How the server retries a failed workflow run (or an activity).

    Attributes:
        initial_interval: Delay before the first retry.
        backoff_coefficient: Each delay is the previous one times this.
        maximum_interval: Upper bound of a delay; unset means 100x the initial interval.
        maximum_attempts: Total attempts allowed; 0 means unlimited.
        non_retryable_error_types: ``ApplicationError`` types that are never retried.
    """

    initial_interval: datetime.timedelta = datetime.timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: datetime.timedelta | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: Sequence[str] = ()

    def to_proto(self) -> RetryPolicyProto:
        """The ``temporal.api.common.v1.RetryPolicy`` with these settings."""
        return RetryPolicyProto(
            initial_interval=to_duration(self.initial_interval),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=to_duration(self.maximum_interval),
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=list(self.non_retryable_error_types),
        )


@dataclass(frozen=True)
class WorkflowExecution:
    """One workflow run as listed by the server (``list_workflows``).

    Attributes:
        workflow_id: The workflow ID.
        run_id: The run ID.
        workflow_type: The workflow type name.
        task_queue: The task queue its tasks go to.
        status: Running, Completed, Failed, ...
        start_time: When the run started.
        close_time: When the run closed, if it has.
        execution_time: When the run's first task was due (later than start for cron/delay).
        history_length: Number of events in its history.
        memo: Decoded memo values.
        search_attributes: Decoded search attribute values.
        parent_workflow_id: ID of the parent workflow, for child workflows.
        raw: The ``WorkflowExecutionInfo`` proto as received.
    """

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowStatus
    start_time: datetime.datetime | None
    close_time: datetime.datetime | None
    execution_time: datetime.datetime | None
    history_length: int
    memo: dict[str, Any]
    search_attributes: dict[str, Any]
    parent_workflow_id: str | None
    raw: WorkflowExecutionInfoProto = field(repr=False)

    @classmethod
    def from_proto(cls, info: WorkflowExecutionInfoProto, converter: DataConverter) -> WorkflowExecution:
        """Build from a ``WorkflowExecutionInfo`` proto."""
        return cls(**_fields(info, converter), raw=info)


@dataclass(frozen=True)
class WorkflowDescription(WorkflowExecution):
    """What ``describe()`` says about a run: its info plus pending work.

    Attributes:
        pending_activities: Number of activities scheduled or running.
        pending_children: Number of child workflows not yet closed.
        raw_description: The ``DescribeWorkflowExecutionResponse`` as received.
    """

    pending_activities: int = 0
    pending_children: int = 0
    raw_description: DescribeWorkflowExecutionResponse = field(
        default_factory=DescribeWorkflowExecutionResponse, repr=False
    )

    @classmethod
    def from_response(
        cls, response: DescribeWorkflowExecutionResponse, converter: DataConverter
    ) -> WorkflowDescription:
        """Build from a ``DescribeWorkflowExecutionResponse``."""
        info = response.workflow_execution_info
        return cls(
            **_fields(info, converter),
            raw=info,
            pending_activities=len(response.pending_activities),
            pending_children=len(response.pending_children),
            raw_description=response,
        )


def _decode_map(payloads: Any, converter: DataConverter) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, payload in payloads.items():
        try:
            result[key] = converter.from_payload(payload)
        except ValueError:
            result[key] = payload  # keep what we cannot decode rather than fail
    return result


def _fields(info: WorkflowExecutionInfoProto, converter: DataConverter) -> dict[str, Any]:
    try:
        status = WorkflowStatus(info.status)
    except ValueError:
        status = WorkflowStatus.UNSPECIFIED
    return {
        "workflow_id": info.execution.workflow_id,
        "run_id": info.execution.run_id,
        "workflow_type": info.type.name,
        "task_queue": info.task_queue,
        "status": status,
        "start_time": from_timestamp(info.start_time, info.HasField("start_time")),
        "close_time": from_timestamp(info.close_time, info.HasField("close_time")),
        "execution_time": from_timestamp(info.execution_time, info.HasField("execution_time")),
        "history_length": info.history_length,
        "memo": _decode_map(info.memo.fields, converter),
        "search_attributes": _decode_map(info.search_attributes.indexed_fields, converter),
        "parent_workflow_id": (info.parent_execution.workflow_id if info.HasField("parent_execution") else None),
    }


class WorkflowUpdateStage(enum.IntEnum):
    """How far an update has got (the server's UpdateWorkflowExecutionLifecycleStage)."""

    ADMITTED = 1
    """The server has it; no worker has seen it yet."""
    ACCEPTED = 2
    """The workflow's validator (if any) took it; the handler is running."""
    COMPLETED = 3
    """The handler returned or raised, or the validator refused it."""


class QueryRejectCondition(enum.IntEnum):
    """When the server refuses a query instead of asking the workflow. Values match the proto enum."""

    NONE = 1
    """Query any run, open or closed."""
    NOT_OPEN = 2
    """Refuse to query a closed run."""
    NOT_COMPLETED_CLEANLY = 3
    """Refuse to query a run that closed other than by completing."""
