"""An order workflow whose arguments, results, updates and queries are pydantic models,
written with our SDK; ``official_pydantic_app`` is the same one written with the official SDK."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pydantic

from sdk import activity, workflow


class Item(pydantic.BaseModel):
    name: str
    quantity: int = 1


class Order(pydantic.BaseModel):
    id: uuid.UUID
    placed_at: datetime
    items: list[Item]
    note: str | None = None


class Receipt(pydantic.BaseModel):
    order_id: uuid.UUID
    total_items: int
    items_by_name: dict[str, Item]
    ready_at: datetime


@activity.defn
async def price(order: Order) -> Receipt:
    # Models arrive as models: attribute access fails on a dict.
    return Receipt(
        order_id=order.id,
        total_items=sum(item.quantity for item in order.items),
        items_by_name={item.name: item for item in order.items},
        ready_at=order.placed_at + timedelta(minutes=20),
    )


@workflow.defn(name="PydanticOrder")
class PydanticOrder:
    def __init__(self) -> None:
        self._extras: list[Item] = []
        self._closed = False

    @workflow.run
    async def run(self, order: Order) -> Receipt:
        await workflow.wait_condition(lambda: self._closed)
        order = order.model_copy(update={"items": [*order.items, *self._extras]})
        return await workflow.execute_activity(price, order, start_to_close_timeout=timedelta(seconds=10))

    @workflow.update(name="add")
    async def add(self, item: Item) -> list[Item]:
        self._extras.append(item)
        return self._extras

    @workflow.signal(name="close")
    async def close(self) -> None:
        self._closed = True

    @workflow.query(name="extras")
    def extras(self) -> list[Item]:
        return self._extras
