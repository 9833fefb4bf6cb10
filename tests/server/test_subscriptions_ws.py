"""Subscriptions over GraphQL over WebSocket through a real gateway to real Strawberry subgraphs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.commands.serve import build_app
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.subscriptions.clients import WsClient, wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

ORDER_SUBSCRIPTION = """
subscription Watch($id: ID!) {
  orderStatusChanged(orderId: $id) {
    id status
    customer { id name }
    items { quantity product { name } }
  }
}
"""


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs) -> Iterator[str]:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ={})
    with serve_in_thread(app) as url:
        yield url


async def set_status(subgraphs: LiveSubgraphs, order_id: str, status: str) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            subgraphs.urls["orders"],
            json={
                "query": "mutation($o: ID!, $s: String!) { setStatus(orderId: $o, status: $s) }",
                "variables": {"o": order_id, "s": status},
            },
        )
    count: int = response.json()["data"]["setStatus"]
    return count


async def test_events_are_hydrated_from_three_subgraphs(subgraphs: LiveSubgraphs, gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-hydrate"})
    await wait_until(lambda: subgraphs.board.open_for("o-hydrate") == 1)
    await set_status(subgraphs, "o-hydrate", "PENDING")
    message = await client.receive()
    assert message == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "orderStatusChanged": {
                    "id": "o-hydrate",
                    "status": "PENDING",
                    "customer": {"id": "u1", "name": "Ada u1"},
                    "items": [{"quantity": 2, "product": {"name": "Widget p1"}}],
                }
            }
        },
    }
    await set_status(subgraphs, "o-hydrate", "CONFIRMED")
    last: dict[str, Any] = await client.receive()
    assert last["payload"]["data"]["orderStatusChanged"]["status"] == "CONFIRMED"
    # The subgraph's stream ends after CONFIRMED: the client's subscription completes.
    assert await client.receive() == {"id": "1", "type": "complete"}
    await client.close()


async def test_a_client_that_leaves_closes_the_upstream_subscription(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-leave"})
    await wait_until(lambda: subgraphs.board.open_for("o-leave") == 1)
    await client.close()
    await wait_until(lambda: subgraphs.board.open_for("o-leave") == 0)


async def test_complete_from_the_client_closes_the_upstream_subscription(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("a", ORDER_SUBSCRIPTION, {"id": "o-complete"})
    await wait_until(lambda: subgraphs.board.open_for("o-complete") == 1)
    await client.send({"id": "a", "type": "complete"})
    await wait_until(lambda: subgraphs.board.open_for("o-complete") == 0)
    # The connection stays usable.
    await client.send({"type": "ping"})
    assert await client.receive() == {"type": "pong"}
    await client.close()


async def test_identical_subscriptions_share_one_upstream(subgraphs: LiveSubgraphs, gateway_url: str) -> None:
    first = await WsClient.open(ws_url(gateway_url))
    second = await WsClient.open(ws_url(gateway_url))
    opened = subgraphs.board.opened
    await first.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-share"})
    await wait_until(lambda: subgraphs.board.open_for("o-share") == 1)
    await second.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-share"})
    await set_status(subgraphs, "o-share", "PENDING")
    for client in (first, second):
        message = await client.receive()
        assert message["payload"]["data"]["orderStatusChanged"]["status"] == "PENDING"
    assert subgraphs.board.opened == opened + 1
    assert subgraphs.board.open_for("o-share") == 1
    await first.close()
    await set_status(subgraphs, "o-share", "PAID")
    assert (await second.receive())["payload"]["data"]["orderStatusChanged"]["status"] == "PAID"
    await second.close()
    await wait_until(lambda: subgraphs.board.open_for("o-share") == 0)


async def test_an_upstream_error_is_masked(subgraphs: LiveSubgraphs, gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-boom"})
    await wait_until(lambda: subgraphs.board.open_for("o-boom") == 1)
    await set_status(subgraphs, "o-boom", "BOOM")
    message = await client.receive()
    assert message["type"] == "next"
    text = str(message)
    assert "hunter2" not in text
    errors = message["payload"]["errors"]
    assert errors[0]["message"] == "Subgraph errors redacted"
    assert errors[0]["extensions"]["serviceName"] == "orders"
    await client.close()


async def test_queries_run_over_websocket_too(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("q", '{ order(id: "7") { status customer { name } } }')
    assert await client.receive() == {
        "id": "q",
        "type": "next",
        "payload": {"data": {"order": {"status": "PENDING", "customer": {"name": "Ada u1"}}}},
    }
    assert await client.receive() == {"id": "q", "type": "complete"}
    await client.close()


async def test_an_invalid_operation_gets_an_error_message(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("bad", "subscription { nope }")
    message = await client.receive()
    assert message["type"] == "error" and message["id"] == "bad"
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await client.close()


async def test_an_unreachable_subgraph_ends_the_subscription_with_a_masked_error(
    subgraphs: LiveSubgraphs,
) -> None:
    from dataclasses import replace

    from tests.server.live import free_port

    supergraph = subgraphs.supergraph()
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    supergraph.subgraphs["orders"] = replace(supergraph.subgraphs["orders"], url=dead)
    with serve_in_thread(build_app(supergraph, ServerSettings(), environ={})) as url:
        client = await WsClient.open(ws_url(url))
        await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-dead"})
        message = await client.receive()
        assert message["type"] == "next"
        (error,) = message["payload"]["errors"]
        assert error["message"] == 'Subgraph "orders" could not be reached'
        assert error["extensions"]["code"] == "SUBGRAPH_REQUEST_FAILED"
        assert "127.0.0.1" not in str(message)
        assert await client.receive() == {"id": "1", "type": "complete"}
        await client.close()
