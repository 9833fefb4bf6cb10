"""Deterministic seed data for the products service: loaded once, when the table is empty."""

from __future__ import annotations

from sqlalchemy import func, insert, select, text

from subgraphs.common.db import Database
from subgraphs.common.demo import PRODUCT_COUNT, USER_COUNT, product_facts

from .models import ProductRow

__all__ = ["seed"]


def product_rows(count: int = PRODUCT_COUNT) -> list[dict[str, object]]:
    rows = []
    for pk in range(1, count + 1):
        facts = product_facts(pk)
        rows.append(
            {
                **facts,
                "description": f"{facts['name']}: a fine {str(facts['category']).lower()} item.",
                "added_by": (pk * 7) % USER_COUNT + 1,
            }
        )
    return rows


async def seed(db: Database) -> None:
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(ProductRow)):
            return
        await session.execute(insert(ProductRow), product_rows())
        await session.commit()
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products))"
                )
            )
