"""The order saga under crashes: orders through the gateway while services and their workers are killed -9.

Starts users, products, orders, payments (each on its own SQLite file in a temporary directory), their
workers and the gateway as separate processes on a stream of its own; places a stream of orders (some with a
declining card, some cancelled once confirmed), retrying a cut connection with the same idempotency key,
while it kills a random service or worker at random moments and restarts it. Then it waits for quiescence
and checks, from the services' own databases:

- stuck orders (still PENDING): must be 0;
- stock conservation per product: initial = on hand + reserved + sold, with sold counted by orders;
- payments captured = confirmed orders, refunded = cancelled ones, nothing held for a rejected order;
- duplicates after client retries with the same key: must be 0;
- cancels chosen but never answered (their order unreadable or not cancellable in time): must be 0;
- twenty concurrent orders for a product with stock 5: exactly five confirmed.

Exit status 0 when every check holds. ``python bench/saga_chaos.py --orders 200 --seconds 120``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gateway.server.auth.dev_key import dev_auth_env, ensure_dev_key

ROOT = Path(__file__).resolve().parent.parent
OK_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"
SERVICES = ("users", "products", "orders", "payments")
WORKERS = ("products", "orders", "payments")
PRODUCTS = (1, 2, 3)  # the products the chaos orders buy
SCARCE = 4  # the product the twenty concurrent orders compete for
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }"""
CANCEL = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }"
ORDER = "query($id: ID!) { order(id: $id) { id status } }"


@dataclass
class Proc:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Tally:
    placed: int = 0  # placeOrder calls made (each with its own key)
    acknowledged: int = 0  # of which the client got an order back
    retries: int = 0
    duplicates: int = 0  # a retry under a key that answered a different order
    cancel_asked: int = 0
    cancel_chosen: int = 0
    cancel_unanswered: int = 0  # chosen, but their order could not be read or cancelled before the deadline
    ids: dict[str, str] = field(default_factory=dict)  # key -> order id


class System:
    def __init__(self, base_port: int, data: Path, stream: str) -> None:
        self.data = data
        self.gateway_url = f"http://127.0.0.1:{base_port}/graphql"
        env = dict(os.environ, DATA_DIR=str(data), PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING")
        env.pop("DATABASE_URL", None)
        # The gateway trusts the development key, as under `fedgw up`: orders are placed as guests, but
        # reading and cancelling them is staff's (orders:manage), with a token signed by that key.
        dev_key = ensure_dev_key(data)
        env.update(dev_auth_env(dev_key))
        self.staff = {"authorization": "Bearer " + dev_key.sign("User:1", ["orders:manage"], 24 * 3600)}
        env.update(
            EVENTS_STREAM=stream,
            EVENTS_SUBJECT_PREFIX=stream.lower(),
            EVENTS_DEAD_PREFIX=f"{stream.lower()}_dead",
            ORDER_DEADLINE_SECONDS="60",
            GATEWAY_EXPOSE_QUERY_PLAN="false",
        )
        self.ports = {name: base_port + 1 + i for i, name in enumerate(SERVICES)}
        for name, port in self.ports.items():
            env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}/graphql"
            env[f"SUBGRAPH_{name.upper()}_URL"] = f"http://127.0.0.1:{port}/graphql"
        py = sys.executable
        self.services = {
            name: Proc(
                name,
                [
                    py,
                    "-m",
                    f"subgraphs.{name}",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                env,
                data / f"{name}.log",
            )
            for name, port in self.ports.items()
        }
        self.workers = {
            name: Proc(
                f"{name}-worker", [py, "-m", f"subgraphs.{name}.worker"], env, data / f"{name}-worker.log"
            )
            for name in WORKERS
        }
        self.gateway = Proc(
            "gateway",
            [
                py,
                "-m",
                "gateway",
                "serve",
                "--config",
                str(ROOT / "gateway.yaml"),
                "--host",
                "127.0.0.1",
                "--port",
                str(base_port),
            ],
            env,
            data / "gateway.log",
        )

    def all(self) -> list[Proc]:
        return [*self.services.values(), *self.workers.values(), self.gateway]

    def victims(self) -> list[Proc]:
        return [*self.services.values(), *self.workers.values()]

    async def wait_healthy(self, within: float, *, gateway: bool = True) -> None:
        urls = [f"http://127.0.0.1:{p}/health" for p in self.ports.values()]
        if gateway:
            urls.append(self.gateway_url.replace("/graphql", "/health"))
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            for url in urls:
                while True:
                    try:
                        if (await client.get(url)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} not healthy after {within:.0f} s (logs in {self.data})")
                    await asyncio.sleep(0.3)

    def sql(self, service: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.data / f"{service}.db", timeout=30)
        try:
            with conn:
                return list(conn.execute(query, params).fetchall())
        finally:
            conn.close()


async def gql(
    client: httpx.AsyncClient,
    url: str,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(url, json={"query": query, "variables": variables}, headers=headers)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("data") is None or any(v is None for v in body["data"].values()):
        raise RuntimeError(json.dumps(body.get("errors"))[:300])
    return body


async def place(
    client: httpx.AsyncClient,
    system: System,
    tally: Tally,
    product: int,
    quantity: int,
    card: str,
    deadline: float,
) -> str | None:
    """Place one order under a fresh key, retrying a failed call with the same key until ``deadline``."""
    key = f"chaos-{uuid.uuid4().hex}"
    tally.placed += 1
    variables = {
        "input": {
            "guestEmail": "chaos@example.org",
            "items": [{"productId": f"Product:{product}", "quantity": quantity}],
            "paymentToken": card,
            "idempotencyKey": key,
        }
    }
    first = True
    while time.monotonic() < deadline:
        if not first:
            tally.retries += 1
            await asyncio.sleep(0.3)
        first = False
        try:
            body = await gql(client, system.gateway_url, PLACE, variables)
        except (httpx.HTTPError, RuntimeError):
            continue
        order_id: str = body["data"]["placeOrder"]["id"]
        if key in tally.ids and tally.ids[key] != order_id:
            tally.duplicates += 1
        tally.ids[key] = order_id
        # Ask once more under the same key, as a client whose answer was lost would: it must be the same order.
        try:
            again = await gql(client, system.gateway_url, PLACE, variables)
            if again["data"]["placeOrder"]["id"] != order_id:
                tally.duplicates += 1
        except (httpx.HTTPError, RuntimeError):
            pass
        tally.acknowledged += 1
        return order_id
    return None


async def status(client: httpx.AsyncClient, system: System, order_id: str) -> str | None:
    try:
        body = await gql(client, system.gateway_url, ORDER, {"id": order_id}, system.staff)
    except (httpx.HTTPError, RuntimeError):
        return None
    value: str = body["data"]["order"]["status"]
    return value


async def chaos(system: System, rng: random.Random, stop: asyncio.Event, kills: int, log: list[str]) -> None:
    """Kill -9 a random service or worker every so often, restart it a moment later; at most ``kills`` times."""
    done = 0
    while not stop.is_set() and done < kills:
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(0.5, 2.5))
            return
        except TimeoutError:
            pass
        victim = rng.choice(system.victims())
        victim.kill()
        done += 1
        log.append(victim.name)
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        victim.start()


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    data = Path(tempfile.mkdtemp(prefix="saga-chaos-"))
    stream = f"CHAOS_{uuid.uuid4().hex[:8].upper()}"
    system = System(args.port, data, stream)
    started = time.monotonic()
    for proc in system.victims():
        proc.start()
    try:
        await system.wait_healthy(args.startup_timeout, gateway=False)
        system.gateway.start()  # it fetches the services' SDL when it starts
        await system.wait_healthy(args.startup_timeout)
        initial = dict(system.sql("products", "SELECT id, stock FROM products WHERE id IN (1, 2, 3)"))
        system.sql("products", "UPDATE products SET stock = 5 WHERE id = ?", (SCARCE,))
        initial[SCARCE] = 5
        tally = Tally()
        deadline = time.monotonic() + args.seconds
        async with httpx.AsyncClient(timeout=10) as client:
            # Twenty concurrent orders for the five units of one product, before any chaos.
            scarce = await asyncio.gather(
                *(place(client, system, tally, SCARCE, 1, OK_CARD, deadline) for _ in range(20))
            )
            stop = asyncio.Event()
            killed: list[str] = []
            chaos_task = asyncio.create_task(chaos(system, rng, stop, args.kills, killed))
            cancels: list[str] = []
            placed: list[str] = [o for o in scarce if o is not None]
            sem = asyncio.Semaphore(args.concurrency)

            async def one(i: int) -> None:
                async with sem:
                    declined = rng.random() < args.decline_rate
                    quantity = rng.choice((1, 1, 2, 3, 50))  # some ask for more than there is
                    order_id = await place(
                        client,
                        system,
                        tally,
                        rng.choice(PRODUCTS),
                        quantity,
                        DECLINED_CARD if declined else OK_CARD,
                        deadline,
                    )
                    if order_id is not None:
                        placed.append(order_id)
                        if not declined and rng.random() < args.cancel_rate:
                            cancels.append(order_id)

            await asyncio.gather(*(one(i) for i in range(args.orders)))
            # Cancel some once they are confirmed (retrying: a cancel may hit a killed service).
            tally.cancel_chosen = len(cancels)
            for order_id in cancels:
                answered = False
                while time.monotonic() < deadline + args.quiesce:
                    current = await status(client, system, order_id)
                    if current in ("REJECTED", "CANCELLED"):
                        answered = True
                        break
                    if current == "CONFIRMED":
                        try:
                            await gql(client, system.gateway_url, CANCEL, {"id": order_id}, system.staff)
                            tally.cancel_asked += 1
                            answered = True
                            break
                        except (httpx.HTTPError, RuntimeError):
                            pass
                    await asyncio.sleep(0.3)
                tally.cancel_unanswered += not answered
            stop.set()
            await chaos_task
        for proc in system.victims():  # everything up again for the end
            if proc.process is None or proc.process.poll() is not None:
                proc.start()
        quiet = await quiescence(system, args.quiesce)
        return report(system, tally, initial, killed, quiet, time.monotonic() - started, scarce)
    finally:
        for proc in reversed(system.all()):
            proc.stop()
        await _delete_streams(stream)


async def quiescence(system: System, within: float) -> bool:
    """Until no order is PENDING and every outbox is empty (then one more quiet second), or ``within`` seconds."""
    deadline = time.monotonic() + within
    calm = 0
    while time.monotonic() < deadline:
        pending = system.sql(
            "orders", "SELECT COUNT(*) FROM orders WHERE status = 'PENDING' AND payment_token IS NOT NULL"
        )[0][0]
        backlog = sum(
            system.sql(s, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")[0][0] for s in WORKERS
        )
        reserved = system.sql("products", "SELECT COALESCE(SUM(reserved), 0) FROM products")[0][0]
        saga = {o for (o,) in system.sql("orders", "SELECT id FROM orders WHERE payment_token IS NOT NULL")}
        states = system.sql(
            "payments", "SELECT order_id FROM payments WHERE state IN ('PENDING', 'AUTHORIZED')"
        )
        held = sum(1 for (o,) in states if o in saga)
        calm = calm + 1 if pending == backlog == reserved == held == 0 else 0
        if calm >= 3:
            return True
        await asyncio.sleep(0.5)
    return False


def report(
    system: System,
    tally: Tally,
    initial: dict[int, int],
    killed: list[str],
    quiet: bool,
    elapsed: float,
    scarce: list[str | None],
) -> int:
    statuses = dict(
        system.sql(
            "orders", "SELECT status, COUNT(*) FROM orders WHERE payment_token IS NOT NULL GROUP BY status"
        )
    )
    keys = system.sql(
        "orders",
        "SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM orders WHERE payment_token IS NOT NULL",
    )[0]
    by_order = dict(system.sql("orders", "SELECT id, status FROM orders WHERE payment_token IS NOT NULL"))
    # Only the saga's orders: the seed data has payments of its own.
    payments = {
        o: s for o, s in system.sql("payments", "SELECT order_id, state FROM payments") if o in by_order
    }
    confirmed = [o for o, s in by_order.items() if s == "CONFIRMED"]
    captured = [o for o, s in payments.items() if s == "CAPTURED"]
    wrong_charges = [
        o for o, s in payments.items() if s in ("CAPTURED", "AUTHORIZED") and by_order.get(o) != "CONFIRMED"
    ]
    refunds_missing = [o for o, s in by_order.items() if s == "CANCELLED" and payments.get(o) != "REFUNDED"]
    conservation: list[str] = []
    conserved = True
    for pk, start in sorted(initial.items()):
        stock, reserved = system.sql("products", "SELECT stock, reserved FROM products WHERE id = ?", (pk,))[
            0
        ]
        sold = system.sql(
            "orders",
            "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE i.product_id = ? AND o.status = 'CONFIRMED' AND o.payment_token IS NOT NULL",
            (pk,),
        )[0][0]
        ok = start == (stock - reserved) + reserved + sold
        conserved &= ok
        conservation.append(
            f"product {pk}: initial {start} = on hand {stock - reserved} + reserved {reserved} + sold {sold}: {'ok' if ok else 'BROKEN'}"
        )
    scarce_ids = {int(o.split(":")[1]) for o in scarce if o is not None}
    scarce_confirmed = sum(1 for o in scarce_ids if by_order.get(o) in ("CONFIRMED", "CANCELLED"))
    stuck = statuses.get("PENDING", 0)
    duplicates = tally.duplicates + (keys[0] - keys[1])
    lines = [
        f"saga chaos: {elapsed:.0f} s, killed -9: {len(killed)} ({', '.join(sorted(set(killed))) or 'none'}), quiescent: {quiet}",
        f"orders placed {tally.placed}, acknowledged {tally.acknowledged}, client retries {tally.retries}",
        f"cancels asked {tally.cancel_asked} of {tally.cancel_chosen} chosen, unanswered {tally.cancel_unanswered} (must be 0)",
        "terminal states: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        f"stuck (PENDING): {stuck}",
        *conservation,
        f"payments captured {len(captured)} = confirmed orders {len(confirmed)}: {'ok' if len(captured) == len(confirmed) else 'BROKEN'}",
        f"charges held for orders not confirmed: {len(wrong_charges)}; cancelled orders not refunded: {len(refunds_missing)}",
        f"duplicates after client retries with the same key: {duplicates}",
        f"twenty concurrent orders for stock 5: {scarce_confirmed} confirmed (must be 5)",
        f"logs and databases: {system.data}",
    ]
    print("\n".join(lines), flush=True)
    good = (
        quiet
        and stuck == 0
        and conserved
        and len(captured) == len(confirmed)
        and not wrong_charges
        and not refunds_missing
        and duplicates == 0
        and scarce_confirmed == 5
        and tally.cancel_unanswered == 0
    )
    print("result: " + ("every check holds" if good else "FAILED"), flush=True)
    return 0 if good else 1


async def _delete_streams(stream: str) -> None:
    try:
        import nats

        nc = await nats.connect(
            os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
            connect_timeout=2,
            max_reconnect_attempts=0,
            allow_reconnect=False,
        )
    except Exception:
        return
    js = nc.jetstream()
    for name in (stream, f"{stream}_DEAD"):
        try:
            await js.delete_stream(name)
        except Exception:
            pass
    await nc.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=200, help="orders in the chaos stream")
    p.add_argument("--kills", type=int, default=20, help="at most this many kill -9s")
    p.add_argument("--seconds", type=float, default=120, help="time for placing orders and cancels")
    p.add_argument("--quiesce", type=float, default=120, help="time to wait for quiescence at the end")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--decline-rate", type=float, default=0.2)
    p.add_argument("--cancel-rate", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port", type=int, default=4300, help="gateway port; the services take the next four")
    p.add_argument("--startup-timeout", type=float, default=120)
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
