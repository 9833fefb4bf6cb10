"""Database engine and session setup for one service: SQLite file by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Database", "database_url", "normalise_url", "sqlite_pragmas"]

DATA_DIR = Path(os.environ.get("DATA_DIR", Path.cwd() / "data"))


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL: ``postgresql://`` -> asyncpg, ``sqlite://`` -> aiosqlite."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def database_url(service: str) -> str:
    """The service's database: ``DATABASE_URL`` if set, else ``data/<service>.db`` (SQLite)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{DATA_DIR / f'{service}.db'}"


class Database:
    """One service's engine, session factory and metadata; the only way a service touches storage."""

    def __init__(self, url: str, base: type[DeclarativeBase], *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.base = base
        kwargs: dict[str, object] = {"echo": echo}
        if self.url.startswith("postgresql"):
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    async def create_tables(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.base.metadata.create_all)

    async def drop_tables(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.base.metadata.drop_all)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers run while a writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
