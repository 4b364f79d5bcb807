"""Child workflows, external signals and cancels in the core: no network, a hand-moved clock."""

from __future__ import annotations

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history

from devserver.core import children, closing, signals, snapshot
from devserver.core.changes import ApplyParentClosePolicy, CancelExternal, NotifyParent, SignalExternal, StartChild
from tests.devserver.core_harness import C, E, Run, complete_workflow

Policy = wf_enums.ParentClosePolicy


def start_child(workflow_id: str, policy: int = 0) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        start_child_workflow_execution_command_attributes=command_pb.StartChildWorkflowExecutionCommandAttributes(
            workflow_id=workflow_id,
            workflow_type=common.WorkflowType(name="Pickup"),
            parent_close_policy=policy,  # type: ignore[arg-type]
        ),
    )


def signal_external(workflow_id: str) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signal_external_workflow_execution_command_attributes=command_pb.SignalExternalWorkflowExecutionCommandAttributes(
            execution=common.WorkflowExecution(workflow_id=workflow_id), signal_name="ready"
        ),
    )


def cancel_external(workflow_id: str) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        request_cancel_external_workflow_execution_command_attributes=(
            command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes(workflow_id=workflow_id)
        ),
    )


def completed_event(result: str) -> history.HistoryEvent:
    payload = common.Payload(metadata={"encoding": b"json/plain"}, data=f'"{result}"'.encode())
    return history.HistoryEvent(
        event_type=E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        workflow_execution_completed_event_attributes=history.WorkflowExecutionCompletedEventAttributes(
            result=common.Payloads(payloads=[payload])
        ),
    )


def started_child(run: Run, workflow_id: str = "pickup-1", policy: int = 0) -> int:
    """The run starts a child and the server has started it; returns the initiated event id."""
    if run.state.workflow_task is None:
        run.step(signals.signal, "nudge", None, "client", "")
    run.complete_task(run.start_task(), start_child(workflow_id, policy))
    initiated_id = run.history[-1].event_id
    run.step(children.child_started, initiated_id, f"{workflow_id}-run")
    return initiated_id


def test_a_started_child_is_recorded_and_its_result_reaches_the_parent() -> None:
    run = Run()
    completion = run.complete_task(run.start_task(), start_child("pickup-1"))
    assert completion.error is None
    initiated = run.history[-1]
    assert run.types()[-1] == "START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    attrs = initiated.start_child_workflow_execution_initiated_event_attributes
    assert attrs.namespace == "default" and attrs.task_queue.name == "orders"
    assert attrs.parent_close_policy == Policy.PARENT_CLOSE_POLICY_TERMINATE  # the default
    assert children.pending_transfers(run.state) == [StartChild(run.state.key, initiated.event_id)]

    run.step(children.child_started, initiated.event_id, "child-run")
    assert run.types()[-2:] == ["CHILD_WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED"]
    started_id = run.history[-2].event_id
    assert children.pending_transfers(run.state) == []  # nothing owed any more

    run.complete_task(run.start_task())
    run.step(children.child_closed, initiated.event_id, "child-run-2", completed_event("picked up"))
    closed = run.history[-2].child_workflow_execution_completed_event_attributes
    assert run.types()[-2] == "CHILD_WORKFLOW_EXECUTION_COMPLETED"
    assert closed.started_event_id == started_id
    assert closed.workflow_execution.run_id == "child-run-2"  # the run that closed
    assert closed.result.payloads[0].data == b'"picked up"'
    assert run.state.children == {}


def test_child_events_that_arrive_during_a_task_are_linked_once_written() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_child("pickup-1"))
    initiated_id = run.history[-1].event_id
    # The parent is busy with a task (a signal came in) while the child starts and finishes at once.
    run.step(signals.signal, "nudge", None, "client", "")
    seq = run.start_task()
    run.step(children.child_started, initiated_id, "child-run")
    run.step(children.child_closed, initiated_id, "child-run", completed_event("fast"))
    assert run.types()[-1] == "WORKFLOW_TASK_STARTED"  # both buffered
    run.complete_task(seq)
    started = next(e for e in run.history if e.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
    closed = next(e for e in run.history if e.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
    assert closed.event_id == started.event_id + 1
    assert closed.child_workflow_execution_completed_event_attributes.started_event_id == started.event_id


def test_a_child_that_cannot_start_fails_its_initiated_event() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_child("taken"))
    initiated_id = run.history[-1].event_id
    cause = failed_cause_pb2.StartChildWorkflowExecutionFailedCause
    run.step(
        children.child_start_failed,
        initiated_id,
        cause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
    )
    failed = run.history[-2].start_child_workflow_execution_failed_event_attributes
    assert run.types()[-2] == "START_CHILD_WORKFLOW_EXECUTION_FAILED"
    assert failed.initiated_event_id == initiated_id and failed.workflow_id == "taken"
    assert failed.cause == cause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
    assert run.state.children == {}


def test_a_closing_parent_hands_its_children_to_the_close_policy() -> None:
    run = Run()
    terminate_id = started_child(run, "a", Policy.PARENT_CLOSE_POLICY_TERMINATE)
    cancel_id = started_child(run, "b", Policy.PARENT_CLOSE_POLICY_REQUEST_CANCEL)
    started_child(run, "c", Policy.PARENT_CLOSE_POLICY_ABANDON)
    run.complete_task(run.start_task(), complete_workflow())
    assert not run.state.running
    assert set(run.state.closing_children) == {terminate_id, cancel_id}
    assert set(children.pending_transfers(run.state)) == {
        ApplyParentClosePolicy(run.state.key, terminate_id),
        ApplyParentClosePolicy(run.state.key, cancel_id),
    }
    run.step(children.close_policy_applied, terminate_id)
    assert children.pending_transfers(run.state) == [ApplyParentClosePolicy(run.state.key, cancel_id)]


def test_a_closed_child_owes_its_parent_a_report_until_it_is_made() -> None:
    run = Run()
    run.state.started_attributes.parent_workflow_execution.workflow_id = "parent"
    run.state.started_attributes.parent_workflow_execution.run_id = "parent-run"
    assert children.pending_transfers(run.state) == []  # still running
    run.complete_task(run.start_task(), complete_workflow())
    assert children.pending_transfers(run.state) == [NotifyParent(run.state.key)]
    run.step(children.parent_notified)
    assert children.pending_transfers(run.state) == []


def test_external_signals_and_cancels_are_initiated_then_resolved() -> None:
    run = Run()
    run.complete_task(run.start_task(), signal_external("courier"), cancel_external("old-order"))
    assert run.types()[-2:] == [
        "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
        "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    ]
    signal_id, cancel_id = run.history[-2].event_id, run.history[-1].event_id
    assert run.history[-2].signal_external_workflow_execution_initiated_event_attributes.signal_name == "ready"
    assert set(children.pending_transfers(run.state)) == {
        SignalExternal(run.state.key, signal_id),
        CancelExternal(run.state.key, cancel_id),
    }
    run.step(children.external_signaled, signal_id)
    run.step(children.external_cancel_failed, cancel_id)
    types = run.types()
    assert "EXTERNAL_WORKFLOW_EXECUTION_SIGNALED" in types
    failed = next(
        e for e in run.history if e.event_type == E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED
    ).request_cancel_external_workflow_execution_failed_event_attributes
    assert failed.initiated_event_id == cancel_id
    assert failed.cause == (
        failed_cause_pb2.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
    )
    assert children.pending_transfers(run.state) == []
    # A retried delivery changes nothing.
    before = len(run.history)
    run.step(children.external_signaled, signal_id)
    assert len(run.history) == before


def test_a_child_command_without_an_id_fails_the_task() -> None:
    run = Run()
    completion = run.complete_task(run.start_task(), start_child(""))
    assert completion.error is not None
    assert (
        completion.error.cause
        == failed_cause_pb2.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES
    )
    assert run.types()[-1] != "START_CHILD_WORKFLOW_EXECUTION_INITIATED"


def test_terminating_during_a_started_task_records_the_forced_close() -> None:
    run = Run()
    run.start_task()
    run.step(closing.terminate, "enough", None, "admin")
    assert run.types()[-2:] == ["WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_TERMINATED"]
    failed = run.history[-2].workflow_task_failed_event_attributes
    assert failed.cause == failed_cause_pb2.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND


def test_pending_cross_run_work_survives_a_snapshot() -> None:
    run = Run()
    run.complete_task(run.start_task(), start_child("pickup-1"), signal_external("courier"))
    restored = snapshot.load(snapshot.dump(run.state))
    assert children.pending_transfers(restored) == children.pending_transfers(run.state)
    assert len(children.pending_transfers(restored)) == 2
