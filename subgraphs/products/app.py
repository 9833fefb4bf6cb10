"""The products service as an ASGI app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database, database_url

from .loaders import Loaders
from .migrations import MIGRATIONS
from .models import Base
from .saga import CONSUMER_NAME
from .schema import schema
from .seed import seed
from .stock_low import StockLow

__all__ = ["create_app"]


def create_app(
    database: Database | None = None, *, seed_data: bool = True, stock_low: StockLow | None = None
) -> FastAPI:
    """The app; ``LOW_STOCK_LEVEL`` and ``STOCK_LOW_SUBJECT`` say when and where a product running low is told."""
    db = database or Database(database_url("products"), Base)
    low = stock_low or StockLow.from_env()

    def context(database: Database) -> dict[str, Any]:
        return {"db": database, "loaders": Loaders(database), "stock_low": low}

    return create_subgraph_app(
        name="products",
        schema=schema,
        database=db,
        context=context,
        migrations=MIGRATIONS,
        seed=seed if seed_data else None,
        consumers=(CONSUMER_NAME,),
    )
