"""Bad input gives a clear error at the right place."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import event_type_pb2

from sdk import activity, workflow
from sdk.activity import NotInActivityError
from sdk.client import Client, WorkflowHandle
from sdk.exceptions import ActivityError, ApplicationError, WorkflowQueryFailedError
from sdk.worker import Worker
from sdk.workflow import NotInWorkflowError
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType


async def _task_failure(handle: WorkflowHandle) -> str:
    """Wait for the first WorkflowTaskFailed event and return its message."""
    messages: list[str] = []

    async def failed() -> bool:
        for event in (await handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                messages.append(event.workflow_task_failed_event_attributes.failure.message)
        return bool(messages)

    await eventually(failed)
    return messages[0]


async def test_workflow_and_activity_functions_refuse_to_run_outside() -> None:
    with pytest.raises(NotInWorkflowError, match="only be called from workflow code"):
        workflow.now()
    with pytest.raises(NotInWorkflowError):
        await workflow.sleep(1)
    with pytest.raises(NotInWorkflowError):
        workflow.start_activity("x", start_to_close_timeout=timedelta(seconds=1))
    with pytest.raises(NotInActivityError, match="only be called from an activity"):
        activity.heartbeat()
    assert not workflow.in_workflow()


def test_a_bad_workflow_class_lists_every_problem() -> None:
    with pytest.raises(ValueError) as caught:

        @workflow.defn
        class Broken:
            def __init__(self, order_id: int) -> None: ...

            @workflow.run
            def run(self) -> None: ...

            @workflow.run
            async def other(self) -> None: ...

            @workflow.query
            async def status(self) -> str:
                return ""

            @workflow.signal(name="go")
            def go1(self) -> None: ...

    message = str(caught.value)
    assert "@workflow.run method run must be 'async def'" in message
    assert "only one @workflow.run method is allowed, found other, run" in message
    assert "@workflow.query method status must not be 'async def'" in message
    assert "__init__ must take no arguments besides self" in message


def test_a_bad_worker_configuration_lists_every_problem() -> None:
    class Plain:
        pass

    def not_an_activity() -> None: ...

    class FakeClient:
        service = None
        namespace = "default"
        identity = "me"
        data_converter = None

    with pytest.raises(ValueError) as caught:
        Worker(
            FakeClient(),  # type: ignore[arg-type]
            task_queue="",
            workflows=[Plain],
            activities=[not_an_activity],
            max_cached_workflows=-1,
            max_concurrent_workflow_task_polls=0,
            nonsticky_to_sticky_poll_ratio=1.5,
            max_concurrent_activity_task_polls=0,
        )
    message = str(caught.value)
    assert "task_queue must not be empty" in message
    assert "Plain is not a workflow class: decorate it with @workflow.defn" in message
    assert "not_an_activity" in message and "@activity.defn" in message
    assert "max_cached_workflows must not be negative" in message
    assert "max_concurrent_workflow_task_polls must be at least 1" in message
    assert "nonsticky_to_sticky_poll_ratio must be above 0 and at most 1" in message
    assert "max_concurrent_activity_task_polls must be at least 1" in message


@workflow.defn
class Known:
    @workflow.run
    async def run(self) -> None: ...


async def test_an_unregistered_workflow_type_fails_its_task_with_the_known_types(
    client: Client, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Known]):
        handle = await client.start_workflow("Unknown", id=f"unknown-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        message = await _task_failure(handle)
    await handle.terminate("test over")
    assert "workflow type 'Unknown' is not registered on this worker" in message
    assert "registered types: ['Known']" in message


@activity.defn
async def store(value: object) -> None: ...


@workflow.defn
class Unserialisable:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(store, object(), start_to_close_timeout=timedelta(seconds=5))
        except TypeError as err:
            return str(err)
        return "no error"


async def test_an_unserialisable_activity_argument_fails_at_the_call(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Unserialisable]):
        result = await client.execute_workflow(
            Unserialisable.run, id=f"unser-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert result.startswith("argument 0 of activity 'store': cannot convert object")


@workflow.defn
class Queried:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def broken(self) -> int:
        raise ValueError("no answer for you")


async def test_a_query_that_raises_reaches_the_caller_as_a_query_failure(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Queried]):
        handle = await client.start_workflow(Queried.run, id=f"queried-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        with pytest.raises(WorkflowQueryFailedError, match="ValueError: no answer for you"):
            await handle.query(Queried.broken)
        with pytest.raises(WorkflowQueryFailedError, match=r"known queries: .*'broken'"):
            await handle.query("nonexistent")
        # The built-in query behind `temporal workflow stack` shows where the run waits.
        stack = await handle.query("__stack_trace")
        assert "workflow Queried run" in stack and "wait_condition" in stack
        await handle.signal(Queried.finish)
        await handle.result()


@workflow.defn
class CallsMissingActivity:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                "missing",
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=workflow.RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            assert isinstance(err.cause, ApplicationError)
            return f"{err.cause.type}: {err.cause.message}"
        return "no error"


async def test_an_unregistered_activity_fails_with_the_registered_names(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CallsMissingActivity], activities=[store]):
        result = await client.execute_workflow(
            CallsMissingActivity.run, id=f"missing-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
    assert result.startswith("NotFoundError: activity type 'missing' is not registered")
    assert "registered: ['store']" in result


@workflow.defn
class Blocking:
    @workflow.run
    async def run(self) -> None:
        # Let past the determinism checks (which refuse time.sleep): a busy workflow thread
        # is a bug the worker's deadlock detection must catch all the same.
        with workflow.unsafe.sandbox_unrestricted():
            time.sleep(1)


async def test_a_workflow_that_blocks_fails_its_task_as_a_deadlock(client: Client, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Blocking],
        deadlock_timeout=timedelta(seconds=0.2),
    ):
        handle = await client.start_workflow(Blocking.run, id=f"blocking-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        message = await _task_failure(handle)
        await handle.terminate("test over")
    assert "did not yield within 0.2s" in message
    assert "time.sleep(1)" in message
