"""SQLAlchemy models of the payments service; no other service reads these tables.

Orders and users are referred to by their keys only. A payment copies what it charges (amount and currency) at
the time it is made, as a payment provider would.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.inbox import InboxMixin
from subgraphs.common.outbox import OutboxMixin
from subgraphs.common.types import UTCDateTime, utcnow

__all__ = ["Base", "InboxRow", "OutboxRow", "PaymentRow"]


class Base(DeclarativeBase):
    pass


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_payments_user_created", "user_id", "created_at"),
        # ``payments`` pages newest first: the index gives a page without sorting every payment.
        Index("ix_payments_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One payment per order: further tries are counted in ``attempts``, not new rows.
    order_id: Mapped[int] = mapped_column(Integer, unique=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(12), index=True)
    provider_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    refund_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxRow(OutboxMixin, Base):
    """Events of payments' changes, written in the change's transaction (``subgraphs.common.outbox``)."""


class InboxRow(InboxMixin, Base):
    """Ids of the events payments' consumers have handled (``subgraphs.common.inbox``)."""
