"""Planner + executor over the project's own services (users, products, orders) in process on SQLite.

The supergraph is composed from the committed SDL snapshots; requests go through ``HttpxSubgraphClient`` to the
services' FastAPI apps, so this is the whole gateway path minus HTTP parsing on the front.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from gateway.composition.supergraph import Supergraph
from gateway.execution import Executor, HeaderPolicy, HttpxSubgraphClient, SubgraphRequest, SubgraphResponse
from gateway.planning import plan_operation
from tests.conftest import STAFF

ROOT = Path(__file__).parent.parent.parent
NAMES = ("users", "products", "orders")

pytestmark = pytest.mark.skipif(
    not all((ROOT / "schema" / f"{n}.graphql").exists() for n in NAMES),
    reason="schema snapshots not committed",
)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    from gateway.composition.compose import SubgraphSource, compose

    sources = [
        SubgraphSource(n, f"http://{n}/graphql", (ROOT / "schema" / f"{n}.graphql").read_text())
        for n in NAMES
    ]
    result = compose(sources)
    assert not result.errors, result.errors
    return result.supergraph()


class CountingClient:
    """Counts requests per subgraph on the way to the real client."""

    def __init__(self, inner: HttpxSubgraphClient) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        self.counts[subgraph] += 1
        return await self.inner.fetch(subgraph, request)


async def run(
    supergraph: Supergraph, services: Any, query: str, variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], CountingClient]:
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    plan = plan_operation(supergraph, document, None)
    inner = HttpxSubgraphClient({n: getattr(services, n).app for n in NAMES}, timeouts=30)
    client = CountingClient(inner)
    try:
        # The services check ownership from the gateway's claims header: these requests come from staff.
        staff = HeaderPolicy(static={"x-claims": json.dumps(STAFF)})
        result = await Executor(supergraph, client, header_policy=staff).execute(plan, variables or {})
    finally:
        await inner.aclose()
    return result, client


async def test_orders_with_users_and_products_one_request_per_fetch_and_batched_sql(
    supergraph: Supergraph, services: Any
) -> None:
    query = """
    query($n: Int!) {
      orders(first: $n) {
        totalCount
        edges { node {
          id status total { amount currency }
          user { name email }
          items { line quantity product { name sku shippingCost { amount currency } } }
        } }
      }
    }
    """
    for s in (services.users, services.products, services.orders):
        s.sql.statements.clear()
    with services.users.sql.capture() as users_sql, services.products.sql.capture() as products_sql:
        result, client = await run(supergraph, services, query, {"n": 50})
    assert "errors" not in result, result.get("errors")
    edges = result["data"]["orders"]["edges"]
    assert len(edges) == 50
    for edge in edges:
        order = edge["node"]
        assert set(order) == {"id", "status", "total", "user", "items"}
        assert order["user"] is None or set(order["user"]) == {"name", "email"}
        for item in order["items"]:
            assert item["product"]["name"] and item["product"]["sku"]
            assert item["product"]["shippingCost"]["amount"] is not None
    # Entity fetches are batched: a handful of requests and SQL statements whatever the number of orders.
    # orders: the root fetch, then shippingCost once weightGrams and price came from products.
    assert client.counts == {"orders": 2, "users": 1, "products": 1}
    assert len(users_sql) == 1, users_sql
    assert len(products_sql) == 1, products_sql


async def test_abstract_node_and_union_fields(supergraph: Supergraph, services: Any) -> None:
    listing, _ = await run(supergraph, services, "{ orders(first: 5) { edges { node { id } } } }")
    order_id = listing["data"]["orders"]["edges"][0]["node"]["id"]
    query = """
    query($id: ID!) {
      node(id: $id) {
        __typename
        ... on Order { id status customer { __typename ... on User { name } ... on Guest { email } } }
      }
    }
    """
    result, _ = await run(supergraph, services, query, {"id": order_id})
    assert "errors" not in result, result.get("errors")
    node = result["data"]["node"]
    assert node["__typename"] == "Order" and node["id"] == order_id
    customer = node["customer"]
    assert customer["__typename"] in ("User", "Guest")
    assert set(customer) == (
        {"__typename", "name"} if customer["__typename"] == "User" else {"__typename", "email"}
    )
