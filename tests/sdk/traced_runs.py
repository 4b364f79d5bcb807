"""Drive the ``Traced`` workflow from either SDK's client on either SDK's worker."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import temporalio.client
import temporalio.common
import temporalio.contrib.opentelemetry
import temporalio.worker
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy
from sdk.contrib.opentelemetry import TracingInterceptor
from sdk.worker import Worker
from tests.sdk import official_traced_app, traced_app
from tests.sdk.conftest import eventually
from tests.sdk.tracing_spans import in_memory_tracer

SDKS = ("ours", "official")


@contextlib.asynccontextmanager
async def clients(server_address: str, ours: Sequence[Any], official: Sequence[Any]) -> AsyncIterator[dict[str, Any]]:
    """A client of each SDK, with the interceptors given for it."""
    our_client = await Client.connect(server_address, interceptors=ours)
    try:
        official_client = await temporalio.client.Client.connect(server_address, interceptors=official)
        yield {"ours": our_client, "official": official_client}
    finally:
        await our_client.close()


@contextlib.asynccontextmanager
async def run_worker(sdk: str, client: Any, task_queue: str) -> AsyncIterator[None]:
    """A worker of ``sdk`` running ``Traced``; it takes its interceptors from ``client``."""
    if sdk == "ours":
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[traced_app.Traced, traced_app.TracedFamily, traced_app.TracedChild],
            activities=[traced_app.greet],
        ):
            yield
        return
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_traced_app.Traced, official_traced_app.TracedFamily, official_traced_app.TracedChild],
        activities=[official_traced_app.greet],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield


async def drive(sdk: str, client: Any, task_queue: str, workflow_id: str | None = None) -> str:
    """Start ``Traced`` with ``sdk``'s client, wait until it greeted (a query), approve it (an update), let it
    proceed (a signal) and return its result."""
    workflow_id = workflow_id or f"traced-{uuid.uuid4().hex[:8]}"
    # The two clients' calls are spelled alike.
    handle = await client.start_workflow("Traced", "ann", id=workflow_id, task_queue=task_queue)

    async def greeted() -> bool:
        return bool(await handle.query("current") == "greeted")

    await eventually(greeted)
    assert await handle.execute_update("approve", "bob") == "approved by bob"
    await handle.signal("proceed")
    return str(await handle.result())


async def drive_family(client: Any, task_queue: str, child_task_queue: str = "") -> str:
    """Run ``TracedFamily`` through one continue-as-new with either SDK's client."""
    workflow_id = f"family-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(
        "TracedFamily", args=[1, child_task_queue], id=workflow_id, task_queue=task_queue
    )
    return str(await handle.result())


async def drive_update_with_start(sdk: str, client: Any, task_queue: str) -> str:
    """Start ``Traced`` with an update (update-with-start), then let it proceed, with ``sdk``'s client."""
    workflow_id = f"traced-{uuid.uuid4().hex[:8]}"
    if sdk == "ours":
        operation: Any = WithStartWorkflowOperation(
            "Traced",
            "ann",
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING,
        )
    else:
        operation = temporalio.client.WithStartWorkflowOperation(
            "Traced",
            "ann",
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=temporalio.common.WorkflowIDConflictPolicy.USE_EXISTING,
        )
    answer = await client.execute_update_with_start_workflow("approve", "bob", start_workflow_operation=operation)
    assert answer == "approved by bob"
    handle = await operation.workflow_handle()
    await handle.signal("proceed")
    return str(await handle.result())


async def traced(
    server_address: str,
    task_queue: str,
    client_sdk: str,
    worker_sdk: str,
    scenario: Callable[[Any], Awaitable[Any]],
) -> tuple[Any, Sequence[Any]]:
    """Run ``scenario(client)`` inside a "test" span, with ``client_sdk``'s client and
    ``worker_sdk``'s worker, each SDK with its own TracingInterceptor on one tracer; what the
    scenario returned and every finished span."""
    tracer, exporter = in_memory_tracer()
    ours = TracingInterceptor(tracer)
    official = temporalio.contrib.opentelemetry.TracingInterceptor(tracer)
    async with (
        clients(server_address, [ours], [official]) as connected,
        run_worker(worker_sdk, connected[worker_sdk], task_queue),
    ):
        with tracer.start_as_current_span("test"):
            result = await scenario(connected[client_sdk])
    return result, exporter.get_finished_spans()
