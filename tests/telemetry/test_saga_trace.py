"""One order placed through the gateway is one trace: gateway -> orders -> products over HTTP and, through the
outbox and NATS JetStream, the products and payments consumers of the saga (real HTTP, real NATS)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from subgraphs.orders.models import OrderRow
from subgraphs.payments.models import PaymentRow
from subgraphs.products.models import ProductRow
from tests.conftest import STAFF
from tests.subgraphs.messaging import open_messaging

from .system import TracedSystem, new_trace_id, post, traced_system

pytestmark = pytest.mark.nats


PLACE = """mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status }
}"""


@pytest.fixture
async def system(tmp_path) -> AsyncIterator[TracedSystem]:
    async with open_messaging() as m:
        async with traced_system(tmp_path, m.url, m.stream, m.prefix, m.dead_prefix) as s:
            yield s


async def _until(read, expected, within: float = 30.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if value == expected or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


def _tree(spans: list[ReadableSpan]) -> str:
    """The trace as an indented tree, for failure messages."""
    by_id = {s.context.span_id: s for s in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in by_id else None
        children.setdefault(parent, []).append(s)
    lines: list[str] = []

    def show(s: ReadableSpan, depth: int) -> None:
        lines.append(f"{'  ' * depth}{s.name} [{s.kind.name}]")
        for child in sorted(children.get(s.context.span_id, []), key=lambda c: c.start_time or 0):
            show(child, depth + 1)

    for root in children.get(None, []):
        show(root, 0)
    return "\n".join(lines)


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


async def test_placing_an_order_is_one_trace_from_the_gateway_through_nats_to_payments(system):
    async with system.dbs["products"].session() as s, s.begin():
        s.add(
            ProductRow(
                id=1,
                sku="SKU-1",
                name="Book",
                price_cents=1000,
                currency="EUR",
                category="BOOKS",
                stock=5,
                weight_grams=100,
            )
        )
    trace_id = new_trace_id()
    traceparent = f"00-{trace_id:032x}-{uuid.uuid4().hex[:16]}-01"
    variables = {
        "input": {
            "guestEmail": "guest@example.org",
            "items": [{"productId": "Product:1", "quantity": 2}],
            "paymentToken": "4242424242424242",
        }
    }
    response = await post(
        system.gateway_url + "/graphql",
        {"query": PLACE, "variables": variables, "operationName": "PlaceOrder"},
        {"traceparent": traceparent, "x-claims": json.dumps(STAFF)},
    )
    body = response.json()
    assert "errors" not in body, body
    order_id = int(body["data"]["placeOrder"]["id"].split(":")[1])

    async def payment_state() -> str | None:
        async with system.dbs["payments"].session() as s:
            row = (await s.scalars(select(PaymentRow).where(PaymentRow.order_id == order_id))).one_or_none()
            return row.state if row is not None else None

    async def order_status() -> str | None:
        async with system.dbs["orders"].session() as s:
            row = await s.get(OrderRow, order_id, populate_existing=True)
            return row.status if row is not None else None

    assert await _until(order_status, "CONFIRMED") == "CONFIRMED"
    assert await _until(payment_state, "CAPTURED") == "CAPTURED"
    await asyncio.sleep(0.5)  # the last consumer span ends after its commit and ack

    spans = system.spans(trace_id)
    by_id = {s.context.span_id: s for s in spans}
    names = _tree(spans)
    if os.environ.get("SHOW_TRACE"):
        print(names)

    # The gateway: router (continuing the client's traceparent) > supergraph > execution > subgraph.
    (router,) = [s for s in spans if s.name == "router"]
    assert router.kind is SpanKind.SERVER
    assert router.parent is not None and router.parent.is_remote
    assert router.attributes["http.response.status_code"] == 200
    (supergraph,) = [s for s in spans if s.name == "supergraph"]
    assert supergraph.attributes["graphql.operation.name"] == "PlaceOrder"
    assert supergraph.attributes["graphql.operation.type"] == "mutation"
    assert {"parse_query", "query_planning", "execution"} <= {s.name for s in spans}, names
    (to_orders,) = [s for s in spans if s.name == "subgraph" and s.attributes["subgraph.name"] == "orders"]
    assert to_orders.kind is SpanKind.CLIENT
    assert to_orders.attributes["http.response.status_code"] == 200
    assert router in _ancestors(to_orders, by_id) and supergraph in _ancestors(to_orders, by_id)

    # orders' server span is the child of the gateway's subgraph span: traceparent crossed the HTTP hop.
    orders_server = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER and s.parent and s.parent.span_id == to_orders.context.span_id
    ]
    assert len(orders_server) == 1, names
    orders_server = orders_server[0]
    # orders asked products over HTTP (its httpx client span), and products served it in the same trace.
    products_port = system.urls["products"].split(":")[2].split("/")[0]
    to_products = [
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and orders_server in _ancestors(s, by_id)
        and products_port in str(s.attributes.get("url.full", s.attributes.get("http.url", "")))
    ]
    assert to_products, names
    products_server = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER and s.parent and s.parent.span_id == to_products[0].context.span_id
    ]
    assert len(products_server) == 1
    # SQL ran under orders' request (the order and its outbox row).
    assert any(
        "db.system" in s.attributes or "db.system.name" in s.attributes
        for s in spans
        if orders_server in _ancestors(s, by_id)
    )

    # Through NATS: orders' relay published OrderPlaced under the request's context; the products and payments
    # consumers processed it (and later events) in the same trace, descending from the gateway's request.
    publishes = [s for s in spans if s.kind is SpanKind.PRODUCER]
    assert any(s.name.endswith(".OrderPlaced") for s in publishes), names
    consumed = {
        str(s.attributes.get("messaging.consumer.group.name")) for s in spans if s.kind is SpanKind.CONSUMER
    }
    assert {"products-orders", "payments-orders", "orders-saga"} <= consumed, consumed
    payments = [
        s
        for s in spans
        if s.kind is SpanKind.CONSUMER
        and s.attributes.get("messaging.consumer.group.name") == "payments-orders"
    ]
    assert all(router in _ancestors(s, by_id) for s in payments)
    confirmed = [s for s in publishes if s.name.endswith(".OrderConfirmed")]
    assert confirmed and router in _ancestors(confirmed[0], by_id)
