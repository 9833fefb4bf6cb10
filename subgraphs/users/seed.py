"""Deterministic seed data for the users service: loaded once, when the table is empty."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from subgraphs.common.db import Database
from subgraphs.common.demo import SEED_EPOCH, USER_COUNT

from .models import UserRow

__all__ = ["seed"]

_FIRST = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Frances",
    "John",
)
_LAST = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Lee",
)
_CITIES = (
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("London", "GB"),
    ("Madrid", "ES"),
    ("Boston", "US"),
    ("Rome", "IT"),
)


def user_rows(count: int = USER_COUNT) -> list[dict[str, object]]:
    rng = random.Random(1)
    rows = []
    for pk in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, country = rng.choice(_CITIES)
        rows.append(
            {
                "id": pk,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{pk}@example.com",
                "created_at": SEED_EPOCH + timedelta(minutes=17 * pk),
                "street": f"{rng.randrange(1, 200)} Main Street",
                "city": city,
                "postal_code": f"{rng.randrange(10000, 99999)}",
                "country": country,
                "last_order_at": None,
            }
        )
    return rows


async def seed(db: Database) -> None:
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(UserRow)):
            return
        await session.execute(insert(UserRow), user_rows())
        await session.commit()
    if not db.is_sqlite:
        # Explicit ids leave the PostgreSQL sequence behind; move it past them so new users get fresh ids.
        async with db.engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))")
            )
