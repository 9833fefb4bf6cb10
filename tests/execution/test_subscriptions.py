"""Subscription execution with in-process transports: shared upstream streams, per-event hydration, masking and
null propagation of each event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import parse

from gateway.execution import Executor, HeaderPolicy
from gateway.execution.graphql_over_http import SubgraphFetchError, SubgraphRequest, SubgraphResponse
from gateway.execution.sharing import SharedStreams, StreamOverflow
from gateway.execution.subscriptions import SubscriptionSources
from gateway.planning import plan_operation
from tests.planning.test_subscriptions import EVENTS, ORDERS, PRODUCTS, USERS

from .support import ScriptedClient


class Upstream:
    """A source whose events a test pushes; counts how many streams are open."""

    def __init__(self) -> None:
        self.queues: list[asyncio.Queue[Any]] = []
        self.opened = 0
        self.requests: list[SubgraphRequest] = []

    async def subscribe(
        self, subgraph: str, url: str, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self.queues.append(queue)
        self.opened += 1
        self.requests.append(request)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.queues.remove(queue)

    def push(self, item: Any) -> None:
        for queue in self.queues:
            queue.put_nowait(item)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_shared_streams_fan_out_and_close_with_the_last_subscriber() -> None:
    shared: SharedStreams[str, int] = SharedStreams()
    upstream = Upstream()

    def opener() -> AsyncIterator[Any]:
        return upstream.subscribe("s", "u", SubgraphRequest("q"))

    first = aiter(shared.stream("k", opener))
    got_first = asyncio.ensure_future(anext(first))
    await settle()
    upstream.push(1)
    assert await got_first == 1
    second = aiter(shared.stream("k", opener))
    got_second = asyncio.ensure_future(anext(second))
    await settle()
    upstream.push(2)
    # The late subscriber gets what comes after it joined, never what came before.
    assert await got_second == 2
    assert await anext(first) == 2
    assert upstream.opened == 1 and shared.subscribers("k") == 2
    await first.aclose()  # type: ignore[attr-defined]
    assert len(upstream.queues) == 1
    await second.aclose()  # type: ignore[attr-defined]
    await settle()
    assert upstream.queues == [] and len(shared) == 0


async def test_an_upstream_failure_reaches_every_subscriber() -> None:
    shared: SharedStreams[str, int] = SharedStreams()
    upstream = Upstream()
    streams = [
        aiter(shared.stream("k", lambda: upstream.subscribe("s", "u", SubgraphRequest("q")))) for _ in "ab"
    ]
    pending = [asyncio.ensure_future(anext(s)) for s in streams]
    await settle()
    upstream.push(SubgraphFetchError("s", "SUBGRAPH_UNREACHABLE", "gone"))
    for p in pending:
        with pytest.raises(SubgraphFetchError):
            await p
    assert len(shared) == 0


async def test_a_subscriber_that_falls_behind_is_ended() -> None:
    shared: SharedStreams[str, int] = SharedStreams(max_pending=2)
    upstream = Upstream()
    slow = aiter(shared.stream("k", lambda: upstream.subscribe("s", "u", SubgraphRequest("q"))))
    first = asyncio.ensure_future(anext(slow))
    await settle()
    for n in range(4):
        upstream.push(n)
        await settle()
    assert await first == 0
    with pytest.raises(StreamOverflow):
        while True:
            await anext(slow)


def supergraph() -> Any:
    from gateway.composition.compose import SubgraphSource, compose

    result = compose(
        [
            SubgraphSource("orders", "http://orders/graphql", ORDERS),
            SubgraphSource("users", "http://users/graphql", USERS),
            SubgraphSource("products", "http://products/graphql", PRODUCTS),
            SubgraphSource("events", "", EVENTS),
        ]
    )
    return result.supergraph()


def entities(request: SubgraphRequest, field: str, prefix: str) -> dict[str, Any]:
    reps = (request.variables or {})["representations"]
    return {
        "data": {"_entities": [{"__typename": r["__typename"], field: f"{prefix} {r['id']}"} for r in reps]}
    }


async def test_each_event_is_hydrated_masked_and_null_propagated() -> None:
    sg = supergraph()
    upstream = Upstream()
    client = ScriptedClient(
        {
            "users": lambda r: {
                "errors": [{"message": "secret: db at 10.0.0.3"}],
                "data": {"_entities": [None]},
            },
            "products": lambda r: entities(r, "name", "Widget"),
        }
    )
    executor = Executor(
        sg,
        client,
        subscriptions=SubscriptionSources(upstream),
        header_policy=HeaderPolicy(allow=["x-claims"]),
    )
    query = """subscription($id: ID!) { orderStatusChanged(orderId: $id) {
        status customer { name } items { product { name } } } }"""
    plan = plan_operation(sg, parse(query), None)
    stream = aiter(
        executor.subscribe(plan, {"id": "7"}, request_headers={"x-claims": '{"sub":"User:1"}', "cookie": "x"})
    )
    first = asyncio.ensure_future(anext(stream))
    await settle()
    assert upstream.requests[0].variables == {"id": "7"}
    assert upstream.requests[0].headers == {"x-claims": '{"sub":"User:1"}'}
    event = {
        "orderStatusChanged": {
            "status": "PENDING",
            "customer": {"__typename": "User", "id": "u1"},
            "items": [{"product": {"__typename": "Product", "id": "p1"}}],
        }
    }
    upstream.push(SubgraphResponse(event))
    result = await first
    # The users subgraph failed: its non-null User.name nulls the nullable customer, with a masked error;
    # the products are hydrated.
    assert result == {
        "data": {
            "orderStatusChanged": {
                "status": "PENDING",
                "customer": None,
                "items": [{"product": {"name": "Widget p1"}}],
            }
        },
        "errors": [
            {
                "message": "Subgraph errors redacted",
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "users"},
                "path": ["orderStatusChanged", "customer", "name"],
            }
        ],
    }
    upstream.push(SubgraphFetchError("orders", "SUBGRAPH_UNREACHABLE", "Subgraph closed at ws://10.0.0.9"))
    last = await anext(stream)
    assert last["data"] is None
    assert last["errors"][0]["extensions"]["code"] == "SUBGRAPH_REQUEST_FAILED"
    assert "10.0.0.9" not in str(last)
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_an_upstream_error_without_data_is_masked_at_the_root() -> None:
    sg = supergraph()
    upstream = Upstream()
    executor = Executor(sg, ScriptedClient({}), subscriptions=SubscriptionSources(upstream))
    plan = plan_operation(sg, parse('subscription { orderStatusChanged(orderId: "1") { status } }'), None)
    stream = aiter(executor.subscribe(plan, {}))
    pending = asyncio.ensure_future(anext(stream))
    await settle()
    upstream.push(
        SubgraphResponse(None, [{"message": "boom at /srv/app.py", "extensions": {"code": "NOT_FOUND"}}])
    )
    result = await pending
    assert result == {
        "data": None,
        "errors": [
            {
                "message": "boom at /srv/app.py",
                "path": ["orderStatusChanged"],
                "extensions": {"code": "NOT_FOUND", "serviceName": "orders"},
            }
        ],
    }
    await stream.aclose()  # type: ignore[attr-defined]
    await settle()
    assert upstream.queues == []


def test_event_subjects_are_filled_from_arguments_that_cannot_widen_them() -> None:
    from gateway.execution.nats_events import render_subject

    assert render_subject("stock.{{ args.sku }}.{{args.n}}", {"sku": "A-1", "n": 3}) == "stock.A-1.3"
    assert render_subject("flag.{{ args.on }}", {"on": True}) == "flag.true"
    for bad in ("a.b", "*", ">", "a b", ""):
        with pytest.raises(ValueError, match="cannot be used in a subject"):
            render_subject("stock.{{ args.sku }}", {"sku": bad})
    with pytest.raises(ValueError, match="needs argument 'sku'"):
        render_subject("stock.{{ args.sku }}", {})


async def test_a_subscriber_that_falls_behind_gets_a_coded_error() -> None:
    sg = supergraph()
    upstream = Upstream()
    executor = Executor(sg, ScriptedClient({}), subscriptions=SubscriptionSources(upstream, max_pending=1))
    plan = plan_operation(sg, parse('subscription { orderStatusChanged(orderId: "1") { status } }'), None)
    stream = aiter(executor.subscribe(plan, {}))
    pending = asyncio.ensure_future(anext(stream))
    await settle()
    for status in ("A", "B", "C"):
        upstream.push(SubgraphResponse({"orderStatusChanged": {"status": status}}))
        await settle()
    assert (await pending)["data"] == {"orderStatusChanged": {"status": "A"}}
    assert (await anext(stream))["data"] == {"orderStatusChanged": {"status": "B"}}
    last = await anext(stream)  # C found B still waiting: this subscriber is one event too far behind
    assert last == {
        "data": None,
        "errors": [
            {
                "message": "This subscription fell too far behind its events and was ended; subscribe again.",
                "extensions": {"code": "SUBSCRIPTION_OVERFLOW"},
            }
        ],
    }
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
