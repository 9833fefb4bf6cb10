"""Per-request batch loaders: N products asked for by id or by sku cost one SQL query each way."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from subgraphs.common.db import Database
from subgraphs.common.loaders import Loader

from .models import ProductRow

__all__ = ["Loaders"]


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.product = Loader(self._by_id)
        self.product_by_sku = Loader(self._by_sku)

    async def _by_id(self, keys: Sequence[int]) -> list[ProductRow | None]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(ProductRow).where(ProductRow.id.in_(set(keys))))).all()
        by_id = {r.id: r for r in rows}
        return [by_id.get(k) for k in keys]

    async def _by_sku(self, keys: Sequence[str]) -> list[ProductRow | None]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(ProductRow).where(ProductRow.sku.in_(set(keys))))).all()
        by_sku = {r.sku: r for r in rows}
        return [by_sku.get(k) for k in keys]
