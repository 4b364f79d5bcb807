"""The order workflow: charge, wait for a driver, deliver, and refund when nobody comes.

The names on the wire are those of Temporal's TypeScript food-delivery sample
(workflow ``order``, signals ``pickedUp`` and ``delivered``, query ``getStatus``,
activities ``chargeCustomer``, ``refundOrder`` and ``sendPushNotification``), so
that sample's web apps and ours can drive the same workflow.

A driver's app that wants an answer uses the updates ``pickUp`` and ``deliver`` instead:
their validators refuse a step the order is not ready for (no event is recorded then),
and an accepted one answers with the new status. The signals are fire-and-forget: the
server keeps them even while no worker runs, which is why the driver portal sends them.

Every wait below is durable: the charge, the timers and the signals are recorded
in the workflow's history, and a worker that starts after a crash replays that
history to arrive at exactly the state the dead one had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sdk import workflow
from sdk.exceptions import ActivityError, ApplicationError

from .activities import DeliveryServices
from .products import Product, get_product

ORDER_WORKFLOW = "order"
PICKED_UP_SIGNAL = "pickedUp"
DELIVERED_SIGNAL = "delivered"
GET_STATUS_QUERY = "getStatus"
PICK_UP_UPDATE = "pickUp"
DELIVER_UPDATE = "deliver"


async def _holds_within(condition: Callable[[], bool], limit: float | timedelta) -> bool:
    """Whether ``condition`` became true within ``limit`` (a durable timer).

    After a timeout it is looked at once more: a signal that arrived in the same
    workflow task as the timer has already run its handler.
    """
    try:
        await workflow.wait_condition(condition, timeout=limit)
    except TimeoutError:
        return condition()
    return True


class OrderState(StrEnum):
    """What ``getStatus`` reports, in the words of the original sample (plus ``Refunded``)."""

    CHARGING = "Charging card"
    PAID = "Paid"
    PICKED_UP = "Picked up"
    DELIVERED = "Delivered"
    REFUNDING = "Refunding"
    REFUNDED = "Refunded"
    FAILED = "Failed"


@dataclass(frozen=True)
class OrderTimeouts:
    """How long the order waits for each step, in seconds (tests shorten them).

    Attributes:
        pickup: Wait this long for ``pickedUp`` after the charge, then refund.
        delivery: Wait this long for ``delivered`` after the pickup, then refund.
        rating_reminder: After delivery, wait this long before asking for a rating.
    """

    pickup: float = 60.0
    delivery: float = 60.0
    rating_reminder: float = 60.0

    def is_default(self) -> bool:
        """Whether these are the timeouts an order gets when started with only a product id."""
        return self == OrderTimeouts()


# Only for the demo: a real payment service would be given more room between retries.
_ACTIVITY_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=1),
    "retry_policy": workflow.RetryPolicy(maximum_interval=timedelta(seconds=5)),
}


def status_document(state: str, product_id: int, delivered_at: datetime | None) -> dict[str, Any]:
    """The ``getStatus`` answer: ``{state, deliveredAt, productId}``, times as JavaScript writes them."""
    return {
        "state": state,
        "deliveredAt": delivered_at.isoformat(timespec="milliseconds").replace("+00:00", "Z") if delivered_at else None,
        "productId": product_id,
    }


@workflow.defn(name=ORDER_WORKFLOW)
class Order:
    """One customer's order of one product."""

    def __init__(self) -> None:
        self.state = OrderState.CHARGING
        self.product_id = 0
        self.delivered_at: datetime | None = None

    @workflow.run
    async def run(self, product_id: int, timeouts: OrderTimeouts | None = None) -> dict[str, Any]:
        """Charge for the product, then follow the driver until delivery or refund.

        Args:
            product_id: Id of a product in :data:`~.products.PRODUCTS`.
            timeouts: Shorter waits for tests and demos; the original's minute each by default.

        Returns:
            The final status, as ``getStatus`` reports it.

        Raises:
            ApplicationError: Unknown product, or the charge failed for good.
        """
        self.product_id = product_id
        limits = timeouts or OrderTimeouts()
        product = get_product(product_id)
        if product is None:
            self.state = OrderState.FAILED
            raise ApplicationError(f"Product {product_id} not found", type="ProductNotFound", non_retryable=True)

        try:
            await workflow.execute_activity(DeliveryServices.charge_customer, product, **_ACTIVITY_OPTIONS)
        except ActivityError as err:
            self.state = OrderState.FAILED
            reason = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
            message = f"Could not charge you for the {product.name.lower()}: {reason}"
            await self._notify(message)
            raise ApplicationError(message, type="ChargeFailed", non_retryable=True) from None
        self.state = OrderState.PAID
        workflow.logger.info("paid %s for %s", product.price, product.name)

        # Not `state == Picked up`: when `pickedUp` and `delivered` arrive in the same
        # workflow task, both handlers run before this condition is looked at, and the
        # state is already Delivered. Waiting for exactly "Picked up" would time out
        # and refund an order that was delivered. The second look after a timeout
        # covers a signal that arrived in the same workflow task as the timer.
        if not await _holds_within(self._picked_up, limits.pickup):
            return await self._refund(product, "No driver picked up your order in time. You have been refunded.")
        await self._notify(f"Your {product.name.lower()} is on its way.")

        if not await _holds_within(self._delivered, limits.delivery):
            return await self._refund(product, "Your driver could not deliver the order. You have been refunded.")
        await self._notify(f"Your {product.name.lower()} has been delivered. Enjoy!")

        # A durable timer: it could as well be days; a worker restart does not reset it.
        await workflow.sleep(limits.rating_reminder)
        await self._notify(f"How was the {product.name.lower()}? Rate your meal.")
        return self.get_status()

    def _picked_up(self) -> bool:
        return self.state in (OrderState.PICKED_UP, OrderState.DELIVERED)

    def _delivered(self) -> bool:
        return self.state == OrderState.DELIVERED

    async def _refund(self, product: Product, message: str) -> dict[str, Any]:
        self.state = OrderState.REFUNDING
        await workflow.execute_activity(DeliveryServices.refund_order, product, **_ACTIVITY_OPTIONS)
        self.state = OrderState.REFUNDED
        workflow.logger.info("refunded %s for %s", product.price, product.name)
        await self._notify(message)
        return self.get_status()

    async def _notify(self, message: str) -> None:
        await workflow.execute_activity(DeliveryServices.send_push_notification, message, **_ACTIVITY_OPTIONS)

    @workflow.signal(name=PICKED_UP_SIGNAL)
    def picked_up(self) -> None:
        """The driver has the food. Only a paid order can be picked up."""
        if self.state == OrderState.PAID:
            self.state = OrderState.PICKED_UP

    @workflow.signal(name=DELIVERED_SIGNAL)
    def delivered(self) -> None:
        """The driver handed the food over. Only a picked-up order can be delivered."""
        if self.state == OrderState.PICKED_UP:
            self.state = OrderState.DELIVERED
            self.delivered_at = workflow.now()

    @workflow.update(name=PICK_UP_UPDATE)
    def pick_up(self) -> dict[str, Any]:
        """The driver has the food; answers the new status (``pickedUp`` that says so)."""
        self.picked_up()
        return self.get_status()

    @pick_up.validator
    def _ready_for_pickup(self) -> None:
        if self.state != OrderState.PAID:
            raise ApplicationError(f"The order cannot be picked up: it is {self.state.value.lower()}.", type="NotReady")

    @workflow.update(name=DELIVER_UPDATE)
    def deliver(self) -> dict[str, Any]:
        """The driver handed the food over; answers the new status (``delivered`` that says so)."""
        self.delivered()
        return self.get_status()

    @deliver.validator
    def _ready_for_delivery(self) -> None:
        if self.state != OrderState.PICKED_UP:
            raise ApplicationError(f"The order cannot be delivered: it is {self.state.value.lower()}.", type="NotReady")

    @workflow.query(name=GET_STATUS_QUERY)
    def get_status(self) -> dict[str, Any]:
        """``{state, deliveredAt, productId}``, as the original's ``getStatus``."""
        return status_document(self.state, self.product_id, self.delivered_at)
