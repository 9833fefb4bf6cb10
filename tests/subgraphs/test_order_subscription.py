"""``orderStatusChanged`` served by the orders service over graphql-transport-ws, fed by the saga's events on the
real NATS (a fresh stream per test): the current status first, then each change, from any orders replica."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import STAFF
from tests.transport_ws import Operation, connect

from .messaging import open_messaging
from .saga_system import CANCEL, DECLINED_CARD, SagaSystem, saga_system, serving

pytestmark = pytest.mark.nats

WATCH = """subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { id status statusReason statusChangedAt items { line quantity } }
}"""
SHIP = "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }"


@pytest.fixture
async def system(tmp_path) -> AsyncIterator[SagaSystem]:
    async with open_messaging() as m:
        async with saga_system("sqlite", tmp_path, m.url, m.stream, m.prefix, m.dead_prefix) as s:
            yield s


def _claims(claims: dict[str, Any] | None = STAFF) -> dict[str, str]:
    return {"x-claims": json.dumps(claims)} if claims is not None else {}


async def _statuses(operation: Operation) -> list[tuple[str, Any]]:
    """(type, status or errors) of every message up to ``complete``."""
    out: list[tuple[str, Any]] = []
    for message in await operation.collect(within=30):
        if message.type == "next" and message.payload.get("data"):
            order = message.payload["data"]["orderStatusChanged"]
            out.append(("next", (order["status"], order["statusReason"])))
        elif message.type in ("next", "error"):
            errors = message.payload if message.type == "error" else message.payload["errors"]
            out.append((message.type, [e.get("extensions", {}).get("code") for e in errors]))
        else:
            out.append((message.type, None))
    return out


async def _health(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        body: dict[str, Any] = (await client.get(f"{url}/health")).json()
        return body


async def test_the_current_status_first_then_each_change_until_a_final_one(system):
    await system.add_product(1, stock=5)
    system.stop.set()  # workers held back: the order stays PENDING while we subscribe
    await asyncio.gather(*system.tasks)
    order = await system.place(1, 2)
    async with serving(system.orders_replica()) as url, connect(f"{url}/graphql", headers=_claims()) as ws:
        watch = await ws.subscribe(WATCH, {"id": order["id"]})
        first = await watch.next()
        assert first.type == "next", first
        pending = first.payload["data"]["orderStatusChanged"]
        assert (pending["status"], pending["items"]) == ("PENDING", [{"line": 1, "quantity": 2}])
        assert (await _health(url))["subscriptions"] == 1
        # The saga runs now, in the workers: the status changes elsewhere and arrives here through NATS.
        system.tasks = _workers(system)
        confirmed = (await watch.next()).payload["data"]["orderStatusChanged"]
        assert confirmed["status"] == "CONFIRMED"
        assert confirmed["statusChangedAt"] > pending["statusChangedAt"]
        # Fulfilment moves outside the saga reach watchers too (OrderStatusUpdated).
        shipped = await system.query(SHIP, {"id": order["id"], "s": "SHIPPED"})
        assert shipped["data"]["updateOrderStatus"]["status"] == "SHIPPED"
        assert (await watch.next()).payload["data"]["orderStatusChanged"]["status"] == "SHIPPED"
        await system.query(SHIP, {"id": order["id"], "s": "DELIVERED"})
        assert await _statuses(watch) == [("next", ("DELIVERED", None)), ("complete", None)]
        assert (await _health(url))["subscriptions"] == 0


async def test_a_declined_order_ends_rejected_with_its_reason_and_a_cancelled_one_cancelled(system):
    await system.add_product(1, stock=5)
    async with serving(system.orders_replica()) as url, connect(f"{url}/graphql", headers=_claims()) as ws:
        declined = await system.place(1, 1, card=DECLINED_CARD)
        watch = await ws.subscribe(WATCH, {"id": declined["id"]})
        seen = await _statuses(watch)
        # PENDING unless the saga was quicker than the subscription; the end is the same either way.
        assert seen[-2:] == [("next", ("REJECTED", "payment: card_declined")), ("complete", None)]
        assert [s for s, _ in seen[:-2]] in ([], ["next"])

        paid = await system.place(1, 1)
        assert (await system.settled(paid["id"]))["status"] == "CONFIRMED"
        watch = await ws.subscribe(WATCH, {"id": paid["id"]})
        assert (await watch.next()).payload["data"]["orderStatusChanged"]["status"] == "CONFIRMED"
        await system.query(CANCEL, {"id": paid["id"]})
        assert await _statuses(watch) == [("next", ("CANCELLED", "changed my mind")), ("complete", None)]


async def test_every_replica_serves_its_own_subscribers(system):
    await system.add_product(1, stock=5)
    system.stop.set()
    await asyncio.gather(*system.tasks)
    order = await system.place(1, 1)
    async with (
        serving(system.orders_replica()) as one,
        serving(system.orders_replica()) as two,
        connect(f"{one}/graphql", headers=_claims()) as ws1,
        connect(f"{two}/graphql", headers=_claims()) as ws2,
    ):
        watches = [await ws.subscribe(WATCH, {"id": order["id"]}) for ws in (ws1, ws2)]
        for watch in watches:
            assert (await watch.next()).payload["data"]["orderStatusChanged"]["status"] == "PENDING"
        system.tasks = _workers(system)
        for watch in watches:
            assert (await watch.next()).payload["data"]["orderStatusChanged"]["status"] == "CONFIRMED"
        assert [(await _health(u))["subscriptions"] for u in (one, two)] == [1, 1]
        await ws2.close()  # a client that goes away leaves nothing behind
        await _until(lambda: _health(two), lambda h: h["subscriptions"] == 0)
        assert (await _health(one))["subscriptions"] == 1
        await ws1.complete(watches[0])
        await _until(lambda: _health(one), lambda h: h["subscriptions"] == 0)


async def test_only_the_customer_or_staff_may_watch_an_order(system):
    await system.add_product(1, stock=5)
    order = await system.place(1, 1)  # a guest's order: staff's alone
    async with serving(system.orders_replica()) as url:
        for claims, code in (
            ({"sub": "User:2", "scope": ""}, "FORBIDDEN"),
            (None, "FORBIDDEN"),
            (STAFF, None),
        ):
            async with connect(f"{url}/graphql", headers=_claims(claims)) as ws:
                first = await (await ws.subscribe(WATCH, {"id": order["id"]})).next()
                if code is None:
                    assert first.payload["data"]["orderStatusChanged"]["id"] == order["id"]
                else:
                    assert _codes(first) == [code], first
        async with connect(f"{url}/graphql", headers=_claims()) as ws:
            for bad, code in (("Order:999999", "NOT_FOUND"), ("User:1", "BAD_USER_INPUT")):
                first = await (await ws.subscribe(WATCH, {"id": bad})).next()
                assert _codes(first) == [code], first
        assert (await _health(url))["subscriptions"] == 0


def _codes(message: Any) -> list[str]:
    errors = message.payload if message.type == "error" else message.payload.get("errors", [])
    return [e.get("extensions", {}).get("code") for e in errors]


def _workers(system: SagaSystem) -> list[asyncio.Task[None]]:
    from subgraphs.orders.worker import run_worker as orders_worker
    from subgraphs.payments.fake_provider import FakeProvider
    from subgraphs.payments.worker import run_worker as payments_worker
    from subgraphs.products.worker import run_worker as products_worker

    system.stop = asyncio.Event()
    common: dict[str, Any] = {
        "servers": system.nats_url,
        "stream": system.stream,
        "subject_prefix": system.prefix,
        "dead_letter_prefix": f"d{system.prefix}",
    }
    provider = FakeProvider(system.payments_db.engine)
    return [
        asyncio.create_task(orders_worker(system.orders_db, system.stop, **common)),
        asyncio.create_task(
            products_worker(system.products_db, system.stop, **common, stock_low=system.stock_low)
        ),
        asyncio.create_task(payments_worker(system.payments_db, provider, system.stop, **common)),
    ]


async def _until(read, check, within: float = 10.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if check(value) or asyncio.get_running_loop().time() > deadline:
            assert check(value), value
            return value
        await asyncio.sleep(0.05)


async def test_without_nats_a_subscription_is_refused_with_a_code_not_left_hanging(system):
    from subgraphs.orders.app import create_app as orders_app

    await system.add_product(1, stock=5)
    order = await system.place(1, 1)
    with socket.socket() as sock:  # a port where no NATS listens
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    app = orders_app(system.orders_db, seed_data=False, nats_url=f"nats://127.0.0.1:{closed}")
    async with serving(app) as url, connect(f"{url}/graphql", headers=_claims()) as ws:
        first = await (await ws.subscribe(WATCH, {"id": order["id"]})).next(within=20)
        assert first.type == "error", first
        assert _codes(first) == ["SERVICE_UNAVAILABLE"], first
        assert "nats" not in json.dumps(first.payload).lower()  # no internals
        assert (await _health(url))["subscriptions"] == 0
