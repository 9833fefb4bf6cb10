"""Per-request batch loaders: payments of N orders, or pages of N users' payments, cost one SQL query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import func, select
from strawberry.dataloader import DataLoader

from subgraphs.common.db import Database

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
        async with self.db.session() as s:
            for (offset, limit), user_ids in groups.items():
                position = (
                    func.row_number()
                    .over(
                        partition_by=PaymentRow.user_id,
                        order_by=(PaymentRow.created_at.desc(), PaymentRow.id.desc()),
                    )
                    .label("position")
                )
                total = func.count().over(partition_by=PaymentRow.user_id).label("total")
                inner = (
                    select(PaymentRow.id, PaymentRow.user_id, position, total)
                    .where(PaymentRow.user_id.in_(user_ids))
                    .subquery()
                )
                stmt = (
                    select(PaymentRow, inner.c.total)
                    .join(inner, inner.c.id == PaymentRow.id)
                    .where(inner.c.position > offset, inner.c.position <= offset + limit)
                    .order_by(inner.c.user_id, inner.c.position)
                )
                pages: dict[int, list[PaymentRow]] = defaultdict(list)
                totals: dict[int, int] = {}
                for row, n in (await s.execute(stmt)).all():
                    pages[row.user_id].append(row)
                    totals[row.user_id] = n
                missing = user_ids - totals.keys()
                if missing:
                    # Users whose page is empty (offset past the end) still need their total.
                    count_stmt = (
                        select(PaymentRow.user_id, func.count())
                        .where(PaymentRow.user_id.in_(missing))
                        .group_by(PaymentRow.user_id)
                    )
                    totals.update({uid: n for uid, n in (await s.execute(count_stmt)).all()})
                for uid in user_ids:
                    results[PaymentPageKey(uid, offset, limit)] = PaymentPage(
                        pages.get(uid, []), totals.get(uid, 0)
                    )
        return [results[k] for k in keys]
