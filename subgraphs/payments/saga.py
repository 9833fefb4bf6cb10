"""Payments' part in the order saga: what it does when orders says an order was placed, confirmed or cancelled.

- ``OrderPlaced`` -> a payment for the order, authorised at the provider: ``PaymentAuthorized`` (the pivot) or
  ``PaymentFailed`` (a decline, with its reason).
- ``OrderConfirmed`` -> the authorised amount is captured: ``PaymentCaptured``.
- ``OrderCancelled`` -> compensation: an authorisation is voided (``PaymentVoided``), a capture refunded
  (``PaymentRefunded``); a payment that never held money needs nothing.

Each handler runs in the inbox consumer's transaction (``subgraphs.common.inbox``): the payment row, its
outbox event and the inbox entry commit together; the provider is called before anything is written in it. Provider calls carry keys derived from the payment, so a
redelivery after a crash or a provider timeout reaches the provider as the same call and gets its first
answer. A provider that does not answer raises, and the event is redelivered with backoff.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events import (
    Envelope,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from subgraphs.common.inbox import Handler, RejectEvent
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX, record
from subgraphs.common.types import utcnow

from .models import OutboxRow, PaymentRow
from .provider import PaymentProvider, ProviderError
from .refunds import refund_key
from .states import IllegalTransition, PaymentState, check_transition

__all__ = ["CONSUMER_NAME", "SagaParticipant"]

CONSUMER_NAME = "payments-orders"


class SagaParticipant:
    """The handlers, by event type, for an ``EventConsumer``."""

    def __init__(self, provider: PaymentProvider, *, subject_prefix: str = DEFAULT_SUBJECT_PREFIX) -> None:
        self.provider = provider
        self.subject_prefix = subject_prefix

    def handlers(self) -> dict[str, Handler]:
        return {
            OrderPlaced.TYPE: self.order_placed,
            OrderConfirmed.TYPE: self.order_confirmed,
            OrderCancelled.TYPE: self.order_cancelled,
        }

    def _emit(self, session: AsyncSession, env: Envelope, event: Any) -> None:
        record(
            session, OutboxRow, event, correlation_id=env.correlation_id, subject_prefix=self.subject_prefix
        )

    async def order_placed(self, session: AsyncSession, env: Envelope) -> None:
        placed: OrderPlaced = env.payload  # type: ignore[assignment]
        if await _payment_of(session, placed.order_id) is not None:
            raise RejectEvent(f"order {placed.order_id} already has a payment")
        # The provider is called before this transaction writes anything: SQLite has one writer, and the
        # provider (the fake keeps its state in tables) must not wait for this transaction's lock.
        try:
            charge = await self.provider.authorize(
                amount_cents=placed.amount_cents,
                currency=placed.currency,
                card_number=placed.payment_token,
                idempotency_key=f"order-{placed.order_id}-authorize",
            )
            reference, state, reason = charge.reference, charge.state, charge.failure_code
        except ProviderError as exc:
            if exc.retryable:
                raise  # nothing is kept; the redelivery asks again under the same key
            reference, state, reason = None, PaymentState.FAILED, exc.code.lower()
        row = PaymentRow(
            order_id=placed.order_id,
            user_id=placed.user_id,
            amount_cents=placed.amount_cents,
            currency=placed.currency,
            state=PaymentState.PENDING.value,
            attempts=1,
        )
        _move(row, state)
        session.add(row)
        await session.flush()  # the payment's id, for the events
        row.provider_reference = reference
        if state is PaymentState.AUTHORIZED and reference is not None:
            self._emit(
                session,
                env,
                PaymentAuthorized(placed.order_id, row.id, row.amount_cents, row.currency, reference),
            )
        else:
            row.failure_reason = reason or "declined"
            self._emit(session, env, PaymentFailed(placed.order_id, row.id, row.failure_reason))

    async def order_confirmed(self, session: AsyncSession, env: Envelope) -> None:
        confirmed: OrderConfirmed = env.payload  # type: ignore[assignment]
        row = await _payment_of(session, confirmed.order_id)
        if row is None or row.provider_reference is None:
            raise RejectEvent(f"order {confirmed.order_id} has no payment to capture")
        if row.state == PaymentState.CAPTURED.value:
            return
        _move(row, PaymentState.CAPTURED)
        await self.provider.capture(row.provider_reference, idempotency_key=f"payment-{row.id}-capture")
        self._emit(session, env, PaymentCaptured(row.order_id, row.id, row.amount_cents, row.currency))

    async def order_cancelled(self, session: AsyncSession, env: Envelope) -> None:
        cancelled: OrderCancelled = env.payload  # type: ignore[assignment]
        row = await _payment_of(session, cancelled.order_id)
        if row is None or row.provider_reference is None:
            return  # nothing was held
        if row.state == PaymentState.AUTHORIZED.value:
            _move(row, PaymentState.VOIDED)
            await self.provider.void(row.provider_reference, idempotency_key=f"payment-{row.id}-void")
            self._emit(session, env, PaymentVoided(row.order_id, row.id))
        elif row.state == PaymentState.CAPTURED.value:
            _move(row, PaymentState.REFUNDED)
            row.refund_reason = cancelled.reason
            await self.provider.refund(row.provider_reference, idempotency_key=refund_key(row.id))
            self._emit(
                session,
                env,
                PaymentRefunded(row.order_id, row.id, row.amount_cents, row.currency, cancelled.reason),
            )


async def _payment_of(session: AsyncSession, order_id: int) -> PaymentRow | None:
    # FOR UPDATE: on PostgreSQL a concurrent change of the same payment waits for this transaction.
    stmt = select(PaymentRow).where(PaymentRow.order_id == order_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def _move(row: PaymentRow, target: PaymentState) -> None:
    try:
        check_transition(PaymentState(row.state), target)
    except IllegalTransition as exc:  # no retry will make it legal
        raise RejectEvent(f"payment {row.id}: {exc}") from None
    row.state = target.value
    row.updated_at = utcnow()
