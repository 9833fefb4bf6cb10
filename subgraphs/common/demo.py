"""Deterministic demo catalogue facts, so each service seeds consistent data without reading another's tables.

The products service seeds its catalogue from these functions; the orders service uses the same functions to
price seeded order lines as they were at purchase time. Only the seeding uses this module.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

__all__ = [
    "CATEGORIES",
    "ORDER_COUNT",
    "PRODUCT_COUNT",
    "SEED_EPOCH",
    "USER_COUNT",
    "product_facts",
]

USER_COUNT = 1000
PRODUCT_COUNT = 500
ORDER_COUNT = 10_000
SEED_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
CATEGORIES = ("BOOKS", "ELECTRONICS", "GARDEN", "HOME", "TOYS", "SPORTS")
_ADJECTIVES = ("Compact", "Classic", "Deluxe", "Eco", "Smart", "Rugged", "Tiny", "Grand", "Swift", "Quiet")
_NOUNS = (
    "Lamp",
    "Kettle",
    "Backpack",
    "Drone",
    "Notebook",
    "Chair",
    "Racket",
    "Puzzle",
    "Speaker",
    "Planter",
)


def product_facts(pk: int) -> dict[str, object]:
    """The seeded facts of product ``pk`` (1-based): sku, name, price in cents, currency, category, weight."""
    rng = random.Random(f"product-{pk}")
    return {
        "id": pk,
        "sku": f"SKU-{pk:05d}",
        "name": f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {pk}",
        "price_cents": rng.randrange(199, 49_999),
        "currency": "EUR" if pk % 5 else "USD",
        "category": CATEGORIES[pk % len(CATEGORIES)],
        "weight_grams": rng.randrange(50, 20_000),
        "stock": rng.randrange(0, 500),
        "created_at": SEED_EPOCH + timedelta(hours=pk),
    }
