"""Run ``Errands`` (local activities) with our SDK or the official one, and say what their
histories record in terms both SDKs must agree on."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import temporalio.client
import temporalio.worker
from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk import local_activity_app, official_local_activity_app

EventType = event_type_pb2.EventType

DEADLOCK_TIMEOUT = timedelta(seconds=30)
"""Our worker's: the 2 s default is wall time from when an activation is handed to the
worker's threads, and on a busy machine a replay of the whole history took longer (the
task failed "did not yield within 2.0s" and the histories differed). Not what these tests
are about; a real hang still fails."""


def _options(mode: str) -> dict[str, Any]:
    # The long activity (9 s) outlasts an 8 s workflow task: the worker must heartbeat the task,
    # at 80% of its timeout (6.4 s), once only. Long enough that a busy machine's late second
    # does not decide it: with 3 s against 2 s, an activity ending 0.2 s late (its task's second
    # heartbeat was due at 3.2 s) or a task completed 0.4 s late (a timed out task) changed the
    # history; 6 s against 5 s still saw a timed out task on a very busy machine. Now 1.6 s for
    # the heartbeat to arrive, 3.8 s for the activity's end.
    return {"task_timeout": timedelta(seconds=8)} if mode == "long" else {}


async def run_ours(client: Client, task_queue: str, mode: str, *, cached: bool = True) -> tuple[Any, History, str]:
    """Run ``Errands`` in ``mode`` with our worker: its result, its history, its ID.

    With ``cached=False`` the worker replays the whole history for every task.
    """
    workflow_id = f"ours-errands-{mode}-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[local_activity_app.Errands],
        activities=local_activity_app.ACTIVITIES,
        max_cached_workflows=1000 if cached else 0,
        deadlock_timeout=DEADLOCK_TIMEOUT,
    ):
        handle = await client.start_workflow(
            "Errands", mode, workflow_id, id=workflow_id, task_queue=task_queue, **_options(mode)
        )
        result = await handle.result()
    return result, await handle.fetch_history(), workflow_id


async def run_official(address: str, task_queue: str, mode: str) -> tuple[Any, History, str]:
    """Run ``Errands`` in ``mode`` with the official SDK's worker and client."""
    client = await temporalio.client.Client.connect(address)
    workflow_id = f"official-errands-{mode}-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_local_activity_app.Errands],
        activities=official_local_activity_app.ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
        debug_mode=True,  # no 2 s deadlock detection (its only switch), as DEADLOCK_TIMEOUT for ours
    ):
        handle = await client.start_workflow(
            "Errands", args=[mode, workflow_id], id=workflow_id, task_queue=task_queue, **_options(mode)
        )
        result = await handle.result()
        history = await handle.fetch_history()
    return result, History(events=list(history.events)), workflow_id


def event_types(history: History) -> list[str]:
    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events]


def markers(history: History) -> list[dict[str, Any]]:
    """Each local activity marker: its data (times only as present or not), its result and
    its failure (message and kind; stack traces and sources differ between SDKs)."""
    found = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attrs = event.marker_recorded_event_attributes
        data = json.loads(attrs.details["data"].payloads[0].data)
        for key in ("complete_time", "original_schedule_time"):
            data[key] = sorted(data[key]) if data[key] is not None else None
        failure = MessageToDict(attrs.failure) if attrs.HasField("failure") else None
        if failure is not None:
            failure = {k: v for k, v in failure.items() if k not in ("stackTrace", "source")}
        result = attrs.details["result"].payloads[0].data if "result" in attrs.details else None
        found.append(
            {
                "name": attrs.marker_name,
                "details": sorted(attrs.details),
                "data": data,
                "result": result,
                "failure": failure,
            }
        )
    return found
