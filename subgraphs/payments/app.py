"""The payments service as an ASGI app."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database, database_url

from .loaders import Loaders
from .models import Base
from .schema import schema
from .seed import seed

__all__ = ["create_app"]


def create_app(
    database: Database | None = None, *, seed_data: bool = True, staff_token: str | None = None
) -> FastAPI:
    """The app; ``STAFF_TOKEN`` is the bearer token that lets a request refund (refunds are off without one)."""
    db = database or Database(database_url("payments"), Base)
    token = staff_token if staff_token is not None else os.environ.get("STAFF_TOKEN") or None

    def context(database: Database) -> dict[str, Any]:
        return {"db": database, "loaders": Loaders(database), "staff_token": token}

    return create_subgraph_app(
        name="payments", schema=schema, database=db, context=context, seed=seed if seed_data else None
    )
