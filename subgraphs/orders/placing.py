"""Placing an order: check every product and the user with their own services, then write it in one transaction.

The order is written PENDING together with its ``OrderPlaced`` event in the outbox, which starts the saga
(``subgraphs.orders.saga``). An ``idempotency_key`` makes a retried call safe: the same key with the same
request returns the order placed first; the same key with a different request is refused
(``IDEMPOTENCY_KEY_REUSED``), as Stripe's idempotent requests do.

The orders service never reads another service's tables: it asks the products service for the SKU and current
price of each product (and the users service whether the user exists) through their ``_entities`` fields. Only
when every check passes are the order and its lines written, together, so a refused order leaves no rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from subgraphs.common.errors import NOT_FOUND, UserInputError
from subgraphs.common.events import OrderLine, OrderPlaced
from subgraphs.common.ids import decode_id, encode_id
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX, record
from subgraphs.common.text import check_text
from subgraphs.common.types import utcnow

from .models import OrderItemRow, OrderRow, OutboxRow
from .saga import correlation_id

__all__ = ["OrderLineInput", "place_order"]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class OrderLineInput(NamedTuple):
    product_id: int
    quantity: int


async def place_order(
    context: dict[str, Any],
    user_id: int | None,
    guest_email: str | None,
    lines: list[OrderLineInput],
    *,
    idempotency_key: str | None = None,
    payment_token: str | None = None,
) -> OrderRow:
    digest = _digest(user_id, guest_email, lines, payment_token)
    if idempotency_key is not None:
        check_text(
            idempotency_key, argument="input.idempotencyKey", max_length=100, label="An idempotency key"
        )
        earlier = await _placed_under(context, idempotency_key, digest)
        if earlier is not None:
            return earlier
    if payment_token is not None:
        check_text(payment_token, argument="input.paymentToken", max_length=100, label="A payment token")
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
        idempotency_key=idempotency_key,
        request_digest=digest if idempotency_key is not None else None,
        payment_token=payment_token or "",
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
    try:
        async with db.session() as session, session.begin():
            session.add(order)
            await session.flush()
            for item in items:
                item.order_id = order.id
            session.add_all(items)
            placed = OrderPlaced(
                order_id=order.id,
                user_id=user_id,
                amount_cents=order.total_cents,
                currency=order.currency,
                lines=tuple(OrderLine(i.product_id, i.quantity) for i in items),
                payment_token=order.payment_token or "",
            )
            record(
                session,
                OutboxRow,
                placed,
                correlation_id=correlation_id(order.id),
                subject_prefix=context.get("event_subject_prefix", DEFAULT_SUBJECT_PREFIX),
            )
    except IntegrityError:
        # The same key placed concurrently, and the other call committed first: its order is the answer.
        if idempotency_key is None:
            raise
        earlier = await _placed_under(context, idempotency_key, digest)
        if earlier is None:
            raise
        return earlier
    return order


async def _placed_under(context: dict[str, Any], key: str, digest: str) -> OrderRow | None:
    async with context["db"].session() as s:
        row = (await s.scalars(select(OrderRow).where(OrderRow.idempotency_key == key))).one_or_none()
    if row is not None and row.request_digest != digest:
        raise UserInputError(
            "This idempotency key was used for a different order; use a new key for a new order.",
            code="IDEMPOTENCY_KEY_REUSED",
            argument="input.idempotencyKey",
        )
    return row


def _digest(
    user_id: int | None, guest_email: str | None, lines: list[OrderLineInput], payment_token: str | None
) -> str:
    """What identifies a request under one key: who orders, what, and how they pay."""
    email = guest_email.strip().lower() if guest_email is not None else None
    body = json.dumps([user_id, email, [list(line) for line in lines], payment_token], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()
