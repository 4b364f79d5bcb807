"""Interop with the official ``temporalio`` SDK, used as a real peer."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import temporalio.client
import temporalio.worker
from temporalio.api.sdk.v1 import workflow_metadata_pb2
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.worker import Worker
from tests.sdk import official_app
from tests.sdk.conftest import eventually
from tests.sdk.order_app import Order, charge_customer, get_product, send_receipt


async def test_the_official_client_drives_a_workflow_run_by_our_worker(
    client: Client, server_address: str, task_queue: str, activity_executor: ThreadPoolExecutor
) -> None:
    official = await temporalio.client.Client.connect(server_address)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Order],
        activities=[get_product, charge_customer, send_receipt],
        activity_executor=activity_executor,
    ):
        handle = await official.start_workflow("Order", 4, id=f"order-{uuid.uuid4().hex[:8]}", task_queue=task_queue)

        async def charged() -> bool:
            return bool((await handle.query("get_status"))["state"] == "Charged")

        await eventually(charged)
        metadata = await handle.query("__temporal_workflow_metadata")
        assert isinstance(metadata, workflow_metadata_pb2.WorkflowMetadata)
        assert metadata.definition.type == "Order"
        assert [q.name for q in metadata.definition.query_definitions] == ["get_status"]
        assert [s.name for s in metadata.definition.signal_definitions] == [
            "delivered",
            "picked_up",
        ]
        await handle.signal("picked_up")
        await handle.signal("delivered", "erin")
        assert await handle.result() == "product-4 delivered"
        status = await handle.query("get_status")
    assert status["state"] == "Delivered"
    assert status["log"][-2] == "delivered by erin"


async def test_our_client_drives_a_workflow_run_by_an_official_worker(
    client: Client, server_address: str, task_queue: str
) -> None:
    official = await temporalio.client.Client.connect(server_address)
    async with temporalio.worker.Worker(
        official,
        task_queue=task_queue,
        workflows=[official_app.Greeter],
        activities=[official_app.shout],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            "Greeter", "hello", id=f"greeter-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await handle.signal("add", "ann")

        async def one_name() -> bool:
            return bool(await handle.query("count") == 1)

        await eventually(one_name)
        await handle.signal("add", "bob")
        assert await handle.result() == "HELLO, ANN AND BOB"


async def test_an_update_our_workflow_has_no_handler_for_is_refused_not_left_hanging(
    client: Client, server_address: str, task_queue: str
) -> None:
    official = await temporalio.client.Client.connect(server_address)
    async with Worker(client, task_queue=task_queue, workflows=[Order], activities=[get_product]):
        handle = await official.start_workflow("Order", 4, id=f"order-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await handle.execute_update("set_address", "Main St 1")
        assert "workflow 'Order' has no update handler 'set_address' and no dynamic one" in str(caught.value.cause)
        await handle.terminate("test over")
