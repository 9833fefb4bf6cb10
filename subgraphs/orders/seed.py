"""Deterministic seed data for the orders service: 10,000 orders with 1-5 lines, loaded when the tables are empty.

Line prices come from the same deterministic catalogue facts the products service seeds from
(``subgraphs.common.demo``), not from its tables.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from subgraphs.common.db import Database
from subgraphs.common.demo import ORDER_COUNT, PRODUCT_COUNT, SEED_EPOCH, USER_COUNT, product_facts

from .models import OrderItemRow, OrderRow

__all__ = ["seed"]

_STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "DELIVERED", "DELIVERED", "CANCELLED")


def order_rows(count: int = ORDER_COUNT) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rng = random.Random(3)
    catalogue = [product_facts(pk) for pk in range(1, PRODUCT_COUNT + 1)]
    by_currency: dict[str, list[dict[str, object]]] = {}
    for p in catalogue:
        by_currency.setdefault(str(p["currency"]), []).append(p)
    orders, items = [], []
    for pk in range(1, count + 1):
        currency = "USD" if pk % 5 == 0 else "EUR"
        guest = pk % 20 == 0
        total = 0
        for line in range(1, rng.randint(1, 5) + 1):
            product = rng.choice(by_currency[currency])
            quantity = rng.randint(1, 4)
            total += int(product["price_cents"]) * quantity  # type: ignore[call-overload]
            items.append(
                {
                    "order_id": pk,
                    "line": line,
                    "product_id": product["id"],
                    "sku": product["sku"],
                    "quantity": quantity,
                    "unit_price_cents": product["price_cents"],
                }
            )
        orders.append(
            {
                "id": pk,
                "user_id": None if guest else rng.randint(1, USER_COUNT),
                "guest_email": f"guest{pk}@example.org" if guest else None,
                "status": rng.choice(_STATUSES),
                "currency": currency,
                "total_cents": total,
                "placed_at": SEED_EPOCH + timedelta(days=30) + timedelta(minutes=41 * pk),
            }
        )
    return orders, items


async def seed(db: Database) -> None:
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(OrderRow)):
            return
        orders, items = order_rows()
        await session.execute(insert(OrderRow), orders)
        await session.execute(insert(OrderItemRow), items)
        await session.commit()
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT MAX(id) FROM orders))")
            )
