"""A product that runs low is told on its NATS subject as ``{"__typename": "Product", "id": ...}``, once per
crossing of the low-stock level, from the saga's holds and from ``adjustStock``, through the outbox relay."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from subgraphs.products.app import create_app as products_app
from tests.conftest import STAFF

from .messaging import open_messaging
from .saga_system import SagaSystem, saga_system

pytestmark = pytest.mark.nats

ADJUST = "mutation($id: ID!, $d: Int!) { adjustStock(id: $id, delta: $d) { stock available } }"


@pytest.fixture
async def system(tmp_path) -> AsyncIterator[SagaSystem]:
    async with open_messaging() as m:
        async with saga_system("sqlite", tmp_path, m.url, m.stream, m.prefix, m.dead_prefix) as s:
            s.nc = m.nc  # type: ignore[attr-defined]
            yield s


async def test_holds_and_adjustments_that_cross_the_level_notify_once_each(system):
    received: asyncio.Queue[tuple[dict, str | None]] = asyncio.Queue()

    async def on(msg) -> None:
        received.put_nowait((json.loads(msg.data), (msg.headers or {}).get("Nats-Msg-Id")))

    await system.nc.subscribe(system.stock_low.subject, cb=on)
    await system.nc.flush()
    await system.add_product(1, stock=7)  # level 5: 7 and 6 for sale are not low, 4 is
    await system.add_product(2, stock=100)
    first = await system.place(1, 1)
    await system.settled(first["id"])  # 6 for sale: above the level, nothing
    second = await system.place(1, 2)
    assert (await system.settled(second["id"]))["status"] == "CONFIRMED"
    message, msg_id = await asyncio.wait_for(received.get(), 10)
    assert message == {"__typename": "Product", "id": "Product:1"}
    assert msg_id  # the outbox row's id: a relay's second try is recognisable
    third = await system.place(1, 1)  # 3 for sale: still low, not told again
    await system.settled(third["id"])
    await system.place(2, 1)  # far above the level
    for _ in range(100):  # the last units sold (confirmed), none held
        if await system.stock(1) == (3, 0):
            break
        await asyncio.sleep(0.1)
    products = httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=products_app(system.products_db, seed_data=False, stock_low=system.stock_low)
        ),
        base_url="http://products",
        headers={"x-claims": json.dumps(STAFF)},
    )
    async with products:
        restock = await products.post(
            "/graphql", json={"query": ADJUST, "variables": {"id": "Product:1", "d": 10}}
        )
        assert restock.json()["data"]["adjustStock"] == {"stock": 13, "available": 13}
        await asyncio.sleep(1)
        assert received.empty()  # rising tells nothing
        taken = await products.post(
            "/graphql", json={"query": ADJUST, "variables": {"id": "Product:1", "d": -9}}
        )
        assert taken.json()["data"]["adjustStock"] == {"stock": 4, "available": 4}
    message, _ = await asyncio.wait_for(received.get(), 10)
    assert message == {"__typename": "Product", "id": "Product:1"}
    await asyncio.sleep(1)
    assert received.empty()
    # The notifications are not events: the stream has the saga's events only.
    info = await system.nc.jetstream().stream_info(system.stream)
    subjects = {
        (await system.nc.jetstream().get_msg(system.stream, s)).subject
        for s in range(1, info.state.last_seq + 1)
    }
    assert (
        all(s.startswith(f"{system.prefix}.") for s in subjects) and system.stock_low.subject not in subjects
    )
