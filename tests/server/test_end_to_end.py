"""The whole gateway over HTTP with the real planner and executor and in-process Strawberry subgraphs."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway import execution
from gateway.server import Gateway, ServerSettings, create_app

from . import federated
from .support import tiny_supergraph

GRJ = "application/graphql-response+json"


class FixedRoll(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


async def open_client(roll: float) -> tuple[httpx.AsyncClient, Any]:
    supergraph = tiny_supergraph()
    subgraphs = execution.HttpxSubgraphClient(federated.apps())
    executor = execution.Executor(supergraph, subgraphs)
    gateway = Gateway(
        supergraph, executor=executor, settings=ServerSettings(expose_query_plan=True), rng=FixedRoll(roll)
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(gateway)), base_url="http://gw")
    return client, subgraphs


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    federated.REQUESTS.clear()
    client, subgraphs = await open_client(0.99)  # percent(25) never rolls
    try:
        yield client
    finally:
        await client.aclose()
        await subgraphs.aclose()


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"accept": GRJ, **{k.replace("_", "-"): v for k, v in headers.items()}},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_root_and_entity_fields(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "query($n: Int) { hello top: topProducts(first: $n) { name id } }", {"n": 2})
    assert body == {
        "data": {
            "hello": "world",
            "top": [{"name": "Product 1", "id": "1"}, {"name": "Product 2", "id": "2"}],
        }
    }
    (request,) = federated.REQUESTS["products"]
    assert request["variables"] == {"n": 2}
    assert "reviews" not in federated.REQUESTS


async def test_custom_override_label_from_header(client: httpx.AsyncClient) -> None:
    query = "{ topProducts(first: 2) { id stock } }"
    old = await graphql(client, query)
    assert old["data"]["topProducts"] == [{"id": "1", "stock": 1}, {"id": "2", "stock": 1}]
    assert "reviews" not in federated.REQUESTS
    new = await graphql(client, query, x_override_labels="new-stock", x_query_plan="true")
    assert new["data"]["topProducts"] == [{"id": "1", "stock": 101}, {"id": "2", "stock": 102}]
    assert len(federated.REQUESTS["reviews"]) == 1  # one batched _entities request
    plan = new["extensions"]["queryPlan"]["node"]
    assert plan["kind"] == "Sequence"
    assert plan["nodes"][1]["node"]["serviceName"] == "reviews"


async def test_percent_override_follows_the_roll() -> None:
    for roll, ratings in ((0.0, [11, 12]), (0.99, [1, 1])):
        client, subgraphs = await open_client(roll)
        try:
            body = await graphql(client, "{ topProducts(first: 2) { rating } }")
        finally:
            await client.aclose()
            await subgraphs.aclose()
        assert [p["rating"] for p in body["data"]["topProducts"]] == ratings


async def test_mutation_over_post_and_refused_over_get(client: httpx.AsyncClient) -> None:
    body = await graphql(client, 'mutation { setHello(value: "hi") }')
    assert body == {"data": {"setHello": "HI"}}
    refused = await client.get(
        "/graphql", params={"query": 'mutation { setHello(value: "hi") }'}, headers={"accept": GRJ}
    )
    assert refused.status_code == 405
    assert len(federated.REQUESTS["products"]) == 1


async def test_introspection_and_typename_without_subgraphs(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client, '{ __typename __schema { queryType { name } } __type(name: "Product") { name } }'
    )
    assert body == {
        "data": {
            "__typename": "Query",
            "__schema": {"queryType": {"name": "Query"}},
            "__type": {"name": "Product"},
        }
    }
    assert not federated.REQUESTS


async def test_null_entity_and_variables(client: httpx.AsyncClient) -> None:
    query = "query($id: ID!) { product(id: $id) { id name } }"
    assert (await graphql(client, query, {"id": 7}))["data"] == {"product": {"id": "7", "name": "Product 7"}}
    assert (await graphql(client, query, {"id": "300"}))["data"] == {"product": None}
    assert federated.REQUESTS["products"][0]["variables"] == {"id": "7"}  # coerced ID


async def test_plan_cache_hits_across_requests(client: httpx.AsyncClient) -> None:
    query = "{ topProducts(first: 1) { name } }"
    for _ in range(3):
        await graphql(client, query)
    assert len(federated.REQUESTS["products"]) == 3
