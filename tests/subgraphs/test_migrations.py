"""Every service's Alembic migrations, on SQLite and the machine's PostgreSQL: they build exactly the models'
schema, a database upgraded in place keeps its rows, replicas starting together migrate once, and a service
whose database is behind its code says so on ``/ready``."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select, text

from subgraphs.common.db import Database
from subgraphs.common.migrations import Migrations
from tests.conftest import BACKENDS, fresh_database

SERVICES = ("users", "products", "orders", "payments")


def migrations_of(service: str) -> Migrations:
    return importlib.import_module(f"subgraphs.{service}.migrations").MIGRATIONS  # type: ignore[no-any-return]


def base_of(service: str) -> type:
    return importlib.import_module(f"subgraphs.{service}.models").Base  # type: ignore[no-any-return]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return str(request.param)


@pytest.fixture
async def database(backend, tmp_path, request) -> AsyncIterator[Database]:
    """An empty database for the service the test is parametrised with (``service``)."""
    service = request.node.callspec.params.get("service", "payments")
    async with fresh_database(backend, tmp_path, f"migrate_{service}") as url:
        db = Database(url, base_of(service))
        try:
            yield db
        finally:
            await db.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrations_build_exactly_the_models(database, service):
    migrations = migrations_of(service)
    before = await migrations.state(database)
    assert before.current == () and not before.is_current
    after = await migrations.upgrade(database)
    assert after.is_current and after.current == migrations.heads
    assert await migrations.differences(database) == []


@pytest.mark.parametrize("service", SERVICES)
async def test_a_database_behind_its_code_is_named_with_the_fix(database, service):
    state = await migrations_of(service).state(database)
    assert state.reason is not None
    assert f"database of {service}" in state.reason and f"fedgw migrate {service}" in state.reason


@pytest.mark.parametrize("service", ["payments"])
async def test_an_upgraded_database_keeps_its_rows(database, service):
    migrations = migrations_of(service)
    first = (await migrations.upgrade(database, "0001")).current
    assert first == ("0001",)
    # The comparison sees what 0002 and 0003 add: the index, and the outbox's trace context column.
    missing = await migrations.differences(database)
    assert any(m[0] == "add_index" and m[1].name == "ix_payments_created" for m in missing), missing
    assert any(m[0] == "add_column" and m[3].name == "trace_context" for m in missing), missing
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO payments (id, order_id, user_id, amount_cents, currency, state, attempts,"
                " created_at, updated_at) VALUES (:id, :order, 7, 4990, 'EUR', 'CAPTURED', 1, :at, :at)"
            ),
            [{"id": i, "order": 100 + i, "at": datetime(2026, 1, i, tzinfo=UTC)} for i in range(1, 6)],
        )

    def indexes(conn):
        return {ix["name"] for ix in inspect(conn).get_indexes("payments")}

    async with database.engine.connect() as conn:
        assert "ix_payments_created" not in await conn.run_sync(indexes)
    assert (await migrations.upgrade(database)).current == ("0003",)
    from subgraphs.payments.models import PaymentRow

    async with database.session() as s:
        rows = (await s.scalars(select(PaymentRow).order_by(PaymentRow.id))).all()
    assert [(r.id, r.order_id, r.amount_cents, r.state) for r in rows] == [
        (i, 100 + i, 4990, "CAPTURED") for i in range(1, 6)
    ]
    assert rows[0].created_at == datetime(2026, 1, 1, tzinfo=UTC)
    async with database.engine.connect() as conn:
        assert "ix_payments_created" in await conn.run_sync(indexes)
    assert await migrations.differences(database) == []
    # And back: the downgrade removes the index and still keeps the rows.
    await migrations.downgrade(database, "0001")
    async with database.session() as s:
        assert len((await s.scalars(select(PaymentRow))).all()) == 5


@pytest.mark.parametrize("service", ["users"])
async def test_a_database_made_before_migrations_is_adopted_with_its_rows(database, service):
    from subgraphs.users.models import UserRow

    await database.create_tables()  # how every service made its tables before it had migrations
    async with database.session() as s, s.begin():
        s.add(UserRow(id=1, name="Ada", email="ada@example.org", country="GB"))
    state = await migrations_of(service).upgrade(database)
    assert state.is_current
    async with database.session() as s:
        assert (await s.get(UserRow, 1)).name == "Ada"  # type: ignore[union-attr]


@pytest.mark.parametrize("service", ["orders"])
async def test_a_database_with_foreign_tables_is_refused(database, service):
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
    with pytest.raises(RuntimeError, match="has some of its tables but not"):
        await migrations_of(service).upgrade(database)


@pytest.mark.parametrize("service", ["orders"])
async def test_replicas_starting_together_migrate_once(database, service):
    migrations = migrations_of(service)
    replicas = [Database(database.url, base_of(service)) for _ in range(3)]
    try:
        states = await asyncio.gather(*(migrations.upgrade(db) for db in replicas))
    finally:
        for db in replicas:
            await db.dispose()
    assert all(s.is_current for s in states)
    assert await migrations.differences(database) == []


@pytest.mark.parametrize("service", ["users"])
async def test_ready_is_red_while_the_database_is_behind(database, service, monkeypatch):
    from subgraphs.users.app import create_app

    monkeypatch.setenv("MIGRATE_ON_START", "false")
    app = create_app(database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://users") as client:
            assert (await client.get("/health")).status_code == 200
            red = await client.get("/ready")
            assert red.status_code == 503
            body = red.json()
            assert body["status"] == "unavailable" and body["expected"] == ["0001"]
            assert "fedgw migrate users" in body["reason"]
            await migrations_of(service).upgrade(database)
            green = await client.get("/ready")
            assert green.status_code == 200 and green.json()["revision"] == ["0001"]


@pytest.mark.parametrize("service", ["products"])
async def test_a_service_migrates_when_it_starts(database, service, monkeypatch):
    from subgraphs.products.app import create_app

    monkeypatch.delenv("MIGRATE_ON_START", raising=False)
    app = create_app(database, seed_data=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://products"
        ) as client:
            assert (await client.get("/ready")).json()["status"] == "ok"
    assert (await migrations_of(service).state(database)).is_current


def test_fedgw_migrate_upgrades_and_reports(tmp_path, capsys, monkeypatch):
    from gateway.cli import main

    monkeypatch.delenv("DATABASE_URL", raising=False)
    data = str(tmp_path / "data")
    assert main(["migrate", "--status", "--data-dir", data, "payments"]) == 1  # behind: a gate for a deploy
    assert "payments   empty    behind (code: 0003)" in capsys.readouterr().out
    assert main(["migrate", "--data-dir", data, "--revision", "0001", "payments"]) == 0
    config = str(Path(__file__).resolve().parents[2] / "gateway.yaml")
    assert main(["migrate", "--config", config, "--data-dir", data]) == 0  # every service of gateway.yaml
    out = capsys.readouterr().out
    for line in ("users      0001     current", "payments   0003     current"):
        assert line in out
    assert main(["migrate", "--config", config, "--status", "--data-dir", data]) == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    assert (
        main(["migrate", "--config", config, "--data-dir", data]) == 2
    )  # one URL, several services: refused
    assert "name one service" in capsys.readouterr().err
    assert main(["migrate", "nosuch"]) == 2


async def test_ready_is_red_when_the_database_is_unreachable(tmp_path, monkeypatch):
    from subgraphs.users.app import create_app
    from subgraphs.users.models import Base

    monkeypatch.setenv("MIGRATE_ON_START", "false")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'users.db'}", Base)
    app = create_app(db, seed_data=False)
    async with app.router.lifespan_context(app):
        # The file goes away under the service (as a database server would): not ready, and why, without details.
        db.url = "sqlite+aiosqlite:////nonexistent/dir/users.db"
        await db.engine.dispose()
        from sqlalchemy.ext.asyncio import create_async_engine

        db.engine = create_async_engine(db.url)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://users"
        ) as client:
            response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "service": "users",
        "reason": "database not reachable",
    }


FAILING_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half", sa.Column("id", sa.Integer, primary_key=True))
    op.create_index("ix_half_id", "half", ["id"])
    raise RuntimeError("the second half of this migration fails")


def downgrade():
    op.drop_table("half")
"""


async def test_a_migration_that_fails_half_way_leaves_nothing_behind(backend, tmp_path):
    # DDL is in the migration's transaction on both databases: a crash or an error mid-way leaves the
    # database as it was, not with half a schema that no revision describes.
    from sqlalchemy import MetaData

    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(
        "from sqlalchemy import MetaData\nfrom subgraphs.common.migrations import run_env\nrun_env(MetaData())\n"
    )
    (scripts / "script.py.mako").write_text("")
    (scripts / "versions" / "0001_half.py").write_text(FAILING_REVISION)
    migrations = Migrations("half", scripts, MetaData())
    async with fresh_database(backend, tmp_path, "half") as url:
        db = Database(url, base_of("users"))
        try:
            with pytest.raises(RuntimeError, match="second half"):
                await migrations.upgrade(db)
            async with db.engine.connect() as conn:
                tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert "half" not in tables and "alembic_version" not in tables
            assert (await migrations.state(db)).current == ()
        finally:
            await db.dispose()
