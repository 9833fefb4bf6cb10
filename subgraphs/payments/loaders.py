"""Per-request batch loaders: payments of N orders, or pages of N users' payments, cost one SQL query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from subgraphs.common.db import Database
from subgraphs.common.pagination import pages_by_owner

from .models import PaymentRow

__all__ = ["Loaders", "PaymentPage", "PaymentPageKey"]


class PaymentPageKey(NamedTuple):
    user_id: int
    offset: int
    limit: int


class PaymentPage(NamedTuple):
    rows: list[PaymentRow]
    total: int


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.payment = DataLoader(self._payments)
        self.by_order = DataLoader(self._by_order)
        self.user_payments = DataLoader(self._user_payments)

    async def _payments(self, keys: Sequence[int]) -> list[PaymentRow | None]:
        async with self.db.session() as s:
            rows = (await s.scalars(select(PaymentRow).where(PaymentRow.id.in_(set(keys))))).all()
        by_id = {r.id: r for r in rows}
        return [by_id.get(k) for k in keys]

    async def _by_order(self, keys: Sequence[int]) -> list[PaymentRow | None]:
        async with self.db.session() as s:
            rows = (await s.scalars(select(PaymentRow).where(PaymentRow.order_id.in_(set(keys))))).all()
        by_order = {r.order_id: r for r in rows}
        return [by_order.get(k) for k in keys]

    async def _user_payments(self, keys: Sequence[PaymentPageKey]) -> list[PaymentPage]:
        """Pages of several users' payments, newest first: one windowed query per distinct (offset, limit)."""
        results: dict[PaymentPageKey, PaymentPage] = {}
        groups: dict[tuple[int, int], set[int]] = defaultdict(set)
        for k in keys:
            groups[(k.offset, k.limit)].add(k.user_id)
        order = (PaymentRow.created_at.desc(), PaymentRow.id.desc())
        async with self.db.session() as s:
            for (offset, limit), user_ids in groups.items():
                pages = await pages_by_owner(
                    s, PaymentRow, PaymentRow.user_id, order, user_ids, offset=offset, limit=limit
                )
                for uid, (rows, total) in pages.items():
                    results[PaymentPageKey(uid, offset, limit)] = PaymentPage(rows, total)
        return [results[k] for k in keys]
