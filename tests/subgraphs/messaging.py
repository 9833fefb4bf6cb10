"""What the messaging tests share: a test's own stream on the real NATS, and a database with an outbox, an inbox
and an effects table (the fixtures ``messaging`` and ``db`` in this folder's conftest)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.common.inbox import EventConsumer, InboxMixin
from subgraphs.common.outbox import OutboxMixin, OutboxRelay
from tests.conftest import fresh_database

__all__ = [
    "NATS_URL",
    "Base",
    "EffectRow",
    "InboxRow",
    "Messaging",
    "OutboxRow",
    "count_confirmation",
    "effects",
    "messaging_database",
    "open_messaging",
]

NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")


class Base(DeclarativeBase):
    pass


class OutboxRow(OutboxMixin, Base):
    pass


class InboxRow(InboxMixin, Base):
    pass


class EffectRow(Base):
    """What the test consumer does: count confirmations per order, so a second effect shows."""

    __tablename__ = "effects"
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


async def count_confirmation(session: Any, env: ev.Envelope) -> None:
    order_id = env.payload.order_id  # type: ignore[attr-defined]
    row = await session.get(EffectRow, order_id)
    if row is None:
        session.add(EffectRow(order_id=order_id, count=1))
    else:
        row.count += 1


async def effects(db: Database, order_id: int) -> int:
    async with db.session() as s:
        row = await s.get(EffectRow, order_id)
        return row.count if row is not None else 0


def _model(db: Database, mixin: type) -> Any:
    """``db``'s own outbox or inbox model (the one of its declarative base that mixes ``mixin`` in)."""
    return next(m.class_ for m in db.base.registry.mappers if issubclass(m.class_, mixin))


@dataclass
class Messaging:
    """A test's own stream and subjects on the real NATS, and a client to look at them."""

    url: str
    stream: str
    prefix: str
    dead_prefix: str
    js: JetStreamContext
    nc: NATS

    def relay(self, db: Database, cls: type[OutboxRelay] = OutboxRelay, **kwargs: Any) -> OutboxRelay:
        return cls(
            db,
            _model(db, OutboxMixin),
            servers=kwargs.pop("servers", self.url),
            stream=self.stream,
            subject_prefix=self.prefix,
            **kwargs,
        )

    def consumer(
        self, db: Database, cls: type[EventConsumer] = EventConsumer, *, name: str = "test", **kwargs: Any
    ) -> EventConsumer:
        kwargs.setdefault("handlers", {"OrderConfirmed": count_confirmation})
        return cls(
            db,
            _model(db, InboxMixin),
            name=name,
            servers=self.url,
            stream=self.stream,
            subject_prefix=self.prefix,
            dead_letter_prefix=self.dead_prefix,
            **kwargs,
        )

    async def messages(self, stream: str | None = None) -> int:
        return int((await self.js.stream_info(stream or self.stream)).state.messages)

    async def publish(self, env: ev.Envelope, msg_id: str | None = None) -> None:
        """Publish straight to the stream, as a relay would (``msg_id`` other than the event id: a copy)."""
        await self.js.publish(
            f"{self.prefix}.{env.type}", ev.encode(env), headers={"Nats-Msg-Id": msg_id or env.id}
        )


@contextlib.asynccontextmanager
async def open_messaging() -> AsyncIterator[Messaging]:
    """A uniquely named stream (and its dead-letter stream) on the real NATS, deleted afterwards."""
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"NATS is not reachable at {NATS_URL}: {exc}")
    tag = uuid.uuid4().hex[:10]
    js = nc.jetstream()
    m = Messaging(NATS_URL, f"T_{tag}", f"t{tag}", f"d{tag}", js, nc)
    # The stream exists before the test so that direct publishes land; relays and consumers find it there.
    await js.add_stream(name=m.stream, subjects=[f"{m.prefix}.>"], duplicate_window=120)
    try:
        yield m
    finally:
        for stream in (m.stream, f"{m.stream}_DEAD"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(stream)
        await nc.close()


@contextlib.asynccontextmanager
async def messaging_database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database (SQLite or PostgreSQL) with the test outbox, inbox and effects tables."""
    async with fresh_database(backend, tmp_path, "messaging") as url:
        database = Database(url, Base)
        await database.create_tables()
        try:
            yield database
        finally:
            await database.dispose()
