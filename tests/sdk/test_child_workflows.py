"""Child workflows, other workflows' handles and cancellation, as workflow code uses them."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import event_type_pb2

from sdk.client import Client, WorkflowStatus
from sdk.exceptions import CancelledError, FailureError, WorkflowFailureError
from tests.sdk.conftest import eventually
from tests.sdk.family_app import CleansUp, FamilyChild, FamilyParent
from tests.sdk.family_runs import SEARCH_ATTRIBUTE, new_id, our_worker, run_ours

EventType = event_type_pb2.EventType


def _types(history: object) -> list[str]:
    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events]  # type: ignore[attr-defined]


async def test_a_child_workflow_returns_its_result_to_its_parent(client: Client, task_queue: str) -> None:
    seen, history, workflow_id = await run_ours(client, task_queue, "result")
    assert seen == [f"started {workflow_id}-child run True", "child ok"]
    assert "CHILD_WORKFLOW_EXECUTION_COMPLETED" in _types(history)
    child = await client.get_workflow_handle(f"{workflow_id}-child").describe()
    assert child.status == WorkflowStatus.COMPLETED
    first = (await client.get_workflow_handle(f"{workflow_id}-child").fetch_history()).events[0]
    parent = first.workflow_execution_started_event_attributes.parent_workflow_execution
    assert parent.workflow_id == workflow_id


async def test_a_child_starts_with_the_options_its_parent_gave(client: Client, task_queue: str) -> None:
    seen, _, workflow_id = await run_ours(client, task_queue, "options")
    assert seen == ["child with options"]
    child = client.get_workflow_handle(f"{workflow_id}-child")
    described = await child.describe()
    assert described.parent_workflow_id == workflow_id
    assert described.memo == {"who": "parent"}
    assert described.search_attributes[SEARCH_ATTRIBUTE] in (["child"], "child")
    started = (await child.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.workflow_run_timeout.seconds == 60
    assert started.workflow_execution_timeout.seconds == 120
    assert started.workflow_task_timeout.seconds == 5
    assert started.retry_policy.maximum_attempts == 2
    assert started.task_queue.name == task_queue


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("failure", ["ChildWorkflowError<-ApplicationError: child broke"]),
        ("timeout", ["ChildWorkflowError<-TimeoutFailureError: Timed out"]),
        (
            "already_started",
            ["WorkflowAlreadyStartedError: Workflow execution already started", "finished by parent"],
        ),
    ],
)
async def test_a_child_that_does_not_complete_raises_a_typed_error_in_its_parent(
    client: Client, task_queue: str, scenario: str, expected: list[str]
) -> None:
    seen, history, _ = await run_ours(client, task_queue, scenario)
    assert seen == expected
    if scenario == "already_started":
        # The second start failed, and the first child got the parent's signal.
        assert "START_CHILD_WORKFLOW_EXECUTION_FAILED" in _types(history)
        assert "EXTERNAL_WORKFLOW_EXECUTION_SIGNALED" in _types(history)


async def test_an_uncaught_child_error_fails_the_parent_not_its_task(client: Client, task_queue: str) -> None:
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(
            FamilyParent.run, "uncaught", "", id=new_id("uncaught"), task_queue=task_queue
        )
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
    # As the official SDK records it: the message, no failure info.
    assert type(caught.value.cause) is FailureError
    assert caught.value.cause.message == "Workflow execution already started"
    assert "WORKFLOW_TASK_FAILED" not in _types(await handle.fetch_history())


async def test_a_terminated_child_raises_child_workflow_error_caused_by_terminated_error(
    client: Client, task_queue: str
) -> None:
    workflow_id = new_id("terminated")
    async with our_worker(client, task_queue):
        parent = await client.start_workflow(FamilyParent.run, "terminated", "", id=workflow_id, task_queue=task_queue)
        child = client.get_workflow_handle(f"{workflow_id}-child")

        async def child_waiting() -> bool:
            try:
                return await child.query(FamilyChild.finished) is False
            except Exception:
                return False

        await eventually(child_waiting)
        await child.terminate("the test ends it")
        assert await parent.result() == ["ChildWorkflowError<-TerminatedError: Terminated"]


@pytest.mark.parametrize(
    "cancellation_type", ["wait_cancellation_completed", "wait_cancellation_requested", "try_cancel", "abandon"]
)
async def test_cancelling_a_child_follows_its_cancellation_type(
    client: Client, task_queue: str, cancellation_type: str
) -> None:
    seen, history, workflow_id = await run_ours(client, task_queue, f"cancel_{cancellation_type}")
    assert seen == ["ChildWorkflowError<-CancelledError: Cancelled"]
    types = _types(history)
    asked = "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED" in types
    assert asked == (cancellation_type != "abandon")
    if cancellation_type.startswith("wait_"):
        # The parent saw the error only once the child had closed (for both, as in the
        # official SDK).
        assert types.index("CHILD_WORKFLOW_EXECUTION_CANCELED") < types.index("WORKFLOW_EXECUTION_COMPLETED")
    child = client.get_workflow_handle(f"{workflow_id}-child")
    if cancellation_type in ("abandon", "try_cancel"):
        # The parent did not wait: it closed in the task that let go of the child, and
        # both servers drop a cancel request whose requester has closed. Its
        # parent-close policy is ABANDON, so the child runs on.
        assert "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED" not in types
        assert (await child.describe()).status == WorkflowStatus.RUNNING
        await child.terminate("test over")
        return
    async with our_worker(client, task_queue):
        # The child catches its cancellation, cleans up with an activity and ends cancelled.
        with pytest.raises(WorkflowFailureError) as caught:
            await child.result()
    assert isinstance(caught.value.cause, CancelledError)
    assert "ACTIVITY_TASK_COMPLETED" in _types(await child.fetch_history())


async def test_other_workflows_are_signalled_and_a_missing_one_raises(client: Client, task_queue: str) -> None:
    seen, history, _ = await run_ours(client, task_queue, "external")
    assert seen == [
        "signalled",
        "ApplicationError: Unable to signal external workflow because it was not found",
        "ApplicationError: Unable to cancel external workflow because not found",
    ]
    signalled = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    )
    target = signalled.signal_external_workflow_execution_initiated_event_attributes.workflow_execution.workflow_id
    assert await client.get_workflow_handle(target).result() == "finished by a stranger"


async def test_a_workflow_cancels_another_which_cleans_up(client: Client, task_queue: str) -> None:
    seen, history, _ = await run_ours(client, task_queue, "external_cancel")
    assert seen == ["cancel requested"]
    initiated = next(
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    )
    attrs = initiated.request_cancel_external_workflow_execution_initiated_event_attributes
    target = client.get_workflow_handle(attrs.workflow_execution.workflow_id)
    async with our_worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as caught:
            await target.result()
    assert isinstance(caught.value.cause, CancelledError)
    requested = next(
        e
        for e in (await target.fetch_history()).events
        if e.HasField("workflow_execution_cancel_requested_event_attributes")
    )
    assert requested.workflow_execution_cancel_requested_event_attributes.cause.startswith(
        "Cancel requested by workflow with run id"
    )


@pytest.mark.parametrize(
    ("cancellation_type", "cause_message", "asks_the_server", "waits_for_the_worker"),
    [
        ("try_cancel", "Cancelled", True, False),
        ("wait_cancellation_completed", "Cancelled", True, True),
        ("abandon", "Cancelled", False, False),
    ],
)
async def test_cancelling_an_activity_follows_its_cancellation_type(
    client: Client,
    task_queue: str,
    cancellation_type: str,
    cause_message: str,
    asks_the_server: bool,
    waits_for_the_worker: bool,
) -> None:
    seen, history, _ = await run_ours(client, task_queue, f"activity_{cancellation_type}")
    assert seen == [f"ActivityError<-CancelledError: {cause_message}"]
    types = _types(history)
    assert ("ACTIVITY_TASK_CANCEL_REQUESTED" in types) == asks_the_server
    # Only WAIT_CANCELLATION_COMPLETED waits for the activity's worker to acknowledge.
    acknowledged = "ACTIVITY_TASK_CANCELED" in types[: types.index("WORKFLOW_EXECUTION_COMPLETED")]
    assert acknowledged == waits_for_the_worker


async def test_a_cancelled_workflow_cancels_its_child_then_cleans_up(client: Client, task_queue: str) -> None:
    workflow_id = new_id("cleans-up")
    async with our_worker(client, task_queue):
        handle = await client.start_workflow(CleansUp.run, id=workflow_id, task_queue=task_queue)
        child = client.get_workflow_handle(f"{workflow_id}-child")

        async def child_waiting() -> bool:
            try:
                return await child.query(FamilyChild.finished) is False
            except Exception:
                return False

        await eventually(child_waiting)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        assert isinstance(caught.value.cause, CancelledError)
        with pytest.raises(WorkflowFailureError):
            await child.result()
    history = await handle.fetch_history()
    notes = [
        e.activity_task_scheduled_event_attributes.input.payloads[0].data.decode()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert notes == ['"parent cleaned up after ChildWorkflowError<-CancelledError: Cancelled"']
    assert _types(history)[-1] == "WORKFLOW_EXECUTION_CANCELED"
    assert "ACTIVITY_TASK_COMPLETED" in _types(await child.fetch_history())
