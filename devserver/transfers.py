"""Carrying out work one run asks of another (see `devserver.core.children`).

Each transfer acts on the target run and commits, then records the outcome on
the acting run and commits again. A crash between the two leaves the pending
entry in place; on restart the engine carries the transfer out again, and the
derived request ids make the second attempt a no-op on the target.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import children, closing, signals
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
from devserver.core.mutable_state import MutableState
from devserver.core.protos import with_value_names
from devserver.errors import NamespaceNotFound, ServiceError, WorkflowAlreadyStarted, WorkflowNotFound
from devserver.run_ops import RunOps

if TYPE_CHECKING:
    from devserver.engine import Engine

log = logging.getLogger("tempo.transfers")

StartChildFailedCause = with_value_names(failed_cause_pb2.StartChildWorkflowExecutionFailedCause)


async def carry_out(engine: Engine, transfer: Transfer) -> None:
    if isinstance(transfer, StartChild):
        await _start_child(engine, transfer)
    elif isinstance(transfer, SignalExternal):
        await _signal_external(engine, transfer)
    elif isinstance(transfer, CancelExternal):
        await _cancel_external(engine, transfer)
    elif isinstance(transfer, NotifyParent):
        await _notify_parent(engine, transfer)
    else:
        await _apply_parent_close_policy(engine, transfer)


def _execution(state: MutableState) -> common.WorkflowExecution:
    return common.WorkflowExecution(workflow_id=state.key.workflow_id, run_id=state.key.run_id)


async def _start_child(engine: Engine, transfer: StartChild) -> None:
    parent = engine.runs.get(transfer.parent)
    child = children.child_to_start(parent, transfer.initiated_event_id) if parent is not None else None
    if parent is None or child is None:
        return
    initiated = child.initiated
    request = wsv1.StartWorkflowExecutionRequest(
        namespace=initiated.namespace,
        workflow_id=initiated.workflow_id,
        workflow_type=initiated.workflow_type,
        task_queue=initiated.task_queue,
        input=initiated.input if initiated.HasField("input") else None,
        workflow_execution_timeout=initiated.workflow_execution_timeout,
        workflow_run_timeout=initiated.workflow_run_timeout,
        workflow_task_timeout=initiated.workflow_task_timeout,
        request_id=children.child_request_id(parent.key, transfer.initiated_event_id),
        workflow_id_reuse_policy=initiated.workflow_id_reuse_policy,
        retry_policy=initiated.retry_policy if initiated.HasField("retry_policy") else None,
        memo=initiated.memo,
        search_attributes=initiated.search_attributes,
        header=initiated.header,
        priority=initiated.priority if initiated.HasField("priority") else None,
        cron_schedule=initiated.cron_schedule,
    )
    if initiated.HasField("time_skipping_config"):
        request.time_skipping_config.CopyFrom(initiated.time_skipping_config)
    # The child's static summary and details ride on the parent's initiated event.
    initiated_event = engine.store.read(parent.key, transfer.initiated_event_id, transfer.initiated_event_id)
    if initiated_event and initiated_event[0].HasField("user_metadata"):
        request.user_metadata.CopyFrom(initiated_event[0].user_metadata)
    parent_started = parent.started_attributes
    link = history.WorkflowExecutionStartedEventAttributes(
        parent_workflow_namespace=parent.key.namespace,
        parent_workflow_namespace_id=engine.namespaces.get(parent.key.namespace).info.id,
        parent_workflow_execution=_execution(parent),
        parent_initiated_event_id=transfer.initiated_event_id,
        root_workflow_execution=parent_started.root_workflow_execution
        if parent_started.root_workflow_execution.workflow_id
        else _execution(parent),
        # A child's started event always has these, if only empty (as the real server writes it).
        header=initiated.header,
        workflow_run_timeout=initiated.workflow_run_timeout,
    )
    if initiated.HasField("time_skipping_state_propagation"):
        link.time_skipping_state_propagation.CopyFrom(initiated.time_skipping_state_propagation)
    cause = 0
    run_id = ""
    try:
        started, _ = await RunOps(engine).start_workflow(request, parent=link)
        run_id = started.key.run_id
    except WorkflowAlreadyStarted:
        cause = StartChildFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
    except NamespaceNotFound:
        cause = StartChildFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
    parent = engine.runs.get(transfer.parent)
    if parent is None:
        return
    initiated_event_id = transfer.initiated_event_id
    if run_id:
        await engine.change(parent, lambda run, ch: children.child_started(run, ch, initiated_event_id, run_id))
    else:
        await engine.change(parent, lambda run, ch: children.child_start_failed(run, ch, initiated_event_id, cause))


async def _signal_external(engine: Engine, transfer: SignalExternal) -> None:
    source = engine.runs.get(transfer.source)
    attrs = children.signal_to_send(source, transfer.initiated_event_id) if source is not None else None
    if source is None or attrs is None:
        return

    def signal(target: MutableState, ch: Changes) -> None:
        signals.signal(
            target,
            ch,
            attrs.signal_name,
            attrs.input if attrs.HasField("input") else None,
            children.SERVER_IDENTITY,
            children.signal_request_id(source.key, transfer.initiated_event_id),
            attrs.header,
            external=_execution(source),
        )

    delivered = await _act_on_target(engine, source, attrs, signal)
    outcome = children.external_signaled if delivered else children.external_signal_failed
    await engine.change(source, lambda run, ch: outcome(run, ch, transfer.initiated_event_id))


async def _cancel_external(engine: Engine, transfer: CancelExternal) -> None:
    source = engine.runs.get(transfer.source)
    attrs = children.cancel_to_send(source, transfer.initiated_event_id) if source is not None else None
    if source is None or attrs is None:
        return

    def cancel(target: MutableState, ch: Changes) -> None:
        signals.request_cancel(
            target,
            ch,
            attrs.reason,
            children.SERVER_IDENTITY,
            external=_execution(source),
            external_initiated_event_id=transfer.initiated_event_id,
        )

    delivered = await _act_on_target(engine, source, attrs, cancel)
    outcome = children.external_cancel_requested if delivered else children.external_cancel_failed
    await engine.change(source, lambda run, ch: outcome(run, ch, transfer.initiated_event_id))


async def _act_on_target(
    engine: Engine,
    source: MutableState,
    attrs: history.SignalExternalWorkflowExecutionInitiatedEventAttributes
    | history.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes,
    act: Callable[[MutableState, Changes], None],
) -> bool:
    """Apply `act` to the workflow a signal or cancel names and commit it; False if there is none."""
    execution = attrs.workflow_execution
    try:
        target = engine.run(attrs.namespace, execution.workflow_id, execution.run_id)
        if attrs.child_workflow_only and not children.is_child_of(target, source):
            raise WorkflowNotFound(execution.workflow_id)
        await engine.change(target, act)
    except ServiceError as error:
        log.debug("%s from %s not delivered: %s", type(attrs).__name__, source.key, error)
        return False
    return True


async def _notify_parent(engine: Engine, transfer: NotifyParent) -> None:
    child = engine.runs.get(transfer.child)
    if child is None or not children.needs_parent_notified(child):
        return
    parent = engine.runs.get(children.parent_key(child))
    # A parent that was reset carries its children on in the run the reset started.
    while parent is not None and not parent.running and parent.reset_run_id:
        parent = engine.runs.get(RunKey(parent.key.namespace, parent.key.workflow_id, parent.reset_run_id))
    if parent is not None and parent.running:
        close_event = engine.store.read(child.key, child.close_event_id, child.close_event_id)[0]
        initiated_event_id = child.started_attributes.parent_initiated_event_id  # kept by every run
        await engine.change(
            parent,
            lambda run, ch: children.child_closed(run, ch, initiated_event_id, child.key.run_id, close_event),
        )
    await engine.change(child, children.parent_notified)


async def _apply_parent_close_policy(engine: Engine, transfer: ApplyParentClosePolicy) -> None:
    parent = engine.runs.get(transfer.parent)
    child = children.closing_child(parent, transfer.initiated_event_id) if parent is not None else None
    if parent is None or child is None:
        return
    try:
        target = engine.run(child.initiated.namespace, child.workflow_id)
    except ServiceError:
        target = None
    # The child may have continued as new: act on its current run, if it is still the same chain.
    # A child a reset carried over still names the run it was started by: only that run's
    # policy applies to it, as on the real server.
    if (
        target is not None
        and target.running
        and target.first_execution_run_id == child.run_id
        and children.is_child_of(target, parent)
    ):
        identity = children.SERVER_IDENTITY
        policy = child.initiated.parent_close_policy
        if policy == wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
            parent_execution = _execution(parent)
            await engine.change(
                target, lambda run, ch: signals.request_cancel(run, ch, "", identity, external=parent_execution)
            )
        elif policy in (
            wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_UNSPECIFIED,
            wf_enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
        ):
            await engine.change(
                target, lambda run, ch: closing.terminate(run, ch, children.PARENT_CLOSE_REASON, None, identity)
            )
        # A policy the real server does not know (the command may carry any number) leaves the
        # child running there, as ABANDON does.
    await engine.change(parent, lambda run, ch: children.close_policy_applied(run, ch, transfer.initiated_event_id))
