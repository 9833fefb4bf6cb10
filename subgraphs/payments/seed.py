"""Deterministic seed data for the payments service: one payment for each of the 10,000 seeded orders.

The orders service's seed draws its orders from ``random.Random(3)`` over the shared catalogue facts
(``subgraphs.common.demo``); this module replays the same draws to learn each order's customer, currency,
total and status without reading the orders tables, and a test compares the two. A payment's state follows
its order's status: PENDING -> AUTHORIZED (not yet captured), PAID/SHIPPED/DELIVERED -> CAPTURED, and a
CANCELLED order's payment was voided, refunded or failed (by order id, in turn).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, insert, select, text

from subgraphs.common.db import Database
from subgraphs.common.demo import ORDER_COUNT, PRODUCT_COUNT, SEED_EPOCH, USER_COUNT, product_facts

from .fake_provider import FakeProvider
from .models import PaymentRow
from .provider import Charge
from .states import PaymentState

__all__ = ["SeededOrder", "payment_rows", "provider_charges", "seed", "seeded_orders"]

_ORDER_STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "DELIVERED", "DELIVERED", "CANCELLED")
_CANCELLED = ("VOIDED", "REFUNDED", "FAILED")


class SeededOrder(NamedTuple):
    id: int
    user_id: int | None
    status: str
    currency: str
    total_cents: int


def seeded_orders(count: int = ORDER_COUNT) -> list[SeededOrder]:
    """The seeded orders' facts, drawn in exactly the orders seed's order."""
    rng = random.Random(3)
    by_currency: dict[str, list[int]] = {}
    for pk in range(1, PRODUCT_COUNT + 1):
        facts = product_facts(pk)
        by_currency.setdefault(str(facts["currency"]), []).append(int(facts["price_cents"]))  # type: ignore[call-overload]
    orders = []
    for pk in range(1, count + 1):
        currency = "USD" if pk % 5 == 0 else "EUR"
        guest = pk % 20 == 0
        total = 0
        for _line in range(rng.randint(1, 5)):
            price = rng.choice(by_currency[currency])
            total += price * rng.randint(1, 4)
        user_id = None if guest else rng.randint(1, USER_COUNT)
        orders.append(SeededOrder(pk, user_id, rng.choice(_ORDER_STATUSES), currency, total))
    return orders


def _state(order: SeededOrder) -> str:
    if order.status == "PENDING":
        return "AUTHORIZED"
    if order.status == "CANCELLED":
        return _CANCELLED[order.id % len(_CANCELLED)]
    return "CAPTURED"


def payment_rows(count: int = ORDER_COUNT) -> list[dict[str, object]]:
    rows = []
    for order in seeded_orders(count):
        state = _state(order)
        placed_at = SEED_EPOCH + timedelta(days=30) + timedelta(minutes=41 * order.id)
        failed = state == "FAILED"
        rows.append(
            {
                "id": order.id,
                "order_id": order.id,
                "user_id": order.user_id,
                "amount_cents": order.total_cents,
                "currency": order.currency,
                "state": state,
                "provider_reference": None if failed else f"fake_pay_seed_{order.id:06d}",
                "attempts": 2 if failed else 1,
                "failure_reason": "card_declined" if failed else None,
                "created_at": placed_at + timedelta(seconds=5),
                "updated_at": placed_at + timedelta(minutes=5 if state == "AUTHORIZED" else 30),
            }
        )
    return rows


def provider_charges(rows: list[dict[str, object]]) -> list[Charge]:
    """The charges the provider holds for the seeded payments, in the same states."""
    return [
        Charge(
            str(r["provider_reference"]), PaymentState(r["state"]), int(r["amount_cents"]), str(r["currency"])
        )  # type: ignore[call-overload]
        for r in rows
        if r["provider_reference"] is not None
    ]


async def seed(db: Database, provider: FakeProvider | None = None) -> None:
    """Seed the payments (and, with the fake provider, its charges) when there are none yet."""
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(PaymentRow)):
            return
        rows = payment_rows()
        await session.execute(insert(PaymentRow), rows)
        await session.commit()
    if provider is not None:
        await provider.add_charges(provider_charges(rows))
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('payments', 'id'), (SELECT MAX(id) FROM payments))"
                )
            )
