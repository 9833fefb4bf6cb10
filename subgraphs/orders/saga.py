"""The order saga, by choreography with orders as the owner of the order's state.

Why choreography: products and payments already react to events on their own (payments authorises on
``OrderPlaced`` without being asked), so an orchestrator would only add commands that mirror those events
and a second place where the saga's state lives. Here the state lives in one place, the order row, and
orders alone decides when the order is done; the other services keep their own part (a hold, a payment) and
answer with events.

    placeOrder  -> PENDING, ``OrderPlaced`` (in the outbox, same transaction)
    products    -> ``StockReserved`` | ``StockRejected``     (in parallel with)
    payments    -> ``PaymentAuthorized`` | ``PaymentFailed``  (the pivot)
    orders      -> both halves in: CONFIRMED, ``OrderConfirmed`` (products sells, payments captures)
                -> either half refused, or the deadline passed: REJECTED with the reason, ``OrderRejected``
                   (products releases the hold, payments voids an authorisation)
    cancelOrder -> CONFIRMED to CANCELLED, ``OrderCancelled`` (products restocks, payments refunds)

An answer that arrives after the order was settled (an authorisation for an order rejected for stock or by
the deadline) is answered again with ``OrderRejected`` so the late hold is released too; releases are
idempotent on the other side. Every move is checked against ``states.TRANSITIONS`` and made with the order
row locked, so concurrent events cannot both settle one order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.db import Database
from subgraphs.common.events import (
    Envelope,
    Event,
    OrderConfirmed,
    OrderRejected,
    PaymentAuthorized,
    PaymentFailed,
    StockRejected,
    StockReserved,
)
from subgraphs.common.inbox import Handler, RejectEvent
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX, record
from subgraphs.common.types import utcnow

from .models import OrderRow, OutboxRow
from .states import IllegalTransition, OrderStatus, check_transition

__all__ = ["CONSUMER_NAME", "DEFAULT_DEADLINE", "OrderSaga", "correlation_id", "move"]

CONSUMER_NAME = "orders-saga"
DEFAULT_DEADLINE = timedelta(minutes=2)


def correlation_id(order_id: int) -> str:
    return f"order-{order_id}"


def move(row: OrderRow, target: OrderStatus, reason: str | None = None) -> None:
    """Move ``row`` to ``target`` or raise ``IllegalTransition``."""
    check_transition(OrderStatus(row.status), target)
    row.status = target.value
    if reason is not None:
        row.status_reason = reason[:200]
    row.updated_at = utcnow()


class OrderSaga:
    """The handlers, by event type, for orders' ``EventConsumer``; and the deadline sweep."""

    def __init__(self, *, subject_prefix: str = DEFAULT_SUBJECT_PREFIX) -> None:
        self.subject_prefix = subject_prefix

    def handlers(self) -> dict[str, Handler]:
        return {
            StockReserved.TYPE: self.stock_reserved,
            StockRejected.TYPE: self.stock_rejected,
            PaymentAuthorized.TYPE: self.payment_authorized,
            PaymentFailed.TYPE: self.payment_failed,
        }

    def _emit(self, session: AsyncSession, order_id: int, event: Event) -> None:
        record(
            session,
            OutboxRow,
            event,
            correlation_id=correlation_id(order_id),
            subject_prefix=self.subject_prefix,
        )

    async def stock_reserved(self, session: AsyncSession, env: Envelope) -> None:
        row = await _order(session, env)
        row.stock_reserved = True
        await self._advance(session, row)

    async def payment_authorized(self, session: AsyncSession, env: Envelope) -> None:
        row = await _order(session, env)
        row.payment_authorized = True
        await self._advance(session, row)

    async def stock_rejected(self, session: AsyncSession, env: Envelope) -> None:
        event: StockRejected = env.payload  # type: ignore[assignment]
        row = await _order(session, env)
        self.reject(session, row, f"stock: {event.reason}")

    async def payment_failed(self, session: AsyncSession, env: Envelope) -> None:
        event: PaymentFailed = env.payload  # type: ignore[assignment]
        row = await _order(session, env)
        self.reject(session, row, f"payment: {event.reason}")

    async def _advance(self, session: AsyncSession, row: OrderRow) -> None:
        status = OrderStatus(row.status)
        if status is OrderStatus.PENDING:
            if row.stock_reserved and row.payment_authorized:
                _move(row, OrderStatus.CONFIRMED)
                self._emit(session, row.id, OrderConfirmed(row.id))
        elif status is OrderStatus.REJECTED:
            # A hold taken after the order was settled: ask for it to be released as well.
            self._emit(session, row.id, OrderRejected(row.id, row.status_reason or "rejected"))

    def reject(self, session: AsyncSession, row: OrderRow, reason: str) -> None:
        """PENDING -> REJECTED with ``reason`` and ``OrderRejected``; an order settled already is left as is."""
        if row.status != OrderStatus.PENDING.value:
            return
        _move(row, OrderStatus.REJECTED, reason)
        self._emit(session, row.id, OrderRejected(row.id, reason))

    async def reject_overdue(self, db: Database, deadline: timedelta = DEFAULT_DEADLINE) -> int:
        """Reject saga orders still PENDING after ``deadline`` (a participant that never answers); how many."""
        cutoff: datetime = utcnow() - deadline
        async with db.session() as s, s.begin():
            stmt = (
                select(OrderRow)
                .where(
                    OrderRow.status == OrderStatus.PENDING.value,
                    OrderRow.payment_token.is_not(None),
                    OrderRow.placed_at < cutoff,
                )
                .order_by(OrderRow.id)
                .limit(100)
                .with_for_update(skip_locked=not db.is_sqlite)
            )
            rows = list((await s.scalars(stmt)).all())
            for row in rows:
                self.reject(s, row, "timeout: no answer in time")
        return len(rows)


async def _order(session: AsyncSession, env: Envelope) -> OrderRow:
    order_id: int = env.payload.order_id  # type: ignore[attr-defined]
    # FOR UPDATE: on PostgreSQL a concurrent event of the same order waits for this transaction.
    stmt = select(OrderRow).where(OrderRow.id == order_id).with_for_update()
    row = (await session.scalars(stmt)).one_or_none()
    if row is None:
        raise RejectEvent(f"{env.type} for order {order_id}, which orders does not have")
    return row


def _move(row: OrderRow, target: OrderStatus, reason: str | None = None) -> None:
    try:
        move(row, target, reason)
    except IllegalTransition as exc:  # no retry will make it legal
        raise RejectEvent(f"order {row.id}: {exc}") from None
