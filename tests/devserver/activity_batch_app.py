"""Helpers for the activity batch tests: workflows whose activities stay pending (their queue
has no worker), so an operator can pause, unpause, reset and change them while a batch job runs.

The workflow is dynamic: each test starts it under a workflow type of its own, so a query on the
type reaches only that test's runs (on a server shared by the session).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import request_response_pb2 as wsv1
from temporalio.client import Client
from temporalio.common import RawValue, RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

# The activity types each run schedules (their activity ids are the same names).
ACTIVITY_TYPES = ("charge", "ship")


@workflow.defn(dynamic=True)
class StalledActivities:
    """Schedules one activity of each type it is given (default ACTIVITY_TYPES; the activity ids
    are the type names) on a queue no worker polls; never ends."""

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> None:
        names = workflow.payload_converter().from_payload(args[0].payload, list) if args else ACTIVITY_TYPES
        queue = f"nobody-{workflow.info().workflow_type}"
        await asyncio.gather(
            *(
                workflow.execute_activity(
                    name,
                    activity_id=name,
                    task_queue=queue,
                    start_to_close_timeout=timedelta(seconds=600),
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1)),
                )
                for name in names
            )
        )


@asynccontextmanager
async def stalled_runs(
    client: Client, kind: str, count: int, activity_types: Sequence[str] = ACTIVITY_TYPES
) -> AsyncIterator[list[str]]:
    """`count` runs of workflow type `kind`, each with its activities pending; yields their ids."""
    task_queue = f"tq-{uuid.uuid4()}"
    worker = Worker(
        client, task_queue=task_queue, workflows=[StalledActivities], workflow_runner=UnsandboxedWorkflowRunner()
    )
    async with worker:
        ids = [f"{kind}-{i}" for i in range(count)]
        for workflow_id in ids:
            await client.start_workflow(kind, list(activity_types), id=workflow_id, task_queue=task_queue)
        for workflow_id in ids:
            await wait_pending(client, workflow_id, lambda pending: len(pending) == len(activity_types))
        yield ids


async def pending_activities(client: Client, workflow_id: str) -> dict[str, Any]:
    """The run's pending activities by activity id."""
    described = await client.get_workflow_handle(workflow_id).describe()
    return {info.activity_id: info for info in described.raw_description.pending_activities}


async def wait_pending(client: Client, workflow_id: str, check: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until `check(pending activities)` holds; the pending activities."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pending = await pending_activities(client, workflow_id)
        if check(pending):
            return pending
        if loop.time() > deadline:
            raise AssertionError(f"pending activities of {workflow_id} never matched: {pending}")
        await asyncio.sleep(0.05)


async def pause(client: Client, workflow_id: str, activity_id: str) -> None:
    await client.workflow_service.pause_activity(
        wsv1.PauseActivityRequest(
            namespace="default",
            execution=WorkflowExecution(workflow_id=workflow_id),
            id=activity_id,
            identity="operator",
            reason="hold on",
            request_id=str(uuid.uuid4()),
        )
    )


async def paused(client: Client, ids: Sequence[str]) -> list[list[str]]:
    """For each run, the ids of its paused activities (sorted)."""
    result = []
    for workflow_id in ids:
        pending = await pending_activities(client, workflow_id)
        result.append(sorted(a for a, info in pending.items() if info.paused))
    return result


def heartbeat_timeouts(pending: dict[str, Any]) -> dict[str, float]:
    """Each pending activity's heartbeat timeout now, in seconds."""
    return {a: info.activity_options.heartbeat_timeout.ToTimedelta().total_seconds() for a, info in pending.items()}
