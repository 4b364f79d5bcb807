"""The activities: a fake payment service and a fake push-notification service.

Both "fail now and then" (unreachable, say) so that the workflow's history shows
retried attempts; how often is a setting, so that tests can force no failures, or
a failure followed by a success. Activities run outside the workflow's
determinism rules: randomness and I/O are fine here.

The activity names on the wire are those of the original TypeScript sample.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sdk import activity
from sdk.exceptions import ApplicationError

from .products import CARD_LIMIT_CENTS, Product

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureSettings:
    """How unreliable the fake services are.

    Attributes:
        rate: Chance (0 to 1) that any attempt fails as if the service were unreachable.
        first_attempts: The first this-many attempts of every activity fail, whatever the rate.
    """

    rate: float = 0.3
    first_attempts: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"failure rate must be between 0 and 1, got {self.rate}")
        if self.first_attempts < 0:
            raise ValueError(f"failing attempts must not be negative, got {self.first_attempts}")


@dataclass
class DeliveryServices:
    """The activities, bound to the settings of the fake services they call.

    Register the bound methods with a worker: ``activities=services.activities()``.
    """

    failures: FailureSettings = field(default_factory=FailureSettings)
    rng: random.Random = field(default_factory=random.Random)
    notifications: list[str] = field(default_factory=list)
    """Messages sent, newest last (the tests read them)."""

    def activities(self) -> list[Callable[..., Any]]:
        """The bound activity methods, for ``Worker(activities=...)``."""
        return [self.charge_customer, self.refund_order, self.send_push_notification]

    @activity.defn(name="chargeCustomer")
    async def charge_customer(self, product: Product) -> None:
        """Charge the customer the product's price.

        Raises:
            ApplicationError: Non-retryable when the card is declined; retryable
                when the payment service cannot be reached.
        """
        # A real payment service would get an idempotency key, so that a retried
        # attempt whose first try did go through charges only once.
        idempotency_key = f"{activity.info().workflow_id}-charge"
        if product.cents >= CARD_LIMIT_CENTS:
            raise ApplicationError("Card declined: insufficient funds", type="CardDeclined", non_retryable=True)
        self._unreliable("payment service")
        logger.info("charged %s for %s (key %s)", product.price, product.name, idempotency_key)

    @activity.defn(name="refundOrder")
    async def refund_order(self, product: Product) -> None:
        """Give the customer their money back."""
        idempotency_key = f"{activity.info().workflow_id}-refund"
        self._unreliable("payment service")
        logger.info("refunded %s for %s (key %s)", product.price, product.name, idempotency_key)

    @activity.defn(name="sendPushNotification")
    async def send_push_notification(self, message: str) -> None:
        """Send the customer a push notification."""
        self._unreliable("notification service")
        self.notifications.append(message)
        logger.info("push notification to %s: %s", activity.info().workflow_id, message)

    def _unreliable(self, service: str) -> None:
        attempt = activity.info().attempt
        if attempt <= self.failures.first_attempts or self.rng.random() < self.failures.rate:
            # A plain exception: retried by the server's retry policy, and the
            # next attempt's number shows in the history.
            raise ConnectionError(f"cannot reach the {service} (attempt {attempt})")
