"""Subscription plans: the owning subgraph's stream (or an event source) as ``primary``, the rest per event."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from gateway.composition.compose import SubgraphSource, compose
from gateway.composition.supergraph import Supergraph
from gateway.planning import plan_operation
from gateway.planning.plan import EventSourceNode, FetchNode, SubscriptionNode
from tests.composition.test_event_fields import DIRECTIVE

FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external"])\n'
ORDERS = (
    FED
    + """
type Query { order(id: ID!): Order }
type Subscription { orderStatusChanged(orderId: ID!): Order! }
type Order @key(fields: "id") { id: ID! status: String! customer: User items: [Item!]! }
type Item { quantity: Int! product: Product! }
type User @key(fields: "id", resolvable: false) { id: ID! }
type Product @key(fields: "id", resolvable: false) { id: ID! }
"""
)
USERS = FED + 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String! }'
PRODUCTS = FED + 'type Query { top: Product } type Product @key(fields: "id") { id: ID! name: String! }'
EVENTS = (
    FED
    + DIRECTIVE
    + """
type Subscription {
  stockLow(sku: String!): Product! @edfs__natsSubscribe(subjects: ["stock.{{ args.sku }}"])
}
type Product @key(fields: "id", resolvable: false) { id: ID! @external }
"""
)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    result = compose(
        [
            SubgraphSource("orders", "http://orders/graphql", ORDERS),
            SubgraphSource("users", "http://users/graphql", USERS),
            SubgraphSource("products", "http://products/graphql", PRODUCTS),
            SubgraphSource("events", "", EVENTS),
        ]
    )
    assert result.ok, result.errors
    return result.supergraph()


def plan(supergraph: Supergraph, query: str) -> dict[str, Any]:
    return plan_operation(supergraph, parse(query), None).to_json()


def test_the_root_field_streams_from_its_subgraph_and_the_rest_is_fetched_per_event(
    supergraph: Supergraph,
) -> None:
    query = """subscription Watch($id: ID!) {
      orderStatusChanged(orderId: $id) { status customer { name } items { product { name } } }
    }"""
    out = plan(supergraph, query)
    node = out["node"]
    assert node["kind"] == "Subscription"
    assert node["primary"] == {
        "kind": "Fetch",
        "serviceName": "orders",
        "variableUsages": ["id"],
        "operation": "subscription Watch__orders__0($id:ID!){orderStatusChanged(orderId:$id){status "
        "customer{__typename id} items{product{__typename id}}}}",
        "operationKind": "subscription",
        "operationName": "Watch__orders__0",
    }
    rest = node["rest"]
    assert rest["kind"] == "Parallel"
    flattens = {n["node"]["serviceName"]: n["path"] for n in rest["nodes"]}
    assert flattens == {
        "users": ["orderStatusChanged", "customer"],
        "products": ["orderStatusChanged", "items", "@", "product"],
    }


def test_a_selection_of_the_owner_alone_has_no_rest(supergraph: Supergraph) -> None:
    out = plan(supergraph, 'subscription { orderStatusChanged(orderId: "1") { id status } }')
    assert "rest" not in out["node"]
    assert out["node"]["primary"]["serviceName"] == "orders"


def test_an_event_driven_field_is_an_event_source_hydrated_through_entities(supergraph: Supergraph) -> None:
    query_plan = plan_operation(
        supergraph, parse('subscription { low: stockLow(sku: "A-1") { id name } }'), None
    )
    node = query_plan.node
    assert isinstance(node, SubscriptionNode)
    assert isinstance(node.primary, EventSourceNode)
    assert node.primary.response_key == "low"
    assert node.primary.subjects == ("stock.{{ args.sku }}",)
    out = node.to_json()
    assert out["primary"] == {
        "kind": "EventSource",
        "serviceName": "events",
        "provider": "nats",
        "providerId": "default",
        "subjects": ["stock.{{ args.sku }}"],
        "field": "stockLow",
        "variableUsages": [],
        "operation": 'subscription{low:stockLow(sku:"A-1"){id __typename}}',
    }
    assert out["rest"]["kind"] == "Flatten" and out["rest"]["path"] == ["low"]
    assert out["rest"]["node"]["serviceName"] == "products"
    assert isinstance(node.rest, object) and not isinstance(node.rest, FetchNode)


def test_plans_are_deterministic_values(supergraph: Supergraph) -> None:
    query = 'subscription { orderStatusChanged(orderId: "1") { customer { name } } }'
    first = plan_operation(supergraph, parse(query), None)
    assert first == plan_operation(supergraph, parse(query), None)
    assert first.to_json() == plan(supergraph, query)


def test_fedgw_explain_prints_the_subscription_plan(
    supergraph: Supergraph, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from gateway.cli import main
    from gateway.composition.compose import SubgraphSource, compose

    result = compose(
        [
            SubgraphSource("orders", "http://orders/graphql", ORDERS),
            SubgraphSource("users", "http://users/graphql", USERS),
            SubgraphSource("products", "http://products/graphql", PRODUCTS),
            SubgraphSource("events", "", EVENTS),
        ]
    )
    assert result.supergraph_sdl is not None
    path = tmp_path / "supergraph.graphql"
    path.write_text(result.supergraph_sdl)
    query = 'subscription { stockLow(sku: "B") { name } }'
    assert main(["explain", "--supergraph", str(path), query]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["node"]["kind"] == "Subscription"
    assert out["node"]["primary"]["kind"] == "EventSource"
    assert out["node"]["rest"]["node"]["serviceName"] == "products"
