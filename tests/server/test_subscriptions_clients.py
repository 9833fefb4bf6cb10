"""The reference clients, graphql-ws and graphql-sse (npm), against a real gateway and real subgraphs."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.commands.serve import build_app
from gateway.server.auth.dev_key import DevKey, dev_auth_env, ensure_dev_key
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.server.test_subscriptions_ws import ORDER_SUBSCRIPTION, set_status
from tests.subscriptions.clients import wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

pytestmark = pytest.mark.node

CLIENTS = Path(__file__).parent.parent / "subscriptions" / "clients"


@pytest.fixture(scope="module")
def clients() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed: the graphql-ws and graphql-sse clients cannot run")
    if not (CLIENTS / "node_modules" / "graphql-ws").exists():
        done = subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=CLIENTS, capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci failed in {CLIENTS}: {done.stderr[-300:]}")
    return CLIENTS


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def dev_key(tmp_path_factory: pytest.TempPathFactory) -> DevKey:
    return ensure_dev_key(Path(tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs, dev_key: DevKey) -> Iterator[str]:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ=dev_auth_env(dev_key))
    with serve_in_thread(app) as url:
        yield url


class Driven:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, within: float = 10.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        assert raw, "the client exited"
        return json.loads(raw)  # type: ignore[no-any-return]

    async def until(self, event: str) -> dict[str, Any]:
        while (line := await self.line())["event"] != event:
            pass
        return line


@asynccontextmanager
async def drive(clients: Path, **spec: Any) -> AsyncIterator[Driven]:
    process = await asyncio.create_subprocess_exec(
        "node", str(clients / "drive.mjs"), json.dumps(spec), stdout=asyncio.subprocess.PIPE
    )
    try:
        yield Driven(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_graphql_ws_receives_hydrated_events_then_complete(
    clients: Path, subgraphs: LiveSubgraphs, gateway_url: str, dev_key: DevKey
) -> None:
    token = dev_key.sign("User:1", [], 60)
    spec = {
        "protocol": "ws",
        "url": ws_url(gateway_url),
        "query": ORDER_SUBSCRIPTION,
        "variables": {"id": "o-node-ws"},
        "connectionParams": {"Authorization": f"Bearer {token}"},
    }
    async with drive(clients, **spec) as client:
        assert (await client.line())["event"] == "connected"
        await wait_until(lambda: subgraphs.board.open_for("o-node-ws") == 1, within=10)
        assert '"sub":"User:1"' in (subgraphs.board.headers[-1].get("x-claims") or "").replace(" ", "")
        await set_status(subgraphs, "o-node-ws", "PENDING")
        first = await client.line()
        assert first == {
            "event": "next",
            "payload": {
                "data": {
                    "orderStatusChanged": {
                        "id": "o-node-ws",
                        "status": "PENDING",
                        "customer": {"id": "u1", "name": "Ada u1"},
                        "items": [{"quantity": 2, "product": {"name": "Widget p1"}}],
                    }
                }
            },
        }
        await set_status(subgraphs, "o-node-ws", "REJECTED")
        last = await client.line()
        assert last["payload"]["data"]["orderStatusChanged"]["status"] == "REJECTED"
        assert (await client.line()) == {"event": "complete"}


async def test_graphql_ws_unsubscribing_closes_the_upstream(
    clients: Path, subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    spec = {
        "protocol": "ws",
        "url": ws_url(gateway_url),
        "query": ORDER_SUBSCRIPTION,
        "variables": {"id": "o-node-take"},
        "take": 1,
    }
    async with drive(clients, **spec) as client:
        await wait_until(lambda: subgraphs.board.open_for("o-node-take") == 1, within=10)
        await set_status(subgraphs, "o-node-take", "PENDING")
        assert (await client.line())["event"] == "connected"
        assert (await client.line())["event"] == "next"
        assert (await client.line())["event"] == "unsubscribed"
        await wait_until(lambda: subgraphs.board.open_for("o-node-take") == 0)


async def test_graphql_ws_with_a_refused_token_sees_4403(clients: Path, gateway_url: str) -> None:
    spec = {
        "protocol": "ws",
        "url": ws_url(gateway_url),
        "query": 'subscription { orderStatusChanged(orderId: "x") { id } }',
        "connectionParams": {"headers": {"authorization": "Bearer forged"}},
    }
    async with drive(clients, **spec) as client:
        closed = await client.until("closed")
        assert (closed["code"], closed["reason"]) == (4403, "Forbidden")
        error = await client.line()
        assert error == {"event": "error", "error": {"code": 4403, "reason": "Forbidden"}}


async def test_graphql_ws_gets_validation_errors_as_an_error_message(clients: Path, gateway_url: str) -> None:
    spec = {"protocol": "ws", "url": ws_url(gateway_url), "query": "subscription { nope }"}
    async with drive(clients, **spec) as client:
        error = await client.until("error")
        assert error["error"]["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_graphql_sse_receives_hydrated_events_then_complete(
    clients: Path, subgraphs: LiveSubgraphs, gateway_url: str, dev_key: DevKey
) -> None:
    token = dev_key.sign("User:5", [], 60)
    spec = {
        "protocol": "sse",
        "url": gateway_url + "/graphql",
        "query": ORDER_SUBSCRIPTION,
        "variables": {"id": "o-node-sse"},
        "headers": {"authorization": f"Bearer {token}"},
    }
    async with drive(clients, **spec) as client:
        await wait_until(lambda: subgraphs.board.open_for("o-node-sse") == 1, within=10)
        assert '"sub":"User:5"' in (subgraphs.board.headers[-1].get("x-claims") or "").replace(" ", "")
        await set_status(subgraphs, "o-node-sse", "CONFIRMED")
        event = await client.line()
        assert event["payload"]["data"]["orderStatusChanged"]["customer"] == {"id": "u1", "name": "Ada u1"}
        assert (await client.line()) == {"event": "complete"}
    await wait_until(lambda: subgraphs.board.open_for("o-node-sse") == 0)


async def test_graphql_sse_runs_a_query(clients: Path, gateway_url: str) -> None:
    spec = {"protocol": "sse", "url": gateway_url + "/graphql", "query": '{ order(id: "3") { status } }'}
    async with drive(clients, **spec) as client:
        assert await client.line() == {"event": "next", "payload": {"data": {"order": {"status": "PENDING"}}}}
        assert await client.line() == {"event": "complete"}


async def test_graphql_sse_with_a_refused_token_gets_401(clients: Path, gateway_url: str) -> None:
    spec = {
        "protocol": "sse",
        "url": gateway_url + "/graphql",
        "query": ORDER_SUBSCRIPTION,
        "variables": {"id": "x"},
        "headers": {"authorization": "Bearer forged"},
    }
    async with drive(clients, **spec) as client:
        error = await client.until("error")
        assert error["error"]["status"] == 401
