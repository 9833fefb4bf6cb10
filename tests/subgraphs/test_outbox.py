"""The outbox and its relay on the real NATS JetStream and on SQLite and PostgreSQL.

Each test gets a uniquely named stream (deleted afterwards) and a fresh database. The fixtures here serve the
inbox tests too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Integer, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.common.inbox import EventConsumer, InboxMixin
from subgraphs.common.outbox import OutboxMixin, OutboxRelay, record

NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.nats


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


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(name="db", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_fixture(request, tmp_path) -> AsyncIterator[Database]:
    """A fresh database per test with an outbox, an inbox and an effects table."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'messaging.db'}"
    else:
        try:
            await _admin("SELECT 1")
        except Exception as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
        name = f"fed_messaging_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    database = Database(url, Base)
    await database.create_tables()
    try:
        yield database
    finally:
        await database.dispose()
        if name is not None:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Messaging:
    """A test's own stream and subjects on the real NATS, and a client to look at them."""

    url: str
    stream: str
    prefix: str
    dead_prefix: str
    js: JetStreamContext

    def relay(self, db: Database, cls: type[OutboxRelay] = OutboxRelay, **kwargs: Any) -> OutboxRelay:
        return cls(
            db,
            OutboxRow,
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
            InboxRow,
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


@pytest.fixture(name="messaging")
async def messaging_fixture() -> AsyncIterator[Messaging]:
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"NATS is not reachable at {NATS_URL}: {exc}")
    tag = uuid.uuid4().hex[:10]
    js = nc.jetstream()
    m = Messaging(NATS_URL, f"T_{tag}", f"t{tag}", f"d{tag}", js)
    # The stream exists before the test so that direct publishes land; relays and consumers find it there.
    await js.add_stream(name=m.stream, subjects=[f"{m.prefix}.>"], duplicate_window=120)
    try:
        yield m
    finally:
        for stream in (m.stream, f"{m.stream}_DEAD"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(stream)
        await nc.close()


async def count_confirmation(session, env: ev.Envelope) -> None:
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


async def unsent(db: Database) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None)))
            or 0
        )


async def confirm(db: Database, messaging: Messaging, order_id: int) -> ev.Envelope:
    """A state change and its event, in one transaction."""
    async with db.session() as s:
        env = record(
            s,
            OutboxRow,
            ev.OrderConfirmed(order_id),
            correlation_id=f"order-{order_id}",
            subject_prefix=messaging.prefix,
        )
        await s.commit()
    return env


# -- the outbox ------------------------------------------------------------------------------------------


async def test_record_is_part_of_the_callers_transaction(db, messaging):
    async with db.session() as s:
        record(s, OutboxRow, ev.OrderConfirmed(1), correlation_id="order-1")
        await s.rollback()
    assert await unsent(db) == 0
    env = await confirm(db, messaging, 2)
    async with db.session() as s:
        row = (await s.scalars(select(OutboxRow))).one()
    assert (row.event_id, row.type, row.version, row.subject) == (
        env.id,
        "OrderConfirmed",
        1,
        f"{messaging.prefix}.OrderConfirmed",
    )
    assert ev.decode(row.body.encode()) == env
    with pytest.raises(ValueError, match="correlation id"):
        record(s, OutboxRow, ev.OrderConfirmed(3))


async def test_relay_publishes_in_order_with_the_event_id_as_message_id(db, messaging):
    envs = [await confirm(db, messaging, i) for i in range(1, 6)]
    relay = messaging.relay(db)
    try:
        assert await relay.publish_pending() == 5
    finally:
        await relay.close()
    assert await unsent(db) == 0
    assert await messaging.messages() == 5
    for seq, env in enumerate(envs, start=1):
        msg = await messaging.js.get_msg(messaging.stream, seq)
        assert msg.headers["Nats-Msg-Id"] == env.id
        assert ev.decode(msg.data) == env


async def test_a_duplicate_publish_is_dropped_by_jetstream(db, messaging):
    await confirm(db, messaging, 1)
    relay = messaging.relay(db)
    try:
        await relay.publish_pending()
        async with db.session() as s:  # as if the row had never been marked sent
            await s.execute(update(OutboxRow).values(sent_at=None))
            await s.commit()
        assert await relay.publish_pending() == 1
    finally:
        await relay.close()
    assert await messaging.messages() == 1


class CrashAfterPublish(OutboxRelay):
    async def mark_sent(self, position: int) -> None:
        raise RuntimeError("relay died after the publish, before marking the row sent")


async def test_a_relay_crash_after_publish_causes_no_duplicate_effect(db, messaging):
    await confirm(db, messaging, 1)
    crashing = messaging.relay(db, CrashAfterPublish)
    with pytest.raises(RuntimeError):
        await crashing.publish_pending()
    await crashing.close()
    assert await unsent(db) == 1
    relay = messaging.relay(db)
    try:
        assert await relay.publish_pending() == 1  # published again on restart
    finally:
        await relay.close()
    assert await unsent(db) == 0 and await messaging.messages() == 1
    consumer = messaging.consumer(db)
    try:
        outcomes = await consumer.process_batch(wait=1.0)
        assert [o.value for o in outcomes] == ["processed"]
        assert await consumer.process_batch(wait=0.3) == []
    finally:
        await consumer.close()
    assert await effects(db, 1) == 1


class Proxy:
    """A TCP hop in front of NATS that can be stopped and started: the client sees NATS restart."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in list(self._writers):
            w.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def _until(predicate: Any, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_relay_survives_a_nats_restart(db, messaging):
    proxy = Proxy(int(NATS_URL.rsplit(":", 1)[1]))
    await proxy.start()
    relay = messaging.relay(
        db, servers=f"nats://127.0.0.1:{proxy.port}", poll_interval=0.05, max_backoff=0.5, publish_timeout=0.5
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await confirm(db, messaging, 1)
        assert await _until(lambda: _zero(unsent(db)), 10)
        await proxy.stop()  # NATS goes away
        await confirm(db, messaging, 2)
        await asyncio.sleep(1.0)
        assert await unsent(db) == 1  # not lost, not marked: waiting
        await proxy.start()  # and comes back on the same address
        assert await _until(lambda: _zero(unsent(db)), 20)
    finally:
        stop.set()
        await task
        await relay.close()
        with contextlib.suppress(Exception):
            await proxy.stop()
    assert await messaging.messages() == 2


async def _zero(value: Any) -> bool:
    return await value == 0
