"""Workflow updates in the core: admission, speculative tasks, accept/complete/reject."""

from __future__ import annotations

from google.protobuf import any_pb2
from google.protobuf.message import Message
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import failed_cause_pb2
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.update.v1 import message_pb2 as update_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1

from devserver.core import closing, commands, signals, updates, workflow_tasks
from devserver.core.changes import WorkflowTaskRef
from devserver.core.mutable_state import UPDATE_ACCEPTED, UPDATE_COMPLETED
from tests.devserver.core_harness import C, Run, complete_workflow


def request(update_id: str, name: str = "add") -> update_pb.Request:
    return update_pb.Request(
        meta=update_pb.Meta(update_id=update_id, identity="client"), input=update_pb.Input(name=name)
    )


def message(update_id: str, kind: str, body: Message) -> protocol_pb.Message:
    packed = any_pb2.Any()
    packed.Pack(body)
    return protocol_pb.Message(id=f"{update_id}/{kind}", protocol_instance_id=update_id, body=packed)


def accept(update_id: str) -> protocol_pb.Message:
    return message(update_id, "accept", update_pb.Acceptance(accepted_request_message_id=f"{update_id}/request"))


def respond(update_id: str, value: bytes) -> protocol_pb.Message:
    outcome = update_pb.Outcome(success=common.Payloads(payloads=[common.Payload(data=value)]))
    return message(update_id, "complete", update_pb.Response(meta=update_pb.Meta(update_id=update_id), outcome=outcome))


def reject(update_id: str) -> protocol_pb.Message:
    return message(update_id, "reject", update_pb.Rejection(failure=failure_pb.Failure(message="not allowed")))


def placed(msg: protocol_pb.Message) -> command_pb.Command:
    return command_pb.Command(
        command_type=C.COMMAND_TYPE_PROTOCOL_MESSAGE,
        protocol_message_command_attributes=command_pb.ProtocolMessageCommandAttributes(message_id=msg.id),
    )


def answer(run: Run, seq: int, msgs: list[protocol_pb.Message], cmds: list[command_pb.Command]) -> commands.Completion:
    req = wsv1.RespondWorkflowTaskCompletedRequest(commands=cmds, messages=msgs, identity="worker-1")
    return run.step(commands.complete_workflow_task, seq, req)


def idle_run() -> Run:
    """A run whose first task is done: nothing pending."""
    run = Run()
    run.complete_task(run.start_task())
    assert run.state.workflow_task is None
    return run


def start(run: Run):  # type: ignore[no-untyped-def]
    ref = [t for t in run.tasks if isinstance(t, WorkflowTaskRef)][-1]
    return ref.seq, run.step(workflow_tasks.start, ref.seq, "worker-1", "req")


def test_an_accepted_update_is_recorded_after_its_task() -> None:
    run = idle_run()
    before = len(run.history)
    run.step(updates.admit, request("u1"))
    assert len(run.history) == before, "a speculative task writes nothing up front"
    seq, started = start(run)
    assert len(run.history) == before
    assert [m.protocol_instance_id for m in started.messages] == ["u1"]
    assert started.messages[0].event_id == started.transient_events[0].event_id  # sequenced after its scheduled event
    accepted, completed = accept("u1"), respond("u1", b"5")
    answer(run, seq, [accepted, completed], [placed(accepted), placed(completed)])
    assert run.types()[before:] == [
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    done = run.history[-1].workflow_execution_update_completed_event_attributes
    assert done.accepted_event_id == run.history[-2].event_id
    assert done.outcome.success.payloads[0].data == b"5"
    assert run.state.updates["u1"].stage == UPDATE_COMPLETED


def test_a_rejected_update_leaves_history_as_it_was() -> None:
    run = idle_run()
    before = len(run.history)
    last_started = run.state.last_completed_started_event_id
    run.step(updates.admit, request("u1"))
    seq, started = start(run)
    completion = answer(run, seq, [reject("u1")], [])
    assert len(run.history) == before
    assert completion.reset_history_event_id == last_started
    assert "u1" not in run.state.updates
    # The next task reuses the ids the discarded one had.
    run.step(updates.admit, request("u2"))
    _, again = start(run)
    assert again.started_event_id == started.started_event_id


def test_an_update_that_arrives_during_a_task_gets_the_next_one() -> None:
    run = idle_run()
    run.step(signals.signal, "nudge", None, "client", "")
    seq = run.start_task()
    run.step(updates.admit, request("late"))
    run.complete_task(seq)
    assert run.types()[-1] == "WORKFLOW_TASK_SCHEDULED"
    _, started = start(run)
    assert [m.protocol_instance_id for m in started.messages] == ["late"]


def test_an_update_that_arrives_while_the_run_closes_is_aborted() -> None:
    run = idle_run()
    run.step(signals.signal, "nudge", None, "client", "")
    seq = run.start_task()
    run.step(updates.admit, request("late"))
    completion = run.step(
        lambda state, ch: (
            commands.complete_workflow_task(
                state, ch, seq, wsv1.RespondWorkflowTaskCompletedRequest(commands=[complete_workflow()])
            ),
            ch,
        )[1]
    )
    assert not run.state.running, "an update does not hold the close, unlike a signal"
    aborted = completion.rejected_updates["late"]
    assert aborted.aborted and "late" not in run.state.updates


def test_a_message_for_an_unknown_update_fails_the_task() -> None:
    run = idle_run()
    run.step(updates.admit, request("u1"))
    seq, _ = start(run)
    stray = accept("nobody")
    completion = answer(run, seq, [stray], [placed(stray)])
    assert completion.error is not None
    cause = failed_cause_pb2.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE
    assert completion.error.cause == cause


def test_the_same_update_id_is_admitted_once() -> None:
    run = idle_run()
    first = run.step(updates.admit, request("u1"))
    tasks = len(run.tasks)
    assert run.step(updates.admit, request("u1")) is first
    assert len(run.tasks) == tasks


def test_an_accepted_update_fails_when_its_run_closes() -> None:
    run = idle_run()
    run.step(updates.admit, request("u1"))
    seq, _ = start(run)
    accepted = accept("u1")
    answer(run, seq, [accepted], [placed(accepted)])
    assert run.state.updates["u1"].stage == UPDATE_ACCEPTED
    ch = run.step(lambda state, ch: (closing.terminate(state, ch, "stop", None, "admin"), ch)[1])
    assert "u1" in ch.updates
    update = run.state.updates["u1"]  # kept: a poll still gets its outcome
    assert update.stage == UPDATE_COMPLETED
    assert update.outcome.failure.application_failure_info.type == "AcceptedUpdateCompletedWorkflow"


def test_an_update_the_worker_ignores_is_rejected_by_the_server() -> None:
    run = idle_run()
    before = len(run.history)
    run.step(updates.admit, request("u1"))
    seq, _ = start(run)
    ch_updates: list[str] = []
    completion = run.step(
        lambda state, ch: (
            commands.complete_workflow_task(state, ch, seq, wsv1.RespondWorkflowTaskCompletedRequest()),
            ch_updates.extend(ch.updates),
            ch,
        )[2]
    )
    assert len(run.history) == before
    assert ch_updates == ["u1"]
    rejected = completion.rejected_updates["u1"]
    assert rejected.outcome.failure.application_failure_info.type == "UnprocessedUpdate"
