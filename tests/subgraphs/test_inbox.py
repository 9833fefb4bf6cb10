"""The inbox consumer on the real NATS JetStream and on SQLite and PostgreSQL: each event has its effect once."""

from __future__ import annotations

import asyncio
import json

import pytest

from subgraphs.common import events as ev
from subgraphs.common.inbox import EventConsumer, Outcome, RejectEvent

from .messaging import InboxRow, count_confirmation, effects
from .test_outbox import confirm

pytestmark = pytest.mark.nats


async def drain(consumer: EventConsumer, until: int, within: float = 10.0) -> list[Outcome]:
    """Process batches until ``until`` outcomes were seen (redeliveries arrive after their delay)."""
    outcomes: list[Outcome] = []
    deadline = asyncio.get_running_loop().time() + within
    while len(outcomes) < until and asyncio.get_running_loop().time() < deadline:
        outcomes += await consumer.process_batch(wait=0.5)
    return outcomes


async def inbox_ids(db) -> list[str]:
    from sqlalchemy import select

    async with db.session() as s:
        return list((await s.scalars(select(InboxRow.event_id))).all())


async def test_an_event_published_before_the_consumer_starts_is_processed(db, messaging):
    env = ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1")
    await messaging.publish(env)
    consumer = messaging.consumer(db)  # its durable consumer does not exist yet
    try:
        assert await drain(consumer, 1) == [Outcome.PROCESSED]
    finally:
        await consumer.close()
    assert await effects(db, 1) == 1
    assert await inbox_ids(db) == [env.id]


async def test_a_duplicate_event_has_no_second_effect(db, messaging):
    env = ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1")
    await messaging.publish(env)
    await messaging.publish(env, msg_id="another-copy")  # past JetStream's dedup: a second message
    consumer = messaging.consumer(db)
    try:
        assert await drain(consumer, 2) == [Outcome.PROCESSED, Outcome.DUPLICATE]
    finally:
        await consumer.close()
    assert await messaging.messages() == 2
    assert await effects(db, 1) == 1


class CrashBeforeAck(EventConsumer):
    async def acknowledge(self, msg) -> None:
        raise RuntimeError("consumer died after its commit, before the ack")


async def test_a_redelivered_message_has_no_second_effect(db, messaging):
    await messaging.publish(ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1"))
    crashing = messaging.consumer(db, CrashBeforeAck, ack_wait=1.0)
    with pytest.raises(RuntimeError):
        await crashing.process_batch(wait=1.0)
    await crashing.close()
    assert await effects(db, 1) == 1
    restarted = messaging.consumer(db, ack_wait=1.0)  # same durable name: the same consumer, restarted
    try:
        assert await drain(restarted, 1) == [Outcome.DUPLICATE]  # redelivered after ack_wait
        assert await restarted.process_batch(wait=1.5) == []  # acknowledged now
    finally:
        await restarted.close()
    assert await effects(db, 1) == 1


async def test_a_failing_handler_is_retried_with_its_transaction_undone(db, messaging):
    calls = 0

    async def flaky(session, env) -> None:
        nonlocal calls
        calls += 1
        await count_confirmation(session, env)  # written, then undone by the failure
        if calls == 1:
            raise RuntimeError("database hiccup")

    await messaging.publish(ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1"))
    consumer = messaging.consumer(db, handlers={"OrderConfirmed": flaky}, backoff=(0.2,))
    try:
        started = asyncio.get_running_loop().time()
        assert await drain(consumer, 2) == [Outcome.RETRY, Outcome.PROCESSED]
        assert asyncio.get_running_loop().time() - started >= 0.2  # redelivered after the backoff
    finally:
        await consumer.close()
    assert await effects(db, 1) == 1


async def test_after_n_attempts_the_event_goes_to_the_dead_letter_subject(db, messaging):
    async def broken(session, env) -> None:
        raise ValueError("no such order 1")

    env = ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1")
    await messaging.publish(env)
    consumer = messaging.consumer(db, handlers={"OrderConfirmed": broken}, max_attempts=3, backoff=(0.1, 0.2))
    try:
        assert await drain(consumer, 3) == [Outcome.RETRY, Outcome.RETRY, Outcome.DEAD]
        assert await consumer.process_batch(wait=0.5) == []  # acknowledged: no longer redelivered
    finally:
        await consumer.close()
    dead_stream = f"{messaging.stream}_DEAD"
    assert await messaging.messages(dead_stream) == 1
    dead = await messaging.js.get_msg(dead_stream, 1)
    assert dead.subject == f"{messaging.dead_prefix}.test"
    assert "delivery 3: ValueError: no such order 1" in dead.headers["Dead-Letter-Reason"]
    assert dead.headers["Original-Subject"] == f"{messaging.prefix}.OrderConfirmed"
    assert ev.decode(dead.data) == env
    assert await inbox_ids(db) == []


async def test_an_unknown_version_is_dead_lettered_at_once(db, messaging):
    raw = json.loads(ev.encode(ev.envelope(ev.OrderConfirmed(1), correlation_id="c")))
    raw["version"] = 9
    await messaging.js.publish(f"{messaging.prefix}.OrderConfirmed", json.dumps(raw).encode())
    consumer = messaging.consumer(db)
    try:
        assert await drain(consumer, 1) == [Outcome.DEAD]
    finally:
        await consumer.close()
    dead = await messaging.js.get_msg(f"{messaging.stream}_DEAD", 1)
    assert dead.headers["Dead-Letter-Reason"].startswith("unknown-version: OrderConfirmed v9")


async def test_types_without_a_handler_are_acknowledged_and_ignored(db, messaging):
    consumer = messaging.consumer(db, subjects=[f"{messaging.prefix}.>"])
    await messaging.publish(ev.envelope(ev.StockReserved(1), correlation_id="order-1"))
    await messaging.publish(ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1"))
    try:
        assert await drain(consumer, 2) == [Outcome.IGNORED, Outcome.PROCESSED]
    finally:
        await consumer.close()


async def test_a_consumer_only_receives_the_types_it_handles(db, messaging):
    await messaging.publish(ev.envelope(ev.StockReserved(1), correlation_id="order-1"))
    await messaging.publish(ev.envelope(ev.OrderConfirmed(2), correlation_id="order-2"))
    await messaging.publish(ev.envelope(ev.OrderCancelled(3, "x"), correlation_id="order-3"))

    async def cancelled(session, env) -> None:
        await count_confirmation(session, env)

    consumer = messaging.consumer(db, handlers={"OrderConfirmed": cancelled, "OrderCancelled": cancelled})
    try:
        outcomes = await drain(consumer, 3, within=2)
    finally:
        await consumer.close()
    # NATS 2.10 filters on both subjects; before, the consumer sees the prefix and ignores StockReserved.
    assert [o for o in outcomes if o is not Outcome.IGNORED] == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert outcomes.count(Outcome.IGNORED) <= 1
    assert [await effects(db, i) for i in (1, 2, 3)] == [0, 1, 1]


async def test_outbox_to_inbox_end_to_end_with_two_consumers(db, messaging):
    for i in (1, 2, 3):
        await confirm(db, messaging, i)
    relay = messaging.relay(db)
    try:
        await relay.publish_pending()
    finally:
        await relay.close()
    # Two replicas of one consumer share its durable: each event is handled by one of them, once.
    a, b = messaging.consumer(db), messaging.consumer(db)
    try:
        outcomes = await asyncio.gather(drain(a, 3, within=2), drain(b, 3, within=2))
    finally:
        await a.close()
        await b.close()
    assert sorted(o.value for o in outcomes[0] + outcomes[1]) == ["processed"] * 3
    assert [await effects(db, i) for i in (1, 2, 3)] == [1, 1, 1]


async def test_a_rejected_event_is_dead_lettered_without_retries(db, messaging):
    async def refuse(session, env) -> None:
        raise RejectEvent("order 1 has no payment")

    await messaging.publish(ev.envelope(ev.OrderConfirmed(1), correlation_id="order-1"))
    consumer = messaging.consumer(db, handlers={"OrderConfirmed": refuse})
    try:
        assert await drain(consumer, 1) == [Outcome.DEAD]
    finally:
        await consumer.close()
    dead = await messaging.js.get_msg(f"{messaging.stream}_DEAD", 1)
    assert dead.headers["Dead-Letter-Reason"] == "rejected: order 1 has no payment"
