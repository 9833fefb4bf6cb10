"""Per-request batch loaders: every fan-out (items of N orders, order counts of N users, ...) is one SQL query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, tuple_

from subgraphs.common.db import Database
from subgraphs.common.loaders import Loader
from subgraphs.common.pagination import pages_by_owner

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
        order = (OrderRow.placed_at.desc(), OrderRow.id.desc())
        async with self.db.session() as s:
            for (offset, limit, status), user_ids in groups.items():
                where = [OrderRow.status == status] if status is not None else []
                pages = await pages_by_owner(
                    s, OrderRow, OrderRow.user_id, order, user_ids, offset=offset, limit=limit, where=where
                )
                for uid, (rows, total) in pages.items():
                    results[OrderPageKey(uid, offset, limit, status)] = OrderPage(rows, total)
        return [results[k] for k in keys]


def _as_utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
