"""Tempo's Python SDK: write workflows and activities, run workers, drive them with a client."""

from sdk.client import (
    Client,
    RetryPolicy,
    WorkflowDescription,
    WorkflowExecution,
    WorkflowHandle,
    WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy,
    WorkflowStatus,
)
from sdk.converter import DataConverter
from sdk.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    RPCError,
    ServerError,
    ServerUnreachableError,
    TempoError,
    TerminatedError,
    TimeoutFailureError,
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)

__all__ = [
    "ActivityError",
    "ApplicationError",
    "CancelledError",
    "ChildWorkflowError",
    "Client",
    "DataConverter",
    "FailureError",
    "RPCError",
    "RetryPolicy",
    "ServerError",
    "ServerUnreachableError",
    "TempoError",
    "TerminatedError",
    "TimeoutFailureError",
    "WorkflowAlreadyStartedError",
    "WorkflowContinuedAsNewError",
    "WorkflowDescription",
    "WorkflowExecution",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowIdConflictPolicy",
    "WorkflowIdReusePolicy",
    "WorkflowNotFoundError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowStatus",
]

# Workflow and worker side (appended last: sdk.worker imports the modules above).
from sdk import activity, workflow
from sdk.worker import Replayer, Worker

__all__ += ["Replayer", "Worker", "activity", "workflow"]
