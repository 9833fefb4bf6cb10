"""The payments service as an ASGI app."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database, database_url

from .fake_provider import FakeProvider
from .loaders import Loaders
from .migrations import MIGRATIONS
from .models import Base
from .provider import PaymentProvider
from .saga import CONSUMER_NAME
from .schema import schema
from .seed import seed

__all__ = ["create_app"]


def create_app(
    database: Database | None = None,
    *,
    seed_data: bool = True,
    staff_token: str | None = None,
    provider: PaymentProvider | None = None,
) -> FastAPI:
    """The app; ``STAFF_TOKEN`` is the bearer token that lets a request refund (refunds are off without one).

    Without a ``provider``, the fake provider keeps its state in the service's database.
    """
    db = database or Database(database_url("payments"), Base)
    token = staff_token if staff_token is not None else os.environ.get("STAFF_TOKEN") or None
    chosen: PaymentProvider = provider if provider is not None else FakeProvider(db.engine)

    async def start(database: Database) -> None:
        # The fake provider's tables are in payments' migrations (its state lives in this database).
        fake = chosen if isinstance(chosen, FakeProvider) else None
        if seed_data:
            await seed(database, fake)

    def context(database: Database) -> dict[str, Any]:
        return {"db": database, "loaders": Loaders(database), "staff_token": token, "provider": chosen}

    app = create_subgraph_app(
        name="payments",
        schema=schema,
        database=db,
        context=context,
        migrations=MIGRATIONS,
        seed=start,
        consumers=(CONSUMER_NAME,),
    )
    app.state.provider = chosen
    return app
