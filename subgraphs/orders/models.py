"""SQLAlchemy models of the orders service; no other service reads these tables.

Users and products are referred to by their keys only: the orders service never reads their tables, and copies
at order time just what an order must remember (the SKU and the unit price paid).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.types import KEY, UTCDateTime, utcnow

__all__ = ["Base", "OrderItemRow", "OrderRow"]


class Base(DeclarativeBase):
    pass


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (guest_email IS NULL)", name="one_customer"),
        Index("ix_orders_user_placed", "user_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(KEY, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(KEY, nullable=True)
    guest_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OrderItemRow(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[int] = mapped_column(KEY, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(KEY, index=True)
    sku: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
