"""SQLAlchemy models of the products service; no other service reads these tables.

``stock`` counts the units in the warehouse, ``reserved`` the part of them held for orders not yet confirmed;
what can still be sold is their difference. A confirmed order's units leave both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.inbox import InboxMixin
from subgraphs.common.outbox import OutboxMixin
from subgraphs.common.types import KEY, UTCDateTime, utcnow

__all__ = ["Base", "InboxRow", "OutboxRow", "ProductRow", "StockReservationRow"]


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= stock", name="reserved_within_stock"),
    )

    id: Mapped[int] = mapped_column(KEY, primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Money is kept in integer cents: exact, and the same on SQLite and PostgreSQL.
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(20), index=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    weight_grams: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[int | None] = mapped_column(KEY, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockReservationRow(Base):
    """What one order holds: its lines and where the hold is (RESERVED -> SOLD -> RETURNED, or RELEASED).

    A row is written even when nothing could be held (REJECTED) or when a release came before the order was
    seen (RELEASED): a late or redelivered ``OrderPlaced`` then finds the order settled and holds nothing.
    """

    __tablename__ = "stock_reservations"

    order_id: Mapped[int] = mapped_column(KEY, primary_key=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    # JSON list of [product_id, quantity]: the lines are only ever read and written whole.
    lines: Mapped[str] = mapped_column(Text, default="[]")
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxRow(OutboxMixin, Base):
    """Events of products' changes, written in the change's transaction (``subgraphs.common.outbox``)."""


class InboxRow(InboxMixin, Base):
    """Ids of the events products' consumers have handled (``subgraphs.common.inbox``)."""
