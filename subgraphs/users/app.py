"""The users service as an ASGI app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database, database_url

from .loaders import Loaders
from .migrations import MIGRATIONS
from .models import Base
from .schema import schema
from .seed import seed

__all__ = ["create_app"]


def _context(db: Database) -> dict[str, Any]:
    return {"db": db, "loaders": Loaders(db)}


def create_app(database: Database | None = None, *, seed_data: bool = True) -> FastAPI:
    db = database or Database(database_url("users"), Base)
    return create_subgraph_app(
        name="users",
        schema=schema,
        database=db,
        context=_context,
        migrations=MIGRATIONS,
        seed=seed if seed_data else None,
    )
