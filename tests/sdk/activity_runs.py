"""Run ``activities_app`` workflows with our worker or the official one, on one server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import temporalio.client
import temporalio.worker
from temporalio.api.enums.v1 import event_type_pb2
from temporalio.api.history.v1 import History
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk import activities_app, official_activities_app
from tests.sdk.conftest import eventually

EventType = event_type_pb2.EventType

OUR_WORKFLOWS = [
    activities_app.RunsActivity,
    activities_app.CancelsActivity,
    activities_app.AnyWorkflow,
    activities_app.FailsOnLookup,
    activities_app.FailsOnValue,
    activities_app.TimesOut,
    activities_app.Shelf,
]
OUR_ACTIVITIES = [
    activities_app.plain_until_cancelled,
    activities_app.plain_polls_for_cancel,
    activities_app.async_waits_for_cancel,
    activities_app.completes_later,
    activities_app.plain_completes_later,
    activities_app.logs_then_fails_on_a_missing_key,
    activities_app.raises_official_application_error,
    activities_app.eager_step,
]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def our_worker(
    client: Client, task_queue: str, executor: ThreadPoolExecutor, **options: Any
) -> AsyncIterator[None]:
    options.setdefault("activities", OUR_ACTIVITIES)
    async with Worker(client, task_queue=task_queue, workflows=OUR_WORKFLOWS, activity_executor=executor, **options):
        yield


@contextlib.asynccontextmanager
async def official_worker(client: temporalio.client.Client, task_queue: str) -> AsyncIterator[None]:
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[
            official_activities_app.RunsActivity,
            official_activities_app.FailsOnLookup,
            official_activities_app.TimesOut,
            official_activities_app.Shelf,
        ],
        activities=[official_activities_app.completes_later, official_activities_app.eager_step],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield


def event_types(history: History) -> list[str]:
    return [EventType.Name(e.event_type) for e in history.events]


def attempts_started(history: History) -> list[int]:
    return [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]


async def drifted_run(start: Any, history_of: Any, worker_for: Any) -> History:
    """Start ``Drift`` on a V1 worker without a cache; once its timer is recorded, a V2 worker
    (whose code does not replay it) takes the next task. Returns the closed run's history."""
    async with worker_for("v1"):
        handle = await start()

        async def timer_started() -> bool:
            return "EVENT_TYPE_TIMER_STARTED" in event_types(await history_of(handle))

        await eventually(timer_started)
    async with worker_for("v2"):

        async def closed() -> bool:
            return event_types(await history_of(handle))[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"

        await eventually(closed, timeout=30)
    return await history_of(handle)  # type: ignore[no-any-return]
