"""Workflows that act on other workflows: child workflows, external signals and cancels.

Like Temporal's transfer tasks, each cross-run action is recorded in the acting
run's state first (an *Initiated* event and a pending entry) and carried out by
the engine after that commit. The pending entry stays until the outcome is
written back, so `pending_transfers` can rebuild the outstanding work after a
restart; every action is idempotent (derived request ids, duplicate checks), so
doing one twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import workflow_tasks
from devserver.core.changes import (
    ApplyParentClosePolicy,
    CancelExternal,
    Changes,
    NotifyParent,
    RunKey,
    SignalExternal,
    StartChild,
    Transfer,
)
from devserver.core.lifecycles import CHILD, ChildEvent, ChildState
from devserver.core.mutable_state import ChildInfo, EventType, MutableState, new_event
from devserver.core.protos import with_value_names

Status = with_value_names(wf_enums.WorkflowExecutionStatus)
ParentClosePolicy = with_value_names(wf_enums.ParentClosePolicy)
ExternalFailedCause = with_value_names(failed_cause_pb2.SignalExternalWorkflowExecutionFailedCause)
CancelFailedCause = with_value_names(failed_cause_pb2.CancelExternalWorkflowExecutionFailedCause)

# Who the server says acted when it delivers a workflow's signal or cancel, or applies a
# parent close policy (as the real one does).
SERVER_IDENTITY = "history-service"
PARENT_CLOSE_REASON = "by parent close policy"


def pending_transfers(state: MutableState) -> list[Transfer]:
    """Everything still owed to or by this run, rebuilt from its state (after a restart)."""
    key = state.key
    found: list[Transfer] = []
    if state.running:
        found += [StartChild(key, i) for i, child in state.children.items() if child.state is ChildState.INITIATED]
        found += [SignalExternal(key, i) for i in state.external_signals]
        found += [CancelExternal(key, i) for i in state.external_cancels]
    found += [ApplyParentClosePolicy(key, i) for i in state.closing_children]
    if needs_parent_notified(state):
        found.append(NotifyParent(key))
    return found


def has_parent(state: MutableState) -> bool:
    return bool(state.started_attributes.parent_workflow_execution.workflow_id)


def parent_key(state: MutableState) -> RunKey:
    started = state.started_attributes
    return RunKey(
        started.parent_workflow_namespace or state.key.namespace,
        started.parent_workflow_execution.workflow_id,
        started.parent_workflow_execution.run_id,
    )


def needs_parent_notified(state: MutableState) -> bool:
    # A run that continued as new or is retried hands the duty to its successor.
    return has_parent(state) and not state.running and not state.parent_notified and not state.continued_to_run_id


# ---- child workflows: the parent's side ---------------------------------------------


def initiate_child(
    state: MutableState, ch: Changes, attrs: history.StartChildWorkflowExecutionInitiatedEventAttributes
) -> None:
    event_id = state.append_event(ch, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, attrs)
    state.children[event_id] = ChildInfo(event_id, attrs)
    ch.transfers.append(StartChild(state.key, event_id))


def child_request_id(parent: RunKey, initiated_event_id: int) -> str:
    """The start request id of a child: the same on every try, so a retried start is a no-op.

    (The real server's form: parent run id, initiated event id, version.)
    """
    return f"{parent.run_id}:{initiated_event_id}:0"


def child_started(state: MutableState, ch: Changes, initiated_event_id: int, run_id: str) -> None:
    child = _child(state, ch, initiated_event_id, ChildEvent.START)
    if child is None:
        return
    child.run_id = run_id
    attrs = history.ChildWorkflowExecutionStartedEventAttributes(
        namespace=child.initiated.namespace,
        namespace_id=child.initiated.namespace_id,
        initiated_event_id=initiated_event_id,
        workflow_execution=common.WorkflowExecution(workflow_id=child.workflow_id, run_id=run_id),
        workflow_type=child.initiated.workflow_type,
        header=child.initiated.header,
    )
    # Its event id is known once written (now, or when the buffer is flushed): see
    # MutableState._link_child_events, which also fills it into the close event.
    workflow_tasks.add_external(
        state, ch, [new_event(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, ch.now, attrs)]
    )


def child_start_failed(state: MutableState, ch: Changes, initiated_event_id: int, cause: int) -> None:
    child = _child(state, ch, initiated_event_id, ChildEvent.START_FAIL)
    if child is None:
        return
    del state.children[initiated_event_id]
    attrs = history.StartChildWorkflowExecutionFailedEventAttributes(
        namespace=child.initiated.namespace,
        namespace_id=child.initiated.namespace_id,
        workflow_id=child.workflow_id,
        workflow_type=child.initiated.workflow_type,
        cause=cause,  # type: ignore[arg-type]
        control=child.initiated.control,
        initiated_event_id=initiated_event_id,
    )
    workflow_tasks.add_external(
        state, ch, [new_event(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, ch.now, attrs)]
    )


# A child's close event -> the event its parent gets, and which attributes carry over.
_CHILD_CLOSE_EVENTS: dict[int, tuple[int, type[Any], tuple[str, ...]]] = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: (
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        history.ChildWorkflowExecutionCompletedEventAttributes,
        ("result",),
    ),
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: (
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
        history.ChildWorkflowExecutionFailedEventAttributes,
        ("failure", "retry_state"),
    ),
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: (
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        history.ChildWorkflowExecutionCanceledEventAttributes,
        ("details",),
    ),
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: (
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
        history.ChildWorkflowExecutionTerminatedEventAttributes,
        (),
    ),
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: (
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
        history.ChildWorkflowExecutionTimedOutEventAttributes,
        ("retry_state",),
    ),
}


def child_closed(
    state: MutableState, ch: Changes, initiated_event_id: int, run_id: str, close_event: history.HistoryEvent
) -> None:
    """The child's run `run_id` (its last) closed with `close_event`: tell the parent's workflow."""
    child = _child(state, ch, initiated_event_id, ChildEvent.CLOSE)
    if child is None:
        return
    event_type, attrs_class, carried = _CHILD_CLOSE_EVENTS[close_event.event_type]
    attrs = attrs_class(
        namespace=child.initiated.namespace,
        namespace_id=child.initiated.namespace_id,
        workflow_execution=common.WorkflowExecution(workflow_id=child.workflow_id, run_id=run_id),
        workflow_type=child.initiated.workflow_type,
        initiated_event_id=initiated_event_id,
    )
    closed: Any = getattr(close_event, close_event.WhichOneof("attributes") or "")
    for name in carried:
        value = getattr(closed, name)
        if isinstance(value, Message):
            if closed.HasField(name):
                getattr(attrs, name).CopyFrom(value)
        else:
            setattr(attrs, name, value)
    del state.children[initiated_event_id]
    workflow_tasks.add_external(state, ch, [new_event(event_type, ch.now, attrs)])


def _child(state: MutableState, ch: Changes, initiated_event_id: int, event: ChildEvent) -> ChildInfo | None:
    """The child `event` is about, moved to its next state; None if the event is stale."""
    child = state.children.get(initiated_event_id)
    if child is None or not state.running:
        CHILD.ignore(ch, initiated_event_id, event)
        return None
    if CHILD.move(ch, child, event) is None:
        return None
    return child


def child_to_start(state: MutableState, initiated_event_id: int) -> ChildInfo | None:
    """The child the run initiated and has not started yet (None if it is started or gone)."""
    child = state.children.get(initiated_event_id)
    if child is None or child.state is not ChildState.INITIATED or not state.running:
        return None
    return child


def closing_child(state: MutableState, initiated_event_id: int) -> ChildInfo | None:
    """A child the closed run must still apply its parent close policy to."""
    return state.closing_children.get(initiated_event_id)


def close_policy_applied(state: MutableState, ch: Changes, initiated_event_id: int) -> None:
    state.closing_children.pop(initiated_event_id, None)


def parent_notified(state: MutableState, ch: Changes) -> None:
    """The closed child run has told its parent how it ended."""
    state.parent_notified = True


# ---- external signals and cancels: the sender's side ------------------------------------


def initiate_signal(
    state: MutableState, ch: Changes, attrs: history.SignalExternalWorkflowExecutionInitiatedEventAttributes
) -> None:
    event_id = state.append_event(ch, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, attrs)
    state.external_signals[event_id] = attrs
    ch.transfers.append(SignalExternal(state.key, event_id))


def signal_to_send(
    state: MutableState, initiated_event_id: int
) -> history.SignalExternalWorkflowExecutionInitiatedEventAttributes | None:
    """A signal the run initiated and that is not delivered yet."""
    return state.external_signals.get(initiated_event_id)


def cancel_to_send(
    state: MutableState, initiated_event_id: int
) -> history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes | None:
    """A cancel request the run initiated and that is not delivered yet."""
    return state.external_cancels.get(initiated_event_id)


def signal_request_id(source: RunKey, initiated_event_id: int) -> str:
    """A uuid, like the real server's, but derived: a redelivered signal is recognised as a duplicate."""
    import uuid  # here: the server starts without it (devserver.core.ids)

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tempo:{source.run_id}:signal:{initiated_event_id}"))


def external_signaled(state: MutableState, ch: Changes, initiated_event_id: int) -> None:
    _record_outcome(
        state,
        ch,
        state.external_signals,
        initiated_event_id,
        EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
        history.ExternalWorkflowExecutionSignaledEventAttributes,
    )


def external_signal_failed(state: MutableState, ch: Changes, initiated_event_id: int) -> None:
    _record_outcome(
        state,
        ch,
        state.external_signals,
        initiated_event_id,
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        history.SignalExternalWorkflowExecutionFailedEventAttributes,
        cause=ExternalFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    )


def initiate_cancel(
    state: MutableState, ch: Changes, attrs: history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
) -> None:
    event_id = state.append_event(ch, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, attrs)
    state.external_cancels[event_id] = attrs
    ch.transfers.append(CancelExternal(state.key, event_id))


def external_cancel_requested(state: MutableState, ch: Changes, initiated_event_id: int) -> None:
    _record_outcome(
        state,
        ch,
        state.external_cancels,
        initiated_event_id,
        EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        history.ExternalWorkflowExecutionCancelRequestedEventAttributes,
    )


def external_cancel_failed(state: MutableState, ch: Changes, initiated_event_id: int) -> None:
    _record_outcome(
        state,
        ch,
        state.external_cancels,
        initiated_event_id,
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        history.RequestCancelExternalWorkflowExecutionFailedEventAttributes,
        cause=CancelFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    )


def _record_outcome(
    state: MutableState,
    ch: Changes,
    pending: dict[int, Any],
    initiated_event_id: int,
    event_type: int,
    attrs_class: type[Any],
    **fields: int,
) -> None:
    """A signal or cancel the run sent was delivered (or not): tell its workflow, once."""
    initiated = pending.pop(initiated_event_id, None)
    if initiated is None or not state.running:
        return
    attrs = attrs_class(
        initiated_event_id=initiated_event_id,
        namespace=initiated.namespace,
        namespace_id=initiated.namespace_id,
        workflow_execution=initiated.workflow_execution,
        **fields,
    )
    if "control" in attrs_class.DESCRIPTOR.fields_by_name:
        attrs.control = initiated.control
    workflow_tasks.add_external(state, ch, [new_event(event_type, ch.now, attrs)])


def is_child_of(target: MutableState, source: MutableState) -> bool:
    parent = target.started_attributes.parent_workflow_execution
    return parent.workflow_id == source.key.workflow_id and parent.run_id == source.key.run_id
