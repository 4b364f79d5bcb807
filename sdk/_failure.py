"""Exceptions <-> Temporal ``Failure`` protos, the way Temporal's SDKs map them."""

from __future__ import annotations

import asyncio
import datetime
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import ActivityType, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.failure.v1 import (
    ActivityFailureInfo,
    ApplicationFailureInfo,
    CanceledFailureInfo,
    ChildWorkflowExecutionFailureInfo,
    Failure,
    ServerFailureInfo,
    TimeoutFailureInfo,
)

from sdk.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutFailureError,
    TimeoutType,
    WorkflowAlreadyStartedError,
)

if TYPE_CHECKING:
    from sdk.converter import DataConverter

# Like the official SDK's "PythonSDK", so a reader of the history knows who wrote it.
_SOURCE = "TempoPythonSDK"
# A cause chain that loops (a.__cause__ = b; b.__cause__ = a) must not recurse forever.
_MAX_DEPTH = 64


def exception_to_failure(exc: BaseException, converter: DataConverter, _depth: int = 0) -> Failure:
    """Convert ``exc`` and its ``__cause__`` chain into a ``Failure``."""
    if isinstance(exc, FailureError) and exc.failure is not None:
        # Came over the wire: pass it on as received (source, stack trace, info).
        failure = Failure()
        failure.CopyFrom(exc.failure)
        if exc.__cause__ is not None and _depth < _MAX_DEPTH:
            failure.cause.CopyFrom(exception_to_failure(exc.__cause__, converter, _depth + 1))
        return failure
    failure = Failure(
        message=str(exc.args[0]) if isinstance(exc, FailureError) and exc.args else str(exc),
        source=_SOURCE,
        stack_trace="".join(traceback.format_tb(exc.__traceback__)),
    )
    _fill_info(failure, exc, converter)
    if exc.__cause__ is not None and _depth < _MAX_DEPTH:
        failure.cause.CopyFrom(exception_to_failure(exc.__cause__, converter, _depth + 1))
    return failure


def _payloads(values: Sequence[Any], converter: DataConverter) -> Payloads:
    return Payloads(payloads=converter.to_payloads(values))


def _fill_info(failure: Failure, exc: BaseException, converter: DataConverter) -> None:
    if isinstance(exc, ApplicationError):
        failure.application_failure_info.CopyFrom(
            ApplicationFailureInfo(
                # Like the official SDKs, a bare ApplicationError has no type; a subclass
                # is named after itself so callers can tell them apart.
                type=exc.type or ("" if type(exc) is ApplicationError else type(exc).__name__),
                non_retryable=exc.non_retryable,
                details=_payloads(exc.details, converter) if exc.details else None,
            )
        )
    elif isinstance(exc, CancelledError):
        failure.canceled_failure_info.CopyFrom(
            CanceledFailureInfo(details=_payloads(exc.details, converter) if exc.details else None)
        )
    elif isinstance(exc, asyncio.CancelledError):
        failure.message = failure.message or "Cancelled"
        failure.canceled_failure_info.SetInParent()
    elif isinstance(exc, TerminatedError):
        failure.terminated_failure_info.SetInParent()
    elif isinstance(exc, ServerError):
        failure.server_failure_info.CopyFrom(ServerFailureInfo(non_retryable=exc.non_retryable))
    elif isinstance(exc, TimeoutFailureError):
        details = exc.last_heartbeat_details
        failure.timeout_failure_info.CopyFrom(
            TimeoutFailureInfo(
                timeout_type=int(exc.timeout_type),  # type: ignore[arg-type]
                last_heartbeat_details=_payloads(details, converter) if details else None,
            )
        )
    elif isinstance(exc, ActivityError):
        failure.activity_failure_info.CopyFrom(
            ActivityFailureInfo(
                scheduled_event_id=exc.scheduled_event_id,
                started_event_id=exc.started_event_id,
                identity=exc.identity,
                activity_type=ActivityType(name=exc.activity_type),
                activity_id=exc.activity_id,
                retry_state=int(exc.retry_state),  # type: ignore[arg-type]
            )
        )
    elif isinstance(exc, ChildWorkflowError):
        failure.child_workflow_execution_failure_info.CopyFrom(
            ChildWorkflowExecutionFailureInfo(
                namespace=exc.namespace,
                workflow_execution=WorkflowExecution(workflow_id=exc.workflow_id, run_id=exc.run_id),
                workflow_type=WorkflowType(name=exc.workflow_type),
                initiated_event_id=exc.initiated_event_id,
                started_event_id=exc.started_event_id,
                retry_state=int(exc.retry_state),  # type: ignore[arg-type]
            )
        )
    elif isinstance(exc, WorkflowAlreadyStartedError):
        pass  # a child's ID in use: the official SDK records the message alone
    elif _is_official_application_error(exc):
        # Code moved from the official SDK raises its ApplicationError: honour what it says
        # (type, non_retryable, details, next retry delay) instead of a retryable failure
        # named "ApplicationError" that would retry a non-retryable error for ever.
        info = ApplicationFailureInfo(
            type=getattr(exc, "type", None) or "",
            non_retryable=bool(getattr(exc, "non_retryable", False)),
            details=_payloads(list(exc.details), converter) if getattr(exc, "details", None) else None,  # type: ignore[attr-defined]
        )
        delay = getattr(exc, "next_retry_delay", None)
        if isinstance(delay, datetime.timedelta):
            info.next_retry_delay.FromTimedelta(delay)
        failure.application_failure_info.CopyFrom(info)
        failure.message = str(getattr(exc, "message", "") or failure.message)
    else:
        # Any other exception is an application failure named after its class,
        # and retryable, exactly as the official SDKs treat it.
        failure.application_failure_info.CopyFrom(ApplicationFailureInfo(type=type(exc).__name__))


def failure_to_exception(failure: Failure, converter: DataConverter, _depth: int = 0) -> FailureError:
    """Convert a ``Failure`` and its cause chain into a :class:`FailureError`."""
    message, stack_trace = failure.message, failure.stack_trace
    if failure.HasField("encoded_attributes"):
        # Peers may hide message and stack trace in an encoded payload.
        try:
            attrs = converter.from_payload(failure.encoded_attributes)
            if isinstance(attrs, dict):
                message = str(attrs.get("message", message))
                stack_trace = str(attrs.get("stack_trace", stack_trace))
        except ValueError:
            pass
    exc = _exception_for(failure, message, converter)
    decoded = Failure()
    decoded.CopyFrom(failure)
    decoded.message, decoded.stack_trace = message, stack_trace
    decoded.ClearField("cause")
    exc.failure = decoded
    if failure.HasField("cause") and _depth < _MAX_DEPTH:
        exc.__cause__ = failure_to_exception(failure.cause, converter, _depth + 1)
    return exc


def _details(payloads: Payloads, converter: DataConverter) -> list[Any]:
    try:
        return converter.from_payloads(payloads.payloads)
    except ValueError:
        # Undecodable details (say, an encoding we lack) must not hide the failure itself.
        return list(payloads.payloads)


def _exception_for(failure: Failure, message: str, converter: DataConverter) -> FailureError:
    kind = failure.WhichOneof("failure_info")
    if kind == "application_failure_info":
        info = failure.application_failure_info
        return ApplicationError(
            message,
            *_details(info.details, converter),
            type=info.type or None,
            non_retryable=info.non_retryable,
        )
    if kind == "canceled_failure_info":
        return CancelledError(message, *_details(failure.canceled_failure_info.details, converter))
    if kind == "terminated_failure_info":
        return TerminatedError(message)
    if kind == "server_failure_info":
        return ServerError(message, non_retryable=failure.server_failure_info.non_retryable)
    if kind == "timeout_failure_info":
        t = failure.timeout_failure_info
        return TimeoutFailureError(
            message,
            _enum(TimeoutType, t.timeout_type),
            _details(t.last_heartbeat_details, converter),
        )
    if kind == "activity_failure_info":
        a = failure.activity_failure_info
        return ActivityError(
            message,
            activity_type=a.activity_type.name,
            activity_id=a.activity_id,
            scheduled_event_id=a.scheduled_event_id,
            started_event_id=a.started_event_id,
            identity=a.identity,
            retry_state=_enum(RetryState, a.retry_state),
        )
    if kind == "child_workflow_execution_failure_info":
        c = failure.child_workflow_execution_failure_info
        return ChildWorkflowError(
            message,
            namespace=c.namespace,
            workflow_id=c.workflow_execution.workflow_id,
            run_id=c.workflow_execution.run_id,
            workflow_type=c.workflow_type.name,
            initiated_event_id=c.initiated_event_id,
            started_event_id=c.started_event_id,
            retry_state=_enum(RetryState, c.retry_state),
        )
    # Reset, Nexus and kinds added later: keep the message; the proto is on .failure.
    return FailureError(message)


def _enum(kind: type[TimeoutType] | type[RetryState], value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return kind(0)


__all__ = ["exception_to_failure", "failure_to_exception"]


def _is_official_application_error(exc: BaseException) -> bool:
    """An ``ApplicationError`` of the official ``temporalio`` SDK (found by duck typing: product
    code does not import it)."""
    return any(
        cls.__name__ == "ApplicationError" and cls.__module__.startswith("temporalio.") for cls in type(exc).__mro__
    )
