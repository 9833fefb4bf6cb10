"""Per-request batch loaders: every fan-out (items of N orders, order counts of N users, ...) is one SQL query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, tuple_

from subgraphs.common.db import Database
from subgraphs.common.loaders import Loader

from .models import OrderItemRow, OrderRow

__all__ = ["Loaders", "OrderPage", "OrderPageKey"]


class OrderPageKey(NamedTuple):
    user_id: int
    offset: int
    limit: int
    status: str | None


class OrderPage(NamedTuple):
    rows: list[OrderRow]
    total: int


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.order = Loader(self._orders)
        self.items = Loader(self._items)
        self.item = Loader(self._item)
        self.order_count = Loader(self._order_counts)
        self.last_order_at = Loader(self._last_order_at)
        self.times_ordered = Loader(self._times_ordered)
        self.user_orders = Loader(self._user_orders)

    async def _orders(self, keys: Sequence[int]) -> list[OrderRow | None]:
        async with self.db.session() as s:
            rows = (await s.scalars(select(OrderRow).where(OrderRow.id.in_(set(keys))))).all()
        by_id = {r.id: r for r in rows}
        return [by_id.get(k) for k in keys]

    async def _items(self, keys: Sequence[int]) -> list[list[OrderItemRow]]:
        async with self.db.session() as s:
            stmt = (
                select(OrderItemRow).where(OrderItemRow.order_id.in_(set(keys))).order_by(OrderItemRow.line)
            )
            rows = (await s.scalars(stmt)).all()
        grouped: dict[int, list[OrderItemRow]] = defaultdict(list)
        for r in rows:
            grouped[r.order_id].append(r)
        return [grouped.get(k, []) for k in keys]

    async def _item(self, keys: Sequence[tuple[int, int]]) -> list[tuple[OrderItemRow, str] | None]:
        """Order lines by (order id, line), with their order's currency (one joined query)."""
        async with self.db.session() as s:
            stmt = (
                select(OrderItemRow, OrderRow.currency)
                .join(OrderRow, OrderRow.id == OrderItemRow.order_id)
                .where(tuple_(OrderItemRow.order_id, OrderItemRow.line).in_(set(keys)))
            )
            rows = (await s.execute(stmt)).all()
        by_key = {(r.order_id, r.line): (r, currency) for r, currency in rows}
        return [by_key.get(k) for k in keys]

    async def _order_counts(self, keys: Sequence[int]) -> list[int]:
        async with self.db.session() as s:
            stmt = (
                select(OrderRow.user_id, func.count())
                .where(OrderRow.user_id.in_(set(keys)))
                .group_by(OrderRow.user_id)
            )
            counts = {uid: n for uid, n in (await s.execute(stmt)).all()}
        return [counts.get(k, 0) for k in keys]

    async def _last_order_at(self, keys: Sequence[int]) -> list[datetime | None]:
        async with self.db.session() as s:
            stmt = (
                select(OrderRow.user_id, func.max(OrderRow.placed_at))
                .where(OrderRow.user_id.in_(set(keys)))
                .group_by(OrderRow.user_id)
            )
            last = {uid: at for uid, at in (await s.execute(stmt)).all()}
        return [_as_utc(last.get(k)) for k in keys]

    async def _times_ordered(self, keys: Sequence[int]) -> list[int]:
        async with self.db.session() as s:
            stmt = (
                select(OrderItemRow.product_id, func.sum(OrderItemRow.quantity))
                .where(OrderItemRow.product_id.in_(set(keys)))
                .group_by(OrderItemRow.product_id)
            )
            sums = {pid: int(n) for pid, n in (await s.execute(stmt)).all()}
        return [sums.get(k, 0) for k in keys]

    async def _user_orders(self, keys: Sequence[OrderPageKey]) -> list[OrderPage]:
        """Pages of several users' orders: one windowed query per distinct (offset, limit, status)."""
        results: dict[OrderPageKey, OrderPage] = {}
        groups: dict[tuple[int, int, str | None], set[int]] = defaultdict(set)
        for k in keys:
            groups[(k.offset, k.limit, k.status)].add(k.user_id)
        async with self.db.session() as s:
            for (offset, limit, status), user_ids in groups.items():
                where = [OrderRow.user_id.in_(user_ids)]
                if status is not None:
                    where.append(OrderRow.status == status)
                position = (
                    func.row_number()
                    .over(
                        partition_by=OrderRow.user_id,
                        order_by=(OrderRow.placed_at.desc(), OrderRow.id.desc()),
                    )
                    .label("position")
                )
                total = func.count().over(partition_by=OrderRow.user_id).label("total")
                inner = select(OrderRow.id, OrderRow.user_id, position, total).where(*where).subquery()
                stmt = (
                    select(OrderRow, inner.c.total)
                    .join(inner, inner.c.id == OrderRow.id)
                    .where(inner.c.position > offset, inner.c.position <= offset + limit)
                    .order_by(inner.c.user_id, inner.c.position)
                )
                pages: dict[int, list[OrderRow]] = defaultdict(list)
                totals: dict[int, int] = {}
                for row, n in (await s.execute(stmt)).all():
                    pages[row.user_id].append(row)
                    totals[row.user_id] = n
                missing = user_ids - totals.keys()
                if missing:
                    # Users whose page is empty (offset past the end) still need their total.
                    count_stmt = (
                        select(OrderRow.user_id, func.count())
                        .where(OrderRow.user_id.in_(missing), *where[1:])
                        .group_by(OrderRow.user_id)
                    )
                    totals.update({uid: n for uid, n in (await s.execute(count_stmt)).all()})
                for uid in user_ids:
                    results[OrderPageKey(uid, offset, limit, status)] = OrderPage(
                        pages.get(uid, []), totals.get(uid, 0)
                    )
        return [results[k] for k in keys]


def _as_utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
