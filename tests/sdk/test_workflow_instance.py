"""The workflow instance alone: activations in, commands out, no server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk import workflow
from sdk._workflow_definitions import _Definition
from sdk.converter import DataConverter
from sdk.exceptions import ApplicationError
from sdk.worker import _history as h
from sdk.worker._workflow_instance import QueryError, WorkflowInstance, WorkflowTaskError

CommandType = command_type_pb2.CommandType
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONVERTER = DataConverter.default


_CREATED: list[WorkflowInstance] = []


@pytest.fixture(autouse=True)
def _dispose_instances() -> Iterator[None]:
    # Unwind workflow coroutines inside their own loop, as the worker does on eviction.
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


def _activation(*jobs: h.Job, seconds: float = 0) -> h.Activation:
    return h.Activation(
        jobs=list(jobs),
        time=T0 + timedelta(seconds=seconds),
        started_event_id=3,
        is_replaying=False,
        expected_commands=None,
    )


def _start(*args: Any) -> h.StartWorkflow:
    return h.StartWorkflow(
        "T",
        CONVERTER.to_payloads(args),
        history.WorkflowExecutionStartedEventAttributes(original_execution_run_id="run-1"),
        T0,
    )


def _kinds(commands: list[command_pb.Command]) -> list[str]:
    return [CommandType.Name(c.command_type).removeprefix("COMMAND_TYPE_") for c in commands]


def _result(commands: list[command_pb.Command]) -> Any:
    attrs = commands[-1].complete_workflow_execution_command_attributes
    return CONVERTER.from_payloads(attrs.result.payloads)[0]


@workflow.defn
class TwoSleeps:
    @workflow.run
    async def run(self) -> float:
        await asyncio.gather(asyncio.sleep(5), workflow.sleep(timedelta(seconds=10)))
        return workflow.now().timestamp() - T0.timestamp()


def test_timers_are_numbered_commands_resolved_by_later_activations() -> None:
    instance = _instance(TwoSleeps)
    first = instance.activate(_activation(_start()))
    assert _kinds(first) == ["START_TIMER", "START_TIMER"]
    assert [c.start_timer_command_attributes.timer_id for c in first] == ["1", "2"]
    assert first[1].start_timer_command_attributes.start_to_fire_timeout.seconds == 10
    assert instance.activate(_activation(h.FireTimer(1), seconds=5)) == []
    last = instance.activate(_activation(h.FireTimer(2), seconds=10))
    assert _kinds(last) == ["COMPLETE_WORKFLOW_EXECUTION"]
    # Workflow time is the activation's time.
    assert _result(last) == 10


@workflow.defn
class ChangesItsMind:
    @workflow.run
    async def run(self) -> str:
        timer = asyncio.ensure_future(asyncio.sleep(60))
        activity = workflow.start_activity("charge", start_to_close_timeout=timedelta(seconds=1))
        await asyncio.sleep(0)  # let the timer task start its timer
        timer.cancel()
        activity.cancel()
        await workflow.sleep(1)
        return "done"


def test_steps_cancelled_in_the_activation_that_started_them_send_no_commands() -> None:
    instance = _instance(ChangesItsMind)
    commands = instance.activate(_activation(_start()))
    assert _kinds(commands) == ["START_TIMER"]
    assert commands[0].start_timer_command_attributes.timer_id == "2"


@workflow.defn
class CancelsLater:
    @workflow.run
    async def run(self) -> None:
        activity = workflow.start_activity("charge", start_to_close_timeout=timedelta(seconds=1))
        await workflow.sleep(1)
        activity.cancel()
        await workflow.sleep(1)


def test_cancelling_a_scheduled_activity_names_its_scheduled_event() -> None:
    instance = _instance(CancelsLater)
    assert _kinds(instance.activate(_activation(_start()))) == ["SCHEDULE_ACTIVITY_TASK", "START_TIMER"]
    activation = _activation(h.FireTimer(1))
    activation.scheduled_activities = {1: 5}
    commands = instance.activate(activation)
    assert _kinds(commands) == ["REQUEST_CANCEL_ACTIVITY_TASK", "START_TIMER"]
    assert commands[0].request_cancel_activity_task_command_attributes.scheduled_event_id == 5


@workflow.defn
class ScheduleAndFinish:
    @workflow.run
    async def run(self) -> str:
        workflow.start_activity("fire-and-forget", start_to_close_timeout=timedelta(seconds=1))
        return "bye"


def test_the_close_command_comes_last() -> None:
    commands = _instance(ScheduleAndFinish).activate(_activation(_start()))
    assert _kinds(commands) == ["SCHEDULE_ACTIVITY_TASK", "COMPLETE_WORKFLOW_EXECUTION"]


@workflow.defn
class Raises:
    @workflow.run
    async def run(self, deliberate: bool) -> None:
        if deliberate:
            raise ApplicationError("business rule", type="Rule")
        raise KeyError("a bug")


def test_a_failure_error_fails_the_workflow_and_a_bug_fails_the_task() -> None:
    commands = _instance(Raises).activate(_activation(_start(True)))
    assert _kinds(commands) == ["FAIL_WORKFLOW_EXECUTION"]
    failure = commands[0].fail_workflow_execution_command_attributes.failure
    assert failure.message == "business rule"
    assert failure.application_failure_info.type == "Rule"
    with pytest.raises(WorkflowTaskError, match="workflow code raised KeyError: 'a bug'"):
        _instance(Raises).activate(_activation(_start(False)))


@workflow.defn
class Greeter:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.names) == 2)
        return self.names

    @workflow.signal
    def greet(self, name: str) -> None:
        self.names.append(name)

    @workflow.query
    def greeted(self, prefix: str) -> list[str]:
        return [n for n in self.names if n.startswith(prefix)]

    @workflow.query
    def sneaky(self) -> None:
        workflow.start_activity("x", start_to_close_timeout=timedelta(seconds=1))


def _signal(name: str) -> h.SignalWorkflow:
    return h.SignalWorkflow("greet", CONVERTER.to_payloads([name]))


def test_signals_in_the_first_activation_are_handled_before_the_run_method() -> None:
    instance = _instance(Greeter)
    commands = instance.activate(_activation(_start(), _signal("ann"), _signal("bob")))
    assert _result(commands) == ["ann", "bob"]


def test_queries_read_state_and_must_not_start_anything() -> None:
    instance = _instance(Greeter)
    assert instance.activate(_activation(_start(), _signal("ann"))) == []
    answer = instance.query("greeted", CONVERTER.to_payloads(["a"]))
    assert CONVERTER.from_payload(answer) == ["ann"]
    with pytest.raises(QueryError, match="a query handler cannot start activities"):
        instance.query("sneaky", [])
    with pytest.raises(QueryError, match=r"no query handler 'nope'; known queries: .*'greeted'"):
        instance.query("nope", [])
    # The refused query left no command behind.
    assert instance.activate(_activation(_signal("bob"))) != []


def test_a_query_before_the_first_task_says_the_workflow_has_not_started() -> None:
    with pytest.raises(QueryError, match="the workflow has not started yet"):
        _instance(Greeter).query("greeted", CONVERTER.to_payloads(["a"]))


def test_an_unknown_signal_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    instance = _instance(Greeter)
    instance.activate(_activation(_start(), h.SignalWorkflow("shout", [])))
    assert "has no handler for signal 'shout'" in caplog.text


@workflow.defn
class CatchAll:
    def __init__(self) -> None:
        self.seen: list[object] = []

    @workflow.run
    async def run(self) -> list[object]:
        await workflow.wait_condition(lambda: len(self.seen) == 2)
        return self.seen

    @workflow.signal
    def known(self, value: int) -> None:
        self.seen.append(("known", value))

    @workflow.signal(dynamic=True)
    async def anything(self, name: str, args: Sequence[workflow.RawValue]) -> None:
        # Raw payloads, as in the official SDK: the handler decodes them.
        decoded = [workflow.payload_converter().from_payload(arg.payload) for arg in args]
        self.seen.append((name, decoded))


def test_a_dynamic_signal_handler_gets_the_signals_without_a_handler() -> None:
    commands = _instance(CatchAll).activate(
        _activation(
            _start(),
            h.SignalWorkflow("known", CONVERTER.to_payloads([1])),
            h.SignalWorkflow("surprise", CONVERTER.to_payloads(["a", 2])),
        )
    )
    assert _result(commands) == [["known", 1], ["surprise", ["a", 2]]]


def test_only_one_dynamic_signal_handler_is_allowed() -> None:
    with pytest.raises(ValueError, match="only one dynamic signal handler is allowed, found one, two"):

        @workflow.defn
        class Twice:
            @workflow.run
            async def run(self) -> None: ...

            @workflow.signal(dynamic=True)
            def one(self, name: str) -> None: ...

            @workflow.signal(dynamic=True)
            def two(self, name: str) -> None: ...

    with pytest.raises(ValueError, match="a dynamic signal handler has no name"):
        workflow.signal(name="x", dynamic=True)(lambda self, name: None)


@workflow.defn
class ReturnsJunk:
    @workflow.run
    async def run(self) -> object:
        return object()


def test_an_unserialisable_result_fails_the_task_with_the_reason() -> None:
    with pytest.raises(WorkflowTaskError, match="cannot serialise the workflow result: cannot convert object"):
        _instance(ReturnsJunk).activate(_activation(_start()))
