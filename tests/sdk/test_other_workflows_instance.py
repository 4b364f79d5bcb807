"""Child workflows and other workflows' handles in the workflow instance alone: no server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk import workflow
from sdk._workflow_definitions import _Definition
from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._workflow_instance import WorkflowInstance, WorkflowTaskError
from sdk.workflow import NotInWorkflowError
from tests.sdk.family_app import FamilyChild

CommandType = command_type_pb2.CommandType
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONVERTER = DataConverter.default
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
        workflow_id="parent",
        run_id="run-1",
        task_queue="tq",
        converter=CONVERTER,
    )
    _CREATED.append(instance)
    return instance


def _activation(*jobs: h.Job) -> h.Activation:
    return h.Activation(jobs=list(jobs), time=T0, started_event_id=3, is_replaying=False, expected_commands=None)


def _start(*args: Any) -> h.StartWorkflow:
    attrs = history.WorkflowExecutionStartedEventAttributes(original_execution_run_id="run-1")
    return h.StartWorkflow("T", CONVERTER.to_payloads(args), attrs, T0)


def _kinds(commands: list[command_pb.Command]) -> list[str]:
    return [CommandType.Name(c.command_type).removeprefix("COMMAND_TYPE_") for c in commands]


@workflow.defn
class ChangesItsMindAboutAChild:
    @workflow.run
    async def run(self) -> str:
        first = asyncio.ensure_future(workflow.start_child_workflow(FamilyChild.run, "ok", id="first"))
        await asyncio.sleep(0)  # let it send its command
        first.cancel()
        second = await workflow.start_child_workflow(FamilyChild.run, "ok", id="second")
        return str(await second)


def test_a_child_cancelled_before_its_command_is_sent_sends_nothing_and_takes_no_number() -> None:
    instance = _instance(ChangesItsMindAboutAChild)
    commands = instance.activate(_activation(_start()))
    assert _kinds(commands) == ["START_CHILD_WORKFLOW_EXECUTION"]
    attrs = commands[0].start_child_workflow_execution_command_attributes
    assert (attrs.workflow_id, attrs.task_queue.name, attrs.namespace) == ("second", "tq", "default")
    # The server's first initiated event is the second child's: number 1.
    assert instance.activate(_activation(h.ResolveChildStart(1, run_id="child-run"))) == []
    done = instance.activate(_activation(h.ResolveChild(1, result=CONVERTER.to_payloads(["child ok"]))))
    assert _kinds(done) == ["COMPLETE_WORKFLOW_EXECUTION"]
    result = done[0].complete_workflow_execution_command_attributes.result.payloads
    assert CONVERTER.from_payloads(result) == ["child ok"]


@workflow.defn
class BadChildOptions:
    @workflow.run
    async def run(self, option: str) -> None:
        if option == "run_timeout":
            await workflow.start_child_workflow(FamilyChild.run, "ok", run_timeout=5)  # type: ignore[arg-type]
        elif option == "not_a_workflow":
            await workflow.start_child_workflow(len, "ok")
        elif option == "external":
            workflow.get_external_workflow_handle("")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("run_timeout", "child workflow 'FamilyChild': run_timeout must be a datetime.timedelta, got 5"),
        ("not_a_workflow", "'len' is not a workflow"),
        ("external", "workflow_id must be a non-empty string"),
    ],
)
def test_bad_child_options_fail_the_task_with_a_clear_message(option: str, message: str) -> None:
    with pytest.raises(WorkflowTaskError, match=message):
        _instance(BadChildOptions).activate(_activation(_start(option)))


async def test_child_and_external_functions_need_a_workflow() -> None:
    with pytest.raises(NotInWorkflowError):
        workflow.get_external_workflow_handle("someone")
    with pytest.raises(NotInWorkflowError):
        await workflow.start_child_workflow(FamilyChild.run, "ok", execution_timeout=timedelta(seconds=1))


@workflow.defn
class GivesUpWhileTheChildStarts:
    def __init__(self) -> None:
        self.give_up = False

    @workflow.run
    async def run(self) -> str:
        starting = asyncio.ensure_future(workflow.start_child_workflow(FamilyChild.run, "wait", id="kid"))
        await workflow.wait_condition(lambda: self.give_up)
        starting.cancel()
        await workflow.sleep(1)
        return "gave up"

    @workflow.signal
    def stop(self) -> None:
        self.give_up = True


def test_a_child_given_up_while_starting_is_cancelled_once_it_has_started() -> None:
    instance = _instance(GivesUpWhileTheChildStarts)
    assert _kinds(instance.activate(_activation(_start()))) == ["START_CHILD_WORKFLOW_EXECUTION"]
    # Sent, not yet started: nothing to send but the timer.
    assert _kinds(instance.activate(_activation(h.SignalWorkflow("stop", [])))) == ["START_TIMER"]
    commands = instance.activate(_activation(h.ResolveChildStart(1, run_id="kid-run")))
    assert _kinds(commands) == ["REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION"]
    attrs = commands[0].request_cancel_external_workflow_execution_command_attributes
    assert (attrs.workflow_id, attrs.run_id, attrs.child_workflow_only) == ("kid", "kid-run", True)


def test_a_workflow_cancelled_in_its_first_task_runs_until_its_first_wait_and_can_clean_up() -> None:
    # The cancel request arrived before the workflow's first task: both jobs in one activation.
    instance = _instance(FamilyChild)
    commands = instance.activate(_activation(_start("wait"), h.CancelWorkflow("stop")))
    assert _kinds(commands) == ["SCHEDULE_ACTIVITY_TASK"]
    assert commands[0].schedule_activity_task_command_attributes.activity_type.name == "note"
