"""Workflow updates: a request the workflow's code accepts or rejects, then answers.

The server admits an update and hands it to a worker as a protocol message in a
workflow task. If no task is due, it creates a *speculative* one whose events are
written only if the worker's answer changes history: a rejected update leaves no
trace, as on the real server. An accepted update writes `WorkflowExecutionUpdateAccepted`,
its answer `WorkflowExecutionUpdateCompleted`; the worker sends each as a message
paired with a `PROTOCOL_MESSAGE` command, which fixes where the event goes among
the task's other commands. A rejection is a message alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import temporalio.api.workflowservice.v1.request_response_pb2 as wsv1
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.update.v1 import message_pb2 as update_pb

from devserver.core import workflow_tasks
from devserver.core.changes import Changes
from devserver.core.lifecycles import UPDATE, UpdateEvent, UpdateState
from devserver.core.mutable_state import (
    EventType,
    MutableState,
    UpdateInfo,
    WorkflowTask,
)
from devserver.core.protos import with_value_names
from devserver.errors import FailedPrecondition, WorkflowClosed

ConflictPolicy = with_value_names(wf_enums.WorkflowIdConflictPolicy)


class BadMessage(Exception):
    """A worker's protocol message that does not fit the update it names."""


def find(state: MutableState, update_id: str) -> UpdateInfo | None:
    """The update the run knows by this id (admitted, accepted, or completed and recorded)."""
    return state.updates.get(update_id)


def admit(state: MutableState, ch: Changes, request: update_pb.Request) -> UpdateInfo:
    """Take an update request (or find the one with its id) and get it to a worker."""
    known = state.updates.get(request.meta.update_id)
    if known is not None:
        return known
    if not state.running:
        raise WorkflowClosed()
    if state.paused:  # core.pause
        raise FailedPrecondition("Workflow is paused. Cannot update the workflow.")
    update = UpdateInfo(request.meta.update_id, request)
    state.updates[update.update_id] = update
    if state.workflow_task is None and not state.workflow_task_retry_attempt:
        workflow_tasks.schedule(state, ch, speculative=True)
    # A task already scheduled carries it when started; one already started is
    # followed by another (see `needs_new_task`).
    return update


def needs_new_task(state: MutableState, task: WorkflowTask) -> bool:
    """Updates admitted while `task` was running need a task of their own."""
    return any(u.state is UpdateState.ADMITTED and u.delivered_seq != task.seq for u in state.updates.values())


def can_discard(
    state: MutableState,
    task: WorkflowTask,
    commands: Sequence[object],
    messages: list[protocol_pb.Message],
    request: wsv1.RespondWorkflowTaskCompletedRequest,
) -> bool:
    """A speculative task answered with rejections only (or nothing) leaves history as it was.

    If events came after the worker's last task (its commands' events), only a worker that
    says it can (discard_speculative_workflow_task_with_events) gets the task discarded.
    """
    if not task.speculative or commands or task.scheduled_event_id != task.base_event_id:
        return False
    if not all(m.body.Is(update_pb.Rejection.DESCRIPTOR) for m in messages):
        return False
    events_since_last_task = task.scheduled_event_id - 1 > state.last_completed_started_event_id + 1
    return not events_since_last_task or request.capabilities.discard_speculative_workflow_task_with_events


def check_messages(state: MutableState, messages: list[protocol_pb.Message], referenced: set[str]) -> None:
    """Every message names a known update; every PROTOCOL_MESSAGE command names a message."""
    ids = {m.id for m in messages}
    missing = referenced - ids
    if missing:
        raise BadMessage(f"ProtocolMessageCommand names unknown message {sorted(missing)[0]}")
    for message in messages:
        if message.protocol_instance_id not in state.updates:
            raise BadMessage(f"update {message.protocol_instance_id} not found")
        body = message.body
        if not any(body.Is(t.DESCRIPTOR) for t in (update_pb.Acceptance, update_pb.Rejection, update_pb.Response)):
            raise BadMessage(f"unknown protocol message body {body.type_url}")


def apply_message(state: MutableState, ch: Changes, message: protocol_pb.Message) -> None:
    """One message from the worker, at its place among the task's commands."""
    update = state.updates.get(message.protocol_instance_id)
    if update is None:
        return
    if message.body.Is(update_pb.Acceptance.DESCRIPTOR):
        acceptance = update_pb.Acceptance()
        message.body.Unpack(acceptance)
        if not _move(ch, update, UpdateEvent.ACCEPT):
            return
        update.accepted_event_id = state.append_event(
            ch,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            history.WorkflowExecutionUpdateAcceptedEventAttributes(
                protocol_instance_id=update.update_id,
                accepted_request_message_id=acceptance.accepted_request_message_id,
                accepted_request_sequencing_event_id=acceptance.accepted_request_sequencing_event_id,
                # An update admitted by an event has its request there already.
                accepted_request=None
                if update.admitted_event_id
                else acceptance.accepted_request
                if acceptance.HasField("accepted_request")
                else update.request,
            ),
        )
    elif message.body.Is(update_pb.Response.DESCRIPTOR):
        response = update_pb.Response()
        message.body.Unpack(response)
        if not _move(ch, update, UpdateEvent.COMPLETE):
            return
        state.append_event(
            ch,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
            history.WorkflowExecutionUpdateCompletedEventAttributes(
                meta=response.meta, accepted_event_id=update.accepted_event_id, outcome=response.outcome
            ),
        )
        update.outcome = response.outcome
    else:
        rejection = update_pb.Rejection()
        message.body.Unpack(rejection)
        if not _move(ch, update, UpdateEvent.REJECT):
            return
        _forget_rejected(state, ch, update, rejection.failure)


def reject_unprocessed(state: MutableState, ch: Changes, task: WorkflowTask) -> None:
    """Updates the worker got with `task` and neither accepted nor rejected: the server rejects them."""
    for update in list(state.updates.values()):
        # One with an admitted event in history waits for a worker that handles it.
        if update.state is UpdateState.ADMITTED and update.delivered_seq == task.seq and not update.admitted_event_id:
            failure = failure_pb.Failure(
                message="Workflow Update is rejected because it wasn't processed by worker. "
                "Probably, Workflow Update is not supported by the worker.",
                source="Server",
            )
            failure.application_failure_info.type = "UnprocessedUpdate"
            failure.application_failure_info.non_retryable = True
            UPDATE.next(update, UpdateEvent.REJECT)
            ch.updates.append(update.update_id)
            _forget_rejected(state, ch, update, failure)


def run_closed(state: MutableState, ch: Changes) -> None:
    """The run closed: updates it never finished can no longer complete. Their callers are told,
    as the real server tells them: an accepted one gets a failure outcome (kept for polls), an
    admitted one is aborted (its callers get NOT_FOUND)."""
    for update in list(state.updates.values()):
        if update.state not in (UpdateState.ADMITTED, UpdateState.ACCEPTED):
            continue
        UPDATE.next(update, UpdateEvent.RUN_CLOSED)
        ch.updates.append(update.update_id)
        if update.state is UpdateState.UNFINISHED:
            update.outcome = update_pb.Outcome(failure=_accepted_update_failure())
        else:
            del state.updates[update.update_id]
            ch.rejected_updates[update.update_id] = update


def _move(ch: Changes, update: UpdateInfo, event: UpdateEvent) -> bool:
    """Move the update to its next state (its callers are told); False if `event` is stale."""
    if UPDATE.move(ch, update, event) is None:
        return False
    ch.updates.append(update.update_id)
    return True


def _forget_rejected(state: MutableState, ch: Changes, update: UpdateInfo, failure: failure_pb.Failure) -> None:
    # Not recorded: a rejected update is forgotten once its caller has the answer.
    update.outcome = update_pb.Outcome(failure=failure)
    del state.updates[update.update_id]
    ch.rejected_updates[update.update_id] = update


def _accepted_update_failure() -> failure_pb.Failure:
    failure = failure_pb.Failure(
        message="Workflow Update failed because the Workflow completed before the Update completed.",
        source="Server",
    )
    failure.application_failure_info.type = "AcceptedUpdateCompletedWorkflow"
    failure.application_failure_info.non_retryable = True
    return failure


# What update-with-start does with the workflow id's current run (see `with_start_plan`).
RETURN_OUTCOME = "outcome"
ATTACH = "attach"
START = "start"


def with_start_plan(current: MutableState | None, start_request_id: str, conflict_policy: int, update_id: str) -> str:
    """Update-with-start, as the real server decides it from the workflow id's current run:

    - the update already completed in that run: its outcome is the answer, whatever the
      reuse and conflict policies say (RETURN_OUTCOME); one the run closed on before it
      completed (UNFINISHED) is not attached to: the start decides, as for a new update;
    - the run is running and the start is a retry of the one that started it, or it already
      knows the update, or the conflict policy is USE_EXISTING: the update goes to it (ATTACH);
    - otherwise the start decides, with its policies (START).
    """
    if current is None:
        return START
    known = current.updates.get(update_id)
    if known is not None and known.state is UpdateState.COMPLETED and known.outcome is not None:
        return RETURN_OUTCOME
    if current.running and (
        (start_request_id and start_request_id == current.start_request_id)
        or known is not None
        or conflict_policy == ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
    ):
        return ATTACH
    return START
