"""The outbox and its relay on the real NATS JetStream and on SQLite and PostgreSQL.

Each test gets a uniquely named stream (deleted afterwards) and a fresh database (the fixtures ``messaging``
and ``db``, in this folder's conftest).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import func, select, update

from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.common.outbox import OutboxRelay, record

from .messaging import NATS_URL, Messaging, OutboxRow, effects

pytestmark = pytest.mark.nats


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
