"""What clients (and other workflows) send a running workflow: signals and cancel requests.

Both are external events: written at once, or buffered while a workflow task is started
(`workflow_tasks.add_external`), and they make sure a workflow task follows.
"""

from __future__ import annotations

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import closing, workflow_tasks
from devserver.core.changes import Changes
from devserver.core.mutable_state import EventType, MutableState, new_event
from devserver.errors import WorkflowClosed


def signal(
    state: MutableState,
    ch: Changes,
    name: str,
    payloads: common.Payloads | None,
    identity: str,
    request_id: str,
    header: common.Header | None = None,
    external: common.WorkflowExecution | None = None,
) -> None:
    """`external` is the workflow that sent it, for a signal from SignalExternalWorkflowExecution."""
    if request_id and request_id in state.signal_request_ids:
        return  # a retried request: already recorded once (even if the run has closed since)
    if not state.running:
        raise WorkflowClosed()
    if request_id:
        state.signal_request_ids.add(request_id)
    # Like the real server, empty input and header are left out of the event.
    attrs = history.WorkflowExecutionSignaledEventAttributes(
        signal_name=name,
        input=payloads if payloads is not None and payloads.payloads else None,
        identity=identity,
        header=header if header is not None and header.fields else None,
        request_id=request_id,
        external_workflow_execution=external,
    )
    workflow_tasks.add_external(state, ch, [new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, ch.now, attrs)])


def request_cancel(
    state: MutableState,
    ch: Changes,
    reason: str,
    identity: str,
    external: common.WorkflowExecution | None = None,
    external_initiated_event_id: int = 0,
    first_execution_run_id: str = "",
) -> None:
    """`external` and its initiated event id name the workflow that asked, if one did.

    Asking a closed run to cancel succeeds and changes nothing, as on the real server.
    """
    if not state.running:
        return
    closing.check_first_execution_run_id(state, first_execution_run_id)
    if state.cancel_requested:
        return
    state.cancel_requested = True
    attrs = history.WorkflowExecutionCancelRequestedEventAttributes(
        cause=reason,
        identity=identity,
        external_initiated_event_id=external_initiated_event_id,
        external_workflow_execution=external,
    )
    workflow_tasks.add_external(
        state, ch, [new_event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, ch.now, attrs)]
    )
