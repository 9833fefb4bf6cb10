"""``fedgw events`` on the real NATS: a stream's consumers with their lag, a dead letter with its reason, and
a service's outbox backlog read from its SQLite file."""

from __future__ import annotations

import pytest

from gateway.commands.events import _report
from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.common.outbox import record
from subgraphs.orders.migrations import MIGRATIONS
from subgraphs.orders.models import Base, OutboxRow

from .messaging import Messaging

pytestmark = pytest.mark.nats


async def test_events_shows_lag_dead_letters_and_the_outbox_backlog(messaging: Messaging, tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}", Base)
    await MIGRATIONS.upgrade(db)
    async with db.session() as s, s.begin():
        record(s, OutboxRow, ev.OrderConfirmed(9), correlation_id="order-9")
    await db.dispose()

    async def reject(_session, _env):
        from subgraphs.common.inbox import RejectEvent

        raise RejectEvent("order 1 is unknown here")

    from .messaging import Base as TestBase

    cdb = Database(f"sqlite+aiosqlite:///{tmp_path / 'consumer.db'}", TestBase)
    await cdb.create_tables()
    consumer = messaging.consumer(cdb, name="lagging", handlers={"OrderConfirmed": reject})
    try:
        await consumer.start()
        for n in (1, 2, 3):
            await messaging.publish(ev.envelope(ev.OrderConfirmed(n), correlation_id=f"order-{n}"))
        consumer.batch_size = 1
        await consumer.process_batch(wait=2)  # one handled (dead-lettered), two waiting
    finally:
        await consumer.close()
        await cdb.dispose()
    text = "\n".join(await _report(messaging.url, messaging.stream, ["orders", "users"], tmp_path, 5))
    assert f"{messaging.stream} " in text and "messages 3" in text
    (line,) = [x for x in text.splitlines() if x.strip().startswith("lagging")]
    assert "pending 2" in line and "ack pending 0" in line
    assert f"{messaging.dead_prefix}.lagging" in text and "rejected: order 1 is unknown here" in text
    assert "orders       1 unsent" in text
    assert "users        no database" in text
