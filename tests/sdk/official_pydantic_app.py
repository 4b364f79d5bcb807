"""``pydantic_app``'s workflow and activity written with the official SDK (same names and models)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from tests.sdk.pydantic_app import Item, Order, Receipt


@activity.defn(name="price")
async def price(order: Order) -> Receipt:
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
