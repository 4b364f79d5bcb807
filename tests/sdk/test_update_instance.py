"""Update handling inside one workflow instance, without a server: what a validator may not
do, which failures fail the task, replay without validators, and duplicate deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.update.v1 import message_pb2 as update_pb

from sdk import workflow
from sdk._workflow_definitions import _Definition
from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._workflow_instance import WorkflowInstance, WorkflowTaskError

CONVERTER = DataConverter()
CommandType = command_type_pb2.CommandType
_CREATED: list[WorkflowInstance] = []


@pytest.fixture(autouse=True)
def _dispose_instances() -> Iterator[None]:
    yield
    while _CREATED:
        _CREATED.pop().dispose()


def _instance(cls: type) -> WorkflowInstance:
    instance = WorkflowInstance(  # type: ignore[abstract]
        _Definition.from_class(cls),
        namespace="default",
        workflow_id="wf",
        run_id="run-1",
        task_queue="tq",
        converter=CONVERTER,
    )
    _CREATED.append(instance)
    return instance


def _activation(*jobs: h.Job, replaying: bool = False) -> h.Activation:
    return h.Activation(
        jobs=list(jobs),
        time=datetime(2026, 1, 1, tzinfo=UTC),
        started_event_id=3,
        is_replaying=replaying,
        expected_commands=[] if replaying else None,
    )


def _start() -> h.StartWorkflow:
    attrs = history.WorkflowExecutionStartedEventAttributes(original_execution_run_id="run-1")
    return h.StartWorkflow("T", [], attrs, datetime(2026, 1, 1, tzinfo=UTC))


def _update(update_id: str, name: str, *args: object) -> h.DoUpdate:
    request = update_pb.Request(
        meta=update_pb.Meta(update_id=update_id),
        input=update_pb.Input(name=name, args={"payloads": CONVERTER.to_payloads(list(args))}),
    )
    return h.DoUpdate(update_id, name, list(request.input.args.payloads), request, f"{update_id}/request", 2)


def _answers(instance: WorkflowInstance) -> list[str]:
    return [m.body.type_url.rsplit(".", 1)[-1] for m in instance.take_messages()]


@workflow.defn
class Strict:
    def __init__(self) -> None:
        self.values: list[int] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    def put(self, value: int) -> int:
        self.values.append(value)
        return len(self.values)

    @put.validator
    def check_put(self, value: int) -> None:
        if value < 0:
            raise ValueError("no negatives")

    @workflow.update
    def sneaky(self) -> None: ...

    @sneaky.validator
    def check_sneaky(self) -> None:
        asyncio.get_running_loop().call_later(1, lambda: None)  # starts a timer: not allowed

    @workflow.update
    def broken(self) -> None:
        raise KeyError("a bug, not a refusal")


def test_accepted_refused_and_answered_updates_become_messages_and_commands() -> None:
    instance = _instance(Strict)
    commands = instance.activate(_activation(_start(), _update("u1", "put", 5), _update("u2", "put", -1)))
    assert [CommandType.Name(c.command_type) for c in commands] == ["COMMAND_TYPE_PROTOCOL_MESSAGE"] * 2
    assert [c.protocol_message_command_attributes.message_id for c in commands] == [
        "u1/request/accept",
        "u1/request/complete",
    ]
    assert _answers(instance) == ["Acceptance", "Response", "Rejection"]


def test_the_same_update_delivered_twice_runs_once() -> None:
    instance = _instance(Strict)
    instance.activate(_activation(_start(), _update("u1", "put", 5)))
    instance.take_messages()
    assert instance.activate(_activation(_update("u1", "put", 5))) == []
    assert instance._object.values == [5]


def test_on_replay_the_validator_does_not_run() -> None:
    # History says the update was accepted: it is handled, whatever the validator would say now.
    instance = _instance(Strict)
    commands = instance.activate(_activation(_start(), _update("u1", "put", -7), replaying=True))
    assert len(commands) == 2
    assert instance._object.values == [-7]


def test_a_validator_that_changes_the_workflow_fails_the_task() -> None:
    with pytest.raises(WorkflowTaskError, match="an update validator cannot start timers"):
        _instance(Strict).activate(_activation(_start(), _update("u1", "sneaky")))


def test_a_handler_raising_a_non_failure_exception_fails_the_task_not_the_update() -> None:
    with pytest.raises(WorkflowTaskError, match="KeyError"):
        _instance(Strict).activate(_activation(_start(), _update("u1", "broken")))
