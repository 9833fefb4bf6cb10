"""Executor end to end over real Strawberry federation subgraphs served in process (httpx ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import parse

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.execution import ErrorMasking, Executor, HttpxSubgraphClient
from gateway.planning.plan import (
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    ParallelNode,
    QueryPlan,
    SequenceNode,
)

from .strawberry_subgraphs import CALLS, SUPERGRAPH_SDL, apps

# These tests check where subgraph errors go: they pass through as in development (masking: test_masking.py).
DEVELOPMENT = ErrorMasking(include_all=True)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(SUPERGRAPH_SDL)


@pytest.fixture
async def client() -> AsyncIterator[HttpxSubgraphClient]:
    c = HttpxSubgraphClient(apps(), timeouts=5)
    CALLS.clear()
    yield c
    await c.aclose()


def entities(service: str, path: tuple[str, ...], keys: tuple[str, ...], selection: str) -> FlattenNode:
    return FlattenNode(
        path,
        FetchNode(
            service,
            "query($representations: [_Any!]!) { _entities(representations: $representations) "
            f"{{ ... on Product {{ {selection} }} }} }}",
            requires=(
                InlineFragmentSelection(
                    "Product", (FieldSelection("__typename"), *(FieldSelection(k) for k in keys))
                ),
            ),
        ),
    )


TOP_PRODUCTS_PLAN = SequenceNode(
    [
        FetchNode(
            "products",
            "query($first: Int!) { topProducts(first: $first) { __typename upc name weight } }",
            variable_usages=("first",),
        ),
        ParallelNode(
            [
                entities("reviews", ("topProducts", "@"), ("upc",), "reviews { body }"),
                entities("inventory", ("topProducts", "@"), ("upc", "weight"), "inStock shippingEstimate"),
            ]
        ),
    ]
)


async def test_three_subgraphs_one_request_each(supergraph: Supergraph, client: HttpxSubgraphClient) -> None:
    query = """
    query Top($first: Int!) {
      topProducts(first: $first) { name reviews { body } inStock shippingEstimate }
    }
    """
    plan = QueryPlan(TOP_PRODUCTS_PLAN, parse(query), "Top")
    result = await Executor(supergraph, client, masking=DEVELOPMENT).execute(plan, {"first": 3})
    assert "errors" not in result
    assert result["data"] == {
        "topProducts": [
            {
                "name": f"Product {i}",
                "reviews": [{"body": f"Review 0 of {i}"}, {"body": f"Review 1 of {i}"}],
                "inStock": i % 2 == 0,
                "shippingEstimate": i * 10,
            }
            for i in (1, 2, 3)
        ]
    }
    # One HTTP request per subgraph; Strawberry resolves each representation once.
    assert CALLS == {"products.topProducts": 1, "reviews.reference": 3, "inventory.reference": 3}


async def test_resolver_error_in_an_entity_fetch_reaches_the_client_path(
    supergraph: Supergraph, client: HttpxSubgraphClient
) -> None:
    query = "{ topProducts(first: 5) { upc reviews { body } } }"
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts(first: 5) { __typename upc } }"),
            entities("reviews", ("topProducts", "@"), ("upc",), "reviews { body }"),
        ]
    )
    result = await Executor(supergraph, client, masking=DEVELOPMENT).execute(
        QueryPlan(node, parse(query)), {}
    )
    # reviews is [Review!]! on a Product! list item of a [Product!]! root field: the error nulls everything.
    assert result["data"] is None
    (error,) = result["errors"]
    assert error["message"] == "reviews for product 4 are unavailable"
    assert error["path"] == ["topProducts", 3, "reviews"]
    assert error["extensions"]["serviceName"] == "reviews"


async def test_a_down_subgraph_nulls_only_its_fields(supergraph: Supergraph) -> None:
    targets: dict[str, Any] = apps()
    targets["inventory"] = "http://127.0.0.1:9/graphql"  # discard port: nothing listens
    client = HttpxSubgraphClient(targets, timeouts=5)
    query = '{ product(upc: "2") { name shippingEstimate reviews { body } } }'
    node = SequenceNode(
        [
            FetchNode("products", '{ product(upc: "2") { __typename upc name weight } }'),
            ParallelNode(
                [
                    entities("reviews", ("product",), ("upc",), "reviews { body }"),
                    entities("inventory", ("product",), ("upc", "weight"), "shippingEstimate"),
                ]
            ),
        ]
    )
    try:
        result = await Executor(supergraph, client, masking=DEVELOPMENT).execute(
            QueryPlan(node, parse(query)), {}
        )
    finally:
        await client.aclose()
    assert result["data"] == {
        "product": {
            "name": "Product 2",
            "shippingEstimate": None,
            "reviews": [{"body": "Review 0 of 2"}, {"body": "Review 1 of 2"}],
        }
    }
    (error,) = result["errors"]
    assert error["path"] == ["product", "shippingEstimate"]
    assert error["extensions"] == {
        "code": "SUBGRAPH_REQUEST_FAILED",
        "serviceName": "inventory",
        "reason": "SUBGRAPH_UNREACHABLE",
    }
