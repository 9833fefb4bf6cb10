"""Fixtures shared by every test: in-process services over fresh databases, SQL statement counting."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from subgraphs.common.db import Database

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class StatementLog:
    """SQL statements a database ran while ``capture()`` was active."""

    statements: list[str] = field(default_factory=list)
    active: bool = False

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[str]]:
        self.statements.clear()
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False

    def attach(self, db: Database) -> None:
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if self.active:
                self.statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", before)


STAFF = {"sub": "User:staff", "scope": "orders:manage products:manage users:manage"}


@dataclass
class Service:
    name: str
    app: FastAPI
    db: Database
    sql: StatementLog
    client: httpx.AsyncClient

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, *, claims: dict[str, Any] | None = STAFF
    ) -> dict[str, Any]:
        # Services check ownership from the gateway's claims header; these tests speak as staff by default.
        headers = {"x-claims": json.dumps(claims)} if claims is not None else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()


@contextlib.asynccontextmanager
async def running(name: str, app: FastAPI, db: Database) -> AsyncIterator[Service]:
    sql = StatementLog()
    sql.attach(db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            yield Service(name, app, db, sql, client)


@dataclass
class Services:
    users: Service
    products: Service
    orders: Service


@contextlib.asynccontextmanager
async def start_services(urls: dict[str, str]) -> AsyncIterator[Services]:
    """The three services in process, each on the database URL given for it, orders wired to the others."""
    from subgraphs.orders.app import create_app as orders_app
    from subgraphs.orders.models import Base as OrdersBase
    from subgraphs.products.app import create_app as products_app
    from subgraphs.products.models import Base as ProductsBase
    from subgraphs.users.app import create_app as users_app
    from subgraphs.users.models import Base as UsersBase

    users_db = Database(urls["users"], UsersBase)
    products_db = Database(urls["products"], ProductsBase)
    orders_db = Database(urls["orders"], OrdersBase)
    u_app = users_app(users_db)
    p_app = products_app(products_db)
    o_app = orders_app(
        orders_db,
        users_url="http://users/graphql",
        products_url="http://products/graphql",
        users_transport=httpx.ASGITransport(app=u_app),
        products_transport=httpx.ASGITransport(app=p_app),
    )
    async with (
        running("users", u_app, users_db) as users,
        running("products", p_app, products_db) as products,
        running("orders", o_app, orders_db) as orders,
    ):
        yield Services(users, products, orders)


@pytest.fixture(scope="session")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    """The three services on fresh SQLite files, seeded once for the whole run."""
    base: Path = tmp_path_factory.mktemp("sqlite")
    urls = {name: f"sqlite+aiosqlite:///{base / name}.db" for name in ("users", "products", "orders")}
    async with start_services(urls) as s:
        yield s


async def postgres_admin(sql: str) -> None:
    """Run one statement on the machine's PostgreSQL as the administrator (``TEST_POSTGRES_URL``)."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def require_postgres() -> None:
    """Skip the test when PostgreSQL is not reachable, except in CI, where it must be."""
    try:
        await postgres_admin("SELECT 1")
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")


@contextlib.asynccontextmanager
async def postgres_database(prefix: str = "fed") -> AsyncIterator[str]:
    """A fresh PostgreSQL database named ``<prefix>_<random>``, its URL, dropped afterwards (skips if none)."""
    await require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path, name: str) -> AsyncIterator[str]:
    """A new empty database's URL: a SQLite file in ``tmp_path``, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / name}.db"
        return
    async with postgres_database(f"fed_{name}") as url:
        yield url


# Parameters for a fixture that runs its tests on both databases (``request.param`` is the backend).
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
async def postgres_services() -> AsyncIterator[Services]:
    """The three services on the machine's PostgreSQL, a fresh database per service, dropped afterwards."""
    async with (
        postgres_database("fed_users") as users,
        postgres_database("fed_products") as products,
        postgres_database("fed_orders") as orders,
        start_services({"users": users, "products": products, "orders": orders}) as s,
    ):
        yield s
