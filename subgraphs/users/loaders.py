"""Per-request batch loaders: N users asked for in one request cost one SQL query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from subgraphs.common.db import Database
from subgraphs.common.loaders import Loader

from .models import UserRow

__all__ = ["Loaders"]


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.user = Loader(self._load_users)

    async def _load_users(self, keys: Sequence[int]) -> list[UserRow | None]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(UserRow).where(UserRow.id.in_(set(keys))))).all()
        by_id = {r.id: r for r in rows}
        return [by_id.get(k) for k in keys]
