"""Refunding a payment: the state machine decides, the provider gives the money back, then the row moves.

The provider is called with a key derived from the payment, so a retried or concurrent refund of the same
payment reaches the provider as one refund; a concurrent change of the row is refused, not lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from subgraphs.common.errors import CONFLICT, UserInputError
from subgraphs.common.events import PaymentRefunded
from subgraphs.common.outbox import record
from subgraphs.common.types import utcnow

from .models import OutboxRow, PaymentRow
from .provider import PaymentProvider, ProviderError
from .states import IllegalTransition, PaymentState, check_transition

__all__ = ["PROVIDER_REFUSED", "PROVIDER_UNAVAILABLE", "refund_key", "refund_payment"]

PROVIDER_REFUSED = "PAYMENT_PROVIDER_REFUSED"
PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"


def refund_key(pk: int) -> str:
    """One key per payment: a staff refund and a compensating refund are the same refund at the provider."""
    return f"payment-{pk}-refund"


async def refund_payment(context: dict[str, Any], pk: int, reason: str | None) -> PaymentRow | None:
    """Move payment ``pk`` from CAPTURED to REFUNDED; None when there is no such payment."""
    provider: PaymentProvider = context["provider"]
    async with context["db"].session() as s:
        row = await s.get(PaymentRow, pk)
    if row is None:
        return None
    current = PaymentState(row.state)
    try:
        check_transition(current, PaymentState.REFUNDED)
    except IllegalTransition as exc:
        raise UserInputError(str(exc), code="INVALID_TRANSITION", argument="id") from None
    if row.provider_reference is None:  # a captured payment always has one; say so rather than guess
        raise UserInputError("The payment has no provider reference to refund.", code=PROVIDER_REFUSED)
    try:
        await provider.refund(row.provider_reference, idempotency_key=refund_key(pk))
    except ProviderError as exc:
        if exc.retryable:
            raise UserInputError(
                "The payment provider did not answer; nothing changed, try again.",
                code=PROVIDER_UNAVAILABLE,
                reason=exc.code,
            ) from None
        raise UserInputError(
            f"The payment provider refused the refund: {exc.message}", code=PROVIDER_REFUSED, reason=exc.code
        ) from None
    now = utcnow()
    async with context["db"].session() as s:
        result = await s.execute(
            update(PaymentRow)
            .where(PaymentRow.id == pk, PaymentRow.state == current.value)
            .values(state=PaymentState.REFUNDED.value, refund_reason=reason, updated_at=now)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise UserInputError(
                "The payment changed meanwhile; read it again.", code=CONFLICT, argument="id"
            )
        record(
            s,
            OutboxRow,
            PaymentRefunded(row.order_id, pk, row.amount_cents, row.currency, reason),
            correlation_id=f"order-{row.order_id}",
        )
        await s.commit()
    row.state, row.refund_reason, row.updated_at = PaymentState.REFUNDED.value, reason, now
    return row
