"""Workflow code that reads the clock, draws from the global random generator, makes UUIDs or
does blocking I/O is stopped where it makes the call, with a message naming the deterministic
replacement; activities and other threads are not affected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import message_pb2 as history

from sdk._workflow_definitions import _Definition
from sdk.client import Client
from sdk.converter import DataConverter
from sdk.worker import RestrictedWorkflowAccessError, Worker
from sdk.worker import _history as h
from sdk.worker._workflow_instance import QueryError, WorkflowInstance
from sdk.workflow import NondeterminismError
from tests.sdk import determinism_app
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType
CONVERTER = DataConverter.default
_CREATED: list[WorkflowInstance] = []


@pytest.fixture(autouse=True)
def _dispose_instances() -> Iterator[None]:
    yield
    while _CREATED:
        _CREATED.pop().dispose()


def _activate(cls: type, *args: object) -> object:
    """Start ``cls`` in a workflow instance (no server): the workflow's result."""
    return _started(cls, *args)[1]


def _started(cls: type, *args: object) -> tuple[WorkflowInstance, object]:
    """Start ``cls`` in a workflow instance (no server): the instance and the workflow's result."""
    instance = WorkflowInstance(  # type: ignore[abstract]
        _Definition.from_class(cls),
        namespace="default",
        workflow_id="wf",
        run_id="run-1",
        task_queue="tq",
        converter=CONVERTER,
    )
    _CREATED.append(instance)
    start = h.StartWorkflow(
        "T",
        CONVERTER.to_payloads(list(args)),
        history.WorkflowExecutionStartedEventAttributes(original_execution_run_id="run-1"),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    activation = h.Activation(
        jobs=[start],
        time=datetime(2026, 1, 1, tzinfo=UTC),
        started_event_id=3,
        is_replaying=False,
        expected_commands=None,
    )
    commands = instance.activate(activation)
    if commands and commands[-1].HasField("complete_workflow_execution_command_attributes"):
        payloads = commands[-1].complete_workflow_execution_command_attributes.result.payloads
        return instance, CONVERTER.from_payloads(payloads)[0]
    return instance, None


REPLACEMENTS = {
    "time.time": ("time.time()", "workflow.now()"),
    "imported time": ("time.time()", "workflow.now()"),
    "datetime.now": ("datetime.datetime.now()", "workflow.now()"),
    "datetime.utcnow": ("datetime.datetime.utcnow()", "workflow.now()"),
    "date.today": ("datetime.date.today()", "workflow.now()"),
    "random.random": ("random.random()", "workflow.random()"),
    "random.randint": ("random.randint()", "workflow.random()"),
    "uuid.uuid4": ("uuid.uuid4()", "workflow.uuid4()"),
    "time.sleep": ("time.sleep()", "workflow.sleep() or asyncio.sleep() (a durable timer)"),
    "open": ("open()", "an activity"),
    "Path.read_text": ("pathlib.Path.read_text()", "an activity"),
    "socket": ("socket.socket()", "an activity"),
}


@pytest.mark.parametrize("name", sorted(determinism_app.CALLS))
def test_a_nondeterministic_call_fails_the_task_naming_the_replacement(name: str) -> None:
    called, replacement = REPLACEMENTS[name]
    with pytest.raises(RestrictedWorkflowAccessError) as caught:
        _activate(determinism_app.CallsOne, name)
    message = str(caught.value)
    assert f"workflow code must not call {called}" in message
    assert f"use {replacement}" in message
    assert "workflow.unsafe.sandbox_unrestricted()" in message
    # A kind of NondeterminismError, as in the official SDK: the task fails, not the workflow.
    assert isinstance(caught.value, NondeterminismError)
    # Raised at the call in workflow code, so its traceback shows the line.
    frames = [frame.name for frame in __import__("traceback").extract_tb(caught.value.__traceback__)]
    assert "<lambda>" in frames


def test_a_query_handler_reading_the_clock_fails_the_query_naming_the_replacement() -> None:
    instance, _ = _started(determinism_app.AsksTheClockInAQuery)
    with pytest.raises(QueryError) as caught:
        instance.query("asked_at", [])
    assert "RestrictedWorkflowAccessError: workflow code must not call datetime.datetime.now()" in str(caught.value)
    assert "use workflow.now() instead" in str(caught.value)


def test_catching_the_error_in_workflow_code_does_not_hide_the_call() -> None:
    with pytest.raises(RestrictedWorkflowAccessError, match=r"time\.time\(\)"):
        _activate(determinism_app.SwallowsTheError)


def test_the_replacements_logging_and_an_unrestricted_block_are_allowed() -> None:
    assert _activate(determinism_app.UsesTheReplacements) is None  # it waits for its timer
    # Outside workflow code nothing is checked: the worker's own thread calls what it likes.
    assert uuid.uuid4().version == 4


def test_what_an_installed_package_calls_for_workflow_code_is_not_checked() -> None:
    assert _activate(determinism_app.CallsAPackage) is True


def test_a_workflow_defined_with_sandboxed_false_is_not_checked() -> None:
    assert _activate(determinism_app.Unchecked) is True


async def test_a_workflow_reading_the_clock_fails_its_task_while_its_activity_does_io(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = f"clock-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[determinism_app.ReadsTheClock, determinism_app.UsesTheReplacements],
        activities=[determinism_app.blocking_io],
        activity_executor=activity_executor,
    ):
        handle = await client.start_workflow(determinism_app.ReadsTheClock.run, id=workflow_id, task_queue=task_queue)

        async def task_failed() -> bool:
            return any(
                e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in (await handle.fetch_history()).events
            )

        await eventually(task_failed, timeout=30)
        events = (await handle.fetch_history()).events
        # The activity ran in the same worker: time.sleep, open, time.time and uuid4 were fine there.
        completed = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
        assert CONVERTER.from_payloads(completed[0].activity_task_completed_event_attributes.result.payloads) == [
            "True 4 True"
        ]
        failed = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
        message = failed.workflow_task_failed_event_attributes.failure.message
        assert "workflow code must not call datetime.datetime.now()" in message
        assert "use workflow.now() instead" in message
        # Other workflows on the same worker run on.
        other = await client.execute_workflow(
            determinism_app.UsesTheReplacements.run, id=f"{workflow_id}-ok", task_queue=task_queue
        )
        assert other == [True, True, True, 4, True, True, True, False]
        await handle.terminate("test done")


def test_workflow_wait_and_as_completed_keep_the_order_they_were_given() -> None:
    result = _activate(determinism_app.KeepsOrder)
    names = [f"step-{i}" for i in range(12)]
    # asyncio.wait answers with sets and asyncio.as_completed starts coroutines in set order:
    # both follow memory addresses, which differ between a run and its replay.
    assert result == {
        "wait": names,
        "pending": 0,
        "started by wait": names,
        "started by as_completed": names,
        "as_completed": names,
        "time": datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        "time_ns": int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000,
    }
