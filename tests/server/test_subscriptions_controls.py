"""The operation controls apply to every WebSocket subscribe: safelisting, automatic persisted queries and the
rate limit, as they apply to HTTP requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.commands.serve import build_app
from gateway.server.persisted import sha256_hex
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.server.test_subscriptions_ws import ORDER_SUBSCRIPTION, set_status
from tests.subscriptions.clients import WsClient, wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

WATCH_STATUS = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }"


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def safelisted_url(subgraphs: LiveSubgraphs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    manifest = Path(tmp_path_factory.mktemp("pq")) / "manifest.json"
    operations = [{"id": "watch-status", "name": "Watch", "type": "subscription", "body": WATCH_STATUS}]
    manifest.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations})
    )
    env = {"GATEWAY_PERSISTED_QUERIES": str(manifest), "GATEWAY_SAFELIST": "safelist"}
    with serve_in_thread(build_app(subgraphs.supergraph(), ServerSettings(), environ=env)) as url:
        yield url


@pytest.fixture(scope="module")
def apq_url(subgraphs: LiveSubgraphs) -> Iterator[str]:
    with serve_in_thread(build_app(subgraphs.supergraph(), ServerSettings(), environ={})) as url:
        yield url


async def test_safelisting_refuses_a_subscribe_outside_the_list_and_runs_one_by_id(
    subgraphs: LiveSubgraphs, safelisted_url: str
) -> None:
    client = await WsClient.open(ws_url(safelisted_url))
    await client.subscribe("free", ORDER_SUBSCRIPTION, {"id": "o-pq"})
    refusal = await client.receive()
    assert refusal["type"] == "error" and refusal["id"] == "free"
    assert refusal["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
    await client.send(
        {
            "id": "listed",
            "type": "subscribe",
            "payload": {"documentId": "watch-status", "variables": {"id": "o-pq"}},
        }
    )
    await wait_until(lambda: subgraphs.board.open_for("o-pq") == 1)
    await set_status(subgraphs, "o-pq", "PENDING")
    assert await client.receive() == {
        "id": "listed",
        "type": "next",
        "payload": {"data": {"orderStatusChanged": {"status": "PENDING"}}},
    }
    await client.close()


async def test_the_rate_limit_counts_connection_init_and_every_subscribe(subgraphs: LiveSubgraphs) -> None:
    env = {"GATEWAY_RATE_LIMIT": "3/600"}
    with serve_in_thread(build_app(subgraphs.supergraph(), ServerSettings(), environ=env)) as url:
        client = await WsClient.open(ws_url(url))  # one token
        outcomes = []
        for n in range(3):
            await client.subscribe(str(n), '{ order(id: "1") { status } }')
            message = await client.receive()
            if message["type"] == "next":
                assert await client.receive() == {"id": str(n), "type": "complete"}
                outcomes.append("ran")
            else:
                outcomes.append(message["payload"][0]["extensions"]["code"])
        assert outcomes == ["ran", "ran", "REQUEST_RATE_LIMITED"]
        await client.close()


async def test_automatic_persisted_queries_over_websocket(subgraphs: LiveSubgraphs, apq_url: str) -> None:
    client = await WsClient.open(ws_url(apq_url))
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(WATCH_STATUS)}}
    payload = {"extensions": extensions, "variables": {"id": "o-apq"}}
    await client.send({"id": "1", "type": "subscribe", "payload": payload})
    refusal = await client.receive()
    assert refusal["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    await client.send({"id": "2", "type": "subscribe", "payload": {**payload, "query": WATCH_STATUS}})
    await wait_until(lambda: subgraphs.board.open_for("o-apq") == 1)
    await client.send({"id": "3", "type": "subscribe", "payload": payload})  # now known by its hash
    await wait_until(lambda: subgraphs.board.open_for("o-apq") == 1)
    await set_status(subgraphs, "o-apq", "PENDING")
    ids = sorted([(await client.receive())["id"], (await client.receive())["id"]])
    assert ids == ["2", "3"]
    await client.close()
