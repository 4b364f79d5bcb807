"""Answering an activity by its id (`temporal activity complete/fail`, an official SDK's async
activity handle: RespondActivityTask{Completed,Failed,Canceled}ById and
RecordActivityTaskHeartbeatById), on both servers.

What the real server does, and ours must too: an activity no worker has started can be
completed by id (it is then started by the caller: an ActivityTaskStarted with the caller's
identity, from no poll, before the ActivityTaskCompleted), but not failed, canceled or
heartbeated (NOT_FOUND, as for an attempt that is gone); a started one takes all four, but is
canceled only after the workflow asked for it (INVALID_ARGUMENT otherwise, also when a pause or
a reset made its worker stop it); an unknown activity id, workflow or run is NOT_FOUND; a closed
run is NOT_FOUND "workflow execution already completed". The answers (status and message),
histories and pending activities must be the same on both servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.devserver import scenarios
from tests.devserver.by_id_driver import (
    NS,
    VERBS,
    answer,
    by_id,
    outcome,
    request_cancel,
    terminate,
    waiting_activity,
)
from tests.devserver.compat_workflows import AwaitsAnActivityNobodyRuns

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

_UNKNOWN_RUN = "11111111-2222-3333-4444-555555555555"


# ---- with the official SDK: a workflow waits for an activity nobody runs ----------------------


# A second completion races the worker, which closes the run as soon as the first one lands:
# each server says which of the two it saw, and which one a run sees is down to timing.
_GONE_EITHER_WAY = {
    "cannot find pending activity with ActivityID by-hand, check workflow execution history for more details",
    "workflow execution already completed",
}


def _either_gone(answered: Any) -> Any:
    if isinstance(answered, tuple) and answered[0] == "NOT_FOUND" and answered[1] in _GONE_EITHER_WAY:
        return ("NOT_FOUND", "the activity, or its run, is gone")
    return answered


async def _answered_by_hand(address: str) -> dict[str, Any]:
    client = await scenarios.client_for(address)
    task_queue = scenarios.unique("tq-by-hand")
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[AwaitsAnActivityNobodyRuns],
        workflow_runner=UnsandboxedWorkflowRunner(),  # the sandbox's checks cost CPU, not wire behaviour
    ):
        handle = await client.start_workflow(
            AwaitsAnActivityNobodyRuns.run,
            scenarios.unique("tq-nobody"),
            id=scenarios.unique("by-hand"),
            task_queue=task_queue,
        )

        async def scheduled() -> bool:
            return bool((await handle.describe()).raw_description.pending_activities)

        await scenarios.wait_until(scheduled, timeout=60, what="the activity to be scheduled")
        activity = client.get_async_activity_handle(workflow_id=handle.id, run_id=None, activity_id="by-hand")
        out: dict[str, Any] = {
            "heartbeat": await answer(activity.heartbeat("tick")),
            "fail": await answer(activity.fail(ApplicationError("no"))),
            "report cancellation": await answer(activity.report_cancellation()),
            "complete": await answer(activity.complete("x")),
            "complete again": _either_gone(await answer(activity.complete("y"))),
            "result": await asyncio.wait_for(handle.result(), 60),
        }
    out["complete after the workflow closed"] = await answer(activity.complete("z"))
    out["history"] = (await outcome(client.workflow_service, handle.id))["history"]
    out["started and completed by the client"] = [
        row[-2] for row in out["history"] if row[0] in ("ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED")
    ] == [client.identity, client.identity]
    return out


async def test_an_activity_nobody_started_is_completed_by_hand(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_answered_by_hand(tempo_address), _answered_by_hand(real_address))
    assert ours == real
    gone = ("NOT_FOUND", "invalid activityID or activity already timed out or invoking workflow is completed")
    assert real["heartbeat"] == real["fail"] == real["report cancellation"] == gone
    assert real["complete"] == "OK"
    assert real["result"] == "x"
    assert real["complete again"][0] == "NOT_FOUND"
    assert real["complete after the workflow closed"] == ("NOT_FOUND", "workflow execution already completed")
    assert real["started and completed by the client"] is True


# ---- raw calls: each call on each kind of activity ---------------------------------------------


async def _each_call(address: str) -> dict[str, Any]:
    service = (await scenarios.client_for(address)).workflow_service
    out: dict[str, Any] = {}
    for verb in VERBS:
        for case in ("never started", "never started, one attempt", "started", "started, one attempt"):
            workflow_id, _ = await waiting_activity(
                service, attempts=1 if "one attempt" in case else 0, started=case.startswith("started")
            )
            out[f"{verb}, {case}"] = await answer(by_id(service, verb, workflow_id))
            out[f"{verb}, {case}: again"] = await answer(by_id(service, verb, workflow_id))
            out[f"{verb}, {case}: outcome"] = await outcome(service, workflow_id)
        workflow_id, _ = await waiting_activity(service, started=True)
        await request_cancel(service, workflow_id)
        out[f"{verb}, cancel requested"] = await answer(by_id(service, verb, workflow_id))
        out[f"{verb}, cancel requested: outcome"] = await outcome(service, workflow_id)
        out[f"{verb}, no identity"] = await answer(by_id(service, verb, workflow_id, identity=""))
        out[f"{verb}, unknown activity"] = await answer(by_id(service, verb, workflow_id, activity_id="nope"))
        await terminate(service, workflow_id)
        out[f"{verb}, closed run"] = await answer(by_id(service, verb, workflow_id))
        out[f"{verb}, closed run, unknown activity"] = await answer(
            by_id(service, verb, workflow_id, activity_id="nope")
        )
    return out


async def test_each_call_on_each_kind_of_activity(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_each_call(tempo_address), _each_call(real_address))
    assert ours == real
    gone = ("NOT_FOUND", "invalid activityID or activity already timed out or invoking workflow is completed")
    assert real["completed, never started"] == "OK"
    started, completed = real["completed, never started: outcome"]["history"][5:7]
    assert started[-2:] == ("by-id", "not polled") and completed[-2:] == ("by-id", [b'"x"'])
    for verb in ("failed", "canceled", "heartbeat"):
        assert real[f"{verb}, never started"] == gone
    assert real["canceled, started"] == (
        "INVALID_ARGUMENT",
        "unable to mark activity as canceled without activity being request canceled first",
    )
    assert real["canceled, cancel requested"] == "OK"
    assert real["heartbeat, cancel requested"] == ("OK", True, False, False)
    assert real["completed, unknown activity"][0] == "NOT_FOUND"
    assert real["failed, closed run"] == ("NOT_FOUND", "workflow execution already completed")


async def _stopped_by_its_worker(address: str) -> dict[str, Any]:
    """A worker stopped its activity for a pause or a reset, and says it canceled it."""
    service = (await scenarios.client_for(address)).workflow_service
    out: dict[str, Any] = {}
    for why in ("pause", "reset"):
        for how in ("token", "id"):
            workflow_id, token = await waiting_activity(service, started=True)
            execution = WorkflowExecution(workflow_id=workflow_id)
            if why == "pause":
                await service.pause_activity(wsv1.PauseActivityRequest(namespace=NS, execution=execution, id="a1"))
            else:
                await service.reset_activity(wsv1.ResetActivityRequest(namespace=NS, execution=execution, id="a1"))
            call: Awaitable[Any]
            if how == "token":
                call = service.respond_activity_task_canceled(
                    wsv1.RespondActivityTaskCanceledRequest(namespace=NS, task_token=token, identity="poller")
                )
            else:
                call = by_id(service, "canceled", workflow_id)
            out[f"{why}, canceled by {how}"] = await answer(call)
            out[f"{why}, canceled by {how}: outcome"] = await outcome(service, workflow_id)
            await terminate(service, workflow_id)
    return out


async def test_canceled_needs_a_cancel_request(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_stopped_by_its_worker(tempo_address), _stopped_by_its_worker(real_address))
    assert ours == real
    assert real["pause, canceled by token"][0] == "INVALID_ARGUMENT"
    assert real["pause, canceled by token: outcome"]["pending"], "the attempt runs on"


# ---- requests that name no activity --------------------------------------------------------------


async def _bad_names(address: str) -> dict[str, Any]:
    service = (await scenarios.client_for(address)).workflow_service
    workflow_id, _ = await waiting_activity(service)
    out: dict[str, Any] = {}
    for verb in VERBS:
        for case, fields in {
            "no activity id": {"activity_id": ""},
            "no activity id, bad run id": {"activity_id": "", "run_id": "xyz"},
            "no workflow id": {"workflow_id": ""},
            "no workflow id, bad run id": {"workflow_id": "", "run_id": "xyz"},
            "bad run id": {"run_id": "xyz"},
            "unknown workflow": {"workflow_id": "no-such-workflow"},
            "unknown run": {"run_id": _UNKNOWN_RUN},
            "unknown workflow and run": {"workflow_id": "no-such-workflow", "run_id": _UNKNOWN_RUN},
            "unknown run, quoted id": {"workflow_id": 'say "hi"\tnaïvely\x01', "run_id": _UNKNOWN_RUN},
        }.items():
            out[f"{verb}, {case}"] = await answer(by_id(service, verb, **{"workflow_id": workflow_id, **fields}))
    execution = WorkflowExecution(workflow_id=workflow_id, run_id=_UNKNOWN_RUN)
    out["describe, unknown run"] = await answer(
        service.describe_workflow_execution(wsv1.DescribeWorkflowExecutionRequest(namespace=NS, execution=execution))
    )
    out["signal, unknown run"] = await answer(
        service.signal_workflow_execution(
            wsv1.SignalWorkflowExecutionRequest(namespace=NS, workflow_execution=execution, signal_name="s")
        )
    )
    await terminate(service, workflow_id)
    return out


async def test_requests_that_name_no_activity(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_bad_names(tempo_address), _bad_names(real_address))
    assert ours == real
    assert real["completed, no workflow id"] == ("NOT_FOUND", "activity not found for ID: a1")
    assert real["failed, bad run id"] == ("INVALID_ARGUMENT", "RunId is not valid UUID.")
    assert real["heartbeat, unknown run"] == real["describe, unknown run"]
    assert real["canceled, unknown workflow and run"] == (
        "NOT_FOUND",
        'workflow execution not found for workflow ID "no-such-workflow" and run ID "<run>"',
    )
