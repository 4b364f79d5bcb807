"""The app's one-line error for a call a lean command made and the server refused, worded
without the SDK's client (`_lean_session`).

Why: a lean command whose call failed gave way to the fast path, which made the calls again
through the SDK's client only to word the error: about 120-175 ms where `temporal` takes 50.
A refusal that asking again would not change (:data:`CERTAIN`: an unknown workflow, schedule
or namespace, a malformed list filter, a workflow already started, a closed run) is worded
here, as the app words it, and the command ends at once.

How: :func:`refusal` is what `sdk._client_rpc.map_error` makes of the failed call (which of
the SDK's exceptions, its status and message), read from the same status details without
loading grpc or the SDK's client; :func:`app_words` is `tempo_cli._errors.describe_error` of
that exception; each command's :data:`Wording` adds what the app's command adds around its
calls (`_commands._refused_query`, `_schedule_commands._call`, the operator's and the task
queues' ``unable to ...``). tests/cli/test_lean_errors.py checks them against the app's own
functions, and the whole answer against the app's, on both servers.

What is not worded here gives way as before (the fast path answers, or a write goes again
through the SDK's connection): a transient failure (UNAVAILABLE, RESOURCE_EXHAUSTED), a
deadline (but :class:`_lean_session.RanOut`), an odd status or detail, a failed query the app
answers by asking the workflow for its handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sdk._h2_channel import CallFailed

CERTAIN = frozenset({3, 5, 6, 9})
"""INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS and FAILED_PRECONDITION: the server's answer
to the request itself, which the fast path would get again, and which the SDK's connection
does not retry (`sdk._connect_options.TRANSIENT_CODES`)."""

# grpc.StatusCode's names, by number (without loading grpc).
_NAMES = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)
_UNAVAILABLE = 14
_CLOSED_UNRUN = "closed before WorkflowTaskStarted"  # as `_commands._CLOSED_UNRUN`

# The SDK's exceptions `map_error` makes (sdk.exceptions).
NOT_FOUND = "WorkflowNotFoundError"
ALREADY_STARTED = "WorkflowAlreadyStartedError"
QUERY_FAILED = "WorkflowQueryFailedError"
RPC = "RPCError"


def not_found_words(message: str, workflow_id: str, namespace: str) -> str:
    """The app's words for a workflow the server did not find: the run, when the call named
    one (the workflow may well exist: only that run of it does not)."""
    import re  # only for this answer: `re` is not otherwise loaded by a lean command

    which = f"workflow {workflow_id!r}" if workflow_id else "workflow"
    # How the server names a run it does not have (as the real server: errors.WorkflowNotFound).
    missing = re.search(r'and run ID "([0-9A-Za-z-]*)"$', message)
    if missing is not None and missing.group(1):
        return f"run {missing.group(1)} of {which} not found in namespace {namespace!r}"
    return f"{which} not found in namespace {namespace!r}"


class Refusal:
    """A failed call as `map_error` sees it: the exception it makes (``kind``: its class's
    name), that exception's status code's name (``code``) and message (``str(err)``), and
    what the app's words name: the workflow id the call was for, the run already started
    (``run_id``), the namespace."""

    __slots__ = ("code", "kind", "message", "namespace", "run_id", "workflow_id")

    def __init__(self, kind: str, code: str, message: str, workflow_id: str, namespace: str, run_id: str = "") -> None:
        self.kind = kind
        self.code = code
        self.message = message
        self.workflow_id = workflow_id
        self.namespace = namespace
        self.run_id = run_id

    @property
    def rpc(self) -> bool:
        """Whether the exception is an RPCError (what the app's commands catch around a call)."""
        return self.kind != QUERY_FAILED


Wording = Callable[[Refusal], str | None]
"""A command's words for a refusal, as the app ends with them; None to give way."""


def refusal(failed: CallFailed, workflow_id: str, namespace: str) -> Refusal | None:
    """What `sdk._client_rpc.map_error` makes of ``failed`` (a call for ``workflow_id`` in
    ``namespace``); None for what this module does not word (an unreachable server, a status
    grpc does not name, a multi-operation's failure, a detail that does not decode)."""
    status, message = failed.status, failed.details() or ""
    if status == _UNAVAILABLE or not 0 < status < len(_NAMES):
        return None
    try:
        detail = _detail(failed)
    except Exception:  # a detail that does not unpack: `map_error` raises, the app's to show
        return None
    name = type(detail).__name__ if detail is not None else ""
    if name == "Any":
        from temporalio.api.errordetails.v1 import MultiOperationExecutionFailure

        if detail.Is(MultiOperationExecutionFailure.DESCRIPTOR):
            return None  # ExecuteMultiOperation's: no lean command makes it
    if name == "WorkflowExecutionAlreadyStartedFailure":
        run_id = detail.run_id
        words = message or f"workflow {workflow_id!r} is already started (run {run_id})"
        return Refusal(ALREADY_STARTED, "ALREADY_EXISTS", words, workflow_id, namespace, run_id)
    if name == "QueryFailedFailure":
        return Refusal(QUERY_FAILED, _NAMES[status], message, workflow_id, namespace)
    if _NAMES[status] == "NOT_FOUND" and name != "NamespaceNotFoundFailure":
        return Refusal(NOT_FOUND, "NOT_FOUND", message, workflow_id, namespace)
    return Refusal(RPC, _NAMES[status], message, workflow_id, namespace)


def _detail(failed: CallFailed) -> Any:
    """The call's first rich error detail, as `sdk._client_rpc.status_detail` reads it."""
    for key, value in failed.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        from google.rpc import status_pb2
        from temporalio.api.errordetails.v1 import (
            NamespaceNotFoundFailure,
            QueryFailedFailure,
            WorkflowExecutionAlreadyStartedFailure,
        )

        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # a garbled trailer: as the SDK, no detail
            return None
        if not status.details:
            return None
        first = status.details[0]
        for kind in (WorkflowExecutionAlreadyStartedFailure, NamespaceNotFoundFailure, QueryFailedFailure):
            if first.Is(kind.DESCRIPTOR):
                detail = kind()
                first.Unpack(detail)
                return detail
        return first
    return None


def app_words(refused: Refusal) -> str:
    """`tempo_cli._errors.describe_error` of the exception (the app's words when its command
    adds none)."""
    if refused.kind == ALREADY_STARTED:
        return (
            f"workflow {refused.workflow_id!r} is already running (run {refused.run_id}); "
            "use --id-conflict-policy UseExisting to attach to it"
        )
    if refused.kind == NOT_FOUND:
        if "already completed" in refused.message:
            which = f"workflow {refused.workflow_id!r}" if refused.workflow_id else "workflow"
            return f"{which} is already closed"
        return not_found_words(refused.message, refused.workflow_id, refused.namespace)
    if refused.kind == QUERY_FAILED:
        return f"query failed: {refused.message}"
    if refused.code == "NOT_FOUND" and "namespace" in refused.message.lower():
        return f"namespace {refused.namespace!r} not found"
    if refused.code == "DEADLINE_EXCEEDED":
        return "the server did not answer in time (is a worker polling the task queue?)"
    return f"server refused the request ({refused.code}): {refused.message}"


def refused_query(query: str) -> Wording:
    """`workflow list` and `count` (`_commands._refused_query`): a filter the server refuses
    is the user's mistake."""

    def words(refused: Refusal) -> str:
        if refused.rpc and refused.code == "INVALID_ARGUMENT":
            return f"the server refused --query {query!r}: {refused.message}"
        return app_words(refused)

    return words


def schedule_words(refused: Refusal) -> str:
    """The `tempo schedule` commands (`_schedule_commands._call`): any NOT_FOUND is the schedule's."""
    if refused.rpc and refused.code == "NOT_FOUND":
        return "schedule not found"
    return app_words(refused)


def unable(what: str, refusals: tuple[str, ...] = ("NOT_FOUND", "ALREADY_EXISTS")) -> Wording:
    """The operator's reads (`_operator_commands._call`) and, with NOT_FOUND and
    INVALID_ARGUMENT, the task queues' (`_task_queue_commands._call`)."""

    def words(refused: Refusal) -> str:
        if refused.rpc and refused.code in refusals:
            return f"unable to {what}: {refused.message}"
        return app_words(refused)

    return words


def query_words(workflow_id: str) -> Wording:
    """`workflow query` (`_commands.query`, `_query`): a run no worker ever ran has no code to
    query; a failed query is the app's (it asks the workflow which queries it has)."""

    def words(refused: Refusal) -> str | None:
        if refused.kind == QUERY_FAILED:
            return None
        if refused.code == "FAILED_PRECONDITION" and _CLOSED_UNRUN in refused.message:
            return f"workflow {workflow_id} closed before any worker ran it, so there is no code to query"
        return app_words(refused)

    return words
