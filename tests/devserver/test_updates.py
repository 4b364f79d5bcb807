"""Workflow updates with the official `temporalio` SDK (client + worker), on our server and the real one.

What the real server does on the wire is recorded in docs/wire/updates.md; these tests pin the
parts a user of the SDK can see: results, errors, and the history the server writes.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, TaskQueueKind, UpdateWorkflowExecutionLifecycleStage
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.protocol.v1 import message_pb2 as protocol_pb
from temporalio.api.update.v1 import message_pb2 as update_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from tests.devserver import scenarios
from tests.devserver.update_app import QuickWorkflow, UpdateWorkflow, update_worker

ET = EventType


@pytest.fixture
async def client(server_address: str) -> Client:
    return await scenarios.client_for(server_address)


async def start(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """Start an UpdateWorkflow and wait until its first workflow task has completed."""
    handle = await client.start_workflow(UpdateWorkflow.run, id=scenarios.unique("upd"), task_queue=task_queue)
    await idle(handle)
    return handle


async def idle(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    """The history, once the last workflow-task event is WorkflowTaskCompleted."""

    async def check() -> list[HistoryEvent] | None:
        history = await scenarios.events(handle)
        return history if scenarios.is_idle(history) else None

    return await scenarios.wait_until(check, what=f"{handle.id} idle")


def kinds(history: list[HistoryEvent]) -> list[str]:
    return [scenarios.name(e.event_type) for e in history]


def of_type(history: list[HistoryEvent], event_type: int) -> list[HistoryEvent]:
    return [e for e in history if e.event_type == event_type]


def decode(payloads: Any) -> list[Any]:
    return [json.loads(p.data) for p in payloads.payloads]


def by_id(history: list[HistoryEvent], event_id: int) -> HistoryEvent:
    return next(e for e in history if e.event_id == event_id)


# ---- accepted and completed -------------------------------------------------------------


async def test_execute_update_returns_value_and_writes_accepted_then_completed(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        assert await handle.execute_update(UpdateWorkflow.add, 5, id="add-five") == 5
        assert await handle.query(UpdateWorkflow.current) == 5
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 5

    assert kinds(history)[-5:] == [
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    assert scenarios.event_ids_are_dense(history)
    scheduled, _, completed_task, accepted, completed = history[-5:]
    assert completed_task.workflow_task_completed_event_attributes.scheduled_event_id == scheduled.event_id
    # The task that carried the update went to the worker's sticky queue, like any later task.
    sticky = scheduled.workflow_task_scheduled_event_attributes.task_queue
    assert sticky.kind == TaskQueueKind.TASK_QUEUE_KIND_STICKY
    assert sticky.normal_name == task_queue

    acc = accepted.workflow_execution_update_accepted_event_attributes
    assert acc.protocol_instance_id == "add-five"
    assert acc.accepted_request_message_id == "add-five/request"
    # The request message was sequenced at the workflow task that carried it.
    assert acc.accepted_request_sequencing_event_id == scheduled.event_id
    assert acc.accepted_request.meta.update_id == "add-five"
    assert acc.accepted_request.meta.identity == client.identity
    assert acc.accepted_request.input.name == "add"
    assert decode(acc.accepted_request.input.args) == [5]

    comp = completed.workflow_execution_update_completed_event_attributes
    assert comp.accepted_event_id == accepted.event_id
    assert comp.meta.update_id == "add-five"
    assert comp.outcome.WhichOneof("value") == "success"
    assert decode(comp.outcome.success) == [5]


async def test_update_awaiting_signal_is_accepted_first_and_completed_later(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        update = await handle.start_update(
            UpdateWorkflow.add_after_release, 7, id="after-release", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        assert update.id == "after-release"
        accepted_only = await idle(handle)
        assert kinds(accepted_only).count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 1
        assert "WORKFLOW_EXECUTION_UPDATE_COMPLETED" not in kinds(accepted_only)
        assert await handle.query(UpdateWorkflow.current) == 0

        await handle.signal(UpdateWorkflow.release)
        assert await update.result() == 7
        # A fresh handle polls the outcome of the same update.
        assert await handle.get_update_handle("after-release", result_type=int).result() == 7
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 7

    names = kinds(history)
    accepted = of_type(history, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    completed = of_type(history, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert len(accepted) == len(completed) == 1
    i_acc, i_sig, i_comp = (
        names.index("WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),
        names.index("WORKFLOW_EXECUTION_SIGNALED"),
        names.index("WORKFLOW_EXECUTION_UPDATE_COMPLETED"),
    )
    assert i_acc < i_sig < i_comp
    # Accepted right after the workflow task that carried the update; completed after the
    # ordinary workflow task that the signal caused.
    assert names[i_acc - 1] == "WORKFLOW_TASK_COMPLETED"
    assert names[i_sig + 1 : i_comp + 1] == [
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    comp = completed[0].workflow_execution_update_completed_event_attributes
    assert comp.accepted_event_id == accepted[0].event_id
    assert decode(comp.outcome.success) == [7]
    assert scenarios.event_ids_are_dense(history)


# ---- rejected ---------------------------------------------------------------------------


async def test_validator_rejection_leaves_no_trace_in_history(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        before = await idle(handle)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(UpdateWorkflow.add_checked, -1)
        cause = info.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.message == "negative amounts are not allowed"
        assert cause.type == "ValueError"

        after = await scenarios.events(handle)
        # The speculative workflow task that carried the rejected update is not written.
        assert [(e.event_id, e.event_type) for e in after] == [(e.event_id, e.event_type) for e in before]

        # The next event reuses the id right after the old history.
        await handle.signal(UpdateWorkflow.push, "x")
        later = await idle(handle)
        assert later[len(before)].event_id == len(before) + 1
        assert later[len(before)].event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED

        # A valid update still works afterwards, and the rejected one never ran.
        assert await handle.execute_update(UpdateWorkflow.add_checked, 3) == 3
        assert await handle.query(UpdateWorkflow.calls) == 1
        final = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 3
    assert kinds(final).count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 1
    assert scenarios.event_ids_are_dense(final)


async def test_rejection_after_completed_update_leaves_no_trace(client: Client) -> None:
    """Even when the last events are update events (not WorkflowTaskCompleted)."""
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        assert await handle.execute_update(UpdateWorkflow.add, 1) == 1
        before = await idle(handle)
        assert kinds(before)[-1] == "WORKFLOW_EXECUTION_UPDATE_COMPLETED"
        for _ in range(2):
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update(UpdateWorkflow.add_checked, -5)
        after = await scenarios.events(handle)
        assert [(e.event_id, e.event_type) for e in after] == [(e.event_id, e.event_type) for e in before]
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 1


async def test_unknown_update_name_is_rejected_by_the_worker(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        before = await idle(handle)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update("no_such_update", 1)
        cause = info.value.cause
        assert isinstance(cause, ApplicationError)
        assert "Update handler for 'no_such_update' expected but not found" in cause.message
        assert cause.type == "RuntimeError"
        after = await scenarios.events(handle)
        assert len(after) == len(before)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 0


# ---- deduplication, closed and unknown workflows ----------------------------------------


async def test_same_update_id_runs_the_handler_once(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        first = await handle.execute_update(UpdateWorkflow.add, 5, id="dup")
        again = await handle.execute_update(UpdateWorkflow.add, 5, id="dup")
        other_args = await handle.execute_update(UpdateWorkflow.add, 100, id="dup")
        assert first == again == other_args == 5
        assert await handle.query(UpdateWorkflow.calls) == 1
        assert await handle.query(UpdateWorkflow.current) == 5
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 5
        # The outcome is still there once the workflow has closed.
        assert await handle.execute_update(UpdateWorkflow.add, 5, id="dup") == 5
        assert await handle.get_update_handle("dup", result_type=int).result() == 5
    assert kinds(history).count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 1
    assert kinds(history).count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 1


async def test_update_on_completed_workflow_fails_not_found(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await client.start_workflow(QuickWorkflow.run, id=scenarios.unique("done"), task_queue=task_queue)
        assert await handle.result() == "done"
        before = await scenarios.events(handle)
        with pytest.raises(RPCError) as info:
            await handle.execute_update("add", 1)
    assert not isinstance(info.value, WorkflowUpdateFailedError)
    assert info.value.status == RPCStatusCode.NOT_FOUND
    assert "already completed" in info.value.message
    assert len(await scenarios.events(handle)) == len(before)


async def test_update_on_unknown_workflow_fails_not_found(client: Client) -> None:
    handle = client.get_workflow_handle(scenarios.unique("never-started"))
    with pytest.raises(RPCError) as info:
        await handle.execute_update("add", 1)
    assert info.value.status == RPCStatusCode.NOT_FOUND


async def test_update_request_validation(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)

        def request(update_id: str, name: str, stage: int) -> wsv1.UpdateWorkflowExecutionRequest:
            return wsv1.UpdateWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=handle.id),
                wait_policy=update_pb.WaitPolicy(lifecycle_stage=stage),
                request=update_pb.Request(
                    meta=update_pb.Meta(update_id=update_id, identity="test"),
                    input=update_pb.Input(name=name),
                ),
            )

        completed = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
        admitted = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED

        async def call(req: wsv1.UpdateWorkflowExecutionRequest) -> wsv1.UpdateWorkflowExecutionResponse:
            return await client.workflow_service.update_workflow_execution(
                req, retry=False, timeout=timedelta(seconds=10)
            )

        with pytest.raises(RPCError) as info:
            await call(request("no-name", "", completed))
        assert info.value.status == RPCStatusCode.INVALID_ARGUMENT
        with pytest.raises(RPCError) as info:
            await call(request("admitted", "note", admitted))
        assert info.value.status == RPCStatusCode.PERMISSION_DENIED

        no_meta = request("x", "note", completed)
        no_meta.ClearField("request")
        with pytest.raises(RPCError) as info:
            await call(no_meta)
        assert info.value.status == RPCStatusCode.INVALID_ARGUMENT

        # An empty update id is filled in by the server.
        generated = request("", "note", completed)
        generated.request.input.args.payloads.add(metadata={"encoding": b"json/plain"}, data=b'"anon"')
        response = await call(generated)
        assert uuid.UUID(response.update_ref.update_id).version == 4  # a fresh UUID, as the real server makes
        assert response.update_ref.workflow_execution.run_id == handle.result_run_id
        assert response.stage == completed
        assert json.loads(response.outcome.success.payloads[0].data) == ["update:anon"]

        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 0


# ---- ordering ---------------------------------------------------------------------------


async def test_updates_and_signals_interleaved_keep_order(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        expected: list[str] = []
        for i in range(3):
            await handle.signal(UpdateWorkflow.push, f"s{i}")
            expected.append(f"signal:s{i}")
            expected.append(f"update:u{i}")
            assert await handle.execute_update(UpdateWorkflow.note, f"u{i}") == expected
        assert await handle.query(UpdateWorkflow.log) == expected
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 0

    # History order: each signal precedes the update sent after it.
    order = [
        scenarios.name(e.event_type)
        for e in history
        if e.event_type
        in (ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    ]
    assert order == ["WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_EXECUTION_UPDATE_COMPLETED"] * 3
    assert scenarios.event_ids_are_dense(history)


async def test_concurrent_updates_all_complete(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        results = await asyncio.gather(*(handle.execute_update(UpdateWorkflow.add, 1, id=f"c{i}") for i in range(5)))
        assert sorted(results) == [1, 2, 3, 4, 5]
        assert await handle.query(UpdateWorkflow.calls) == 5
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 5
    accepted = of_type(history, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    completed = of_type(history, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert sorted(e.workflow_execution_update_accepted_event_attributes.protocol_instance_id for e in accepted) == [
        f"c{i}" for i in range(5)
    ]
    by_accepted = {e.event_id: e for e in accepted}
    for e in completed:
        attrs = e.workflow_execution_update_completed_event_attributes
        acc = by_accepted[attrs.accepted_event_id].workflow_execution_update_accepted_event_attributes
        assert acc.protocol_instance_id == attrs.meta.update_id
        assert attrs.accepted_event_id < e.event_id
    assert scenarios.event_ids_are_dense(history)


# ---- our server only ----------------------------------------------------------------------


async def test_update_without_worker_is_admitted_then_runs_when_a_worker_comes(tempo_address: str) -> None:
    """No worker: the server holds UpdateWorkflowExecution, then answers stage ADMITTED (no outcome)
    after its long-poll interval instead of hanging until the caller's deadline. The real server does the
    same after ~20 s (see docs/wire/updates.md); ours is started with --long-poll-timeout 5, so it is tempo-only."""
    client = await scenarios.client_for(tempo_address)
    task_queue = scenarios.unique("tq-upd-late")
    handle = await client.start_workflow(UpdateWorkflow.run, id=scenarios.unique("late"), task_queue=task_queue)
    request = wsv1.UpdateWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=handle.id),
        wait_policy=update_pb.WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
        ),
        request=update_pb.Request(
            meta=update_pb.Meta(update_id="late", identity="test"),
            input=update_pb.Input(name="add"),
        ),
    )
    request.request.input.args.payloads.add(metadata={"encoding": b"json/plain"}, data=b"4")
    t0 = time.monotonic()
    response = await client.workflow_service.update_workflow_execution(
        request, retry=False, timeout=timedelta(seconds=15)
    )
    assert time.monotonic() - t0 < 14
    assert response.stage == UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
    assert not response.HasField("outcome")
    assert response.update_ref.update_id == "late"
    assert response.update_ref.workflow_execution.run_id == handle.result_run_id
    # Admitted only: nothing in history yet.
    assert kinds(await scenarios.events(handle)) == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED"]

    async with update_worker(client, task_queue):
        assert await handle.get_update_handle("late", result_type=int).result() == 4
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 4
    # The update rode on the first (normal) workflow task.
    assert kinds(history)[:6] == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    acc = by_id(history, 5).workflow_execution_update_accepted_event_attributes
    assert acc.accepted_request_sequencing_event_id == 2


# ---- the wire, with a hand-written worker (raw WorkflowService calls) ----------------------

COMPLETED_STAGE = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED


class RawWorker:
    """Polls and answers workflow tasks through the raw gRPC stubs."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def poll(self) -> wsv1.PollWorkflowTaskQueueResponse:
        from temporalio.api.taskqueue.v1 import TaskQueue

        for _ in range(5):
            task = await self.client.workflow_service.poll_workflow_task_queue(
                wsv1.PollWorkflowTaskQueueRequest(
                    namespace=self.client.namespace, task_queue=TaskQueue(name=self.task_queue), identity="raw"
                ),
                timeout=timedelta(seconds=30),
            )
            if task.task_token:
                return task
        raise AssertionError("no workflow task")

    async def respond(
        self,
        task: Any,
        messages: list[Any] | None = None,
        commands: list[Any] | None = None,
        new_task: bool = False,
        discard_capability: bool = True,
    ) -> wsv1.RespondWorkflowTaskCompletedResponse:
        request = wsv1.RespondWorkflowTaskCompletedRequest(
            namespace=self.client.namespace,
            task_token=task.task_token,
            identity="raw",
            messages=messages or [],
            commands=commands or [],
            return_new_workflow_task=new_task,
        )
        request.capabilities.discard_speculative_workflow_task_with_events = discard_capability
        return await self.client.workflow_service.respond_workflow_task_completed(request)


def raw_update(
    client: Client, workflow_id: str, update_id: str, amount: int, stage: int = COMPLETED_STAGE
) -> wsv1.UpdateWorkflowExecutionRequest:
    request = wsv1.UpdateWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        wait_policy=update_pb.WaitPolicy(lifecycle_stage=stage),
        request=update_pb.Request(
            meta=update_pb.Meta(update_id=update_id, identity="caller"), input=update_pb.Input(name="add")
        ),
    )
    request.request.input.args.payloads.add(metadata={"encoding": b"json/plain"}, data=str(amount).encode())
    return request


def send_update(client: Client, request: wsv1.UpdateWorkflowExecutionRequest) -> asyncio.Task[Any]:
    return asyncio.create_task(
        client.workflow_service.update_workflow_execution(request, retry=False, timeout=timedelta(seconds=30))
    )


def poll_update(client: Client, workflow_id: str, update_id: str, stage: int = 0, timeout: float = 30) -> Any:
    """PollWorkflowExecutionUpdate for one update; with a stage, it waits until the update gets there."""
    return client.workflow_service.poll_workflow_execution_update(
        wsv1.PollWorkflowExecutionUpdateRequest(
            namespace=client.namespace,
            update_ref=update_pb.UpdateRef(
                workflow_execution=WorkflowExecution(workflow_id=workflow_id), update_id=update_id
            ),
            identity="caller",
            wait_policy=update_pb.WaitPolicy(lifecycle_stage=stage),  # type: ignore[arg-type]
        ),
        retry=False,
        timeout=timedelta(seconds=timeout),
    )


async def admitted(client: Client, workflow_id: str, update_id: str) -> None:
    """Wait until the server holds the update (PollWorkflowExecutionUpdate stops answering NOT_FOUND).

    Not a fixed sleep: on a busy machine an update sent a moment ago may not have arrived yet.
    """

    async def known() -> bool:
        try:
            await poll_update(client, workflow_id, update_id, timeout=5)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    await scenarios.wait_until(known, what=f"update {update_id} admitted")


def accept_and_complete(message: Any, value: int, accept: bool = True, complete: bool = True) -> tuple[list, list]:
    """The messages and PROTOCOL_MESSAGE commands the official SDK sends (see docs/wire/updates.md, c)."""
    from google.protobuf import any_pb2
    from temporalio.api.command.v1 import Command, ProtocolMessageCommandAttributes
    from temporalio.api.enums.v1 import CommandType

    request = update_pb.Request()
    assert message.body.Unpack(request)
    messages = []
    if accept:
        body = any_pb2.Any()
        body.Pack(
            update_pb.Acceptance(
                accepted_request_message_id=message.id,
                accepted_request_sequencing_event_id=message.event_id,
                accepted_request=request,
            )
        )
        messages.append(
            protocol_pb.Message(id=message.id + "/accept", protocol_instance_id=message.protocol_instance_id, body=body)
        )
    if complete:
        body = any_pb2.Any()
        outcome = update_pb.Outcome()
        outcome.success.payloads.add(metadata={"encoding": b"json/plain"}, data=str(value).encode())
        body.Pack(update_pb.Response(meta=request.meta, outcome=outcome))
        messages.append(
            protocol_pb.Message(
                id=message.id + "/complete", protocol_instance_id=message.protocol_instance_id, body=body
            )
        )
    commands = [
        Command(
            command_type=CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
            protocol_message_command_attributes=ProtocolMessageCommandAttributes(message_id=m.id),
        )
        for m in messages
    ]
    return messages, commands


def reject(message: Any, text: str) -> list:
    from google.protobuf import any_pb2
    from temporalio.api.failure.v1 import Failure

    request = update_pb.Request()
    assert message.body.Unpack(request)
    body = any_pb2.Any()
    body.Pack(
        update_pb.Rejection(
            rejected_request_message_id=message.id,
            rejected_request_sequencing_event_id=message.event_id,
            rejected_request=request,
            failure=Failure(message=text),
        )
    )
    return [
        protocol_pb.Message(id=message.id + "/reject", protocol_instance_id=message.protocol_instance_id, body=body)
    ]


def short(events: Any) -> list[tuple[int, str]]:
    return [(e.event_id, scenarios.name(e.event_type)) for e in events]


async def raw_started(client: Client) -> tuple[RawWorker, WorkflowHandle[Any, Any]]:
    """A workflow whose first workflow task the raw worker has completed (history 1..4)."""
    worker = RawWorker(client, scenarios.unique("tq-raw"))
    handle = await client.start_workflow("UpdateWorkflow", id=scenarios.unique("raw"), task_queue=worker.task_queue)
    await worker.respond(await worker.poll())
    return worker, handle


async def test_wire_update_message_in_speculative_task(client: Client) -> None:
    worker, handle = await raw_started(client)
    pending = send_update(client, raw_update(client, handle.id, "w1", 5))
    task = await worker.poll()
    # Non-sticky poll: the whole history, including the speculative task's own events.
    assert short(task.history.events) == [
        (1, "WORKFLOW_EXECUTION_STARTED"),
        (2, "WORKFLOW_TASK_SCHEDULED"),
        (3, "WORKFLOW_TASK_STARTED"),
        (4, "WORKFLOW_TASK_COMPLETED"),
        (5, "WORKFLOW_TASK_SCHEDULED"),
        (6, "WORKFLOW_TASK_STARTED"),
    ]
    assert (task.previous_started_event_id, task.started_event_id) == (3, 6)
    [message] = task.messages
    assert message.id == "w1/request"
    assert message.protocol_instance_id == "w1"
    assert message.WhichOneof("sequencing_id") == "event_id"
    assert message.event_id == 5
    assert message.body.type_url == "type.googleapis.com/temporal.api.update.v1.Request"
    body = update_pb.Request()
    message.body.Unpack(body)
    assert (body.meta.update_id, body.meta.identity, body.input.name) == ("w1", "caller", "add")
    assert decode(body.input.args) == [5]

    messages, commands = accept_and_complete(message, 5)
    assert not (await worker.respond(task, messages, commands)).reset_history_event_id
    response = await pending
    assert response.stage == COMPLETED_STAGE
    assert decode(response.outcome.success) == [5]
    assert response.update_ref.update_id == "w1"
    assert response.update_ref.workflow_execution.run_id == handle.result_run_id
    history = await scenarios.events(handle)
    assert short(history)[4:] == [
        (5, "WORKFLOW_TASK_SCHEDULED"),
        (6, "WORKFLOW_TASK_STARTED"),
        (7, "WORKFLOW_TASK_COMPLETED"),
        (8, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),
        (9, "WORKFLOW_EXECUTION_UPDATE_COMPLETED"),
    ]
    acc = history[7].workflow_execution_update_accepted_event_attributes
    assert (acc.protocol_instance_id, acc.accepted_request_message_id) == ("w1", "w1/request")
    assert acc.accepted_request_sequencing_event_id == 5
    assert acc.accepted_request == body
    comp = history[8].workflow_execution_update_completed_event_attributes
    assert comp.accepted_event_id == 8
    assert comp.meta == body.meta
    await handle.terminate()


async def test_wire_rejection_discards_speculative_task(client: Client) -> None:
    worker, handle = await raw_started(client)
    pending = send_update(client, raw_update(client, handle.id, "w2", 5))
    task = await worker.poll()
    assert task.started_event_id == 6
    answer = await worker.respond(task, reject(task.messages[0], "not today"))
    assert answer.reset_history_event_id == 3
    response = await pending
    assert response.stage == COMPLETED_STAGE
    assert response.outcome.failure.message == "not today"
    assert short(await scenarios.events(handle)) == short((await scenarios.events(handle))[:4])
    assert len(await scenarios.events(handle)) == 4

    # A worker that ignores the update: the server rejects it for the worker, and drops the task too.
    pending = send_update(client, raw_update(client, handle.id, "w3", 5))
    task = await worker.poll()
    assert task.started_event_id == 6
    answer = await worker.respond(task)
    assert answer.reset_history_event_id == 3
    failure = (await pending).outcome.failure
    assert failure.application_failure_info.type == "UnprocessedUpdate"
    assert failure.application_failure_info.non_retryable
    assert len(await scenarios.events(handle)) == 4
    await handle.terminate()


async def test_wire_update_during_running_task_comes_in_next_task(client: Client) -> None:
    worker, handle = await raw_started(client)
    await handle.signal("push", "s")
    task = await worker.poll()
    assert task.started_event_id == 7
    pending = []
    for i in range(2):  # one after the other, so the admission order is known
        pending.append(send_update(client, raw_update(client, handle.id, f"b{i}", i)))
        await admitted(client, handle.id, f"b{i}")
    assert len(await scenarios.events(handle)) == 7  # buffered: nothing written while the task runs
    answer = await worker.respond(task, new_task=True)
    # The real server hands the next task back inline (see test_wire_buffered_update_task_comes_back_inline).
    nxt = answer.workflow_task if answer.workflow_task.task_token else await worker.poll()
    assert short(nxt.history.events)[-3:] == [
        (8, "WORKFLOW_TASK_COMPLETED"),
        (9, "WORKFLOW_TASK_SCHEDULED"),
        (10, "WORKFLOW_TASK_STARTED"),
    ]
    assert (nxt.previous_started_event_id, nxt.started_event_id) == (7, 10)
    assert [(m.id, m.event_id) for m in nxt.messages] == [("b0/request", 9), ("b1/request", 9)]
    messages, commands = [], []
    for i, message in enumerate(nxt.messages):
        m, c = accept_and_complete(message, 10 + i)
        messages += m
        commands += c
    await worker.respond(nxt, messages, commands)
    assert [decode((await p).outcome.success) for p in pending] == [[10], [11]]
    history = await scenarios.events(handle)
    assert short(history)[10:] == [
        (11, "WORKFLOW_TASK_COMPLETED"),
        (12, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),
        (13, "WORKFLOW_EXECUTION_UPDATE_COMPLETED"),
        (14, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),
        (15, "WORKFLOW_EXECUTION_UPDATE_COMPLETED"),
    ]
    assert history[12].workflow_execution_update_completed_event_attributes.accepted_event_id == 12
    assert history[14].workflow_execution_update_completed_event_attributes.accepted_event_id == 14
    await handle.terminate()


async def test_wire_accept_now_complete_later(client: Client) -> None:
    worker, handle = await raw_started(client)
    accepted_stage = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
    pending = send_update(client, raw_update(client, handle.id, "later", 3, stage=accepted_stage))
    task = await worker.poll()
    messages, commands = accept_and_complete(task.messages[0], 0, complete=False)
    await worker.respond(task, messages, commands)
    response = await pending
    assert response.stage == accepted_stage
    assert not response.HasField("outcome")
    assert short(await scenarios.events(handle))[-2:] == [
        (7, "WORKFLOW_TASK_COMPLETED"),
        (8, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),
    ]

    poll = asyncio.create_task(poll_update(client, handle.id, "later", COMPLETED_STAGE))
    await handle.signal("release")
    task = await worker.poll()
    assert not task.messages  # accepted updates are not sent again
    # The completion refers to the original request message (the worker remembers it).
    request_message = protocol_pb.Message(
        id="later/request", protocol_instance_id="later", event_id=5, body=_packed_request("later", 3)
    )
    messages, commands = accept_and_complete(request_message, 3, accept=False)
    await worker.respond(task, messages, commands)
    polled = await poll
    assert polled.stage == COMPLETED_STAGE
    assert decode(polled.outcome.success) == [3]
    history = await scenarios.events(handle)
    assert short(history)[8:] == [
        (9, "WORKFLOW_EXECUTION_SIGNALED"),
        (10, "WORKFLOW_TASK_SCHEDULED"),
        (11, "WORKFLOW_TASK_STARTED"),
        (12, "WORKFLOW_TASK_COMPLETED"),
        (13, "WORKFLOW_EXECUTION_UPDATE_COMPLETED"),
    ]
    assert history[12].workflow_execution_update_completed_event_attributes.accepted_event_id == 8
    await handle.terminate()


def _packed_request(update_id: str, amount: int) -> Any:
    from google.protobuf import any_pb2

    body = any_pb2.Any()
    request = update_pb.Request(
        meta=update_pb.Meta(update_id=update_id, identity="caller"), input=update_pb.Input(name="add")
    )
    request.input.args.payloads.add(metadata={"encoding": b"json/plain"}, data=str(amount).encode())
    body.Pack(request)
    return body


async def test_wire_speculative_task_events_visible_while_it_runs(client: Client) -> None:
    worker, handle = await raw_started(client)
    pending = send_update(client, raw_update(client, handle.id, "v1", 1))
    task = await worker.poll()
    assert task.started_event_id == 6
    assert short(await scenarios.events(handle))[-2:] == [(5, "WORKFLOW_TASK_SCHEDULED"), (6, "WORKFLOW_TASK_STARTED")]
    assert (await worker.respond(task, reject(task.messages[0], "no"))).reset_history_event_id == 3
    assert (await pending).outcome.failure.message == "no"
    assert len(await scenarios.events(handle)) == 4
    await handle.terminate()


async def test_wire_buffered_update_task_comes_back_inline(client: Client) -> None:
    """An update that arrives while a task runs: completing that task with return_new_workflow_task
    returns the next task, carrying the update, in RespondWorkflowTaskCompletedResponse."""
    worker, handle = await raw_started(client)
    await handle.signal("push", "s")
    task = await worker.poll()
    pending = send_update(client, raw_update(client, handle.id, "inline", 1))
    await admitted(client, handle.id, "inline")
    answer = await worker.respond(task, new_task=True)
    nxt = answer.workflow_task
    assert nxt.task_token, "the next task (with the update) should come back inline"
    assert short(nxt.history.events) == [
        (8, "WORKFLOW_TASK_COMPLETED"),
        (9, "WORKFLOW_TASK_SCHEDULED"),
        (10, "WORKFLOW_TASK_STARTED"),
    ]
    assert [(m.id, m.event_id) for m in nxt.messages] == [("inline/request", 9)]
    messages, commands = accept_and_complete(nxt.messages[0], 1)
    await worker.respond(nxt, messages, commands)
    assert decode((await pending).outcome.success) == [1]
    await handle.terminate()


# ---- updates and closing workflows ----------------------------------------------------------


async def test_accepted_update_fails_when_workflow_is_terminated(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        update = await handle.start_update(
            UpdateWorkflow.add_after_release, 1, id="cut-short", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        await handle.terminate("enough")
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await update.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "AcceptedUpdateCompletedWorkflow"
    assert cause.message == "Workflow Update failed because the Workflow completed before the Update completed."
    assert cause.non_retryable


async def test_admitted_update_is_aborted_when_workflow_is_terminated(client: Client) -> None:
    # No worker: the update is admitted but never reaches a workflow task.
    handle = await client.start_workflow(
        UpdateWorkflow.run, id=scenarios.unique("upd-abort"), task_queue=scenarios.unique("tq-nobody")
    )
    pending = asyncio.create_task(handle.execute_update(UpdateWorkflow.add, 1, id="never"))
    await admitted(client, handle.id, "never")
    assert not pending.done()
    await handle.terminate("enough")
    with pytest.raises(RPCError) as info:
        await asyncio.wait_for(pending, 15)
    assert info.value.status == RPCStatusCode.NOT_FOUND
    assert info.value.message == "workflow update was aborted by closing workflow"


async def test_wire_accepted_update_fails_when_workflow_completes(client: Client) -> None:
    worker, handle = await raw_started(client)
    accepted_stage = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
    pending = send_update(client, raw_update(client, handle.id, "open", 1, stage=accepted_stage))
    task = await worker.poll()
    messages, commands = accept_and_complete(task.messages[0], 0, complete=False)
    await worker.respond(task, messages, commands)
    assert (await pending).stage == accepted_stage

    poll = asyncio.create_task(poll_update(client, handle.id, "open", COMPLETED_STAGE))
    await handle.signal("push", "x")
    task = await worker.poll()
    await worker.respond(task, commands=[complete_workflow()])
    polled = await poll
    assert polled.stage == COMPLETED_STAGE
    failure = polled.outcome.failure
    assert failure.application_failure_info.type == "AcceptedUpdateCompletedWorkflow"
    assert failure.source == "Server"
    assert kinds(await scenarios.events(handle))[-1] == "WORKFLOW_EXECUTION_COMPLETED"


async def test_wire_workflow_may_complete_with_a_buffered_update(client: Client) -> None:
    """An update that arrives while the closing task runs does not block the close (unlike a
    signal): the workflow completes and the update is aborted."""
    worker, handle = await raw_started(client)
    await handle.signal("push", "x")
    task = await worker.poll()
    pending = send_update(client, raw_update(client, handle.id, "late", 1))
    await admitted(client, handle.id, "late")
    await worker.respond(task, commands=[complete_workflow()])
    with pytest.raises(RPCError) as info:
        await pending
    assert info.value.status == RPCStatusCode.NOT_FOUND
    assert info.value.message == "workflow update was aborted by closing workflow"
    assert kinds(await scenarios.events(handle))[-2:] == ["WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]


def complete_workflow() -> Any:
    from temporalio.api.command.v1 import Command, CompleteWorkflowExecutionCommandAttributes
    from temporalio.api.enums.v1 import CommandType

    return Command(
        command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(),
    )


async def test_wire_speculative_task_kept_when_worker_cannot_discard_it(client: Client) -> None:
    """Events written since the worker's last task (here: the previous update's events) make the
    speculative task discardable only for workers that say discardSpeculativeWorkflowTaskWithEvents."""
    worker, handle = await raw_started(client)
    for capability in (False, True):
        pending = send_update(client, raw_update(client, handle.id, f"ok-{capability}", 1))
        task = await worker.poll()
        messages, commands = accept_and_complete(task.messages[0], 1)
        await worker.respond(task, messages, commands)
        await pending
        before = await scenarios.events(handle)
        assert kinds(before)[-1] == "WORKFLOW_EXECUTION_UPDATE_COMPLETED"

        pending = send_update(client, raw_update(client, handle.id, f"no-{capability}", 1))
        task = await worker.poll()
        answer = await worker.respond(task, reject(task.messages[0], "no"), discard_capability=capability)
        assert (await pending).outcome.failure.message == "no"
        after = await scenarios.events(handle)
        if capability:
            assert answer.reset_history_event_id == before[-1].event_id - 3  # the last WorkflowTaskStarted
            assert len(after) == len(before)
        else:
            assert not answer.reset_history_event_id
            assert kinds(after)[len(before) :] == [
                "WORKFLOW_TASK_SCHEDULED",
                "WORKFLOW_TASK_STARTED",
                "WORKFLOW_TASK_COMPLETED",
            ]
    await handle.terminate()


async def test_wire_unspecified_wait_stage_waits_for_completion(client: Client) -> None:
    worker, handle = await raw_started(client)
    unspecified = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED
    pending = asyncio.create_task(
        client.workflow_service.update_workflow_execution(
            raw_update(client, handle.id, "u", 1, stage=unspecified), retry=False, timeout=timedelta(seconds=3)
        )
    )
    task = await worker.poll()
    messages, commands = accept_and_complete(task.messages[0], 0, complete=False)
    await worker.respond(task, messages, commands)
    # Accepted, but the call keeps waiting for the outcome until its deadline.
    with pytest.raises(RPCError) as info:
        await pending
    assert info.value.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
    assert kinds(await scenarios.events(handle))[-1] == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
    await handle.terminate()


async def test_update_with_wrong_run_id_fails_not_found(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        other = await client.start_workflow(QuickWorkflow.run, id=scenarios.unique("other"), task_queue=task_queue)
        wrong = client.get_workflow_handle(handle.id, run_id=other.result_run_id)
        with pytest.raises(RPCError) as info:
            await wrong.execute_update(UpdateWorkflow.add, 1)
        assert info.value.status == RPCStatusCode.NOT_FOUND
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 0


async def test_handler_failure_is_accepted_then_completed_with_failure(client: Client) -> None:
    task_queue = scenarios.unique("tq-upd")
    async with update_worker(client, task_queue):
        handle = await start(client, task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(UpdateWorkflow.fail_after_accept, "boom", id="fails")
        cause = info.value.cause
        assert isinstance(cause, ApplicationError)
        assert (cause.message, cause.type, cause.details) == ("boom", "HandlerFailed", ("detail",))
        assert await handle.query(UpdateWorkflow.calls) == 1
        history = await idle(handle)
        # The same outcome again, from the server's memory.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.get_update_handle("fails").result()
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 0
    assert kinds(history)[-2:] == ["WORKFLOW_EXECUTION_UPDATE_ACCEPTED", "WORKFLOW_EXECUTION_UPDATE_COMPLETED"]
    comp = history[-1].workflow_execution_update_completed_event_attributes
    assert comp.accepted_event_id == history[-2].event_id
    assert comp.outcome.WhichOneof("value") == "failure"
    assert comp.outcome.failure.message == "boom"
    assert comp.outcome.failure.application_failure_info.type == "HandlerFailed"


async def test_update_with_start(client: Client) -> None:
    """execute_update_with_start_workflow (ExecuteMultiOperation): the first call starts the workflow and its
    first workflow task carries the update; the second finds the running workflow (USE_EXISTING)."""
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    task_queue = scenarios.unique("tq-upd")
    workflow_id = scenarios.unique("upd-start")

    def operation() -> WithStartWorkflowOperation[Any, Any]:
        return WithStartWorkflowOperation(
            UpdateWorkflow.run,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    async with update_worker(client, task_queue):
        first = operation()
        assert (
            await client.execute_update_with_start_workflow(UpdateWorkflow.add, 3, start_workflow_operation=first) == 3
        )
        second = operation()
        assert (
            await client.execute_update_with_start_workflow(UpdateWorkflow.add, 4, start_workflow_operation=second) == 7
        )
        handle = await first.workflow_handle()
        assert (await second.workflow_handle()).result_run_id == handle.result_run_id
        history = await idle(handle)
        await handle.signal(UpdateWorkflow.finish)
        assert await handle.result() == 7
    assert kinds(history) == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    # The first update rode on the first workflow task.
    assert history[4].workflow_execution_update_accepted_event_attributes.accepted_request_sequencing_event_id == 2
