"""Subscriptions at scale: N clients on one gateway process, watching orders move while orders flow.

Starts the system (`up`: every service, worker and the gateway as processes on fresh SQLite files, a stream of
its own on the machine's NATS), places ``--orders`` orders and waits until the saga confirmed them, then opens
``--subscribers`` WebSocket connections (graphql-transport-ws, one connection and one subscription each, from
this one process), spread round-robin over the orders, each subscription's first event being the order as it
is. Then, for ``--duration`` seconds, staff ship every watched order and then deliver it (``updateOrderStatus``:
two commits per order, each an event to its watchers) while new orders keep flowing through the saga
(``--rate`` a second). Watchers of one order speak with the same credentials, so the gateway shares one upstream
subscription per order between them.

It prints:
- events delivered per second (the live events of the flow, not the first states);
- delivery latency p50/p99/max from the commit (the order's ``statusChangedAt``, stamped in the commit's
  transaction) to the client's receipt;
- upstream subscriptions open: at the gateway (its WebSocket connections to the orders service) and at the
  subgraph (the orders service's own count, ``/health``), with the clients connected and after they left;
- the gateway's RSS before the clients came and with them, and the difference per 1,000 subscribers.

Exit status 0 when every live event arrived and nothing stayed open upstream. From the repository root:
``.venv/bin/python bench/subscriptions.py`` (1,000 subscribers), ``--subscribers 5000 --orders 500``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.subscriptions.running import SubscriptionSystem, subscription_system  # noqa: E402
from tests.transport_ws import Operation, connect  # noqa: E402

WATCH = """subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { id status statusChangedAt items { product { name } } }
}"""
MOVE = "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }"
ORDER = "query($id: ID!) { order(id: $id) { status } }"


@dataclass
class Tally:
    subscribers: int
    first: int = 0
    live: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    completed: int = 0
    last_receipt: float = 0.0
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def end(self) -> None:
        if self.completed + len(self.errors) >= self.subscribers:
            self.ended.set()


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


async def _watch(operation: Operation, tally: Tally) -> None:
    """Count one subscription's events until it completes (DELIVERED is final)."""
    while True:
        message = await operation.next(within=600)
        received = time.time()
        if message.type == "complete":
            tally.completed += 1
            tally.end()
            return
        if message.type != "next" or message.payload.get("errors"):
            tally.errors.append(message.payload)
            tally.end()
            return
        order = message.payload["data"]["orderStatusChanged"]
        if order["status"] == "CONFIRMED":
            # The order as it was when its upstream subscription opened; a subscriber that joined an open
            # shared one gets no such first event (the gateway replays nothing).
            tally.first += 1
            continue
        tally.live += 1
        tally.latencies.append(received - _epoch(order["statusChangedAt"]))
        tally.last_receipt = time.monotonic()


class Bench:
    def __init__(self, system: SubscriptionSystem, args: argparse.Namespace) -> None:
        self.system = system
        self.args = args
        self.staff = system.staff_token()
        self.http = httpx.AsyncClient(timeout=60, headers={"authorization": f"Bearer {self.staff}"})
        self.gateway = psutil.Process(system.local.pids()["gateway"])
        self.orders_port = int(system.local.subgraph_urls["orders"].split(":")[2].split("/")[0])

    async def gql(self, query: str, variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else None
        response = await self.http.post(
            self.system.url, json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise RuntimeError(json.dumps(body["errors"])[:300])
        return body["data"]

    async def place(self, product: str, user: str) -> Any:
        """Place an order; a failure (SQLite busy under load, say) is retried with the same idempotency key."""
        order = {
            "userId": user,
            "items": [{"productId": product, "quantity": 1}],
            "paymentToken": "4242424242424242",
            "idempotencyKey": uuid.uuid4().hex,
        }
        query = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }"
        for attempt in range(6):
            try:
                return await self.gql(query, {"i": order}, self.system.token(user))
            except (RuntimeError, httpx.HTTPError):
                if attempt == 5:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))

    async def confirmed_orders(self, count: int, product: str) -> list[str]:
        gate = asyncio.Semaphore(4)

        async def one(i: int) -> str:
            async with gate:
                return str((await self.place(product, f"User:{1 + i % 500}"))["placeOrder"]["id"])

        ids = await asyncio.gather(*(one(i) for i in range(count)))
        deadline = time.monotonic() + 120
        for order_id in ids:
            while (await self.gql(ORDER, {"id": order_id}))["order"]["status"] != "CONFIRMED":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{order_id} was not confirmed in time")
                await asyncio.sleep(0.2)
        return ids

    async def move(self, order_id: str, status: str) -> None:
        """``updateOrderStatus``, retried while the order is not there yet (a busy SQLite refused a write)."""
        for attempt in range(6):
            try:
                await self.gql(MOVE, {"id": order_id, "s": status})
                return
            except (RuntimeError, httpx.HTTPError):
                if (await self.gql(ORDER, {"id": order_id}))["order"]["status"] == status or attempt == 5:
                    return
                await asyncio.sleep(0.5 * (attempt + 1))

    def rss(self) -> int:
        return int(self.gateway.memory_info().rss)

    def upstream_at_gateway(self) -> int:
        """The gateway's TCP connections to the orders service: one per upstream subscription."""
        return sum(
            1
            for c in self.gateway.net_connections(kind="tcp")
            if c.raddr and c.raddr.port == self.orders_port and c.status == psutil.CONN_ESTABLISHED
        )

    async def upstream_at_orders(self) -> int:
        url = self.system.local.subgraph_urls["orders"].replace("/graphql", "/health")
        return int((await self.http.get(url)).json()["subscriptions"])

    async def settle_upstream(self, expected: int, within: float = 30.0) -> tuple[int, int]:
        deadline = time.monotonic() + within
        while True:
            counts = (self.upstream_at_gateway(), await self.upstream_at_orders())
            if counts == (expected, expected) or time.monotonic() > deadline:
                return counts
            await asyncio.sleep(0.2)

    async def flow(self, orders: list[str], product: str, stop: asyncio.Event) -> int:
        """Ship, then deliver, every watched order over ``--duration``; new orders meanwhile. Placed count."""
        placed = 0

        async def background() -> None:
            nonlocal placed
            interval = 1 / self.args.rate if self.args.rate > 0 else None
            while interval is not None and not stop.is_set():
                try:
                    await self.place(product, f"User:{1 + placed % 500}")
                    placed += 1
                except (RuntimeError, httpx.HTTPError) as exc:
                    print(f"a background order failed: {exc}", flush=True)
                await asyncio.sleep(interval)

        feeder = asyncio.create_task(background())
        half = self.args.duration / 2
        gate = asyncio.Semaphore(8)
        try:
            for status in ("SHIPPED", "DELIVERED"):
                start = time.monotonic()
                moves = []
                for i, order_id in enumerate(orders):
                    await asyncio.sleep(max(0.0, start + half * i / len(orders) - time.monotonic()))

                    async def move(order_id: str = order_id, status: str = status) -> None:
                        async with gate:
                            await self.move(order_id, status)

                    moves.append(asyncio.create_task(move()))
                await asyncio.gather(*moves)
        finally:
            stop.set()
            await feeder
        return placed


async def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-subscriptions-"))
    print(f"starting the system in {workdir} ...", flush=True)
    code = 1
    try:
        with subscription_system(workdir, LOG_LEVEL="WARNING") as system:
            code = await measure(system, args)
    finally:
        if code == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"the system's logs and databases are kept in {workdir}", flush=True)
    return code


async def measure(system: SubscriptionSystem, args: argparse.Namespace) -> int:
    """The benchmark on a running system (``tests.subscriptions.running``); its exit status."""
    bench = Bench(system, args)
    try:
        return await _measure(bench, args)
    finally:
        await bench.http.aclose()


async def _measure(bench: Bench, args: argparse.Namespace) -> int:
    product = bench.system.add_product("Bench Tome", stock=1_000_000)
    orders = await bench.confirmed_orders(args.orders, product)
    await asyncio.sleep(1)
    rss_before = bench.rss()
    tally = Tally(args.subscribers)
    connector = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=connector)
    gate = asyncio.Semaphore(args.connect_concurrency)
    watchers: list[asyncio.Task[None]] = []
    clients: list[Any] = []

    async def subscriber(i: int) -> None:
        async with gate:
            context = connect(
                bench.system.url, payload={"Authorization": f"Bearer {bench.staff}"}, session=session
            )
            client = await context.__aenter__()
            clients.append(context)
            operation = await client.subscribe(WATCH, {"id": orders[i % len(orders)]})
            watchers.append(asyncio.create_task(_watch(operation, tally)))

    started = time.monotonic()
    await asyncio.gather(*(subscriber(i) for i in range(args.subscribers)))
    at_gateway, at_orders = await bench.settle_upstream(len(orders), within=60)
    connected = time.monotonic() - started
    await asyncio.sleep(1)  # the last subscribes reach the gateway
    per_order = args.subscribers / len(orders)
    joined = args.subscribers - tally.first
    print(
        f"subscribers: {args.subscribers} on {len(orders)} orders ({per_order:g} per order), connected in "
        f"{connected:.1f} s; {tally.first} got the order's current state first"
        + (f", {joined} joined a shared upstream subscription already open" if joined else ""),
        flush=True,
    )
    rss_with = bench.rss()
    print(f"upstream subscriptions open: gateway {at_gateway}, orders subgraph {at_orders}", flush=True)
    per_thousand = (rss_with - rss_before) / args.subscribers * 1000
    print(
        f"gateway RSS: {rss_before / 2**20:.1f} MiB before, {rss_with / 2**20:.1f} MiB with "
        f"{args.subscribers} subscribers: {per_thousand / 2**20:.1f} MiB per 1,000 subscribers",
        flush=True,
    )

    flow_start = time.monotonic()
    placed = await bench.flow(orders, product, asyncio.Event())
    expected = 2 * args.subscribers
    try:
        await asyncio.wait_for(tally.ended.wait(), timeout=60)
    except TimeoutError:
        pass
    elapsed = (tally.last_receipt or time.monotonic()) - flow_start
    print(
        f"events delivered: {tally.live} of {expected} in {elapsed:.1f} s: {tally.live / elapsed:.1f} per second "
        f"({placed} more orders placed meanwhile)",
        flush=True,
    )
    if tally.latencies:
        ordered = sorted(tally.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"delivery latency from commit: p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms",
            flush=True,
        )
    if tally.errors:
        print(f"errors: {len(tally.errors)}, first: {json.dumps(tally.errors[0])[:300]}", flush=True)

    for context in clients:
        await context.__aexit__(None, None, None)
    await session.close()
    for task in watchers:
        task.cancel()
    left_gateway, left_orders = await bench.settle_upstream(0)
    print(f"after the clients left: gateway {left_gateway}, orders subgraph {left_orders}", flush=True)
    ok = tally.live == expected and not tally.errors and (left_gateway, left_orders) == (0, 0)
    print("ok" if ok else "FAILED", flush=True)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--subscribers", type=int, default=1000, help="concurrent subscriptions (default 1000)"
    )
    parser.add_argument("--orders", type=int, default=100, help="orders they watch (default 100)")
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds over which the orders are shipped and delivered"
    )
    parser.add_argument("--rate", type=float, default=5.0, help="new orders a second meanwhile (default 5)")
    parser.add_argument(
        "--connect-concurrency", type=int, default=50, help="connections opened at once (default 50)"
    )
    args = parser.parse_args()
    if args.orders < 1 or args.subscribers < 1 or args.duration <= 0:
        parser.error("--subscribers, --orders and --duration must be positive")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
