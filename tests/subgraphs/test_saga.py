"""The order saga end to end on the real NATS JetStream (a fresh stream per test), on SQLite and PostgreSQL:
every step, every compensation, no oversell, one effect per event, one order per idempotency key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from subgraphs.common import events as ev
from tests.conftest import BACKENDS, STAFF, require_postgres

from .messaging import open_messaging
from .saga_system import DECLINED_CARD, SagaSystem, saga_system

pytestmark = pytest.mark.nats


@pytest.fixture(params=BACKENDS)
async def system(request, tmp_path) -> AsyncIterator[SagaSystem]:
    async with _system(request, tmp_path) as s:
        yield s


@pytest.fixture(params=BACKENDS)
async def system_without_payments(request, tmp_path) -> AsyncIterator[SagaSystem]:
    """Payments' worker not started (a participant that never answers), orders' deadline two seconds."""
    async with _system(request, tmp_path, workers=("orders", "products"), deadline=timedelta(seconds=2)) as s:
        yield s


@contextlib.asynccontextmanager
async def _system(request, tmp_path, **options) -> AsyncIterator[SagaSystem]:
    if request.param == "postgres":
        await require_postgres()
    async with open_messaging() as m:
        system = saga_system(request.param, tmp_path, m.url, m.stream, m.prefix, m.dead_prefix, **options)
        async with system as s:
            s.js = m.js  # type: ignore[attr-defined]
            yield s


async def test_an_order_is_confirmed_its_stock_sold_and_its_payment_captured(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 2)
    assert order["status"] == "PENDING"
    done = await system.settled(order["id"])
    assert (done["status"], done["statusReason"]) == ("CONFIRMED", None)
    await _until(lambda: system.payment_state(order["id"]), "CAPTURED")
    await _until(lambda: system.stock(1), (3, 0))


async def test_a_declined_card_rejects_the_order_and_releases_its_stock(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 2, card=DECLINED_CARD)
    done = await system.settled(order["id"])
    assert done["status"] == "REJECTED"
    assert done["statusReason"] == "payment: card_declined"
    await _until(lambda: system.stock(1), (5, 0))
    assert await system.payment_state(order["id"]) == "FAILED"  # never captured


async def test_too_little_stock_rejects_the_order_and_voids_its_authorisation(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 1000)
    done = await system.settled(order["id"])
    assert (done["status"], done["statusReason"]) == ("REJECTED", "stock: insufficient stock")
    await _until(lambda: system.payment_state(order["id"]), "VOIDED")
    assert await system.stock(1) == (5, 0)


async def test_no_answer_in_time_rejects_the_order_and_a_late_authorisation_is_voided(
    system_without_payments,
):
    system = system_without_payments
    await system.add_product(1, stock=5)
    order = await system.place(1, 2)
    await _until(lambda: system.stock(1), (5, 2))  # held while payments says nothing
    done = await system.settled(order["id"], within=30)
    assert (done["status"], done["statusReason"]) == ("REJECTED", "timeout: no answer in time")
    await _until(lambda: system.stock(1), (5, 0))
    # Payments comes back and authorises the order it missed: the rejected order's hold is voided, never
    # captured.
    system.start_worker("payments")
    await _until(lambda: system.payment_state(order["id"]), "VOIDED")
    assert (await system.settled(order["id"]))["status"] == "REJECTED"
    assert await system.stock(1) == (5, 0)


async def test_cancelling_a_confirmed_order_restocks_and_refunds(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 2)
    assert (await system.settled(order["id"]))["status"] == "CONFIRMED"
    await _until(lambda: system.payment_state(order["id"]), "CAPTURED")
    from .saga_system import CANCEL

    body = await system.query(CANCEL, {"id": order["id"]}, claims=STAFF)
    assert body["data"]["cancelOrder"] == {
        "id": order["id"],
        "status": "CANCELLED",
        "statusReason": "changed my mind",
    }
    await _until(lambda: system.payment_state(order["id"]), "REFUNDED")
    await _until(lambda: system.stock(1), (5, 0))
    again = await system.query(CANCEL, {"id": order["id"]}, claims=STAFF)
    assert again["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"


async def test_only_the_customer_or_staff_may_cancel_an_order(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 1)
    assert (await system.settled(order["id"]))["status"] == "CONFIRMED"
    from .saga_system import CANCEL

    anonymous = await system.query(CANCEL, {"id": order["id"]}, claims=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    stranger = await system.query(CANCEL, {"id": order["id"]}, claims={"sub": "User:2", "scope": ""})
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await system.settled(order["id"]))["status"] == "CONFIRMED"  # nothing was cancelled


async def test_a_pending_order_cannot_be_cancelled(system):
    await system.add_product(1, stock=5)
    system.stop.set()  # no worker: the order stays PENDING
    await asyncio.gather(*system.tasks)
    order = await system.place(1, 1)
    from .saga_system import CANCEL

    body = await system.query(CANCEL, {"id": order["id"]}, claims=STAFF)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert "PENDING" in body["errors"][0]["message"]


async def test_twenty_concurrent_orders_for_five_units_confirm_exactly_five(system):
    await system.add_product(1, stock=5)
    orders = await asyncio.gather(*(system.place(1, 1) for _ in range(20)))
    done = await asyncio.gather(*(system.settled(o["id"], within=60) for o in orders))
    statuses = sorted(d["status"] for d in done)
    assert statuses == ["CONFIRMED"] * 5 + ["REJECTED"] * 15
    assert {d["statusReason"] for d in done if d["status"] == "REJECTED"} == {"stock: insufficient stock"}
    await _until(lambda: system.stock(1), (0, 0))
    await _until(
        lambda: system.payment_states(),
        None,
        check=lambda p: sorted(p.values()).count("CAPTURED") == 5 and "AUTHORIZED" not in p.values(),
    )


async def test_the_same_idempotency_key_places_one_order(system):
    await system.add_product(1, stock=5)
    first, *rest = await asyncio.gather(*(system.place(1, 1, key="checkout-42") for _ in range(5)))
    assert all(o["id"] == first["id"] for o in rest)
    assert await system.order_count() == 1
    body = await system.query(
        "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
        {
            "i": {
                "guestEmail": "guest@example.org",
                "items": [{"productId": "Product:1", "quantity": 3}],
                "paymentToken": "4242424242424242",
                "idempotencyKey": "checkout-42",
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await system.order_count() == 1
    assert (await system.settled(first["id"]))["status"] == "CONFIRMED"
    await _until(lambda: system.stock(1), (4, 0))


async def test_duplicate_events_have_no_second_effect(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 2)
    assert (await system.settled(order["id"]))["status"] == "CONFIRMED"
    await _until(lambda: system.payment_state(order["id"]), "CAPTURED")
    # Every event of the saga again, as copies the duplicate window does not catch (new message ids).
    js = system.js

    async def last_seq() -> int:
        return int((await js.stream_info(system.stream)).state.last_seq)

    await _until(last_seq, 5)  # PaymentCaptured relayed too
    info = await js.stream_info(system.stream)
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg(system.stream, seq)
        await js.publish(msg.subject, msg.data, headers={"Nats-Msg-Id": f"copy-{seq}"})
    await asyncio.sleep(3)
    assert (await system.settled(order["id"]))["status"] == "CONFIRMED"
    assert await system.stock(1) == (3, 0)
    assert await system.payment_state(order["id"]) == "CAPTURED"
    types = [
        ev.decode((await js.get_msg(system.stream, s)).data).type for s in range(1, info.state.last_seq + 1)
    ]
    assert sorted(types) == sorted(
        ["OrderPlaced", "StockReserved", "PaymentAuthorized", "OrderConfirmed", "PaymentCaptured"]
    )
    assert (
        await js.stream_info(system.stream)
    ).state.last_seq == 2 * info.state.last_seq  # nothing new emitted


async def _until(read, expected, *, check=None, within: float = 30.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        ok = check(value) if check is not None else value == expected
        if ok or asyncio.get_running_loop().time() > deadline:
            assert ok, value
            return value
        await asyncio.sleep(0.1)
