"""Run the patch workflows of ``patch_app.py`` with our SDK or the official one."""

from __future__ import annotations

import contextlib
from typing import Any

import temporalio.client
import temporalio.service
import temporalio.worker
from temporalio.api.enums.v1.common_pb2 import IndexedValueType
from temporalio.api.history.v1 import History
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk import official_patch_app
from tests.sdk.family_runs import new_id

SEARCH_ATTRIBUTES = {
    "ShippingTag": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "ParcelCount": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
"""The custom search attributes the patch and context workflows set."""


async def declare_search_attributes(address: str) -> None:
    """Declare :data:`SEARCH_ATTRIBUTES` on the server, one by one (declaring one again is
    refused, and fine)."""
    client = await temporalio.client.Client.connect(address)
    for name, kind in SEARCH_ATTRIBUTES.items():
        request = AddSearchAttributesRequest(namespace="default", search_attributes={name: kind})
        with contextlib.suppress(temporalio.service.RPCError):
            await client.operator_service.add_search_attributes(request)


async def run_ours(
    client: Client, task_queue: str, workflow_class: type, *, cached: bool = True
) -> tuple[Any, History, str]:
    """Run one version of ``Shipping`` with our worker: its result, its history, its ID.

    With ``cached=False`` the worker replays the whole history for every task.
    """
    await declare_search_attributes(client.address)
    workflow_id = new_id("ours-shipping")
    async with Worker(
        client, task_queue=task_queue, workflows=[workflow_class], max_cached_workflows=1000 if cached else 0
    ):
        handle = await client.start_workflow("Shipping", id=workflow_id, task_queue=task_queue)
        result = await handle.result()
    return result, await handle.fetch_history(), workflow_id


async def run_official(address: str, task_queue: str) -> tuple[Any, History, str]:
    """Run ``Shipping`` v2 with the official SDK's worker and client."""
    await declare_search_attributes(address)
    client = await temporalio.client.Client.connect(address)
    workflow_id = new_id("official-shipping")
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=[official_patch_app.ShippingV2],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow("Shipping", id=workflow_id, task_queue=task_queue)
        result = await handle.result()
        history = await handle.fetch_history()
    return result, History(events=list(history.events)), workflow_id
