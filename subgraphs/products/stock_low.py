"""Telling that a product runs low: when the units still for sale (``stock - reserved``) fall below the low-stock
level, an entity notification ``{"__typename": "Product", "id": "Product:7"}`` goes out on the subject the
gateway's event-driven ``stockLow`` subscription reads (``schema/inventory-events.graphql``).

Once per crossing: a notification is written when a change takes a product from at or above the level to
below it, in that change's transaction (a hold for an order in the saga, ``adjustStock`` taking units away),
not again while it stays below, and again after it was restocked and falls once more.

``LOW_STOCK_LEVEL`` (default 5) and ``STOCK_LOW_SUBJECT`` (default ``products.stockLow``, which must be the
subject the event-driven subgraph's SDL names, and must lie outside the event stream's ``events.>``, lest the
stream keep the notifications as if they were events) configure it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.ids import encode_id
from subgraphs.common.notifications import notify

from .models import OutboxRow, ProductRow

__all__ = ["DEFAULT_LEVEL", "DEFAULT_SUBJECT", "StockLow"]

DEFAULT_LEVEL = 5
DEFAULT_SUBJECT = "products.stockLow"


@dataclass(frozen=True)
class StockLow:
    level: int = DEFAULT_LEVEL
    subject: str = DEFAULT_SUBJECT

    @classmethod
    def from_env(cls) -> StockLow:
        return cls(
            int(os.environ.get("LOW_STOCK_LEVEL", DEFAULT_LEVEL)),
            os.environ.get("STOCK_LOW_SUBJECT", DEFAULT_SUBJECT),
        )

    async def taken(self, session: AsyncSession, taken: Mapping[int, int]) -> list[int]:
        """After ``taken[product_id]`` units stopped being for sale in ``session``'s transaction: notify of the
        products that fell below the level with it; their ids."""
        if not taken:
            return []
        stmt = select(ProductRow.id, ProductRow.stock - ProductRow.reserved).where(ProductRow.id.in_(taken))
        low = []
        for product_id, available in (await session.execute(stmt)).all():
            if available < self.level <= available + taken[product_id]:
                notify(session, OutboxRow, self.subject, "Product", {"id": encode_id("Product", product_id)})
                low.append(product_id)
        return sorted(low)
