"""Placing an order: check every product and the user with their own services, then write it in one transaction.

The orders service never reads another service's tables: it asks the products service for the SKU and current
price of each product (and the users service whether the user exists) through their ``_entities`` fields. Only
when every check passes are the order and its lines written, together, so a refused order leaves no rows.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NamedTuple

from subgraphs.common.errors import NOT_FOUND, UserInputError
from subgraphs.common.ids import decode_id, encode_id
from subgraphs.common.text import check_text
from subgraphs.common.types import utcnow

from .models import OrderItemRow, OrderRow

__all__ = ["OrderLineInput", "place_order"]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class OrderLineInput(NamedTuple):
    product_id: int
    quantity: int


async def place_order(
    context: dict[str, Any], user_id: int | None, guest_email: str | None, lines: list[OrderLineInput]
) -> OrderRow:
    if guest_email is not None:
        check_text(guest_email, argument="input.guestEmail", max_length=320, label="An email address")
    if guest_email is not None and not EMAIL_RE.match(guest_email.strip()):
        raise UserInputError(f"Invalid email address {guest_email!r}.", argument="input.guestEmail")
    product_ids = sorted({line.product_id for line in lines})
    found = await context["products"].resolve(
        "Product",
        [{"id": encode_id("Product", pk)} for pk in product_ids],
        "id sku price { amount currency }",
    )
    catalogue = {pk: p for pk, p in zip(product_ids, found, strict=True) if p}
    missing = [encode_id("Product", pk) for pk in product_ids if pk not in catalogue]
    if missing:
        raise UserInputError(
            f"Unknown product{'s' if len(missing) > 1 else ''}: {', '.join(missing)}; the order was not placed.",
            code="PRODUCT_NOT_FOUND",
            argument="input.items",
            missing=missing,
        )
    currencies = {p["price"]["currency"] for p in catalogue.values()}
    if len(currencies) > 1:
        raise UserInputError(
            f"All products of one order must be priced in one currency, got {', '.join(sorted(currencies))}.",
            code="MIXED_CURRENCIES",
            argument="input.items",
        )
    if user_id is not None:
        (user,) = await context["users"].resolve("User", [{"id": encode_id("User", user_id)}], "id")
        if user is None:
            raise UserInputError(
                f"No user with ID {encode_id('User', user_id)!r}; the order was not placed.",
                code=NOT_FOUND,
                argument="input.userId",
            )

    order = OrderRow(
        user_id=user_id,
        guest_email=guest_email.strip().lower() if guest_email is not None else None,
        status="PENDING",
        currency=currencies.pop(),
        total_cents=0,
        placed_at=utcnow(),
    )
    items = []
    for number, line in enumerate(lines, start=1):
        product = catalogue[line.product_id]
        assert decode_id("Product", product["id"]) == line.product_id
        unit_cents = int(Decimal(str(product["price"]["amount"])) * 100)
        items.append(
            OrderItemRow(
                line=number,
                product_id=line.product_id,
                sku=product["sku"],
                quantity=line.quantity,
                unit_price_cents=unit_cents,
            )
        )
        order.total_cents += unit_cents * line.quantity

    db = context["db"]
    async with db.session() as session, session.begin():
        session.add(order)
        await session.flush()
        for item in items:
            item.order_id = order.id
        session.add_all(items)
    return order
