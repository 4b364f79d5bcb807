"""PauseWorkflowExecution / UnpauseWorkflowExecution (issue 18), compared with the real dev server.

The same raw requests go to both servers (started with `frontend.WorkflowPauseEnabled=true`);
their answers, histories and describes must be the same once ids and times are normalised.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage as UpdateStage
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.update.v1 import Input as UpdateInput
from temporalio.api.update.v1 import Meta as UpdateMeta
from temporalio.api.update.v1 import Request as UpdateRequest
from temporalio.api.update.v1 import WaitPolicy
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.api.workflowservice.v1.service_pb2_grpc import WorkflowServiceStub
from temporalio.worker import Worker

from tests.devserver import compat, scenarios
from tests.devserver.compat_workflows import SignalledAfterPauseWorkflow
from tests.devserver.pause_driver import (
    NS,
    PAUSE_FLAGS,
    Driver,
    complete_workflow,
    driver,
    schedule_activity,
    start_timer,
)

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

PAUSED = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_PAUSED


@pytest.fixture(scope="module")
async def pause_enabled() -> AsyncIterator[tuple[str, str]]:
    async with compat.server_pair(*PAUSE_FLAGS) as pair:
        yield pair


Scenario = Callable[[Driver], Awaitable[dict[str, Any]]]


async def _both(pair: tuple[str, str], prefix: str, scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
    async def on(address: str) -> dict[str, Any]:
        async with driver(address, prefix) as d:
            found = await scenario(d)
            return {**found, "answers": d.answers, "history": await d.history()}

    ours, real = await asyncio.gather(on(pair[0]), on(pair[1]))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours == real
    return ours, real


async def test_pause_is_unimplemented_unless_enabled(server_address: str) -> None:
    """Off by default on both servers: pausing is UNIMPLEMENTED, naming the namespace (unpausing
    is not switched off)."""
    async with driver(server_address, "pause-off") as d:
        await d.start()
        await d.pause("look")
        await d.unpause("go")
        assert d.answers == [
            ("PauseWorkflowExecution", "UNIMPLEMENTED", "workflow pause is not enabled for namespace: default"),
            ("UnpauseWorkflowExecution", "FAILED_PRECONDITION", "workflow is not paused."),
        ]


async def test_pause_before_the_task_starts_then_signal_and_unpause(pause_enabled: tuple[str, str]) -> None:
    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        await d.pause("look at it", request_id="rid-pause")
        paused = await d.describe()
        listed = await d.listed('ExecutionStatus="Paused"'), await d.listed('TemporalPauseInfo="Reason:look at it"')
        await d.pause("again")
        await d.signal("while-paused")
        still_paused = await d.describe()
        polls = await d.long_poll(close_event_only=False), await d.long_poll(close_event_only=True)
        await d.unpause("done looking", request_id="rid-unpause")
        await d.unpause("twice")
        return {
            "paused": paused,
            "listed": listed,
            "still paused": still_paused,
            "long polls while paused": polls,
            "unpaused": await d.describe(),
        }

    ours, _ = await _both(pause_enabled, "pause-scheduled", scenario)
    types = [event["eventType"] for event in ours["history"]]
    assert types == [
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
        "EVENT_TYPE_WORKFLOW_TASK_FAILED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
    ]
    failed = ours["history"][2]["workflowTaskFailedEventAttributes"]
    assert failed["cause"] == "WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_PAUSE_REQUESTED_BEFORE_TASK_STARTED"
    assert failed["identity"] == "history-service"
    assert ours["paused"]["status"] == PAUSED
    assert ours["paused"]["pause info"] == ("operator", "look at it", True)
    assert ours["paused"]["TemporalPauseInfo"] == ["Workflow:<workflow id>", "Reason:look at it"]
    assert ours["listed"] == ([PAUSED], [PAUSED])
    assert ours["still paused"]["pending workflow task"] is None, "a signal while paused schedules no task"
    # A paused run's history is not followed: the poll ends as for a closed run, and a
    # close-event poll answers the last event at once.
    follow, close = ours["long polls while paused"]
    assert len(follow[0]) == 5 and follow[1] is False
    assert close == (["EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"], False)
    assert ours["unpaused"]["pause info"] is None and ours["unpaused"]["TemporalPauseInfo"] is None
    assert ours["answers"][1] == ("PauseWorkflowExecution", "FAILED_PRECONDITION", "workflow is already paused.")
    assert ours["answers"][-1] == ("UnpauseWorkflowExecution", "FAILED_PRECONDITION", "workflow is not paused.")


async def test_pause_while_a_worker_has_the_task(pause_enabled: tuple[str, str]) -> None:
    """The started task runs to its end; its timer fires and its activity waits while paused."""

    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        task = await d.poll_workflow_task()
        await d.pause("mid-task")
        during_task = await d.describe()
        await d.signal("during-task")
        await d.complete_task(task.task_token, start_timer("t1", 1), schedule_activity("a1", d.task_queue))
        await d.wait_for_event("EVENT_TYPE_TIMER_FIRED")
        held = await d.poll_activity_task(timeout=3)
        paused = await d.describe()
        await d.unpause()
        activity = await d.poll_activity_task()
        next_task = await d.poll_workflow_task()
        return {
            "during task": during_task,
            "activity polled while paused": held.activity_id,
            "paused": paused,
            "activity polled after unpause": (activity.activity_id, activity.attempt),
            "next task": (next_task.previous_started_event_id, next_task.started_event_id),
        }

    ours, _ = await _both(pause_enabled, "pause-started", scenario)
    assert ours["during task"]["status"] == PAUSED
    assert ours["activity polled while paused"] == ""
    assert ours["activity polled after unpause"] == ("a1", 1)
    types = [event["eventType"] for event in ours["history"]]
    assert types[4:9] == [
        "EVENT_TYPE_TIMER_STARTED",
        "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED",
        "EVENT_TYPE_TIMER_FIRED",
    ]


async def test_completing_while_paused_is_an_unhandled_command(pause_enabled: tuple[str, str]) -> None:
    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        task = await d.poll_workflow_task()
        await d.pause("hold")
        await d.complete_task(task.task_token, complete_workflow())
        return {"after": await d.describe()}

    ours, _ = await _both(pause_enabled, "pause-complete", scenario)
    assert ours["answers"][1] == ("RespondWorkflowTaskCompleted", "INVALID_ARGUMENT", "UnhandledCommand")
    assert ours["after"]["status"] == PAUSED and ours["after"]["pending workflow task"] is None


async def test_closed_runs_and_bad_requests(pause_enabled: tuple[str, str]) -> None:
    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        await d.pause("x" * 1001)
        await d.pause(identity="i" * 1001)
        await d.pause(request_id="r" * 1001)
        await d.pause(run_id="not-a-uuid")
        await d.unpause(workflow_id="")
        await d.pause(workflow_id="no-such-workflow")
        await d.pause(namespace="no-such-namespace")
        await d.pause()  # no reason: the search attribute names only the workflow
        paused = await d.describe()
        await d.call(
            "TerminateWorkflowExecution",
            wsv1.TerminateWorkflowExecutionRequest(namespace=NS, workflow_execution=d.execution, reason="stop"),
        )
        await d.pause("closed")
        await d.unpause("closed")
        return {"paused": paused, "terminated": await d.describe()}

    ours, _ = await _both(pause_enabled, "pause-closed", scenario)
    assert ours["paused"]["TemporalPauseInfo"] == ["Workflow:<workflow id>"]
    assert ours["terminated"]["status"] == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED
    assert ours["terminated"]["TemporalPauseInfo"] == ["Workflow:<workflow id>"], "a run closed while paused keeps it"
    assert ours["answers"][-2:] == [
        ("PauseWorkflowExecution", "NOT_FOUND", "workflow execution already completed"),
        ("UnpauseWorkflowExecution", "NOT_FOUND", "workflow execution already completed"),
    ]


async def _signalled_after_pause(address: str) -> dict[str, Any]:
    """An official-SDK worker runs a workflow paused while it waits for a signal: the signal
    wakes nothing until the unpause, then the workflow finishes."""
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-pause-sdk")
    async with Worker(client, task_queue=task_queue, workflows=[SignalledAfterPauseWorkflow]):
        handle = await client.start_workflow(
            SignalledAfterPauseWorkflow.run, id=scenarios.unique("pause-sdk"), task_queue=task_queue
        )
        await scenarios.wait_for_event(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        async with grpc.aio.insecure_channel(address) as channel:
            stub = WorkflowServiceStub(channel)
            await stub.PauseWorkflowExecution(
                wsv1.PauseWorkflowExecutionRequest(namespace=NS, workflow_id=handle.id, reason="hold")
            )
            await handle.signal(SignalledAfterPauseWorkflow.go, "ada")
            await scenarios.wait_for_event(handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
            # Through the raw API: the official SDK's client does not know the PAUSED status yet.
            described = await stub.DescribeWorkflowExecution(
                wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=WorkflowExecution(workflow_id=handle.id))
            )
            paused = described.workflow_execution_info.status
            queried = await stub.QueryWorkflow(
                wsv1.QueryWorkflowRequest(
                    namespace=NS,
                    execution=WorkflowExecution(workflow_id=handle.id),
                    query=WorkflowQuery(query_type="__stack_trace"),
                ),
                timeout=10,
            )
            await stub.UnpauseWorkflowExecution(
                wsv1.UnpauseWorkflowExecutionRequest(namespace=NS, workflow_id=handle.id, reason="go")
            )
        result = await asyncio.wait_for(handle.result(), 30)
    return {
        "paused status": paused,
        "query while paused": (queried.HasField("query_result"), queried.query_rejected.status),
        "result": result,
        "history": compat.summary(await scenarios.events(handle)),
    }


async def test_a_worker_sees_the_pause_through(pause_enabled: tuple[str, str]) -> None:
    ours, real = await asyncio.gather(*(_signalled_after_pause(address) for address in pause_enabled))
    assert ours["history"] == real["history"], compat.diff(ours["history"], real["history"])
    assert ours == real
    assert ours["result"] == "hello ada"
    assert ours["paused status"] == PAUSED
    assert ours["query while paused"] == (False, PAUSED), "a paused run answers no query: it is rejected"


async def test_a_reset_of_a_paused_run_starts_an_unpaused_one(pause_enabled: tuple[str, str]) -> None:
    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        task = await d.poll_workflow_task()
        await d.complete_task(task.task_token, start_timer("t1", 100))
        await d.pause("before the reset")
        await d.signal("while-paused")
        await d.call(
            "ResetWorkflowExecution",
            wsv1.ResetWorkflowExecutionRequest(
                namespace=NS,
                workflow_execution=d.execution,
                reason="reset",
                workflow_task_finish_event_id=4,
                request_id=str(uuid.uuid4()),
            ),
        )
        return {"new run": await d.describe()}

    ours, _ = await _both(pause_enabled, "pause-reset", scenario)
    assert ours["new run"]["status"] == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert ours["new run"]["pause info"] is None and ours["new run"]["TemporalPauseInfo"] is None
    assert [event["eventType"] for event in ours["history"]][-3:] == [
        "EVENT_TYPE_WORKFLOW_TASK_FAILED",  # the reset's
        "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED",  # reapplied; the pause is not
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
    ]


async def test_an_update_is_refused_while_paused(pause_enabled: tuple[str, str]) -> None:
    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        task = await d.poll_workflow_task()
        await d.complete_task(task.task_token)
        await d.pause("no updates")
        await d.call(
            "UpdateWorkflowExecution",
            wsv1.UpdateWorkflowExecutionRequest(
                namespace=NS,
                workflow_execution=d.execution,
                wait_policy=WaitPolicy(lifecycle_stage=UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED),
                request=UpdateRequest(meta=UpdateMeta(update_id="u1"), input=UpdateInput(name="change")),
            ),
        )
        return {}

    ours, _ = await _both(pause_enabled, "pause-update", scenario)
    assert ours["answers"][-1] == (
        "UpdateWorkflowExecution",
        "FAILED_PRECONDITION",
        "Workflow is paused. Cannot update the workflow.",
    )


async def test_pausing_during_the_start_delay_fails(pause_enabled: tuple[str, str]) -> None:
    """The real server fails it with INTERNAL ("something went wrong"); ours keeps the code and
    says why. Nothing is recorded, and the first task comes when the delay is over."""

    async def on(address: str) -> dict[str, Any]:
        async with driver(address, "pause-delay") as d:
            await d.start(workflow_start_delay=Duration(seconds=1))
            await d.pause("too early")
            task = await d.poll_workflow_task()
            return {
                "codes": [answer[:2] for answer in d.answers],
                "first task": task.started_event_id,
                "history": await d.history(),
            }

    ours, real = await asyncio.gather(*(on(address) for address in pause_enabled))
    assert ours == real
    assert ours["codes"] == [("PauseWorkflowExecution", "INTERNAL")]


async def test_a_running_activity_finishes_while_paused(pause_enabled: tuple[str, str]) -> None:
    """Its worker is not told of the workflow's pause; its result is recorded, and waits."""

    async def scenario(d: Driver) -> dict[str, Any]:
        await d.start()
        task = await d.poll_workflow_task()
        await d.complete_task(task.task_token, schedule_activity("a1", d.task_queue))
        activity = await d.poll_activity_task()
        await d.pause("activity running")
        heartbeat = await d.stub.RecordActivityTaskHeartbeat(
            wsv1.RecordActivityTaskHeartbeatRequest(namespace=NS, task_token=activity.task_token, identity="worker")
        )
        await d.call(
            "RespondActivityTaskCompleted",
            wsv1.RespondActivityTaskCompletedRequest(namespace=NS, task_token=activity.task_token, identity="worker"),
        )
        return {
            "heartbeat": (heartbeat.cancel_requested, heartbeat.activity_paused, heartbeat.activity_reset),
            "after": await d.describe(),
        }

    ours, _ = await _both(pause_enabled, "pause-activity", scenario)
    assert ours["heartbeat"] == (False, False, False)
    assert ours["history"][-1]["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED"
    assert ours["after"]["pending workflow task"] is None
