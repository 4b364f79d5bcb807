"""Activities beyond the basics, on both servers: plain functions in a thread pool and how a
cancellation reaches them, async completion by task token or IDs (across SDKs), dynamic
activities and workflows, the activity logger and failed-attempt warnings, the official
SDK's ApplicationError, eager execution, and failure exception types."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
import temporalio.client
import temporalio.worker
import temporalio.workflow
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk import activity, workflow
from sdk.client import AsyncActivityCancelledError, Client, WorkflowHandle
from sdk.exceptions import ApplicationError, RPCError, WorkflowFailureError, WorkflowUpdateFailedError
from sdk.worker import Replayer, Worker
from sdk.workflow import NondeterminismError
from tests import codec_app
from tests.sdk import activities_app, official_activities_app
from tests.sdk.activity_runs import (
    OUR_ACTIVITIES,
    attempts_started,
    drifted_run,
    event_types,
    new_id,
    official_worker,
    our_worker,
)
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType
RunsActivity = activities_app.RunsActivity
CancelsActivity = activities_app.CancelsActivity


# --- plain functions and cancellation ----------------------------------------------------


def test_a_worker_with_plain_activities_and_no_executor_is_refused(client: Client) -> None:
    with pytest.raises(ValueError) as caught:
        Worker(client, task_queue="tq", activities=[activities_app.plain_until_cancelled])
    assert "['plain_until_cancelled'] are not async, so an activity_executor" in str(caught.value)


async def _cancel_when_heartbeating(client: Client, task_queue: str, activity_name: str, args: list[object]) -> str:
    workflow_id = new_id("cancel")
    handle = await client.start_workflow(
        CancelsActivity.run, activity_name, args, id=workflow_id, task_queue=task_queue
    )

    async def heartbeating() -> bool:
        return workflow_id in activities_app.HEARTBEATING

    await eventually(heartbeating)
    await handle.signal(CancelsActivity.halt)
    assert await handle.result() == "CancelledError"
    history = await handle.fetch_history()
    assert "EVENT_TYPE_ACTIVITY_TASK_CANCELED" in event_types(history)
    return workflow_id


async def test_a_plain_activity_gets_the_cancellation_raised_in_its_thread(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        workflow_id = await _cancel_when_heartbeating(client, task_queue, "plain_until_cancelled", [])
    seen = activities_app.SEEN[workflow_id]
    # Raised in the busy code between heartbeats, not by a heartbeat call.
    assert seen["raised_in"] == "_spin"
    assert seen["is_cancelled"] is True
    assert seen["thread"].startswith("tempo-activity")


async def test_a_plain_activity_that_opts_out_polls_for_its_cancellation(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        workflow_id = await _cancel_when_heartbeating(client, task_queue, "plain_polls_for_cancel", [])
    assert activities_app.SEEN[workflow_id] == {"noticed": True}


async def test_wait_for_cancelled_wakes_a_task_of_an_async_activity(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        workflow_id = await _cancel_when_heartbeating(client, task_queue, "async_waits_for_cancel", [])
    assert activities_app.SEEN[workflow_id] == {"waiter_woke": True}


# --- async completion ----------------------------------------------------------------------


async def _token_of(workflow_id: str, tokens: dict[str, bytes]) -> bytes:
    async def left_to_complete() -> bool:
        return workflow_id in tokens

    await eventually(left_to_complete)
    return tokens.pop(workflow_id)


@pytest.mark.parametrize("activity_name", ["completes_later", "plain_completes_later"])
async def test_an_activity_completed_later_by_its_task_token(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor, activity_name: str
) -> None:
    workflow_id = new_id("later")
    async with our_worker(client, task_queue, activity_executor):
        handle = await client.start_workflow(
            RunsActivity.run, activity_name, ["x"], 1, id=workflow_id, task_queue=task_queue
        )
        activity = client.get_async_activity_handle(task_token=await _token_of(workflow_id, activities_app.TOKENS))
        await activity.heartbeat("half way")
        await activity.complete("finished elsewhere")
        assert await handle.result() == "finished elsewhere"
    history = await handle.fetch_history()
    types = event_types(history)
    assert types.count("EVENT_TYPE_ACTIVITY_TASK_COMPLETED") == 1
    assert "EVENT_TYPE_ACTIVITY_TASK_FAILED" not in types


async def test_an_activity_failed_later_by_its_ids(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = new_id("later")
    async with our_worker(client, task_queue, activity_executor):
        handle = await client.start_workflow(
            RunsActivity.run, "completes_later", ["x"], 5, id=workflow_id, task_queue=task_queue
        )
        await _token_of(workflow_id, activities_app.TOKENS)
        activity = client.get_async_activity_handle(workflow_id=workflow_id, run_id=handle.run_id, activity_id="1")
        await activity.heartbeat("half way")
        await activity.fail(ApplicationError("courier lost", "parcel 9", type="Courier", non_retryable=True))
        assert await handle.result() == {"type": "Courier", "message": "courier lost", "details": ["parcel 9"]}
    assert attempts_started(await handle.fetch_history()) == [1]


async def test_a_heartbeat_from_outside_learns_of_cancellation_and_reports_it(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = new_id("later")
    async with our_worker(client, task_queue, activity_executor):
        handle = await client.start_workflow(
            CancelsActivity.run, "completes_later", ["x"], id=workflow_id, task_queue=task_queue
        )
        activity = client.get_async_activity_handle(task_token=await _token_of(workflow_id, activities_app.TOKENS))
        await activity.heartbeat()
        await handle.signal(CancelsActivity.halt)

        async def told_to_cancel() -> bool:
            try:
                await activity.heartbeat()
            except AsyncActivityCancelledError:
                return True
            return False

        await eventually(told_to_cancel)
        await activity.report_cancellation("gave up")
        assert await handle.result() == "CancelledError"


async def test_an_activity_completed_later_goes_through_the_payload_codec(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    secret = await Client.connect(server_address, data_converter=codec_app.CONVERTER)
    workflow_id = new_id("later")
    async with our_worker(secret, task_queue, activity_executor):
        handle = await secret.start_workflow(
            RunsActivity.run, "completes_later", ["x"], 1, id=workflow_id, task_queue=task_queue
        )
        activity = secret.get_async_activity_handle(task_token=await _token_of(workflow_id, activities_app.TOKENS))
        await activity.complete(f"{codec_app.PLAINTEXT_MARK}, finished elsewhere")
        assert await handle.result() == f"{codec_app.PLAINTEXT_MARK}, finished elsewhere"
    history = await client.get_workflow_handle(workflow_id).fetch_history()  # a client without the codec
    completed = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ).activity_task_completed_event_attributes.result
    # The server only saw the codec's bytes.
    assert codec_app.PLAINTEXT_MARK.encode() not in completed.SerializeToString()
    await secret.close()


async def test_async_activity_handles_refuse_bad_input_clearly(client: Client) -> None:
    with pytest.raises(ValueError, match="give task_token, or workflow_id and activity_id"):
        client.get_async_activity_handle()
    with pytest.raises(ValueError, match="not both"):
        client.get_async_activity_handle(task_token=b"t", workflow_id="w", activity_id="1")
    missing = client.get_async_activity_handle(workflow_id=new_id("nobody"), activity_id="1")
    with pytest.raises(RPCError) as caught:
        await missing.complete("x")
    assert caught.value.status_code == grpc.StatusCode.NOT_FOUND


async def test_our_client_completes_an_activity_of_an_official_worker(
    client: Client, server_address: str, task_queue: str
) -> None:
    official = await temporalio.client.Client.connect(server_address)
    workflow_id = new_id("later")
    async with official_worker(official, task_queue):
        handle = await official.start_workflow(
            "RunsActivity", args=["completes_later", ["x"], 1], id=workflow_id, task_queue=task_queue
        )
        token = await _token_of(workflow_id, official_activities_app.TOKENS)
        await client.get_async_activity_handle(task_token=token).complete({"by": "tempo"})
        assert await handle.result() == {"by": "tempo"}


async def test_the_official_client_completes_an_activity_of_our_worker(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    official = await temporalio.client.Client.connect(server_address)
    by_token, by_ids = new_id("later"), new_id("later")
    async with our_worker(client, task_queue, activity_executor):
        first = await client.start_workflow(
            RunsActivity.run, "completes_later", ["x"], 1, id=by_token, task_queue=task_queue
        )
        second = await client.start_workflow(
            RunsActivity.run, "completes_later", ["y"], 1, id=by_ids, task_queue=task_queue
        )
        token = await _token_of(by_token, activities_app.TOKENS)
        await official.get_async_activity_handle(task_token=token).complete("official, by token")
        await _token_of(by_ids, activities_app.TOKENS)
        await official.get_async_activity_handle(workflow_id=by_ids, run_id=second.run_id, activity_id="1").complete(
            "official, by ids"
        )
        assert await first.result() == "official, by token"
        assert await second.result() == "official, by ids"


# --- dynamic activities and workflows --------------------------------------------------------


async def test_a_dynamic_activity_runs_every_unregistered_type(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(
        client, task_queue, activity_executor, activities=[*OUR_ACTIVITIES, activities_app.any_activity]
    ):
        result = await client.execute_workflow(
            RunsActivity.run, "price_lookup", ["tea", "cake"], 1, id=new_id("dyn"), task_queue=task_queue
        )
        assert result == "price_lookup got ['tea', 'cake']"
        # A registered type still goes to its own function.
        result = await client.execute_workflow(
            RunsActivity.run, "eager_step", ["x"], 1, id=new_id("dyn"), task_queue=task_queue
        )
        assert result == "eager x"


async def test_a_dynamic_workflow_runs_every_unregistered_type(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    workflow_id = new_id("dyn")
    async with our_worker(client, task_queue, activity_executor):
        result = await client.execute_workflow("Tally", 1, 2, 3, id=workflow_id, task_queue=task_queue)
    assert result == "Tally summed 6"
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    assert (await Replayer(workflows=[activities_app.AnyWorkflow]).replay_workflow(history)).completed
    official = temporalio.worker.Replayer(
        workflows=[official_activities_app.AnyWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    )
    # Raises if the official SDK's dynamic workflow does not replay what ours recorded.
    await official.replay_workflow(temporalio.client.WorkflowHistory(workflow_id=workflow_id, events=history.events))


def test_dynamic_definitions_and_eager_options_refuse_bad_input(client: Client) -> None:
    with pytest.raises(ValueError, match="a dynamic activity has no name"):
        activity.defn(name="x", dynamic=True)(activities_app.eager_step)
    with pytest.raises(ValueError, match="a dynamic workflow has no name"):
        workflow.defn(name="x", dynamic=True)(activities_app.FailsOnValue)
    with pytest.raises(ValueError) as caught:
        Worker(
            client,
            task_queue="tq",
            workflows=[activities_app.AnyWorkflow, activities_app.AnyWorkflow],
            activities=[activities_app.any_activity, activities_app.any_activity],
            max_eager_activity_reservations_per_workflow_task=0,
        )
    message = str(caught.value)
    assert "max_eager_activity_reservations_per_workflow_task must be positive" in message
    assert "only one dynamic workflow may be registered" in message
    assert "only one dynamic activity may be registered" in message


# --- logging and failures ----------------------------------------------------------------------


async def test_the_activity_logger_and_every_failed_attempt_are_logged(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sdk.activity")
    workflow_id = new_id("logs")
    async with our_worker(client, task_queue, activity_executor):
        result = await client.execute_workflow(
            RunsActivity.run, "logs_then_fails_on_a_missing_key", ["missing"], 2, id=workflow_id, task_queue=task_queue
        )
    assert result["type"] == "KeyError"
    mine = [r for r in caplog.records if r.name == "sdk.activity" and r.temporal_activity["workflow_id"] == workflow_id]  # type: ignore[attr-defined]
    lookups = [r for r in mine if r.levelno == logging.INFO]
    assert [r.temporal_activity["attempt"] for r in lookups] == [1, 2]  # type: ignore[attr-defined]
    assert "looking up missing (" in lookups[0].getMessage()
    assert "'activity_type': 'logs_then_fails_on_a_missing_key'" in lookups[0].getMessage()
    failed = [r for r in mine if r.levelno == logging.WARNING]
    assert [r.getMessage().split(" (")[0] for r in failed] == ["Completing activity as failed"] * 2
    assert all(r.exc_info and isinstance(r.exc_info[1], KeyError) for r in failed)


async def test_an_unregistered_activity_type_is_logged_at_every_attempt(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sdk.activity")
    workflow_id = new_id("unknown")
    async with our_worker(client, task_queue, activity_executor):
        result = await client.execute_workflow(
            RunsActivity.run, "nobody_has_this", [], 2, id=workflow_id, task_queue=task_queue
        )
    assert result["type"] == "NotFoundError"
    assert "activity type 'nobody_has_this' is not registered on this worker" in result["message"]
    warnings = [
        r
        for r in caplog.records
        if r.name == "sdk.activity" and r.temporal_activity["workflow_id"] == workflow_id  # type: ignore[attr-defined]
    ]
    assert len(warnings) == 2
    assert all("is not registered" in str(r.exc_info[1]) for r in warnings if r.exc_info)


async def test_the_official_sdks_application_error_is_honoured(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        handle = await client.start_workflow(
            RunsActivity.run,
            "raises_official_application_error",
            [],
            5,
            id=new_id("official-error"),
            task_queue=task_queue,
        )
        assert await handle.result() == {"type": "Payment", "message": "card declined", "details": [{"code": 51}]}
    # non_retryable: one attempt of the five the policy allows.
    assert attempts_started(await handle.fetch_history()) == [1]


# --- eager activities ---------------------------------------------------------------------------


async def test_an_activity_on_the_workers_own_queue_runs_eagerly_with_the_official_sdks_events(
    client: Client,
    server_address: str,
    task_queue: str,
    activity_executor: ThreadPoolExecutor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="sdk.worker")
    async with our_worker(client, task_queue, activity_executor):
        ours = await client.start_workflow(
            RunsActivity.run, "eager_step", ["x"], 1, id=new_id("eager"), task_queue=task_queue
        )
        assert await ours.result() == "eager x"
    assert any("running activity 1 (eager_step) eagerly" in r.getMessage() for r in caplog.records)

    official = await temporalio.client.Client.connect(server_address)
    async with official_worker(official, task_queue + "-official"):
        theirs = await official.start_workflow(
            "RunsActivity", args=["eager_step", ["x"], 1], id=new_id("eager"), task_queue=task_queue + "-official"
        )
        assert await theirs.result() == "eager x"
    assert event_types(await ours.fetch_history()) == event_types(await theirs.fetch_history())


async def test_eager_activities_can_be_turned_off(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sdk.worker")
    async with our_worker(client, task_queue, activity_executor, disable_eager_activity_execution=True):
        result = await client.execute_workflow(
            RunsActivity.run, "eager_step", ["x"], 1, id=new_id("eager"), task_queue=task_queue
        )
    assert result == "eager x"
    assert not any("eagerly" in r.getMessage() for r in caplog.records)


# --- failure exception types ---------------------------------------------------------------------


async def test_the_workers_failure_exception_types_fail_the_workflow_instead_of_its_task(
    client: Client, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor, workflow_failure_exception_types=[ValueError]):
        with pytest.raises(WorkflowFailureError) as caught:
            await client.execute_workflow(activities_app.FailsOnValue.run, id=new_id("fails"), task_queue=task_queue)
    assert isinstance(caught.value.cause, ApplicationError) and caught.value.cause.type == "ValueError"

    # Without it the workflow task fails (and is retried) while the workflow stays open.
    async with our_worker(client, task_queue + "-plain", activity_executor):
        handle = await client.start_workflow(
            activities_app.FailsOnValue.run, id=new_id("fails"), task_queue=task_queue + "-plain"
        )

        async def task_failed() -> bool:
            return "EVENT_TYPE_WORKFLOW_TASK_FAILED" in event_types(await handle.fetch_history())

        await eventually(task_failed)
        await handle.terminate("test over")


@pytest.mark.parametrize("workflow_type", ["FailsOnLookup", "TimesOut"])
async def test_a_failure_exception_type_or_a_timeout_fails_the_workflow_as_the_official_sdk_does(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor, workflow_type: str
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        ours = await client.start_workflow(workflow_type, id=new_id("fails"), task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as caught:
            await ours.result()
    cause = caught.value.cause
    expected_type = {"FailsOnLookup": "KeyError", "TimesOut": "TimeoutError"}[workflow_type]
    assert isinstance(cause, ApplicationError) and cause.type == expected_type

    official = await temporalio.client.Client.connect(server_address)
    async with official_worker(official, task_queue + "-official"):
        theirs = await official.start_workflow(workflow_type, id=new_id("fails"), task_queue=task_queue + "-official")
        with pytest.raises(temporalio.client.WorkflowFailureError):
            await theirs.result()
    our_events, their_events = await ours.fetch_history(), await theirs.fetch_history()
    assert event_types(our_events) == event_types(their_events)
    assert event_types(our_events)[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    ours_failure = our_events.events[-1].workflow_execution_failed_event_attributes.failure
    their_failure = their_events.events[-1].workflow_execution_failed_event_attributes.failure
    assert ours_failure.application_failure_info.type == their_failure.application_failure_info.type == expected_type
    assert ours_failure.message == their_failure.message


async def test_a_failure_exception_type_in_an_update_fails_the_update_as_the_official_sdk_does(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    async with our_worker(client, task_queue, activity_executor):
        ours = await client.start_workflow(activities_app.Shelf.run, id=new_id("shelf"), task_queue=task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await ours.execute_update(activities_app.Shelf.look_up, "cake")
        assert isinstance(caught.value.cause, ApplicationError) and caught.value.cause.type == "KeyError"
        assert await ours.execute_update(activities_app.Shelf.look_up, "tea") == "shelf 2"
        await ours.signal(activities_app.Shelf.close)
        assert await ours.result() == "closed"

    official = await temporalio.client.Client.connect(server_address)
    async with official_worker(official, task_queue + "-official"):
        theirs = await official.start_workflow("Shelf", id=new_id("shelf"), task_queue=task_queue + "-official")
        with pytest.raises(temporalio.client.WorkflowUpdateFailedError):
            await theirs.execute_update("look_up", "cake")
        assert await theirs.execute_update("look_up", "tea") == "shelf 2"
        await theirs.signal("close")
        assert await theirs.result() == "closed"
    our_types = event_types(await ours.fetch_history())
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in our_types

    def run_and_updates(types: list[str]) -> list[str]:
        # Whether the first update shares the first workflow task depends on timing, not the SDK.
        return [t for t in types if "UPDATE" in t or "EXECUTION" in t]

    assert run_and_updates(our_types) == run_and_updates(event_types(await theirs.fetch_history()))


async def test_nondeterminism_among_the_failure_types_fails_the_workflow_as_the_official_sdk_does(
    client: Client, server_address: str, task_queue: str
) -> None:
    def ours(version: str) -> Worker:
        return Worker(
            client,
            task_queue=task_queue,
            workflows=[activities_app.DriftV1 if version == "v1" else activities_app.DriftV2],
            max_cached_workflows=0,
            workflow_failure_exception_types=[NondeterminismError] if version == "v2" else [],
        )

    async def start_ours() -> WorkflowHandle:
        return await client.start_workflow("Drift", id=new_id("drift"), task_queue=task_queue)

    async def our_history(handle: WorkflowHandle) -> History:
        return await handle.fetch_history()

    our_events = await drifted_run(start_ours, our_history, ours)

    official = await temporalio.client.Client.connect(server_address)
    their_queue = task_queue + "-official"

    def theirs(version: str) -> temporalio.worker.Worker:
        return temporalio.worker.Worker(
            official,
            task_queue=their_queue,
            workflows=[official_activities_app.DriftV1 if version == "v1" else official_activities_app.DriftV2],
            max_cached_workflows=0,
            workflow_failure_exception_types=[temporalio.workflow.NondeterminismError] if version == "v2" else [],
            workflow_runner=UnsandboxedWorkflowRunner(),
        )

    async def start_theirs() -> temporalio.client.WorkflowHandle[Any, Any]:
        return await official.start_workflow("Drift", id=new_id("drift"), task_queue=their_queue)

    async def their_history(handle: temporalio.client.WorkflowHandle[Any, Any]) -> History:
        return History(events=(await handle.fetch_history()).events)

    their_events = await drifted_run(start_theirs, their_history, theirs)

    assert event_types(our_events) == event_types(their_events)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in event_types(our_events)
    ours_failure = our_events.events[-1].workflow_execution_failed_event_attributes.failure
    their_failure = their_events.events[-1].workflow_execution_failed_event_attributes.failure
    # The same shape (an application failure without a type); each SDK words its own message.
    assert (
        ours_failure.WhichOneof("failure_info")
        == their_failure.WhichOneof("failure_info")
        == "application_failure_info"
    )
    assert ours_failure.application_failure_info.type == their_failure.application_failure_info.type == ""
    assert "timer" in ours_failure.message.lower() or "activity" in ours_failure.message.lower()
