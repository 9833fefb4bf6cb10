"""The orders service as an ASGI app."""

from __future__ import annotations

import os
from typing import Any

import httpx
from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database, database_url
from subgraphs.common.entities import EntityClient
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX

from .live import order_events
from .loaders import Loaders
from .migrations import MIGRATIONS
from .models import Base
from .owners import Owners
from .saga import CONSUMER_NAME
from .schema import schema
from .seed import seed

__all__ = ["create_app"]


def create_app(
    database: Database | None = None,
    *,
    seed_data: bool = True,
    products_url: str | None = None,
    users_url: str | None = None,
    products_transport: httpx.AsyncBaseTransport | None = None,
    users_transport: httpx.AsyncBaseTransport | None = None,
    event_subject_prefix: str | None = None,
    nats_url: str | None = None,
) -> FastAPI:
    """The app; ``PRODUCTS_URL``/``USERS_URL`` say where the services that orders are checked against live,
    ``EVENTS_SUBJECT_PREFIX`` (default ``events``) where its events are published, ``NATS_URL`` where the
    subscriptions read them back."""
    db = database or Database(database_url("orders"), Base)
    products = EntityClient(
        "products",
        products_url or os.environ.get("PRODUCTS_URL", "http://127.0.0.1:4002/graphql"),
        transport=products_transport,
    )
    users = EntityClient(
        "users",
        users_url or os.environ.get("USERS_URL", "http://127.0.0.1:4001/graphql"),
        transport=users_transport,
    )

    prefix = event_subject_prefix or os.environ.get("EVENTS_SUBJECT_PREFIX", DEFAULT_SUBJECT_PREFIX)
    live = order_events(prefix, nats_url)

    def context(database: Database) -> dict[str, Any]:
        return {
            "db": database,
            "loaders": Loaders(database),
            "owners": Owners(users=users, products=products),
            "products": products,
            "users": users,
            "event_subject_prefix": prefix,
            "live": live,
        }

    return create_subgraph_app(
        name="orders",
        schema=schema,
        database=db,
        context=context,
        migrations=MIGRATIONS,
        seed=seed if seed_data else None,
        consumers=(CONSUMER_NAME,),
        live=live,
    )
