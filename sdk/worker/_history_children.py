"""The history of a workflow's steps that involve other workflows: child workflows,
signals to other workflows and requests to cancel them.

Each such step starts with an *initiated* event, written for the workflow's command,
and ends with an event naming that initiated event. The workflow instance numbers
these steps per kind in the order their commands reach the server, and so does
:class:`OtherWorkflowSteps` in the order of the initiated events, so a step's number
is the same on both sides without sending it (the commands carry no field for it).
The failures built here are the ones the official SDK's core builds, so workflow code
sees the same exceptions whichever SDK wrote the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2, failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as workflow_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history

EventType = event_type_pb2.EventType
CommandType = command_type_pb2.CommandType

CHILD = "child"
SIGNAL = "signal"
CANCEL = "cancel"
KINDS = (CHILD, SIGNAL, CANCEL)

_INITIATED = {
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: CHILD,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: SIGNAL,
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: CANCEL,
}


@dataclass(frozen=True)
class ResolveChildStart:
    """A child workflow started (``run_id``), or could not start (``failed_cause``, a
    ``StartChildWorkflowExecutionFailedCause``)."""

    seq: int
    run_id: str = ""
    failed_cause: int = 0


@dataclass(frozen=True)
class ResolveChild:
    """A child workflow closed: ``result`` on success, else ``failure`` (a
    ChildWorkflowExecutionFailure whose cause says why)."""

    seq: int
    result: Sequence[common.Payload] | None = None
    failure: failure_pb.Failure | None = None


@dataclass(frozen=True)
class ResolveExternal:
    """A signal to another workflow (``kind`` "signal") or a request to cancel one
    ("cancel") was delivered, or failed with ``failure``."""

    kind: str
    seq: int
    failure: failure_pb.Failure | None = None


@dataclass
class _Child:
    seq: int
    namespace: str
    workflow_id: str
    workflow_type: str
    run_id: str = ""
    started_event_id: int = 0


def child_failure(
    message: str,
    cause: failure_pb.Failure,
    *,
    namespace: str,
    workflow_id: str,
    run_id: str,
    workflow_type: str,
    initiated_event_id: int,
    started_event_id: int,
    retry_state: int = 0,
) -> failure_pb.Failure:
    """A ChildWorkflowExecutionFailure, as the official SDK's core builds it."""
    return failure_pb.Failure(
        message=message,
        cause=cause,
        child_workflow_execution_failure_info=failure_pb.ChildWorkflowExecutionFailureInfo(
            namespace=namespace,
            workflow_execution=common.WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            workflow_type=common.WorkflowType(name=workflow_type),
            initiated_event_id=initiated_event_id,
            started_event_id=started_event_id,
            retry_state=retry_state,  # type: ignore[arg-type]
        ),
    )


def cancelled_cause() -> failure_pb.Failure:
    return failure_pb.Failure(message="Cancelled", canceled_failure_info=failure_pb.CanceledFailureInfo())


def _not_found(what: str, cause_name: str) -> failure_pb.Failure:
    if cause_name.endswith("NOT_FOUND"):
        reason = "it was not found" if what == "signal" else "not found"
    else:
        reason = cause_name.lower().replace("_", " ")
    return failure_pb.Failure(
        message=f"Unable to {what} external workflow because {reason}",
        application_failure_info=failure_pb.ApplicationFailureInfo(type="ExternalWorkflowExecutionNotFound"),
    )


class OtherWorkflowSteps:
    """Numbers initiated events per kind and turns their outcomes into jobs."""

    def __init__(self) -> None:
        self._count = dict.fromkeys(KINDS, 0)
        self._initiated: dict[int, tuple[str, int]] = {}
        self._children: dict[int, _Child] = {}

    def initiated(self, event: history.HistoryEvent) -> None:
        """Record an initiated event (any command event may be passed)."""
        kind = _INITIATED.get(event.event_type)
        if kind is None:
            return
        self._count[kind] += 1
        seq = self._count[kind]
        self._initiated[event.event_id] = (kind, seq)
        if kind == CHILD:
            attrs = event.start_child_workflow_execution_initiated_event_attributes
            self._children[event.event_id] = _Child(seq, attrs.namespace, attrs.workflow_id, attrs.workflow_type.name)

    def _seq(self, kind: str, initiated_event_id: int) -> int:
        found = self._initiated.get(initiated_event_id)
        if found is None or found[0] != kind:
            from sdk.worker._history import HistoryError

            raise HistoryError(f"outcome of unknown initiated event {initiated_event_id}")
        return found[1]

    def _child(self, initiated_event_id: int) -> _Child:
        child = self._children.get(initiated_event_id)
        if child is None:
            from sdk.worker._history import HistoryError

            raise HistoryError(f"child workflow outcome for unknown initiated event {initiated_event_id}")
        return child

    def _closed(
        self, initiated_event_id: int, message: str, cause: failure_pb.Failure, retry_state: int = 0
    ) -> ResolveChild:
        child = self._child(initiated_event_id)
        failure = child_failure(
            message,
            cause,
            namespace=child.namespace,
            workflow_id=child.workflow_id,
            run_id=child.run_id,
            workflow_type=child.workflow_type,
            initiated_event_id=initiated_event_id,
            started_event_id=child.started_event_id,
            retry_state=retry_state,
        )
        return ResolveChild(child.seq, failure=failure)

    def job(self, event: history.HistoryEvent) -> ResolveChildStart | ResolveChild | ResolveExternal | None:
        """The job an outcome event makes, or None for any other event."""
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            started = event.child_workflow_execution_started_event_attributes
            child = self._child(started.initiated_event_id)
            child.run_id = started.workflow_execution.run_id
            child.started_event_id = event.event_id
            return ResolveChildStart(child.seq, run_id=child.run_id)
        if kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
            failed = event.start_child_workflow_execution_failed_event_attributes
            return ResolveChildStart(self._child(failed.initiated_event_id).seq, failed_cause=failed.cause or -1)
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            done = event.child_workflow_execution_completed_event_attributes
            return ResolveChild(self._child(done.initiated_event_id).seq, result=list(done.result.payloads))
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            a = event.child_workflow_execution_failed_event_attributes
            return self._closed(a.initiated_event_id, "Child Workflow execution failed", a.failure, a.retry_state)
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
            c = event.child_workflow_execution_canceled_event_attributes
            cause = cancelled_cause()
            if c.HasField("details"):
                cause.canceled_failure_info.details.CopyFrom(c.details)
            return self._closed(c.initiated_event_id, "Child Workflow execution cancelled", cause)
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
            t = event.child_workflow_execution_terminated_event_attributes
            cause = failure_pb.Failure(message="Terminated", terminated_failure_info=failure_pb.TerminatedFailureInfo())
            return self._closed(t.initiated_event_id, "Child Workflow execution terminated", cause)
        if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
            o = event.child_workflow_execution_timed_out_event_attributes
            cause = failure_pb.Failure(
                message="Timed out",
                timeout_failure_info=failure_pb.TimeoutFailureInfo(
                    timeout_type=workflow_enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE  # type: ignore[attr-defined]
                ),
            )
            return self._closed(o.initiated_event_id, "Child Workflow execution timed out", cause, o.retry_state)
        if kind == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
            sig = event.external_workflow_execution_signaled_event_attributes
            return ResolveExternal(SIGNAL, self._seq(SIGNAL, sig.initiated_event_id))
        if kind == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
            sf = event.signal_external_workflow_execution_failed_event_attributes
            name = failed_cause_pb2.SignalExternalWorkflowExecutionFailedCause.Name(sf.cause)
            return ResolveExternal(SIGNAL, self._seq(SIGNAL, sf.initiated_event_id), _not_found("signal", name))
        if kind == EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            req = event.external_workflow_execution_cancel_requested_event_attributes
            return ResolveExternal(CANCEL, self._seq(CANCEL, req.initiated_event_id))
        if kind == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
            cf = event.request_cancel_external_workflow_execution_failed_event_attributes
            name = failed_cause_pb2.CancelExternalWorkflowExecutionFailedCause.Name(cf.cause)
            return ResolveExternal(CANCEL, self._seq(CANCEL, cf.initiated_event_id), _not_found("cancel", name))
        return None


# --- nondeterminism checks -------------------------------------------------------------------


def child_event_detail(event: history.HistoryEvent) -> str:
    """What identifies an initiated event in a nondeterminism message ("" for other events)."""
    if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
        a = event.start_child_workflow_execution_initiated_event_attributes
        return f" workflow_type={a.workflow_type.name!r} workflow_id={a.workflow_id!r}"
    if event.HasField("signal_external_workflow_execution_initiated_event_attributes"):
        s = event.signal_external_workflow_execution_initiated_event_attributes
        return f" workflow_id={s.workflow_execution.workflow_id!r} signal_name={s.signal_name!r}"
    if event.HasField("request_cancel_external_workflow_execution_initiated_event_attributes"):
        c = event.request_cancel_external_workflow_execution_initiated_event_attributes
        return f" workflow_id={c.workflow_execution.workflow_id!r}"
    return ""


def child_command_detail(command: command_pb.Command) -> str:
    """What identifies a command of these kinds in a nondeterminism message."""
    if command.HasField("start_child_workflow_execution_command_attributes"):
        a = command.start_child_workflow_execution_command_attributes
        return f" workflow_type={a.workflow_type.name!r} workflow_id={a.workflow_id!r}"
    if command.HasField("signal_external_workflow_execution_command_attributes"):
        s = command.signal_external_workflow_execution_command_attributes
        return f" workflow_id={s.execution.workflow_id!r} signal_name={s.signal_name!r}"
    if command.HasField("request_cancel_external_workflow_execution_command_attributes"):
        return f" workflow_id={command.request_cancel_external_workflow_execution_command_attributes.workflow_id!r}"
    return ""


COMMAND_EVENTS = {
    CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: (
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ),
    CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: (
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    ),
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: (
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    ),
}


def match_child_command(command: command_pb.Command, event: history.HistoryEvent) -> bool | None:
    """Whether a command of these kinds matches its event; None for other commands."""
    if command.HasField("start_child_workflow_execution_command_attributes"):
        a = command.start_child_workflow_execution_command_attributes
        e = event.start_child_workflow_execution_initiated_event_attributes
        return (a.workflow_id, a.workflow_type.name) == (e.workflow_id, e.workflow_type.name)
    if command.HasField("signal_external_workflow_execution_command_attributes"):
        s = command.signal_external_workflow_execution_command_attributes
        se = event.signal_external_workflow_execution_initiated_event_attributes
        return (s.execution.workflow_id, s.signal_name) == (se.workflow_execution.workflow_id, se.signal_name)
    if command.HasField("request_cancel_external_workflow_execution_command_attributes"):
        c = command.request_cancel_external_workflow_execution_command_attributes
        ce = event.request_cancel_external_workflow_execution_initiated_event_attributes
        return c.workflow_id == ce.workflow_execution.workflow_id
    return None
