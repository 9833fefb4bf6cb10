"""The whole system (`python -m gateway up`) for subscription tests: its own event stream, dead-letter prefix and
stock-low subject on the machine's NATS (removed afterwards), and the npm reference clients driven as processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.server.auth.dev_key import ensure_dev_key
from tests.local_system import ROOT, LocalSystem, local_system

__all__ = [
    "DECLINED_CARD",
    "NODE_CLIENTS",
    "OK_CARD",
    "ReferenceClient",
    "SubscriptionSystem",
    "node_clients_available",
    "subscription_system",
]

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
NODE_CLIENTS = ROOT / "tests" / "subscriptions" / "clients"
OK_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
STAFF_SCOPES = ("orders:manage", "products:manage", "users:manage")
STOCK_LOW = "products.stockLow"  # the subject schema/inventory-events.graphql names

CREATE_PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) { id name } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }"""


@dataclass
class SubscriptionSystem:
    local: LocalSystem
    data_dir: Path
    stream: str
    stock_low_subject: str

    @property
    def url(self) -> str:
        return self.local.url

    def token(self, sub: str, *scopes: str) -> str:
        return ensure_dev_key(self.data_dir).sign(sub, list(scopes), 600)

    def staff_token(self) -> str:
        return self.token("User:staff", *STAFF_SCOPES)

    def post(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {token or self.staff_token()}"}
        response = httpx.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def add_product(self, name: str, stock: int) -> str:
        sku = f"SUB-{uuid.uuid4().hex[:10]}"
        product = {
            "sku": sku,
            "name": name,
            "price": {"amount": "12.50", "currency": "EUR"},
            "stock": stock,
            "category": "BOOKS",
            "weightGrams": 300,
        }
        created: str = self.post(CREATE_PRODUCT, {"input": product})["createProduct"]["id"]
        return created

    def place(self, product_id: str, *, user: str = "User:1", card: str = OK_CARD, quantity: int = 1) -> str:
        """An order of ``user``'s, placed by them through the gateway; its id."""
        order = {
            "userId": user,
            "items": [{"productId": product_id, "quantity": quantity}],
            "paymentToken": card,
            "idempotencyKey": uuid.uuid4().hex,
        }
        placed = self.post(PLACE, {"input": order}, token=self.token(user))["placeOrder"]
        assert placed["status"] == "PENDING", placed
        return str(placed["id"])

    @contextmanager
    def payments_held(self) -> Iterator[None]:
        """The payments worker paused (SIGSTOP) for the block: an order placed meanwhile stays PENDING, its card
        not yet authorised, until the block ends and the worker goes on (SIGCONT) from where it was."""
        pid = self.local.worker_pid("payments")
        os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    def subgraph_health(self, name: str) -> dict[str, Any]:
        url = self.local.subgraph_urls[name].replace("/graphql", "/health")
        body: dict[str, Any] = httpx.get(url, timeout=5).json()
        return body

    def open_upstream(self, within: float = 10.0, *, expected: int) -> int:
        """The orders service's open subscriptions, once they are ``expected`` (or after ``within`` s)."""
        deadline = time.monotonic() + within
        while True:
            count = int(self.subgraph_health("orders")["subscriptions"])
            if count == expected or time.monotonic() > deadline:
                return count
            time.sleep(0.1)


def node_clients_available() -> str | None:
    """Why the npm clients cannot run here, or None (installs them from the lock file when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed"
    if not (NODE_CLIENTS / "node_modules" / "graphql-ws").exists():
        done = subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"],
            cwd=NODE_CLIENTS,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return f"npm ci failed in {NODE_CLIENTS}: {done.stderr[-500:]}"
    return None


class ReferenceClient:
    """One subscription through the graphql-ws or graphql-sse npm client (``clients/subscribe.mjs``, beside the tests' own ``drive.mjs``)."""

    def __init__(
        self, url: str, protocol: str, query: str, variables: dict[str, Any] | None, token: str | None
    ) -> None:
        """Subscribes at once, or, with ``variables`` None, connects and waits for ``subscribe(variables)``."""
        options: dict[str, Any] = {"url": url, "protocol": protocol, "query": query, "token": token}
        if variables is not None:
            options["variables"] = variables
        self.process = subprocess.Popen(
            ["node", str(NODE_CLIENTS / "subscribe.mjs"), json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))
        self.lines.put({"type": "exited", "code": self.process.wait()})

    def subscribe(self, variables: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(variables) + "\n")
        self.process.stdin.flush()

    def next(self, within: float = 20.0) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=within)
        except queue.Empty:
            raise AssertionError(
                f"no message from the {self.process.args[2][:60]} client in {within} s"
            ) from None

    def until(self, kind: str, within: float = 20.0) -> list[dict[str, Any]]:
        """Messages up to and including the first of ``kind`` (or the client's exit)."""
        seen = []
        while True:
            message = self.next(within)
            seen.append(message)
            if message["type"] in (kind, "exited"):
                return seen

    def close(self) -> None:
        """Dispose of the client as an app leaving would (stdin closed), then wait for it."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ReferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if self.process.poll() is None:
            self.process.kill()


@contextmanager
def subscription_system(workdir: Path, **env: str) -> Iterator[SubscriptionSystem]:
    """`up` on fresh SQLite files with a stream, dead-letter prefix and stock-low subject of its own."""
    tag = uuid.uuid4().hex[:10]
    stream, subject = f"SUBS_{tag}", f"{STOCK_LOW}.{tag}"
    env = {
        "EVENTS_STREAM": stream,
        "EVENTS_SUBJECT_PREFIX": f"subs{tag}",
        "EVENTS_DEAD_PREFIX": f"subsdead{tag}",
        "STOCK_LOW_SUBJECT": subject,
        "NATS_URL": NATS_URL,
        **env,
    }
    try:
        with local_system(workdir, env=env, subjects={STOCK_LOW: subject}) as local:
            yield SubscriptionSystem(local, workdir / "data", stream, subject)
    finally:
        # On a thread of its own: the caller may be inside an event loop (the benchmark is).
        cleanup = threading.Thread(target=asyncio.run, args=(_delete_streams(stream, f"{stream}_DEAD"),))
        cleanup.start()
        cleanup.join(30)


async def _delete_streams(*names: str) -> None:
    import nats

    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception:
        return
    try:
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_stream(name)
            except Exception:
                pass
    finally:
        await nc.close()
