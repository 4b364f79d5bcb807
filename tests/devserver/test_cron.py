"""Cron workflows (`cron_schedule` on start), on both servers with the official SDK (issue 18).

The real server starts each run at the schedule's next time (the first run's started event
has `first_workflow_task_backoff` and initiator CronSchedule), closes a run that completes or
fails with the usual close event plus `new_execution_run_id`, and starts the next run with
the result (`last_completion_result`) or the failure (`continued_failure`, the last result
kept). Terminating a run ends the chain.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowType
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.converter import default
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.devserver import scenarios
from tests.devserver.cron_app import CronTick

pytestmark = pytest.mark.real_server

_CLOSE_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def _run_gist(history: list[HistoryEvent]) -> dict[str, Any]:
    converter = default().payload_converter
    started = history[0].workflow_execution_started_event_attributes
    close = next((e for e in history if e.event_type in _CLOSE_EVENTS), None)
    close_attrs = getattr(close, close.WhichOneof("attributes") or "") if close is not None else None
    return {
        "events": [scenarios.name(e.event_type) for e in history],
        "initiator": started.initiator,
        "attempt": started.attempt,
        "cron_schedule": started.cron_schedule,
        "waits for its time": started.first_workflow_task_backoff.ToTimedelta().total_seconds() > 0,
        "last completion result": converter.from_payload(started.last_completion_result.payloads[0])
        if started.last_completion_result.payloads
        else None,
        "continued failure": started.continued_failure.message or None,
        "has next run": bool(getattr(close_attrs, "new_execution_run_id", "")),
    }


async def _cron_chain(address: str) -> list[dict[str, Any]]:
    client: Client = await scenarios.client_for(address)
    task_queue = f"cron-{uuid.uuid4().hex[:8]}"
    workflow_id = f"cron-{uuid.uuid4()}"
    runs: list[dict[str, Any]] = []
    async with Worker(client, task_queue=task_queue, workflows=[CronTick]):
        handle = await client.start_workflow(
            CronTick.run, id=workflow_id, task_queue=task_queue, cron_schedule="@every 2s"
        )
        run_id = handle.first_execution_run_id or ""
        for _ in range(3):  # the first three runs: completed, failed, completed
            run = client.get_workflow_handle(workflow_id, run_id=run_id)
            history = await scenarios.wait_until(lambda run=run: _closed(run), timeout=30, what="the run's close")
            runs.append(_run_gist(history))
            close = next(e for e in history if e.event_type in _CLOSE_EVENTS)
            run_id = getattr(close, close.WhichOneof("attributes") or "").new_execution_run_id
            status = (await run.describe()).status
            runs[-1]["status"] = status.name if status else None
        await client.get_workflow_handle(workflow_id).terminate("enough")
        last = await scenarios.events(client.get_workflow_handle(workflow_id, run_id=run_id))
        runs.append(_run_gist(last))
    return runs


async def _closed(run: Any) -> list[HistoryEvent] | None:
    history = await scenarios.events(run)
    return history if any(e.event_type in _CLOSE_EVENTS for e in history) else None


async def test_a_cron_workflow_runs_on_schedule_and_carries_results_and_failures(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await asyncio.gather(_cron_chain(tempo_address), _cron_chain(real_address))
    assert ours == real
    first, failed, third, terminated = ours
    assert first["waits for its time"] and first["initiator"] == 3  # CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE
    assert first["events"][-1] == "WORKFLOW_EXECUTION_COMPLETED" and first["has next run"]
    assert failed["last completion result"] == 1 and failed["events"][-1] == "WORKFLOW_EXECUTION_FAILED"
    assert third["continued failure"] == "the second run fails once" and third["last completion result"] == 1
    assert terminated["events"][-1] == "WORKFLOW_EXECUTION_TERMINATED" and not terminated["has next run"]


async def _refused(address: str) -> dict[str, Any]:
    client: Client = await scenarios.client_for(address)
    out: dict[str, Any] = {}
    for label, cron, delay in (
        ("not cron", "every day", None),
        ("six fields", "0 0 * * * *", None),
        ("never", "0 0 30 2 *", None),
        ("with a start delay", "@hourly", 5),
    ):
        request = wsv1.StartWorkflowExecutionRequest(
            namespace="default",
            workflow_id=f"cron-bad-{uuid.uuid4()}",
            workflow_type=WorkflowType(name="CronTick"),
            task_queue=TaskQueue(name="nobody"),
            request_id=str(uuid.uuid4()),
            cron_schedule=cron,
        )
        if delay:
            request.workflow_start_delay.seconds = delay
        try:
            await client.workflow_service.start_workflow_execution(request)
            out[label] = "started"
        except RPCError as err:
            out[label] = (err.status.name, err.message)
    return out


async def test_bad_cron_schedules_are_refused_as_the_real_server_refuses_them(
    tempo_address: str, real_address: str
) -> None:
    ours, real = await asyncio.gather(_refused(tempo_address), _refused(real_address))
    assert ours == real
    assert real["not cron"] == ("INVALID_ARGUMENT", "invalid CronSchedule.")
