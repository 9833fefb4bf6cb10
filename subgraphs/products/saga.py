"""Products' part in the order saga: stock held for an order, released when it fails, sold when it is confirmed.

- ``OrderPlaced`` -> every line is held with a conditional ``UPDATE products SET reserved = reserved + q
  WHERE id = p AND stock - reserved >= q``: the check and the hold are one statement, so concurrent orders
  cannot both take the last unit (PostgreSQL re-checks the condition after a row lock wait; SQLite has one
  writer). All lines or none: a line that cannot be held undoes the ones before it in the same transaction.
  Then ``StockReserved`` or ``StockRejected`` with the reason; a product the hold takes below the low-stock
  level is notified to ``stockLow``'s subscribers (``stock_low``).
- ``PaymentFailed``, ``OrderRejected`` -> a hold is released (``StockReleased``).
- ``OrderConfirmed`` -> the held units are sold: they leave ``stock`` and ``reserved`` together.
- ``OrderCancelled`` -> a hold is released, sold units come back to stock.

Every handler runs in the inbox consumer's transaction (``subgraphs.common.inbox``) and settles the order's
``stock_reservations`` row under a row lock, so each event has one effect whatever is redelivered or reordered.
"""

from __future__ import annotations

import json
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events import (
    Envelope,
    Event,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    PaymentFailed,
    StockRejected,
    StockReleased,
    StockReserved,
)
from subgraphs.common.inbox import Handler, RejectEvent
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX, record

from .models import OutboxRow, ProductRow, StockReservationRow
from .stock_low import StockLow

__all__ = ["CONSUMER_NAME", "ReservationState", "StockKeeper"]

CONSUMER_NAME = "products-orders"


class ReservationState(Enum):
    RESERVED = "RESERVED"  # held for an order in progress
    REJECTED = "REJECTED"  # could not be held; nothing is
    RELEASED = "RELEASED"  # was held (or never seen) and is free again
    SOLD = "SOLD"  # the order was confirmed; the units left the warehouse's stock
    RETURNED = "RETURNED"  # a sold order was cancelled; its units are back in stock


class StockKeeper:
    """The handlers, by event type, for an ``EventConsumer``."""

    def __init__(
        self, *, subject_prefix: str = DEFAULT_SUBJECT_PREFIX, stock_low: StockLow | None = None
    ) -> None:
        self.subject_prefix = subject_prefix
        self.stock_low = stock_low or StockLow()

    def handlers(self) -> dict[str, Handler]:
        return {
            OrderPlaced.TYPE: self.order_placed,
            PaymentFailed.TYPE: self.release,
            OrderRejected.TYPE: self.release,
            OrderCancelled.TYPE: self.release,
            OrderConfirmed.TYPE: self.order_confirmed,
        }

    def _emit(self, session: AsyncSession, env: Envelope, event: Event) -> None:
        record(
            session, OutboxRow, event, correlation_id=env.correlation_id, subject_prefix=self.subject_prefix
        )

    async def order_placed(self, session: AsyncSession, env: Envelope) -> None:
        placed: OrderPlaced = env.payload  # type: ignore[assignment]
        if await _reservation(session, placed.order_id) is not None:
            return  # settled already (a release came first): nothing is held for it now
        wanted: dict[int, int] = {}
        for line in placed.lines:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
        held: list[tuple[int, int]] = []
        short: list[int] = []
        # In product order, so concurrent orders lock rows in one order (no deadlock on PostgreSQL).
        for product_id, quantity in sorted(wanted.items()):
            result = await session.execute(
                update(ProductRow)
                .where(ProductRow.id == product_id, ProductRow.stock - ProductRow.reserved >= quantity)
                .values(reserved=ProductRow.reserved + quantity)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                held.append((product_id, quantity))
            else:
                short.append(product_id)
        if short:
            await _unhold(session, held)
            known = set((await session.scalars(select(ProductRow.id).where(ProductRow.id.in_(short)))).all())
            reason = "unknown product" if set(short) - known else "insufficient stock"
            session.add(
                StockReservationRow(
                    order_id=placed.order_id,
                    state=ReservationState.REJECTED.value,
                    lines="[]",
                    reason=reason,
                )
            )
            self._emit(session, env, StockRejected(placed.order_id, reason, tuple(sorted(short))))
            return
        session.add(
            StockReservationRow(
                order_id=placed.order_id, state=ReservationState.RESERVED.value, lines=json.dumps(held)
            )
        )
        self._emit(session, env, StockReserved(placed.order_id))
        await self.stock_low.taken(session, dict(held))

    async def release(self, session: AsyncSession, env: Envelope) -> None:
        event = env.payload
        order_id: int = event.order_id  # type: ignore[attr-defined]
        reason = f"{env.type}: {getattr(event, 'reason', '')}".strip(": ")[:200]
        row = await _reservation(session, order_id)
        if row is None:
            # The order's OrderPlaced has not been handled here yet: settle it now so it never holds anything.
            session.add(
                StockReservationRow(
                    order_id=order_id, state=ReservationState.RELEASED.value, lines="[]", reason=reason
                )
            )
            return
        state = ReservationState(row.state)
        if state is ReservationState.RESERVED:
            await _unhold(session, _lines(row))
            row.state, row.reason = ReservationState.RELEASED.value, reason
            self._emit(session, env, StockReleased(order_id))
        elif state is ReservationState.SOLD and isinstance(event, OrderCancelled):
            for product_id, quantity in _lines(row):
                await session.execute(
                    update(ProductRow)
                    .where(ProductRow.id == product_id)
                    .values(stock=ProductRow.stock + quantity)
                )
            row.state, row.reason = ReservationState.RETURNED.value, reason
            self._emit(session, env, StockReleased(order_id))
        # Anything else is settled already: a second release has no second effect.

    async def order_confirmed(self, session: AsyncSession, env: Envelope) -> None:
        confirmed: OrderConfirmed = env.payload  # type: ignore[assignment]
        row = await _reservation(session, confirmed.order_id)
        if row is None or row.state != ReservationState.RESERVED.value:
            state = row.state if row is not None else "nothing"
            if state in (ReservationState.SOLD.value, ReservationState.RELEASED.value):
                return  # sold already, or its cancellation was handled first (a redelivery came late)
            raise RejectEvent(f"order {confirmed.order_id} was confirmed but holds {state}")
        for product_id, quantity in _lines(row):
            await session.execute(
                update(ProductRow)
                .where(ProductRow.id == product_id)
                .values(stock=ProductRow.stock - quantity, reserved=ProductRow.reserved - quantity)
            )
        row.state = ReservationState.SOLD.value


async def _reservation(session: AsyncSession, order_id: int) -> StockReservationRow | None:
    # FOR UPDATE: on PostgreSQL a concurrent event of the same order waits for this transaction.
    stmt = select(StockReservationRow).where(StockReservationRow.order_id == order_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def _unhold(session: AsyncSession, lines: list[tuple[int, int]]) -> None:
    for product_id, quantity in lines:
        await session.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(reserved=ProductRow.reserved - quantity)
        )


def _lines(row: StockReservationRow) -> list[tuple[int, int]]:
    return [(int(p), int(q)) for p, q in json.loads(row.lines)]
