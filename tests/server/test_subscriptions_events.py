"""Event-driven subscription fields: the gateway reads NATS (JetStream or core) and hydrates each message."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client

from gateway.commands.serve import build_app
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.subscriptions.clients import WsClient, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

pytestmark = pytest.mark.nats

NATS_URL = "nats://127.0.0.1:4222"
PREFIX = f"test.subs.{uuid.uuid4().hex[:12]}"
STREAM = f"TEST_SUBS_{uuid.uuid4().hex[:12].upper()}"

EVENTS_SDL = f'''
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external"])

directive @edfs__natsSubscribe(
  subjects: [String!]!, providerId: String! = "default", streamConfiguration: edfs__NatsStreamConfiguration
) on FIELD_DEFINITION

input edfs__NatsStreamConfiguration {{
  consumerName: String!
  streamName: String!
  consumerInactiveThreshold: Int! = 30
}}

type Subscription {{
  orderShipped(warehouse: String!): Order! @edfs__natsSubscribe(subjects: ["{PREFIX}.shipped.{{{{ args.warehouse }}}}"])
  productNews: Product! @edfs__natsSubscribe(subjects: ["{PREFIX}.core.news"])
}}

type Order @key(fields: "id", resolvable: false) {{
  id: ID! @external
}}

type Product @key(fields: "id", resolvable: false) {{
  id: ID! @external
}}
'''

SHIPPED = """
subscription($w: String!) {
  orderShipped(warehouse: $w) { id status customer { name } items { product { name } } }
}
"""


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs) -> Iterator[str]:
    supergraph = subgraphs.supergraph({"inventory-events": ("", EVENTS_SDL)})
    app = build_app(supergraph, ServerSettings(), environ={"NATS_URL": NATS_URL})
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
async def nc() -> AsyncIterator[Client]:
    client = await nats.connect(NATS_URL)
    js = client.jetstream()
    await js.add_stream(name=STREAM, subjects=[f"{PREFIX}.shipped.>"])
    try:
        yield client
    finally:
        await js.delete_stream(STREAM)
        await client.close()


async def until_consumers(nc: Client, count: int) -> None:
    for _ in range(100):
        info = await nc.jetstream().stream_info(STREAM)
        if info.state.consumer_count == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the stream never had {count} consumers")


async def test_jetstream_events_are_hydrated_across_three_subgraphs(gateway_url: str, nc: Client) -> None:
    js = nc.jetstream()
    # Published before anyone subscribed: a subscriber gets only what comes after it (no replay).
    await js.publish(f"{PREFIX}.shipped.north", json.dumps({"__typename": "Order", "id": "o-old"}).encode())
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", SHIPPED, {"w": "north"})
    await until_consumers(nc, 1)
    await js.publish(f"{PREFIX}.shipped.south", json.dumps({"__typename": "Order", "id": "o-other"}).encode())
    await js.publish(f"{PREFIX}.shipped.north", json.dumps({"__typename": "Order", "id": "o-77"}).encode())
    message = await client.receive()
    assert message["payload"] == {
        "data": {
            "orderShipped": {
                "id": "o-77",
                "status": "PENDING",
                "customer": {"name": "Ada u1"},
                "items": [{"product": {"name": "Widget p1"}}],
            }
        }
    }
    await client.close()
    # The gateway's ordered consumer went away with the subscription.
    await until_consumers(nc, 0)


async def test_core_nats_events_and_a_message_that_is_not_json(gateway_url: str, nc: Client) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", "subscription { productNews { id name } }")
    subject = f"{PREFIX}.core.news"

    async def deliver(payload: bytes) -> None:
        await nc.publish(subject, payload)
        await nc.flush()

    # Nothing tells when the gateway's core subscription is in place: publish until the first arrives.
    first = None
    for _ in range(50):
        await deliver(json.dumps({"id": "p5"}).encode())
        try:
            first = await client.receive(within=0.2)
            break
        except TimeoutError:
            continue
    assert first is not None and first["payload"] == {
        "data": {"productNews": {"id": "p5", "name": "Widget p5"}}
    }
    await deliver(b"not json")
    await deliver(json.dumps({"__typename": "Product", "id": "p6"}).encode())
    while True:
        message = await client.receive()
        if message["payload"]["data"]["productNews"]["id"] == "p6":
            break
    assert message["payload"]["data"]["productNews"]["name"] == "Widget p6"
    await client.close()


async def test_an_argument_cannot_widen_the_subject(gateway_url: str, nc: Client) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", SHIPPED, {"w": "*"})
    message = await client.receive()
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert len(message["payload"]["extensions"]["requestId"]) == 32
    assert message["payload"]["errors"] == [
        {
            "message": "Cannot subscribe: argument 'warehouse' cannot be used in a subject.",
            "path": ["orderShipped"],
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
    assert await client.receive() == {"id": "1", "type": "complete"}
    await client.close()
