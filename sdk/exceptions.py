"""Exceptions raised by Tempo, in workflows, activities and the client.

Two families:

* :class:`FailureError` and its subclasses mirror Temporal's ``Failure`` proto.
  They cross the wire: an :class:`ApplicationError` raised in an activity reaches
  the workflow as the ``cause`` of an :class:`ActivityError`, and a failed
  workflow reaches the client as the ``cause`` of a :class:`WorkflowFailureError`.
* The client errors (:class:`RPCError` and friends) describe what the server
  answered.

Every exception derives from :class:`TempoError`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from temporalio.api.failure.v1 import Failure

if TYPE_CHECKING:  # grpc loads with a failed call, not with the client's modules
    import grpc

__all__ = [
    "ActivityError",
    "ApplicationError",
    "CancelledError",
    "ChildWorkflowError",
    "FailureError",
    "RPCError",
    "RetryState",
    "ServerError",
    "ServerUnreachableError",
    "TempoError",
    "TerminatedError",
    "TimeoutFailureError",
    "TimeoutType",
    "WorkflowAlreadyStartedError",
    "WorkflowContinuedAsNewError",
    "WorkflowFailureError",
    "WorkflowNotFoundError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowUpdateFailedError",
]


class TimeoutType(enum.IntEnum):
    """Which timeout fired; values match ``temporal.api.enums.v1.TimeoutType``."""

    UNSPECIFIED = 0
    START_TO_CLOSE = 1
    SCHEDULE_TO_START = 2
    SCHEDULE_TO_CLOSE = 3
    HEARTBEAT = 4


class RetryState(enum.IntEnum):
    """Why retrying stopped; values match ``temporal.api.enums.v1.RetryState``."""

    UNSPECIFIED = 0
    IN_PROGRESS = 1
    NON_RETRYABLE_FAILURE = 2
    TIMEOUT = 3
    MAXIMUM_ATTEMPTS_REACHED = 4
    RETRY_POLICY_NOT_SET = 5
    INTERNAL_SERVER_ERROR = 6
    CANCEL_REQUESTED = 7


class TempoError(Exception):
    """Base class of every exception Tempo raises."""

    @property
    def message(self) -> str:
        """The error message."""
        return str(self.args[0]) if self.args else ""


class FailureError(TempoError):
    """An error that travels as a Temporal ``Failure``.

    The cause of a failure is the exception's ``__cause__`` (or :attr:`cause`).
    """

    def __init__(self, message: str) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
        """
        super().__init__(message)
        self.failure: Failure | None = None
        """The proto this error was decoded from, if it came over the wire."""

    @property
    def cause(self) -> BaseException | None:
        """The error that caused this one, if any."""
        return self.__cause__

    @property
    def stack_trace(self) -> str:
        """The stack trace recorded by the peer that raised the error, if any."""
        return self.failure.stack_trace if self.failure is not None else ""


class ApplicationError(FailureError):
    """A failure raised on purpose by user code.

    Raise it from an activity or workflow to fail it with a type the caller can
    check, optional details, and optionally without further retries.

    Example:
        ``raise ApplicationError("declined", {"code": 51}, type="Payment", non_retryable=True)``
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
    ) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            *details: Values to attach; they are encoded with the data converter.
            type: Error type name the caller can match on; defaults to the class name.
            non_retryable: If true, a retry policy will not retry this failure.
        """
        super().__init__(message)
        self.details: Sequence[Any] = details
        self.type = type
        self.non_retryable = non_retryable


class CancelledError(FailureError):
    """The workflow, activity or child workflow was cancelled."""

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            *details: Values to attach.
        """
        super().__init__(message)
        self.details: Sequence[Any] = details


class TerminatedError(FailureError):
    """The workflow was terminated."""


class ServerError(FailureError):
    """A failure created by the server rather than by user code."""

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            non_retryable: Whether the server marked it non-retryable.
        """
        super().__init__(message)
        self.non_retryable = non_retryable


class TimeoutFailureError(FailureError):
    """A timeout fired (start-to-close, schedule-to-close, heartbeat, ...)."""

    def __init__(
        self,
        message: str,
        timeout_type: TimeoutType,
        last_heartbeat_details: Sequence[Any] = (),
    ) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            timeout_type: Which timeout fired.
            last_heartbeat_details: Details of the last heartbeat, for heartbeat timeouts.
        """
        super().__init__(message)
        self.timeout_type = TimeoutType(timeout_type)
        self.last_heartbeat_details = last_heartbeat_details


class ActivityError(FailureError):
    """An activity failed; the reason is in :attr:`cause`."""

    def __init__(
        self,
        message: str,
        *,
        activity_type: str,
        activity_id: str,
        scheduled_event_id: int = 0,
        started_event_id: int = 0,
        identity: str = "",
        retry_state: RetryState = RetryState.UNSPECIFIED,
    ) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            activity_type: Name of the activity.
            activity_id: ID of the activity within its workflow.
            scheduled_event_id: Event ID of ActivityTaskScheduled.
            started_event_id: Event ID of ActivityTaskStarted.
            identity: Identity of the worker that ran the last attempt.
            retry_state: Why the activity is not retried further.
        """
        super().__init__(message)
        self.activity_type = activity_type
        self.activity_id = activity_id
        self.scheduled_event_id = scheduled_event_id
        self.started_event_id = started_event_id
        self.identity = identity
        self.retry_state = RetryState(retry_state)


class ChildWorkflowError(FailureError):
    """A child workflow failed; the reason is in :attr:`cause`."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int = 0,
        started_event_id: int = 0,
        retry_state: RetryState = RetryState.UNSPECIFIED,
    ) -> None:
        """Create the error.

        Args:
            message: Human-readable message.
            namespace: Namespace of the child.
            workflow_id: Workflow ID of the child.
            run_id: Run ID of the child.
            workflow_type: Workflow type of the child.
            initiated_event_id: Event ID of StartChildWorkflowExecutionInitiated.
            started_event_id: Event ID of ChildWorkflowExecutionStarted.
            retry_state: Why the child is not retried further.
        """
        super().__init__(message)
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type
        self.initiated_event_id = initiated_event_id
        self.started_event_id = started_event_id
        self.retry_state = RetryState(retry_state)


class WorkflowFailureError(TempoError):
    """The workflow whose result was awaited did not complete successfully.

    :attr:`cause` says why: an :class:`ApplicationError`, :class:`CancelledError`,
    :class:`TerminatedError` or :class:`TimeoutFailureError`.
    """

    def __init__(self, cause: BaseException) -> None:
        """Create the error.

        Args:
            cause: The converted failure of the workflow.
        """
        super().__init__(f"Workflow execution failed: {cause}")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the workflow did not complete."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowUpdateFailedError(TempoError):
    """An update did not complete successfully.

    :attr:`cause` says why: the handler's :class:`ApplicationError`, the validator's refusal,
    or the server's failure when the workflow closed before the update completed.
    """

    def __init__(self, cause: BaseException) -> None:
        """Create the error.

        Args:
            cause: The converted failure of the update.
        """
        super().__init__(f"Workflow update failed: {cause}")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the update did not complete."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowContinuedAsNewError(TempoError):
    """The awaited run continued as new and the caller asked not to follow it."""

    def __init__(self, new_run_id: str) -> None:
        """Create the error.

        Args:
            new_run_id: Run ID of the new run.
        """
        super().__init__(f"workflow continued as new (new run {new_run_id})")
        self.new_run_id = new_run_id


class RPCError(TempoError):
    """The server rejected a request.

    Attributes:
        status_code: The gRPC status code.
    """

    def __init__(self, status_code: grpc.StatusCode, message: str) -> None:
        """Create the error.

        Args:
            status_code: The gRPC status code.
            message: The server's message.
        """
        super().__init__(message)
        self.status_code = status_code


class ServerUnreachableError(RPCError):
    """No server answered at the address."""

    def __init__(self, address: str, reason: str | None = None) -> None:
        """Create the error.

        Args:
            address: The ``host:port`` that did not answer.
            reason: What went wrong when it is known (a TLS handshake that failed, say);
                without it, the message suggests starting a dev server.
        """
        message = (
            f"cannot connect to {address}: {reason}"
            if reason
            else f"cannot reach a server at {address} — is `tempo server start-dev` running?"
        )
        import grpc

        super().__init__(grpc.StatusCode.UNAVAILABLE, message)
        self.address = address
        self.reason = reason


class WorkflowAlreadyStartedError(RPCError, FailureError):
    """A workflow with this ID is already running (or the reuse policy forbids a new run).

    The client raises it for a refused start; workflow code gets it for a child whose
    ID is in use, and there it is also a failure: uncaught, it fails the workflow (not
    just the workflow task), as in the official SDK.
    """

    def __init__(self, workflow_id: str, run_id: str, message: str = "") -> None:
        """Create the error.

        Args:
            workflow_id: The workflow ID that was asked for.
            run_id: Run ID of the existing execution.
            message: The server's message.
        """
        import grpc

        super().__init__(
            grpc.StatusCode.ALREADY_EXISTS,
            message or f"workflow {workflow_id!r} is already started (run {run_id})",
        )
        self.workflow_id = workflow_id
        self.run_id = run_id


class WorkflowNotFoundError(RPCError):
    """No such workflow execution (or it is already closed, for signals and terminate)."""

    def __init__(self, message: str, workflow_id: str = "") -> None:
        """Create the error.

        Args:
            message: The server's message.
            workflow_id: The workflow ID that was asked for, if known.
        """
        import grpc

        super().__init__(grpc.StatusCode.NOT_FOUND, message)
        self.workflow_id = workflow_id

    @property
    def already_closed(self) -> bool:
        """True if the workflow exists but is closed, so it cannot take this request."""
        return "already completed" in self.message


class WorkflowQueryFailedError(TempoError):
    """The query handler raised, or the workflow has no handler of that name."""


class WorkflowQueryRejectedError(TempoError):
    """The server rejected the query because of its reject condition."""

    def __init__(self, status: int) -> None:
        """Create the error.

        Args:
            status: The workflow's ``WorkflowExecutionStatus`` (proto enum value).
        """
        from temporalio.api.enums.v1 import WorkflowExecutionStatus

        name = WorkflowExecutionStatus.Name(WorkflowExecutionStatus.ValueType(status))
        name = name.removeprefix("WORKFLOW_EXECUTION_STATUS_")
        super().__init__(f"query rejected: workflow status is {name}")
        self.status = status
