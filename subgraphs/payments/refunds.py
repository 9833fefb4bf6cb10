"""Refunding a payment: the state machine decides, and a concurrent change is refused, not lost."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from subgraphs.common.errors import CONFLICT, UserInputError
from subgraphs.common.types import utcnow

from .models import PaymentRow
from .states import IllegalTransition, PaymentState, check_transition

__all__ = ["refund_payment"]


async def refund_payment(context: dict[str, Any], pk: int, reason: str | None) -> PaymentRow | None:
    """Move payment ``pk`` from CAPTURED to REFUNDED; None when there is no such payment."""
    async with context["db"].session() as s:
        row = await s.get(PaymentRow, pk)
        if row is None:
            return None
        current = PaymentState(row.state)
        try:
            check_transition(current, PaymentState.REFUNDED)
        except IllegalTransition as exc:
            raise UserInputError(str(exc), code="INVALID_TRANSITION", argument="id") from None
        now = utcnow()
        result = await s.execute(
            update(PaymentRow)
            .where(PaymentRow.id == pk, PaymentRow.state == current.value)
            .values(state=PaymentState.REFUNDED.value, refund_reason=reason, updated_at=now)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise UserInputError(
                "The payment changed meanwhile; read it again.", code=CONFLICT, argument="id"
            )
        await s.commit()
        row.state, row.refund_reason, row.updated_at = PaymentState.REFUNDED.value, reason, now
    return row
