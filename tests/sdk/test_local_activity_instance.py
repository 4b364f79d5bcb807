"""Local activities inside one workflow instance, without a server: a local activity whose
first run was cut short runs again once the run is live, markers that do not fit the code,
a backoff replayed from its marker, and the ways to pass arguments."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import command_type_pb2, event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk import workflow
from sdk._workflow_definitions import _Definition
from sdk.converter import DataConverter
from sdk.worker import _history as h
from sdk.worker._local_activities import MarkerData, ResolveLocalActivity, marker_command
from sdk.worker._workflow_instance import WorkflowInstance

CONVERTER = DataConverter()
CommandType = command_type_pb2.CommandType
EventType = event_type_pb2.EventType
START = datetime(2026, 1, 1, tzinfo=UTC)
_CREATED: list[WorkflowInstance] = []


@pytest.fixture(autouse=True)
def _dispose_instances() -> Iterator[None]:
    yield
    while _CREATED:
        _CREATED.pop().dispose()


@workflow.defn(name="Greeter")
class Greeter:
    @workflow.run
    async def run(self, how: str) -> str:
        timeout = timedelta(seconds=5)
        if how == "positional":
            return await workflow.execute_local_activity("greet", "ada", "!", start_to_close_timeout=timeout)
        if how == "args":
            return await workflow.execute_local_activity("greet", args=["ada", "!"], start_to_close_timeout=timeout)
        if how == "arg":
            return await workflow.execute_local_activity("greet", arg="ada", start_to_close_timeout=timeout)
        try:
            return await workflow.execute_local_activity("greet", "ada", arg="x", start_to_close_timeout=timeout)
        except TypeError as err:
            return str(err)


@workflow.defn(name="Racer")
class Racer:
    """Two local activities at once: the result lists them in the order they ended."""

    @workflow.run
    async def run(self, how: str) -> list[str]:
        ended: list[str] = []

        async def greet(name: str) -> None:
            ended.append(
                await workflow.execute_local_activity("greet", name, start_to_close_timeout=timedelta(seconds=5))
            )

        await asyncio.gather(greet("a"), greet("b"))
        return ended


def _instance(cls: type = Greeter) -> WorkflowInstance:
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


def _start(how: str, workflow_type: str = "Greeter") -> h.StartWorkflow:
    attrs = history.WorkflowExecutionStartedEventAttributes(original_execution_run_id="run-1")
    return h.StartWorkflow(workflow_type, CONVERTER.to_payloads([how]), attrs, START)


def _activation(*jobs: h.Job, expected: list[history.HistoryEvent] | None = None) -> h.Activation:
    return h.Activation(
        jobs=list(jobs), time=START, started_event_id=3, is_replaying=expected is not None, expected_commands=expected
    )


def _marker_event(command: command_pb.Command, event_id: int = 5) -> history.HistoryEvent:
    attrs = command.record_marker_command_attributes
    return history.HistoryEvent(
        event_id=event_id,
        event_type=EventType.EVENT_TYPE_MARKER_RECORDED,
        marker_recorded_event_attributes=history.MarkerRecordedEventAttributes(
            marker_name=attrs.marker_name,
            details=attrs.details,
            failure=attrs.failure if attrs.HasField("failure") else None,
        ),
    )


def _marker(
    activity_type: str, *, backoff: timedelta | None = None, seq: int = 1, index: int = 1, result: str = "hello"
) -> history.HistoryEvent:
    data = MarkerData(seq, 1, str(seq), activity_type, START, backoff, START, index)
    failure = CONVERTER.to_failure(RuntimeError("nope")) if backoff else None
    payload = None if backoff else CONVERTER.to_payload(result)
    return _marker_event(marker_command(data, payload, failure))


def test_a_local_activity_whose_run_was_cut_short_runs_again_once_the_run_is_live() -> None:
    instance = _instance()
    # The first task was completed to keep it alive while the activity ran; the worker died.
    assert instance.activate(_activation(_start("positional"), expected=[])) == []
    assert instance.local_activities.take_requests() == []

    assert instance.activate(_activation()) == []
    [request] = instance.local_activities.take_requests()
    assert (request.seq, request.activity_type, CONVERTER.from_payloads(list(request.args))) == (
        1,
        "greet",
        ["ada", "!"],
    )

    outcome = ResolveLocalActivity(seq=1, outcome="completed", attempt=1, result=CONVERTER.to_payload("hi ada!"))
    marker, complete = instance.activate(_activation(outcome))
    assert marker.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER
    assert marker.record_marker_command_attributes.marker_name == "core_local_activity"
    assert complete.command_type == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION


def test_a_marker_of_another_activity_is_a_nondeterminism_error() -> None:
    instance = _instance()
    with pytest.raises(workflow.NondeterminismError, match=r"activity type 'charge'.*started 'greet'"):
        instance.activate(_activation(_start("positional"), expected=[_marker("charge")]))


def test_a_replayed_backoff_waits_on_the_timer_history_recorded() -> None:
    instance = _instance()
    [timer] = instance.activate(
        _activation(_start("positional"), expected=[_marker("greet", backoff=timedelta(seconds=90))])
    )
    assert timer.command_type == CommandType.COMMAND_TYPE_START_TIMER
    assert timer.start_timer_command_attributes.start_to_fire_timeout.ToTimedelta() == timedelta(seconds=90)
    assert instance.local_activities.take_requests() == []


@pytest.mark.parametrize(("how", "args"), [("positional", ["ada", "!"]), ("args", ["ada", "!"]), ("arg", ["ada"])])
def test_arguments_go_positionally_or_as_the_official_sdk_takes_them(how: str, args: list[str]) -> None:
    instance = _instance()
    instance.activate(_activation(_start(how)))
    [request] = instance.local_activities.take_requests()
    assert CONVERTER.from_payloads(list(request.args)) == args


def test_arguments_given_two_ways_are_refused() -> None:
    instance = _instance()
    [complete] = instance.activate(_activation(_start("both")))
    result = complete.complete_workflow_execution_command_attributes.result.payloads[0]
    assert "pass its arguments one way" in CONVERTER.from_payload(result)


def test_replayed_outcomes_reach_the_workflow_in_the_activations_they_first_came_in() -> None:
    instance = _instance(Racer)
    # Live, "b" (seq 2) ended first, in activation 1 of the task, and "a" in activation 2.
    markers = [_marker("greet", seq=2, index=1, result="b"), _marker("greet", seq=1, index=2, result="a")]
    [complete] = instance.activate(_activation(_start("", "Racer"), expected=markers))
    result = complete.complete_workflow_execution_command_attributes.result.payloads[0]
    assert CONVERTER.from_payload(result) == ["b", "a"]
