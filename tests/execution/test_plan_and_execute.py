"""Planner + executor together: real operations planned by ``plan_operation`` over in-process Strawberry subgraphs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import parse, validate

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.execution import ErrorMasking, Executor, HttpxSubgraphClient
from gateway.planning import plan_operation

from .strawberry_subgraphs import CALLS, SUPERGRAPH_SDL, apps

# These tests check where subgraph errors go: they pass through as in development (masking: test_masking.py).
DEVELOPMENT = ErrorMasking(include_all=True)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(SUPERGRAPH_SDL)


@pytest.fixture
async def executor(supergraph: Supergraph) -> AsyncIterator[Executor]:
    client = HttpxSubgraphClient(apps(), timeouts=5)
    CALLS.clear()
    yield Executor(supergraph, client, masking=DEVELOPMENT)
    await client.aclose()


async def run(executor: Executor, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    document = parse(query)
    assert validate(executor.supergraph.api_schema, document) == []
    plan = plan_operation(executor.supergraph, document, None)
    return await executor.execute(plan, variables or {})


async def test_entities_across_three_subgraphs_with_requires(executor: Executor) -> None:
    query = "query($n: Int!) { topProducts(first: $n) { name reviews { body } inStock shippingEstimate } }"
    result = await run(executor, query, {"n": 3})
    assert "errors" not in result
    rows = result["data"]["topProducts"]
    assert len(rows) == 3
    assert rows[1] == {
        "name": "Product 2",
        "reviews": [{"body": "Review 0 of 2"}, {"body": "Review 1 of 2"}],
        "inStock": True,
        "shippingEstimate": 20,
    }
    assert CALLS == {"products.topProducts": 1, "reviews.reference": 3, "inventory.reference": 3}


async def test_client_alias_colliding_with_a_key_field(executor: Executor) -> None:
    query = '{ product(upc: "3") { upc: name code: upc shippingEstimate } warehouseCount __typename }'
    result = await run(executor, query)
    assert result == {
        "data": {
            "product": {"upc": "Product 3", "code": "3", "shippingEstimate": 30},
            "warehouseCount": 1,
            "__typename": "Query",
        }
    }


async def test_fragments_skip_include_and_introspection(executor: Executor) -> None:
    query = """
    query($withReviews: Boolean!) {
      __type(name: "Review") { fields { name } }
      product(upc: "1") { ...Basics reviews @include(if: $withReviews) { id } }
    }
    fragment Basics on Product { upc price inStock }
    """
    result = await run(executor, query, {"withReviews": False})
    assert result == {
        "data": {
            "__type": {"fields": [{"name": "id"}, {"name": "body"}]},
            "product": {"upc": "1", "price": 100, "inStock": False},
        }
    }
    result = await run(executor, query, {"withReviews": True})
    assert result["data"]["product"]["reviews"] == [{"id": "1-0"}, {"id": "1-1"}]


async def test_unknown_entity_and_resolver_errors_on_planned_operations(executor: Executor) -> None:
    result = await run(executor, '{ product(upc: "404") { name inStock } }')
    assert result == {"data": {"product": None}}
    result = await run(executor, '{ product(upc: "4") { name reviews { body } } }')
    assert result["data"] == {"product": None}  # reviews is [Review!]!, product is nullable
    assert [(e["message"], e["path"], e["extensions"]["serviceName"]) for e in result["errors"]] == [
        ("reviews for product 4 are unavailable", ["product", "reviews"], "reviews")
    ]
