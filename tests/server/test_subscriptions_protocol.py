"""GraphQL over WebSocket and over SSE, the protocols' rules: close codes, heartbeats, limits, SSE events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.commands.serve import build_app
from gateway.server.settings import ServerSettings, SubscriptionSettings
from tests.server.live import serve_in_thread
from tests.server.test_subscriptions_ws import ORDER_SUBSCRIPTION, set_status
from tests.subscriptions.clients import WsClient, wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

SETTINGS = replace(
    ServerSettings(),
    subscriptions=SubscriptionSettings(
        max_per_connection=2, max_total=3, connection_init_timeout=0.5, keep_alive=0.3
    ),
)


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs) -> Iterator[str]:
    with serve_in_thread(build_app(subgraphs.supergraph(), SETTINGS, environ={})) as url:
        yield url


async def closed_with(client: WsClient) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.receive()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_without_connection_init_the_socket_closes_with_4408(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url), init=False)
    assert await closed_with(client) == (4408, "Connection initialisation timeout")


async def test_a_second_connection_init_closes_with_4429(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.send({"type": "connection_init"})
    assert await closed_with(client) == (4429, "Too many initialisation requests")


async def test_subscribe_before_the_ack_closes_with_4401(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url), init=False)
    await client.subscribe("1", "{ __typename }")
    assert await closed_with(client) == (4401, "Unauthorized")


async def test_an_invalid_message_closes_with_4400(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.connection.send("not json")
    assert (await closed_with(client))[0] == 4400
    client = await WsClient.open(ws_url(gateway_url))
    await client.send({"type": "subscribe", "payload": {"query": "{ __typename }"}})  # no id
    assert (await closed_with(client))[0] == 4400
    client = await WsClient.open(ws_url(gateway_url))
    await client.connection.send(b'{"type": "ping"}')  # a binary frame
    assert (await closed_with(client))[0] == 4400


async def test_a_subscribe_with_an_id_in_use_closes_with_4409(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("same", ORDER_SUBSCRIPTION, {"id": "o-4409"})
    await wait_until(lambda: subgraphs.board.open_for("o-4409") == 1)
    await client.subscribe("same", ORDER_SUBSCRIPTION, {"id": "o-4409"})
    assert await closed_with(client) == (4409, "Subscriber for same already exists")
    # Closing the socket ended the first subscription upstream too.
    await wait_until(lambda: subgraphs.board.open_for("o-4409") == 0)


async def test_a_client_without_the_subprotocol_is_refused_with_4406(gateway_url: str) -> None:
    async with connect(ws_url(gateway_url)) as connection:
        with pytest.raises(ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


async def test_the_server_pings_and_answers_pings(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    raw = await client.connection.recv()
    assert raw == '{"type":"ping"}'
    await client.send({"type": "ping", "payload": {"x": 1}})
    while await client.receive() != {"type": "pong"}:
        pass
    await client.close()


async def test_subscriptions_per_connection_and_in_total_are_limited(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    first = await WsClient.open(ws_url(gateway_url))
    for n in ("1", "2"):
        await first.subscribe(n, ORDER_SUBSCRIPTION, {"id": f"o-limit-{n}"})
    await wait_until(lambda: subgraphs.board.open_for("o-limit-2") == 1)
    await first.subscribe("3", ORDER_SUBSCRIPTION, {"id": "o-limit-3"})
    refusal = await first.receive()
    assert refusal["type"] == "error" and refusal["id"] == "3"
    assert refusal["payload"][0]["extensions"] == {
        "code": "TOO_MANY_SUBSCRIPTIONS",
        "limit": "max_per_connection",
    }
    second = await WsClient.open(ws_url(gateway_url))
    await second.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-limit-4"})
    await wait_until(lambda: subgraphs.board.open_for("o-limit-4") == 1)
    await second.subscribe("2", ORDER_SUBSCRIPTION, {"id": "o-limit-5"})
    refusal = await second.receive()
    assert refusal["payload"][0]["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": "max_total"}
    # The connections stay open and their subscriptions keep running.
    await set_status(subgraphs, "o-limit-4", "PENDING")
    assert (await second.receive())["payload"]["data"]["orderStatusChanged"]["status"] == "PENDING"
    await first.close()
    await second.close()
    for n in ("1", "2", "4"):
        await wait_until(lambda n=n: subgraphs.board.open_for(f"o-limit-{n}") == 0)


async def test_sse_streams_next_events_then_complete(subgraphs: LiveSubgraphs, gateway_url: str) -> None:
    body = {"query": ORDER_SUBSCRIPTION, "variables": {"id": "o-sse"}}
    async with httpx.AsyncClient(timeout=10) as client:
        async with client.stream(
            "POST", gateway_url + "/graphql", json=body, headers={"accept": "text/event-stream"}
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            await wait_until(lambda: subgraphs.board.open_for("o-sse") == 1)
            await set_status(subgraphs, "o-sse", "PENDING")
            seen: list[str] = []
            async for line in lines:
                seen.append(line)
                if line.startswith("data: {"):
                    if '"PENDING"' in line:
                        await asyncio.sleep(0.5)  # longer than keep_alive: a heartbeat comes first
                        await set_status(subgraphs, "o-sse", "CONFIRMED")
                if line == "event: complete":
                    break
    events = [line for line in seen if line.startswith("event:")]
    assert events == ["event: next", "event: next", "event: complete"]
    data = [line for line in seen if line.startswith("data: {")]
    assert '"customer":{"id":"u1","name":"Ada u1"}' in data[0]
    assert ":" in seen  # a keep-alive comment arrived while waiting
    await wait_until(lambda: subgraphs.board.open_for("o-sse") == 0)


async def test_sse_get_and_a_query(gateway_url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            gateway_url + "/graphql",
            params={"query": '{ order(id: "1") { status } }'},
            headers={"accept": "text/event-stream"},
        )
    assert (
        response.text
        == 'event: next\ndata: {"data":{"order":{"status":"PENDING"}}}\n\nevent: complete\ndata:\n\n'
    )


async def test_sse_refusals_are_http_errors(gateway_url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            gateway_url + "/graphql",
            json={"query": "subscription { nope }"},
            headers={"accept": "text/event-stream"},
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_subscription_over_plain_http_is_refused(gateway_url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            gateway_url + "/graphql",
            json={"query": ORDER_SUBSCRIPTION, "variables": {"id": "x"}},
            headers={"accept": "application/graphql-response+json"},
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "STREAMING_TRANSPORT_REQUIRED"


async def test_multipart_subscriptions(subgraphs: LiveSubgraphs, gateway_url: str) -> None:
    body = {"query": ORDER_SUBSCRIPTION, "variables": {"id": "o-multipart"}}
    accept = 'multipart/mixed;subscriptionSpec="1.0", application/json'
    async with httpx.AsyncClient(timeout=10) as client:
        async with client.stream(
            "POST", gateway_url + "/graphql", json=body, headers={"accept": accept}
        ) as response:
            assert (
                response.headers["content-type"]
                == 'multipart/mixed; boundary="graphql"; subscriptionSpec="1.0"'
            )
            await wait_until(lambda: subgraphs.board.open_for("o-multipart") == 1)
            await asyncio.sleep(0.5)  # longer than keep_alive: a heartbeat comes first
            await set_status(subgraphs, "o-multipart", "CONFIRMED")
            text = ""
            async for chunk in response.aiter_text():
                text += chunk
                if text.endswith("--graphql--\r\n"):
                    break
    parts = [p.split("\r\n\r\n", 1)[1] for p in text.split("\r\n--graphql")[1:-1] if "\r\n\r\n" in p]
    assert "{}" in parts  # a heartbeat
    assert any('"status":"CONFIRMED"' in p and p.startswith('{"payload":') for p in parts)


async def test_operation_limits_and_demand_control_refuse_a_subscribe(subgraphs: LiveSubgraphs) -> None:
    from gateway.server.demand_control import DemandControl
    from gateway.server.limits import Limits

    strict = replace(SETTINGS, limits=replace(Limits(), max_depth=3), demand_control=DemandControl(max=1))
    with serve_in_thread(build_app(subgraphs.supergraph(), strict, environ={})) as url:
        client = await WsClient.open(ws_url(url))
        await client.subscribe("deep", ORDER_SUBSCRIPTION, {"id": "o-deep"})  # items.product.name: depth 4
        refusal = await client.receive()
        assert refusal["type"] == "error"
        assert refusal["payload"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
        costly = 'subscription { orderStatusChanged(orderId: "1") { customer { id } } }'  # cost 2
        await client.subscribe("costly", costly)
        refusal = await client.receive()
        assert refusal["type"] == "error"
        assert refusal["payload"][0]["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"
        assert subgraphs.board.open_for("o-deep") == subgraphs.board.open_for("1") == 0
        await client.close()


async def test_an_sse_client_that_leaves_closes_the_upstream(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    body = {"query": ORDER_SUBSCRIPTION, "variables": {"id": "o-sse-leave"}}
    async with httpx.AsyncClient(timeout=10) as client:
        async with client.stream(
            "POST", gateway_url + "/graphql", json=body, headers={"accept": "text/event-stream"}
        ) as response:
            assert response.status_code == 200
            await wait_until(lambda: subgraphs.board.open_for("o-sse-leave") == 1)
    # The connection is closed: within a heartbeat or two the gateway notices and leaves upstream.
    await wait_until(lambda: subgraphs.board.open_for("o-sse-leave") == 0)
