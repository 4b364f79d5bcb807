"""Activity pause, unpause, reset and options (issue 8, item 8), on both servers.

Scenarios with the official SDK: a heartbeating activity is paused (its worker's next heartbeat
answer says so: the activity is cancelled with `paused` details, and its failure —
"Unhandled activity cancel error produced by activity pause" — leaves the next attempt waiting,
whatever the maximum attempts), unpaused (the next attempt runs), reset (the worker learns it
through `activity_reset`; attempts count from 1) and given new options. None of these write
history events; histories, describe's pending-activity view, RPC answers and what the activity
saw must be the same on both servers. A last test checks that a pause survives a restart of a
server that keeps its state in a file.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import duration_pb2, field_mask_pb2, json_format
from temporalio.api.activity.v1 import ActivityOptions
from temporalio.api.common.v1 import RetryPolicy, WorkflowExecution
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.devserver import compat_app, scenarios
from tests.devserver.compat_app import ATTEMPTS, HELD, PAUSE_MODES, PausableWorkflow
from tests.servers import free_port, tempo_server

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(300)]

WAIT = 60.0
"""Seconds a wait for a worker's progress gets: the suite's four processes on two cores can
keep a worker from its first task for many seconds."""

# Times and identities differ between runs; everything else in the pending activity must match.
_VOLATILE = (
    "scheduledTime",
    "lastStartedTime",
    "lastHeartbeatTime",
    "expirationTime",
    "lastAttemptCompleteTime",
    "nextAttemptScheduleTime",
    "currentRetryInterval",
    "lastWorkerIdentity",
    "heartbeatDetails",
)


def _pending(described: Any, activity_id: str) -> dict[str, Any] | None:
    for info in described.raw_description.pending_activities:
        if info.activity_id == activity_id:
            doc = json_format.MessageToDict(info)
            doc["activityId"] = "<activity>"
            for key in _VOLATILE:
                doc.pop(key, None)
            doc.get("pauseInfo", {}).pop("pauseTime", None)
            doc.get("activityOptions", {}).get("taskQueue", {}).clear()  # task queues are per run
            if "lastFailure" in doc:
                doc["lastFailure"].pop("stackTrace", None)
            return doc
    return None


async def _answer(call: Any) -> Any:
    try:
        response = await call
    except RPCError as err:
        details = [d.type_url.rsplit(".", 1)[-1] for d in err.grpc_status.details] if err.grpc_status else []
        return (err.status.name, err.message, details)
    doc = json_format.MessageToDict(response)
    doc.get("activityOptions", {}).get("taskQueue", {}).pop("name", None)
    return doc or "OK"


def _worker(client: Client, task_queue: str, activities: bool = True, workflows: bool = True) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=compat_app.WORKFLOWS if workflows else [],
        activities=[compat_app.heartbeat_until_told] if activities else [],
        max_heartbeat_throttle_interval=timedelta(milliseconds=300),
        default_heartbeat_throttle_interval=timedelta(milliseconds=300),
        workflow_runner=UnsandboxedWorkflowRunner(),  # the sandbox's checks cost CPU, not wire behaviour
    )


def _attempts(activity_id: str) -> list[tuple[int, bool]]:
    """The attempts the activity saw, and whether each started with heartbeat details."""
    return [(attempt, details is not None) for attempt, details in ATTEMPTS.pop(activity_id, [])]


async def _history(handle: WorkflowHandle[Any, Any], activity_id: str) -> list[tuple[Any, ...]]:
    """The history summary, with the (random) activity id named `<activity>`."""
    rows = scenarios.summarize(await scenarios.events(handle))
    return [tuple("<activity>" if value == activity_id else value for value in row) for row in rows]


async def _state_is(handle: WorkflowHandle[Any, Any], activity_id: str, state: str) -> bool:
    pending = _pending(await handle.describe(), activity_id)
    return pending is not None and pending.get("state") == f"PENDING_ACTIVITY_STATE_{state}"


async def _running(handle: WorkflowHandle[Any, Any], activity_id: str) -> bool:
    return bool(ATTEMPTS.get(activity_id)) and await _state_is(handle, activity_id, "STARTED")


async def _pause_scenario(address: str, mode: str, attempts: int) -> dict[str, Any]:
    """Pause a running activity; `mode` "raise" lets the pause's cancellation fail the attempt,
    "catch" returns the cancellation details as the activity's result."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-pause")
    activity_id = scenarios.unique("act")
    PAUSE_MODES[activity_id] = mode
    out: dict[str, Any] = {}
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            PausableWorkflow.run, args=[activity_id, attempts], id=scenarios.unique("pause"), task_queue=task_queue
        )
        execution = WorkflowExecution(workflow_id=handle.id)
        await scenarios.wait_until(lambda: _running(handle, activity_id), what="the activity running", timeout=WAIT)

        def pause(**fields: Any) -> Any:
            request = wsv1.PauseActivityRequest(namespace="default", execution=execution, identity="ops", **fields)
            return _answer(service.pause_activity(request))

        # The worker hears of the pause at its next heartbeat (within 300 ms); the attempt
        # goes on until these answers are in, so they are about a running activity however
        # slowly a busy machine lets the test ask.
        HELD.add(activity_id)
        try:
            out["pause"] = await pause(id=activity_id, reason="disk full", request_id="req-1")
            out["paused while running"] = _pending(await handle.describe(), activity_id)
            out["pause, same request"] = await pause(id=activity_id, request_id="req-1")
            out["pause, another request"] = await pause(id=activity_id, request_id="req-2")
            out["pause, unknown id"] = await pause(id="nope")
            out["pause, unknown type"] = await pause(type="nope")
            out["pause, no activity"] = await pause()
        finally:
            HELD.discard(activity_id)
        if mode == "raise":
            await scenarios.wait_until(
                lambda: _state_is(handle, activity_id, "PAUSED"), what="the attempt to fail", timeout=WAIT
            )
            out["paused, waiting"] = _pending(await handle.describe(), activity_id)
            out["history while paused"] = await _history(handle, activity_id)
            unpause = wsv1.UnpauseActivityRequest(namespace="default", execution=execution, id=activity_id)
            out["unpause"] = await _answer(service.unpause_activity(unpause))
        out["result"] = await handle.result()
        out["attempts"] = _attempts(activity_id)
        out["history"] = await _history(handle, activity_id)
        out["pause, closed"] = await pause(id=activity_id)
        unpause = wsv1.UnpauseActivityRequest(namespace="default", execution=execution, id=activity_id)
        out["unpause, closed"] = await _answer(service.unpause_activity(unpause))
        reset = wsv1.ResetActivityRequest(namespace="default", execution=execution, id=activity_id)
        out["reset, closed"] = await _answer(service.reset_activity(reset))
        # By type or all at once: the run is closed before any activity is looked for.
        out["pause by type, closed"] = await pause(type="heartbeat_until_told")
        unpause_all = wsv1.UnpauseActivityRequest(namespace="default", execution=execution, unpause_all=True)
        out["unpause all, closed"] = await _answer(service.unpause_activity(unpause_all))
        reset_type = wsv1.ResetActivityRequest(namespace="default", execution=execution, type="heartbeat_until_told")
        out["reset by type, closed"] = await _answer(service.reset_activity(reset_type))
    return out


@pytest.mark.parametrize(("mode", "attempts"), [("raise", 3), ("raise", 1), ("catch", 1)])
async def test_pause_running_activity(mode: str, attempts: int, tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(
        _pause_scenario(tempo_address, mode, attempts), _pause_scenario(real_address, mode, attempts)
    )
    assert ours == real
    assert real["pause"] == "OK" and real["pause, same request"] == "OK"
    assert real["pause, another request"] == ("FAILED_PRECONDITION", "activity is already paused", [])
    assert real["paused while running"]["state"] == "PENDING_ACTIVITY_STATE_PAUSE_REQUESTED"
    assert real["paused while running"]["pauseInfo"] == {"manual": {"identity": "ops", "reason": "disk full"}}
    if mode == "raise":
        waiting = real["paused, waiting"]
        # The next attempt is counted and waits, even past the maximum attempts.
        assert (waiting["state"], waiting["attempt"]) == ("PENDING_ACTIVITY_STATE_PAUSED", 2)
        assert waiting["lastFailure"]["message"] == "Unhandled activity cancel error produced by activity pause"
        assert waiting["lastFailure"]["applicationFailureInfo"]["type"] == "ActivityPause"
        assert [row[0] for row in real["history while paused"]][-1] == "ACTIVITY_TASK_SCHEDULED"
        assert real["result"] == "attempt 2 finished"
        assert real["attempts"] == [(1, False), (2, True)]  # the second one got the last heartbeat's details
    else:
        assert real["result"].startswith("caught: {'not_found': False, 'cancel_requested': False, 'paused': True")
    assert real["pause, closed"] == ("NOT_FOUND", "workflow execution already completed", ["NotFoundFailure"])
    assert real["pause by type, closed"] == real["pause, closed"]


async def _options_and_reset(address: str, mode: str) -> dict[str, Any]:
    """New options for a running activity, then a reset (its worker is told through the
    heartbeat answer), then its original options back."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-reset")
    activity_id = scenarios.unique("act")
    PAUSE_MODES[activity_id] = mode
    out: dict[str, Any] = {}
    async with _worker(client, task_queue):
        handle = await client.start_workflow(
            PausableWorkflow.run, args=[activity_id, 1], id=scenarios.unique("reset"), task_queue=task_queue
        )
        execution = WorkflowExecution(workflow_id=handle.id)
        await scenarios.wait_until(lambda: _running(handle, activity_id), what="the activity running", timeout=WAIT)

        def update(paths: list[str] | None, **fields: Any) -> Any:
            request = wsv1.UpdateActivityOptionsRequest(
                namespace="default", execution=execution, id=activity_id, identity="ops", **fields
            )
            if paths is not None:
                request.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=paths))
            return _answer(service.update_activity_options(request))

        more = ActivityOptions(
            heartbeat_timeout=duration_pb2.Duration(seconds=7),
            start_to_close_timeout=duration_pb2.Duration(seconds=50),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        out["options"] = await update(["heartbeat_timeout", "retry_policy.maximum_attempts"], activity_options=more)
        out["options, camelCase path"] = await update(["startToCloseTimeout"], activity_options=more)
        out["options, unknown path"] = await update(["nope"], activity_options=more)
        out["options, no mask"] = await update(None, activity_options=more)
        out["options, no options"] = await update(["heartbeat_timeout"])
        out["options, mask and restore"] = await update(["heartbeat_timeout"], restore_original=True)
        out["after options"] = _pending(await handle.describe(), activity_id)
        reset = wsv1.ResetActivityRequest(namespace="default", execution=execution, id=activity_id, identity="ops")
        HELD.add(activity_id)  # the attempt the reset cancels goes on until describe has answered
        try:
            out["reset"] = await _answer(service.reset_activity(reset))
            out["after reset"] = _pending(await handle.describe(), activity_id)
        finally:
            HELD.discard(activity_id)
        out["result"] = await handle.result()
        out["attempts"] = _attempts(activity_id)
        out["history"] = await _history(handle, activity_id)
    return out


@pytest.mark.parametrize("mode", ["raise", "catch"])
async def test_options_then_reset_running_activity(mode: str, tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_options_and_reset(tempo_address, mode), _options_and_reset(real_address, mode))
    assert ours == real
    options = real["options"]["activityOptions"]
    assert (options["heartbeatTimeout"], options["retryPolicy"]["maximumAttempts"]) == ("7s", 5)
    assert real["options, camelCase path"]["activityOptions"]["startToCloseTimeout"] == "50s"
    assert real["options, no mask"] == ("INVALID_ARGUMENT", "UpdateMask is not provided", [])
    if mode == "raise":
        # The reset attempt failed ("Unhandled activity cancel error produced by activity reset");
        # the new maximum of 5 attempts let a second one run.
        assert real["result"] == "attempt 2 finished"
        started = [row for row in real["history"] if row[0] == "ACTIVITY_TASK_STARTED"]
        assert started == [("ACTIVITY_TASK_STARTED", 2, "Unhandled activity cancel error produced by activity reset")]
    else:
        assert "'reset': True" in real["result"]


async def _pause_before_start(address: str) -> dict[str, Any]:
    """An activity paused before any worker took it: no attempt starts until it is unpaused."""
    client = await scenarios.client_for(address)
    service = client.workflow_service
    task_queue = scenarios.unique("tq-early")
    activity_id = scenarios.unique("act")
    PAUSE_MODES[activity_id] = "finish"
    out: dict[str, Any] = {}
    async with _worker(client, task_queue, activities=False):
        handle = await client.start_workflow(
            PausableWorkflow.run, args=[activity_id, 3], id=scenarios.unique("early"), task_queue=task_queue
        )
        execution = WorkflowExecution(workflow_id=handle.id)
        await scenarios.wait_until(
            lambda: _state_is(handle, activity_id, "SCHEDULED"), what="the activity scheduled", timeout=WAIT
        )
        pause = wsv1.PauseActivityRequest(namespace="default", execution=execution, type="heartbeat_until_told")
        out["pause by type"] = await _answer(service.pause_activity(pause))
        out["paused"] = _pending(await handle.describe(), activity_id)
        async with _worker(client, task_queue, workflows=False):
            await asyncio.sleep(2)  # a worker polls: nothing may start
            out["still paused"] = _pending(await handle.describe(), activity_id)
            out["attempts while paused"] = ATTEMPTS.get(activity_id, [])
            reset = wsv1.ResetActivityRequest(namespace="default", execution=execution, match_all=True)
            out["reset (unpauses)"] = await _answer(service.reset_activity(reset))
            out["result"] = await handle.result()
    out["attempts"] = _attempts(activity_id)
    out["history"] = await _history(handle, activity_id)
    return out


async def test_pause_before_a_worker_takes_it(tempo_address: str, real_address: str) -> None:
    ours, real = await asyncio.gather(_pause_before_start(tempo_address), _pause_before_start(real_address))
    assert ours == real
    assert real["paused"]["state"] == "PENDING_ACTIVITY_STATE_PAUSED"
    assert real["still paused"]["state"] == "PENDING_ACTIVITY_STATE_PAUSED"
    assert real["attempts while paused"] == []
    assert real["result"] == "attempt 1 finished"


async def test_pause_survives_a_restart(tmp_path: Path) -> None:
    """Our server only: a paused activity is still paused after a restart from its file, and
    runs once unpaused."""
    db, port = tmp_path / "tempo.db", free_port()
    activity_id = scenarios.unique("act")
    PAUSE_MODES[activity_id] = "finish"
    server = tempo_server("--db-filename", str(db), port=port).start()
    try:
        client = await Client.connect(server.address)
        task_queue = scenarios.unique("tq-durable")
        async with _worker(client, task_queue, activities=False):
            handle = await client.start_workflow(
                PausableWorkflow.run, args=[activity_id, 3], id=scenarios.unique("durable"), task_queue=task_queue
            )
            await scenarios.wait_until(lambda: _state_is(handle, activity_id, "SCHEDULED"), timeout=WAIT)
        execution = WorkflowExecution(workflow_id=handle.id)
        await client.workflow_service.pause_activity(
            wsv1.PauseActivityRequest(namespace="default", execution=execution, id=activity_id, reason="overnight")
        )
    finally:
        server.stop()
    server = tempo_server("--db-filename", str(db), port=port).start()
    try:
        client = await Client.connect(server.address)
        handle = client.get_workflow_handle(execution.workflow_id)
        async with _worker(client, task_queue):
            await asyncio.sleep(2)
            pending = _pending(await handle.describe(), activity_id)
            assert pending is not None and pending["state"] == "PENDING_ACTIVITY_STATE_PAUSED"
            assert pending["pauseInfo"]["manual"]["reason"] == "overnight"
            assert activity_id not in ATTEMPTS
            await client.workflow_service.unpause_activity(
                wsv1.UnpauseActivityRequest(namespace="default", execution=execution, id=activity_id)
            )
            assert await handle.result() == "attempt 1 finished"
    finally:
        server.stop()
        ATTEMPTS.pop(activity_id, None)
