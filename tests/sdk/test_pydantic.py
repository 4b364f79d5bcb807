"""Pydantic models as arguments and results with ``sdk.contrib.pydantic``, on both servers:
with our client and worker, across the two SDKs both ways, and under a payload codec."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
import temporalio.client
import temporalio.worker
from temporalio.contrib.pydantic import pydantic_data_converter as official_pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner

from sdk.client import Client
from sdk.contrib.pydantic import pydantic_data_converter
from sdk.converter import PayloadDecodeError
from sdk.worker import Worker
from tests import codec_app
from tests.sdk import official_pydantic_app, pydantic_app
from tests.sdk.pydantic_app import Item, Order, PydanticOrder, Receipt

PLACED = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)


def _order() -> Order:
    return Order(id=uuid.uuid4(), placed_at=PLACED, items=[Item(name="pizza", quantity=2), Item(name="soda")])


async def _drive(client: Client, task_queue: str, workflow_id: str = "") -> tuple[list[Item], list[Item], Receipt]:
    order = _order()
    workflow_id = workflow_id or f"pyd-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(PydanticOrder.run, order, id=workflow_id, task_queue=task_queue)
    added = await handle.execute_update(PydanticOrder.add, Item(name="salad", quantity=3))
    extras = await handle.query(PydanticOrder.extras)
    await handle.signal(PydanticOrder.close)
    receipt = await handle.result()
    assert receipt.order_id == order.id
    return added, extras, receipt


def _check(added: list[Item], extras: list[Item], receipt: Receipt) -> None:
    assert added == extras == [Item(name="salad", quantity=3)]
    assert isinstance(receipt, Receipt)
    assert receipt.total_items == 6
    assert receipt.items_by_name["pizza"] == Item(name="pizza", quantity=2)
    assert receipt.ready_at == datetime(2026, 12, 5, 12, 50, tzinfo=UTC)


@pytest.fixture
async def pydantic_client(server_address: str) -> Client:
    return await Client.connect(server_address, data_converter=pydantic_data_converter)


async def test_models_go_through_our_worker_and_client(pydantic_client: Client, task_queue: str) -> None:
    async with Worker(
        pydantic_client, task_queue=task_queue, workflows=[PydanticOrder], activities=[pydantic_app.price]
    ):
        _check(*await _drive(pydantic_client, task_queue))


async def test_our_client_with_an_official_worker(
    pydantic_client: Client, server_address: str, task_queue: str
) -> None:
    official = await temporalio.client.Client.connect(server_address, data_converter=official_pydantic_data_converter)
    async with temporalio.worker.Worker(
        official,
        task_queue=task_queue,
        workflows=[official_pydantic_app.PydanticOrder],
        activities=[official_pydantic_app.price],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        _check(*await _drive(pydantic_client, task_queue))


async def test_the_official_client_with_our_worker(
    pydantic_client: Client, server_address: str, task_queue: str
) -> None:
    official = await temporalio.client.Client.connect(server_address, data_converter=official_pydantic_data_converter)
    async with Worker(
        pydantic_client, task_queue=task_queue, workflows=[PydanticOrder], activities=[pydantic_app.price]
    ):
        order = _order()
        handle = await official.start_workflow(
            official_pydantic_app.PydanticOrder.run, order, id=f"pyd-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        added = await handle.execute_update(official_pydantic_app.PydanticOrder.add, Item(name="salad", quantity=3))
        extras = await handle.query(official_pydantic_app.PydanticOrder.extras)
        await handle.signal(official_pydantic_app.PydanticOrder.close)
        _check(added, extras, await handle.result())


async def test_models_under_a_payload_codec(server_address: str, task_queue: str) -> None:
    converter = dataclasses.replace(pydantic_data_converter, payload_codec=codec_app.XorCodec())
    client = await Client.connect(server_address, data_converter=converter)
    workflow_id = f"pyd-codec-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[PydanticOrder], activities=[pydantic_app.price]):
        _check(*await _drive(client, task_queue, workflow_id))
    # The server saw only encoded bytes.
    plain = await Client.connect(server_address)
    events = (await plain.get_workflow_handle(workflow_id).fetch_history()).events
    started = events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert b"pizza" not in started.data and started.metadata["encoding"] != b"json/plain"


def test_the_bytes_are_the_official_converters() -> None:
    order = _order()
    ours = pydantic_data_converter.to_payload(order)
    official = official_pydantic_data_converter.payload_converter.to_payloads([order])[0]
    assert ours == official
    assert official_pydantic_data_converter.payload_converter.from_payloads([ours], [Order]) == [order]


def test_a_payload_that_does_not_fit_the_model_is_a_clear_error() -> None:
    payload = pydantic_data_converter.to_payload({"id": "not a uuid", "placed_at": "x", "items": []})
    with pytest.raises(PayloadDecodeError, match="does not fit"):
        pydantic_data_converter.from_payload(payload, Order)
