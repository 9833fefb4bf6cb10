"""Orders, products and payments with their workers on one test stream: the saga end to end, in process.

Each service has its own database (SQLite files or PostgreSQL databases made for the test); orders talks to
products over ASGI as it would over HTTP; the three workers relay and consume on the real NATS JetStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from subgraphs.common.db import Database
from subgraphs.orders.app import create_app as orders_app
from subgraphs.orders.migrations import MIGRATIONS as ORDERS_MIGRATIONS
from subgraphs.orders.models import Base as OrdersBase
from subgraphs.orders.models import OrderItemRow, OrderRow
from subgraphs.orders.worker import run_worker as orders_worker
from subgraphs.payments.fake_provider import FakeProvider
from subgraphs.payments.migrations import MIGRATIONS as PAYMENTS_MIGRATIONS
from subgraphs.payments.models import Base as PaymentsBase
from subgraphs.payments.models import PaymentRow
from subgraphs.payments.worker import run_worker as payments_worker
from subgraphs.products.app import create_app as products_app
from subgraphs.products.migrations import MIGRATIONS as PRODUCTS_MIGRATIONS
from subgraphs.products.models import Base as ProductsBase
from subgraphs.products.models import ProductRow
from subgraphs.products.stock_low import StockLow
from subgraphs.products.worker import run_worker as products_worker
from tests.conftest import STAFF, fresh_database

__all__ = ["DECLINED_CARD", "OK_CARD", "SagaSystem", "saga_system", "serving"]

OK_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
TERMINAL = ("CONFIRMED", "REJECTED", "CANCELLED")

PLACE = """mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status statusReason }
}"""
CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { id status statusReason } }'
ORDER = "query($id: ID!) { order(id: $id) { id status statusReason } }"


@dataclass
class SagaSystem:
    orders_db: Database
    products_db: Database
    payments_db: Database
    client: httpx.AsyncClient
    stream: str
    prefix: str
    nats_url: str = ""
    stock_low: StockLow = field(default_factory=StockLow)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Starts one service's worker ("orders", "products", "payments") that saga_system did not start.
    start_worker: Callable[[str], None] = lambda name: None

    def orders_replica(self) -> FastAPI:
        """Another orders process on the same database and events (its own live-events connection)."""
        return orders_app(
            self.orders_db,
            seed_data=False,
            products_transport=httpx.ASGITransport(
                app=products_app(self.products_db, seed_data=False, stock_low=self.stock_low)
            ),
            event_subject_prefix=self.prefix,
            nats_url=self.nats_url,
        )

    async def add_product(self, pk: int, stock: int, price_cents: int = 1_000) -> None:
        async with self.products_db.session() as s, s.begin():
            s.add(
                ProductRow(
                    id=pk,
                    sku=f"SKU-{pk}",
                    name=f"Product {pk}",
                    price_cents=price_cents,
                    currency="EUR",
                    category="BOOKS",
                    stock=stock,
                    weight_grams=100,
                )
            )

    async def query(
        self, query: str, variables: dict[str, Any], *, claims: dict[str, Any] | None = STAFF
    ) -> dict[str, Any]:
        # The claims the gateway would forward (x-claims): staff by default, None speaks as an anonymous client.
        headers = {"x-claims": json.dumps(claims)} if claims is not None else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def place(
        self, product: int, quantity: int = 1, *, card: str = OK_CARD, key: str | None = None
    ) -> dict[str, Any]:
        body = await self.query(
            PLACE,
            {
                "input": {
                    "guestEmail": "guest@example.org",
                    "items": [{"productId": f"Product:{product}", "quantity": quantity}],
                    "paymentToken": card,
                    "idempotencyKey": key,
                }
            },
        )
        assert "errors" not in body, body
        order: dict[str, Any] = body["data"]["placeOrder"]
        return order

    async def settled(
        self, order_id: str, statuses: tuple[str, ...] = TERMINAL, within: float = 30.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            order: dict[str, Any] = (await self.query(ORDER, {"id": order_id}))["data"]["order"]
            if order["status"] in statuses or asyncio.get_running_loop().time() > deadline:
                return order
            await asyncio.sleep(0.1)

    async def stock(self, pk: int) -> tuple[int, int]:
        """(stock, reserved) of a product."""
        async with self.products_db.session() as s:
            row = await s.get(ProductRow, pk, populate_existing=True)
            assert row is not None
            return row.stock, row.reserved

    async def payment_state(self, order_id: str) -> str | None:
        pk = int(order_id.split(":")[1])
        async with self.payments_db.session() as s:
            row = (await s.scalars(select(PaymentRow).where(PaymentRow.order_id == pk))).one_or_none()
        return row.state if row is not None else None

    async def payment_states(self) -> dict[int, str]:
        async with self.payments_db.session() as s:
            return {r.order_id: r.state for r in (await s.scalars(select(PaymentRow))).all()}

    async def order_count(self) -> int:
        async with self.orders_db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(OrderRow)) or 0)

    async def sold(self, pk: int) -> int:
        """Units of ``pk`` in confirmed orders, as orders counts them."""
        async with self.orders_db.session() as s:
            stmt = (
                select(func.coalesce(func.sum(OrderItemRow.quantity), 0))
                .join(OrderRow, OrderRow.id == OrderItemRow.order_id)
                .where(OrderItemRow.product_id == pk, OrderRow.status == "CONFIRMED")
            )
            return int(await s.scalar(stmt) or 0)


@contextlib.asynccontextmanager
async def saga_system(
    backend: str,
    tmp_path: Path,
    nats_url: str,
    stream: str,
    prefix: str,
    dead_prefix: str,
    *,
    workers: tuple[str, ...] = ("orders", "products", "payments"),
    deadline: timedelta | None = None,
) -> AsyncIterator[SagaSystem]:
    """The three services' databases (migrated) and ``workers`` on ``stream`` (the others start with
    ``start_worker``); orders' deadline sweep every half second when ``deadline`` is given. Torn down (databases
    dropped) after."""
    async with contextlib.AsyncExitStack() as stack:
        dbs: list[Database] = []
        for service, base, migrations in (
            ("orders", OrdersBase, ORDERS_MIGRATIONS),
            ("products", ProductsBase, PRODUCTS_MIGRATIONS),
            ("payments", PaymentsBase, PAYMENTS_MIGRATIONS),
        ):
            url = await stack.enter_async_context(fresh_database(backend, tmp_path, f"saga_{service}"))
            db = Database(url, base)
            stack.push_async_callback(db.dispose)
            await migrations.upgrade(db)
            dbs.append(db)
        async with _running(dbs, nats_url, stream, prefix, dead_prefix, workers, deadline) as system:
            yield system


@contextlib.asynccontextmanager
async def _running(
    dbs: list[Database],
    nats_url: str,
    stream: str,
    prefix: str,
    dead_prefix: str,
    workers: tuple[str, ...],
    deadline: timedelta | None,
) -> AsyncIterator[SagaSystem]:
    orders_db, products_db, payments_db = dbs
    provider = FakeProvider(payments_db.engine)
    # Its own subject for stock-low notifications too: no other test's products tell this one's listeners.
    stock_low = StockLow(subject=f"products.stockLow.{prefix}")  # outside the event stream's subjects
    p_app = products_app(products_db, seed_data=False, stock_low=stock_low)
    o_app = orders_app(
        orders_db,
        seed_data=False,
        products_transport=httpx.ASGITransport(app=p_app),
        users_transport=httpx.ASGITransport(app=p_app),  # guest orders only: users is never asked
        event_subject_prefix=prefix,
        nats_url=nats_url,
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=o_app), base_url="http://orders", timeout=30)
    system = SagaSystem(orders_db, products_db, payments_db, client, stream, prefix, nats_url, stock_low)
    common = {
        "servers": nats_url,
        "stream": stream,
        "subject_prefix": prefix,
        "dead_letter_prefix": dead_prefix,
    }
    sweep: dict[str, Any] = {} if deadline is None else {"deadline": deadline, "sweep_interval": 0.5}
    starters = {
        "orders": lambda: orders_worker(orders_db, system.stop, **common, **sweep),
        "products": lambda: products_worker(products_db, system.stop, **common, stock_low=stock_low),
        "payments": lambda: payments_worker(payments_db, provider, system.stop, **common),
    }
    system.start_worker = lambda name: system.tasks.append(asyncio.create_task(starters[name]()))
    for name in workers:
        system.start_worker(name)
    try:
        yield system
    finally:
        system.stop.set()
        await asyncio.wait_for(asyncio.gather(*system.tasks, return_exceptions=True), timeout=15)
        await client.aclose()


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on a free port of this event loop (its databases are this loop's); the base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # No lifespan: the test owns the databases; the app's live events are closed here instead.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        await app.state.live.close()
