"""Payments in the order saga, on the real NATS JetStream and on SQLite and PostgreSQL: order events in,
payment events out, each with one effect whatever is redelivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.common.inbox import EventConsumer, Outcome
from subgraphs.payments.fake_provider import ChargeRow, FakeProvider, Fault
from subgraphs.payments.migrations import MIGRATIONS
from subgraphs.payments.models import Base, InboxRow, OutboxRow, PaymentRow
from subgraphs.payments.saga import CONSUMER_NAME, SagaParticipant
from subgraphs.payments.worker import run_worker
from tests.conftest import BACKENDS, fresh_database

from .messaging import Messaging
from .test_inbox import drain

pytestmark = pytest.mark.nats

OK_CARD = "4242424242424242"


@pytest.fixture(params=BACKENDS)
async def db(request, tmp_path) -> AsyncIterator[Database]:
    """Payments' own database, migrated (the fake provider's tables come with it)."""
    async with fresh_database(request.param, tmp_path, "payments") as url:
        database = Database(url, Base)
        await MIGRATIONS.upgrade(database)
        try:
            yield database
        finally:
            await database.dispose()


@pytest.fixture
def provider(db) -> FakeProvider:
    return FakeProvider(db.engine)


def consumer(db: Database, messaging: Messaging, provider: FakeProvider) -> EventConsumer:
    return messaging.consumer(
        db,
        name=CONSUMER_NAME,
        handlers=SagaParticipant(provider, subject_prefix=messaging.prefix).handlers(),
        backoff=(0.2,),
    )


def placed(order_id: int, card: str = OK_CARD, amount: int = 4_990) -> ev.Envelope:
    event = ev.OrderPlaced(order_id, 7, amount, "EUR", (ev.OrderLine(1, 1),), card)
    return ev.envelope(event, correlation_id=f"order-{order_id}")


async def payment(db: Database, order_id: int) -> PaymentRow:
    async with db.session() as s:
        return (await s.scalars(select(PaymentRow).where(PaymentRow.order_id == order_id))).one()


async def outbox(db: Database) -> list[ev.Envelope]:
    async with db.session() as s:
        rows = (await s.scalars(select(OutboxRow).order_by(OutboxRow.position))).all()
    return [ev.decode(r.body.encode()) for r in rows]


async def charges(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(ChargeRow)) or 0)


async def test_an_order_placed_is_authorised_and_said_so(db, messaging, provider):
    env = placed(1)
    await messaging.publish(env)
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 1) == [Outcome.PROCESSED]
    finally:
        await c.close()
    row = await payment(db, 1)
    assert (row.state, row.amount_cents, row.user_id, row.attempts) == ("AUTHORIZED", 4_990, 7, 1)
    (out,) = await outbox(db)
    assert out.payload == ev.PaymentAuthorized(1, row.id, 4_990, "EUR", row.provider_reference)
    assert out.correlation_id == env.correlation_id
    relay = messaging.relay(db)
    try:
        assert await relay.publish_pending() == 1
    finally:
        await relay.close()
    msg = await messaging.js.get_msg(messaging.stream, 2)  # after the OrderPlaced
    assert ev.decode(msg.data) == out


async def test_a_declined_card_fails_the_payment(db, messaging, provider):
    await messaging.publish(placed(1, card="4000000000000002"))
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 1) == [Outcome.PROCESSED]
    finally:
        await c.close()
    row = await payment(db, 1)
    assert (row.state, row.failure_reason) == ("FAILED", "card_declined")
    assert [e.payload for e in await outbox(db)] == [ev.PaymentFailed(1, row.id, "card_declined")]


async def test_a_duplicate_order_placed_authorises_once(db, messaging, provider):
    env = placed(1)
    await messaging.publish(env)
    await messaging.publish(env, msg_id="a-copy")
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 2) == [Outcome.PROCESSED, Outcome.DUPLICATE]
    finally:
        await c.close()
    assert await charges(db) == 1 and len(await outbox(db)) == 1


async def test_a_provider_timeout_is_retried_and_charges_once(db, messaging, provider):
    provider.fail_next(Fault.TIMEOUT)  # the provider authorised, the answer was lost
    await messaging.publish(placed(1))
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 2) == [Outcome.RETRY, Outcome.PROCESSED]
    finally:
        await c.close()
    assert (await payment(db, 1)).state == "AUTHORIZED"
    assert await charges(db) == 1 and len(await outbox(db)) == 1


@pytest.mark.parametrize(
    ("then", "state", "event"),
    [
        ([ev.OrderConfirmed(1)], "CAPTURED", ev.PaymentCaptured),
        ([ev.OrderCancelled(1, "out of stock")], "VOIDED", ev.PaymentVoided),
        ([ev.OrderConfirmed(1), ev.OrderCancelled(1, "returned")], "REFUNDED", ev.PaymentRefunded),
    ],
    ids=["confirmed-captures", "cancelled-voids", "cancelled-after-capture-refunds"],
)
async def test_confirmation_captures_and_cancellation_compensates(
    db, messaging, provider, then, state, event
):
    await messaging.publish(placed(1))
    for e in then:
        await messaging.publish(ev.envelope(e, correlation_id="order-1"))
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 1 + len(then)) == [Outcome.PROCESSED] * (1 + len(then))
    finally:
        await c.close()
    row = await payment(db, 1)
    assert row.state == state
    assert type((await outbox(db))[-1].payload) is event
    async with db.session() as s:
        charge = await s.get(ChargeRow, row.provider_reference)
    assert charge.state == state  # the provider agrees


async def test_a_cancellation_without_a_payment_needs_nothing_and_a_confirmation_is_rejected(
    db, messaging, provider
):
    await messaging.publish(ev.envelope(ev.OrderCancelled(5, "x"), correlation_id="order-5"))
    await messaging.publish(ev.envelope(ev.OrderConfirmed(6), correlation_id="order-6"))
    c = consumer(db, messaging, provider)
    try:
        assert await drain(c, 2) == [Outcome.PROCESSED, Outcome.DEAD]
    finally:
        await c.close()
    dead = await messaging.js.get_msg(f"{messaging.stream}_DEAD", 1)
    assert "order 6 has no payment to capture" in dead.headers["Dead-Letter-Reason"]


async def test_the_worker_turns_order_events_into_payment_events(db, messaging, provider):
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_worker(
            db,
            provider,
            stop,
            servers=messaging.url,
            stream=messaging.stream,
            subject_prefix=messaging.prefix,
            dead_letter_prefix=messaging.dead_prefix,
        )
    )
    try:
        await messaging.publish(placed(1))
        await messaging.publish(placed(2, card="4000000000009995"))
        for _ in range(150):  # both payment events published, or 15 s
            if await messaging.messages() >= 4:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    published = [ev.decode((await messaging.js.get_msg(messaging.stream, i)).data) for i in (3, 4)]
    assert sorted(type(e.payload).__name__ for e in published) == ["PaymentAuthorized", "PaymentFailed"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(InboxRow)) == 2
