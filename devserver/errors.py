"""Domain errors, each carrying the gRPC status code and error details Temporal sends.

The core raises these; the gRPC layer turns them into statuses in one place
(`devserver.grpc_service`). Messages follow the real server's wording where the
official SDKs or the `temporal` CLI match on it.
"""

from __future__ import annotations

from google.protobuf import any_pb2
from google.protobuf.message import Message
from temporalio.api.errordetails.v1 import message_pb2 as errordetails
from temporalio.api.failure.v1 import message_pb2 as failure_pb

from tempo_wire.status import StatusCode


class ServiceError(Exception):
    """An error an RPC answers with: status code, message and optional details."""

    code: StatusCode = StatusCode.INTERNAL

    def __init__(self, message: str, details: Message | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidArgument(ServiceError):
    code = StatusCode.INVALID_ARGUMENT


class NotFound(ServiceError):
    code = StatusCode.NOT_FOUND

    def __init__(self, message: str, details: Message | None = None) -> None:
        super().__init__(message, details or errordetails.NotFoundFailure())


class AlreadyExists(ServiceError):
    code = StatusCode.ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = StatusCode.FAILED_PRECONDITION


class PermissionDenied(ServiceError):
    code = StatusCode.PERMISSION_DENIED


class Unimplemented(ServiceError):
    code = StatusCode.UNIMPLEMENTED


class Unavailable(ServiceError):
    code = StatusCode.UNAVAILABLE


class DeadlineExceeded(ServiceError):
    code = StatusCode.DEADLINE_EXCEEDED


class ResourceExhausted(ServiceError):
    code = StatusCode.RESOURCE_EXHAUSTED


class NamespaceNotFound(NotFound):
    def __init__(self, namespace: str) -> None:
        super().__init__(
            f"Namespace {namespace} is not found.",
            errordetails.NamespaceNotFoundFailure(namespace=namespace),
        )


class WorkflowNotFound(NotFound):
    """No such workflow; with a run id, no such run (whether or not the workflow id is known),
    in the real server's words for each."""

    def __init__(self, workflow_id: str, run_id: str = "") -> None:
        if run_id:
            message = (
                f"workflow execution not found for workflow ID {go_quoted(workflow_id)} and run ID {go_quoted(run_id)}"
            )
        else:
            message = f"workflow not found for ID: {workflow_id}"
        super().__init__(message)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quoted(text: str) -> str:
    """`text` as Go's %q writes it (the real server quotes ids in some messages that way):
    double quotes, backslash escapes, printable characters kept as they are."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


class WorkflowAlreadyStarted(AlreadyExists):
    def __init__(self, message: str, request_id: str, run_id: str, first_execution_run_id: str = "") -> None:
        super().__init__(
            message,
            errordetails.WorkflowExecutionAlreadyStartedFailure(
                start_request_id=request_id, run_id=run_id, first_execution_run_id=first_execution_run_id
            ),
        )


class WorkflowClosed(NotFound):
    """Signal, cancel or terminate of a run that has already closed."""

    def __init__(self) -> None:
        super().__init__("workflow execution already completed")


class TaskNotFound(NotFound):
    """A task token that was valid once but whose task is no longer outstanding."""


class QueryFailed(InvalidArgument):
    def __init__(self, message: str) -> None:
        super().__init__(message, errordetails.QueryFailedFailure())


class WorkflowNotReady(FailedPrecondition):
    def __init__(self) -> None:
        super().__init__(
            "Workflow execution closed before WorkflowTaskStarted event",
            errordetails.WorkflowNotReadyFailure(),
        )


class UnhandledCommand(InvalidArgument):
    """A close command arrived while new events were waiting for the workflow."""

    def __init__(self) -> None:
        super().__init__("UnhandledCommand")


class OperationAborted(ServiceError):
    """One operation of a multi-operation request, not run because another one failed."""

    code = StatusCode.ABORTED

    def __init__(self) -> None:
        super().__init__("Operation was aborted.", failure_pb.MultiOperationExecutionAborted())


class MultiOperationFailed(ServiceError):
    """ExecuteMultiOperation failed: one status per operation (None: that one succeeded).

    As on the real server, the call's own status is that of the first operation that failed
    for a reason of its own (not aborted), and the details list every operation's status.
    """

    def __init__(self, errors: list[ServiceError | None]) -> None:
        failure = errordetails.MultiOperationExecutionFailure()
        own = [e for e in errors if e is not None and not isinstance(e, OperationAborted)]
        self.code = own[0].code if own else StatusCode.ABORTED
        for error in errors:
            status = failure.statuses.add()
            if error is None:
                continue  # OK
            status.code = error.code.value[0]
            status.message = error.message
            if error.details is not None:
                packed = any_pb2.Any()
                packed.Pack(error.details)
                status.details.append(packed)
        super().__init__("Update-with-Start could not be executed.", failure)


class HistoryLimitExceeded(InvalidArgument):
    """A change would have taken a run past its history limits: the run was terminated instead."""
