"""Schema migrations of one service (Alembic): upgrade a database to the code's revision, say how far behind it is.

Each service keeps its scripts in ``subgraphs/<name>/migrations`` (``env.py`` calls ``run_env`` here with the
service's metadata; ``versions/`` holds the revisions) and a ``Migrations`` value naming them. The service
upgrades its database when it starts (unless ``MIGRATE_ON_START=false``), ``fedgw migrate`` does it on
demand, and ``/ready`` stays red while the database is behind. Replicas that start together take a lock
first (a PostgreSQL advisory lock; on SQLite a lock file beside the database), so one of them migrates and
the others find the database current. A database made before migrations existed (its tables there, no
revision recorded) is recorded at the initial revision when it has every table that revision creates,
then upgraded like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from .db import Database, sqlite_pragmas

__all__ = ["MigrationState", "Migrations", "migrate_on_start", "run_env"]

_TRUE = {"1", "true", "yes", "on"}


def migrate_on_start(environ: dict[str, str] | None = None) -> bool:
    """``MIGRATE_ON_START`` (default true): false leaves upgrading to ``fedgw migrate`` (``/ready`` red till then)."""
    env = os.environ if environ is None else environ
    return env.get("MIGRATE_ON_START", "true").strip().lower() in _TRUE


@dataclass(frozen=True)
class MigrationState:
    """Where a database stands against the code: the revisions applied and the ones the code expects."""

    service: str
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def is_current(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def reason(self) -> str | None:
        """Why the service is not ready, in an operator's words; None when current."""
        if self.is_current:
            return None
        have = ", ".join(self.current) or "no revision (empty database)"
        return (
            f"database of {self.service} is at {have}, the code expects {', '.join(self.heads)}: "
            f"run `fedgw migrate {self.service}`"
        )


def _configure(context: Any, connection: Connection, metadata: Sequence[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=list(metadata),
        # SQLite alters a table by copying it; autogenerate then writes migrations that work on both.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def _render_item(type_: str, obj: Any, _context: Any) -> str | bool:
    """A revision is frozen: our column types (``UTCDateTime``) are written as the SQL type they store."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_env(metadata: MetaData | Sequence[MetaData]) -> None:
    """The body of a service's ``env.py``: run the migrations on the connection ``Migrations`` hands over."""
    from alembic import context

    tables = [metadata] if isinstance(metadata, MetaData) else list(metadata)
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations with `fedgw migrate` (or Migrations.upgrade), which hand a connection"
        )
    _configure(context, connection, tables)
    with context.begin_transaction():
        context.run_migrations()


class Migrations:
    """One service's migration scripts and the metadata they must produce."""

    def __init__(self, service: str, directory: Path, metadata: MetaData | Sequence[MetaData]) -> None:
        self.service = service
        self.directory = directory
        self.metadata: tuple[MetaData, ...] = (
            (metadata,) if isinstance(metadata, MetaData) else tuple(metadata)
        )

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.attributes["connection"] = connection
        return config

    @cached_property
    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    @cached_property
    def heads(self) -> tuple[str, ...]:
        return tuple(sorted(self.script.get_heads()))

    def _baseline(self) -> tuple[str, tuple[str, ...]]:
        """The initial revision and the tables it creates (its module's ``TABLES``)."""
        (base,) = self.script.get_bases()
        revision = self.script.get_revision(base)
        assert revision is not None
        return base, tuple(getattr(revision.module, "TABLES", ()))

    async def state(self, db: Database) -> MigrationState:
        async with db.engine.connect() as conn:
            current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
        return MigrationState(self.service, tuple(sorted(current)), self.heads)

    async def upgrade(self, db: Database, revision: str = "head") -> MigrationState:
        """Bring ``db`` to ``revision`` (the code's by default) under the migration lock, in one transaction
        (all of it or nothing, on SQLite too); the state after."""
        async with _lock(db), _transactional(db) as engine, engine.begin() as conn:
            if db.url.startswith("postgresql"):
                # Held to the end of this transaction: a replica starting beside us waits, then finds it done.
                key = int.from_bytes(
                    hashlib.sha256(f"migrate:{self.service}".encode()).digest()[:8], "big", signed=True
                )
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            await conn.run_sync(self._upgrade, revision)
        return await self.state(db)

    def _upgrade(self, connection: Connection, revision: str) -> None:
        config = self.config(connection)
        if not MigrationContext.configure(connection).get_current_heads():
            existing = set(inspect(connection).get_table_names())
            base, tables = self._baseline()
            if existing & set(tables):
                missing = sorted(set(tables) - existing)
                if missing:
                    raise RuntimeError(
                        f"database of {self.service} has some of its tables but not {', '.join(missing)}, and "
                        "records no revision: it was not made by this service; move it aside or repair it"
                    )
                # Made by create_all before migrations existed: it is the initial revision.
                command.stamp(config, base)
        command.upgrade(config, revision)

    async def downgrade(self, db: Database, revision: str) -> MigrationState:
        async with _lock(db), _transactional(db) as engine, engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(self.config(c), revision))
        return await self.state(db)

    async def differences(self, db: Database) -> list[Any]:
        """What autogenerate sees between the database and the models: empty when the migrations match them."""

        def compare(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": list(self.metadata)}
            )
            return list(compare_metadata(context, list(self.metadata)))

        async with db.engine.connect() as conn:
            return await conn.run_sync(compare)


@contextlib.asynccontextmanager
async def _transactional(db: Database) -> AsyncIterator[AsyncEngine]:
    """An engine whose transactions take DDL in: PostgreSQL's do; SQLite's driver commits each CREATE or
    ALTER at once unless the transaction is begun by hand (SQLAlchemy's pysqlite recipe), so a migration that
    fails half-way (or a process killed during it) would leave half a schema behind."""
    if not db.is_sqlite:
        yield db.engine
        return
    engine = create_async_engine(db.url, poolclass=NullPool)

    @event.listens_for(engine.sync_engine, "connect")
    def _driver_leaves_transactions_to_us(dbapi_connection: Any, record: Any) -> None:
        # The service's own pragmas first (WAL above all: a journal mode differing from the service's engines
        # would have to be switched back under their feet, which SQLite refuses while anyone writes).
        sqlite_pragmas(dbapi_connection, record)
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_taking_the_write_lock(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        yield engine
    finally:
        await engine.dispose()


def _sqlite_file(db: Database) -> Path | None:
    database = db.engine.url.database
    if not db.is_sqlite or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@contextlib.asynccontextmanager
async def _lock(db: Database) -> AsyncIterator[None]:
    """On SQLite, an exclusive lock on ``<database>.migrate.lock`` (PostgreSQL locks inside the transaction)."""
    path = _sqlite_file(db)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = await asyncio.to_thread(open, path.with_name(path.name + ".migrate.lock"), "a+b")
    try:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
