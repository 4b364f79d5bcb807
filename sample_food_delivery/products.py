"""Today's menu: the products a customer can order, with their prices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One dish on the menu.

    Attributes:
        id: The number the workflow is started with (``order(product_id)``).
        name: What the menu calls it.
        description: One line under the name.
        cents: Price in cents; the order charges exactly this.
        image: File name of its picture under the web apps' ``static/img/``.
    """

    id: int
    name: str
    description: str
    cents: int
    image: str

    @property
    def price(self) -> str:
        """The price as the pages show it, e.g. ``$20.00``."""
        return f"${self.cents / 100:.2f}"


PRODUCTS: tuple[Product, ...] = (
    Product(1, "Swordfish", "Grilled, with charred cabbage and carrots", 3500, "swordfish.svg"),
    Product(2, "Burrata", "With figs, peaches and cherry tomatoes", 2000, "burrata.svg"),
    Product(3, "Potatoes", "Hasselback, with a bell pepper salad", 1500, "potatoes.svg"),
    Product(4, "Poke", "Salmon, cucumber, seaweed and edamame", 2000, "poke.svg"),
)
"""The menu, in the order the page shows it (ids and prices as in the original sample)."""

CARD_LIMIT_CENTS = 3500
"""The fake payment service declines charges of this much or more (so the swordfish
shows what a non-retryable failure looks like)."""


def get_product(product_id: int) -> Product | None:
    """The product with this id, or ``None``."""
    return next((p for p in PRODUCTS if p.id == product_id), None)
