"""Entity fetches to one subgraph ready at the same time go out as one request with aliased ``_entities``."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from graphql import parse

from gateway.execution import ErrorMasking, Executor, SubgraphFetchError, SubgraphRequest, SubgraphResponse
from gateway.execution.batching import EntityOperation, merge_entity_operations, split_entity_response
from gateway.planning.plan import FetchNode, FlattenNode, ParallelNode, QueryPlan, SequenceNode

from .support import ScriptedClient, entity_fetch, make_supergraph, plan

# These tests check where subgraph errors go: they pass through as in development (masking: test_masking.py).
DEVELOPMENT = ErrorMasking(include_all=True)

SUPERGRAPH = make_supergraph()

PRODUCTS = {
    "topProducts": [
        {"__typename": "Product", "upc": "1", "name": "Table"},
        {"__typename": "Product", "upc": "2", "name": "Couch"},
    ],
    "product": {"__typename": "Product", "upc": "3", "name": "Chair"},
}


def entities(request: SubgraphRequest, make: Any) -> dict[str, Any]:
    """Answer a plain or a merged ``_entities`` request, each representation through ``make``."""
    variables = dict(request.variables or {})
    if "representations" in variables:
        return {"data": {"_entities": [make(rep, 0) for rep in variables["representations"]]}}
    data = {}
    i = 0
    while f"r{i}" in variables:
        data[f"_{i}"] = [make(rep, i) for rep in variables[f"r{i}"]]
        i += 1
    return {"data": data}


def two_paths_plan(service: str = "inventory", selection: str = "inStock") -> SequenceNode:
    return SequenceNode(
        [
            FetchNode(
                "products",
                '{ topProducts { __typename upc name } product(upc: "3") { __typename upc name } }',
            ),
            ParallelNode(
                [
                    entity_fetch(service, ("topProducts", "@"), "Product", ("upc",), selection),
                    entity_fetch(service, ("product",), "Product", ("upc",), selection),
                ]
            ),
        ]
    )


QUERY = '{ topProducts { name inStock } product(upc: "3") { name inStock } }'
EXPECTED = {
    "data": {
        "topProducts": [{"name": "Table", "inStock": True}, {"name": "Couch", "inStock": False}],
        "product": {"name": "Chair", "inStock": True},
    }
}


async def test_parallel_entity_fetches_to_one_subgraph_are_one_request() -> None:
    client = ScriptedClient(
        {
            "products": lambda r: {"data": copy.deepcopy(PRODUCTS)},
            "inventory": lambda r: entities(r, lambda rep, i: {"inStock": rep["upc"] != "2"}),
        }
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(QUERY, two_paths_plan()), {}
    )
    assert result == EXPECTED
    (sent,) = client.sent_to("inventory")
    assert "_0:_entities(representations:$r0)" in sent.query
    assert "_1:_entities(representations:$r1)" in sent.query
    parse(sent.query)  # a well-formed operation
    assert sent.variables == {
        "r0": [{"__typename": "Product", "upc": "1"}, {"__typename": "Product", "upc": "2"}],
        "r1": [{"__typename": "Product", "upc": "3"}],
    }


async def test_batching_can_be_turned_off() -> None:
    client = ScriptedClient(
        {
            "products": lambda r: {"data": copy.deepcopy(PRODUCTS)},
            "inventory": lambda r: entities(r, lambda rep, i: {"inStock": rep["upc"] != "2"}),
        }
    )
    executor = Executor(SUPERGRAPH, client, batch_entity_fetches=False, masking=DEVELOPMENT)
    assert await executor.execute(plan(QUERY, two_paths_plan()), {}) == EXPECTED
    assert len(client.sent_to("inventory")) == 2


async def test_fetches_after_a_merged_request_merge_again() -> None:
    # Two branches, each products -> inventory: the second level is ready together once the first answers.
    def branch(path: tuple[str, ...]) -> SequenceNode:
        return SequenceNode(
            [
                entity_fetch("products", path, "Product", ("upc",), "weight price"),
                entity_fetch("inventory", path, "Product", ("upc",), "inStock"),
            ]
        )

    node = SequenceNode(
        [
            FetchNode("reviews", '{ topProducts { __typename upc } product(upc: "3") { __typename upc } }'),
            ParallelNode([branch(("topProducts", "@")), branch(("product",))]),
        ]
    )
    client = ScriptedClient(
        {
            "reviews": lambda r: {"data": copy.deepcopy(PRODUCTS)},
            "products": lambda r: entities(r, lambda rep, i: {"weight": 1, "price": int(rep["upc"])}),
            "inventory": lambda r: entities(r, lambda rep, i: {"inStock": rep["upc"] == "3"}),
        }
    )
    query = '{ topProducts { price inStock } product(upc: "3") { price inStock } }'
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {
            "topProducts": [{"price": 1, "inStock": False}, {"price": 2, "inStock": False}],
            "product": {"price": 3, "inStock": True},
        }
    }
    assert len(client.sent_to("products")) == 1
    assert len(client.sent_to("inventory")) == 1


async def test_errors_go_to_the_part_and_client_path_they_belong_to() -> None:
    def answer(request: SubgraphRequest) -> dict[str, Any]:
        out = entities(request, lambda rep, i: {"inStock": True})
        out["data"]["_1"] = [None]
        out["errors"] = [
            {"message": "no stock for 3", "path": ["_1", 0, "inStock"]},
            {"message": "slow inventory"},
        ]
        return out

    client = ScriptedClient({"products": lambda r: {"data": copy.deepcopy(PRODUCTS)}, "inventory": answer})
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(QUERY, two_paths_plan()), {}
    )
    assert result["data"] == {
        "topProducts": [{"name": "Table", "inStock": True}, {"name": "Couch", "inStock": True}],
        "product": {"name": "Chair", "inStock": None},
    }
    assert result["errors"] == [
        {"message": "slow inventory", "extensions": {"serviceName": "inventory"}},
        {
            "message": "no stock for 3",
            "path": ["product", "inStock"],
            "extensions": {"serviceName": "inventory"},
        },
    ]


async def test_a_failed_merged_request_fails_every_part() -> None:
    def fail(request: SubgraphRequest) -> SubgraphFetchError:
        return SubgraphFetchError("inventory", "SUBGRAPH_TIMEOUT", 'Subgraph "inventory" did not answer')

    client = ScriptedClient({"products": lambda r: {"data": copy.deepcopy(PRODUCTS)}, "inventory": fail})
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(QUERY, two_paths_plan()), {}
    )
    assert result["data"] == {
        "topProducts": [{"name": "Table", "inStock": None}, {"name": "Couch", "inStock": None}],
        "product": {"name": "Chair", "inStock": None},
    }
    paths = [e["path"] for e in result["errors"]]
    assert paths == [["topProducts", 0, "inStock"], ["topProducts", 1, "inStock"], ["product", "inStock"]]
    assert {e["extensions"]["reason"] for e in result["errors"]} == {"SUBGRAPH_TIMEOUT"}
    assert len(client.sent_to("inventory")) == 1


async def test_client_variables_are_declared_once_and_conflicting_types_send_apart() -> None:
    ok = EntityOperation.of(
        "query A($representations: [_Any!]!, $first: Int) { _entities(representations: $representations) "
        "{ ... on Product { reviews(first: $first) { id } } } }"
    )
    also = EntityOperation.of(
        "query B($first: Int, $representations: [_Any!]!) { _entities(representations: $representations) "
        "{ ... on User { reviews(first: $first) { id } } } }"
    )
    other = EntityOperation.of(
        "query C($representations: [_Any!]!, $first: Int!) { _entities(representations: $representations) "
        "{ ... on User { reviews(first: $first) { id } } } }"
    )
    assert ok is not None and also is not None and other is not None
    merged = merge_entity_operations([ok, also])
    assert merged is not None
    name, text = merged
    assert name == "A__batch"
    assert text.count("$first:Int") == 1
    definitions = parse(text).definitions[0].variable_definitions  # type: ignore[attr-defined]
    assert [d.variable.name.value for d in definitions] == ["r0", "first", "r1"]
    assert merge_entity_operations([ok, other]) is None


async def test_operations_that_are_not_plain_entity_fetches_are_sent_alone() -> None:
    rejected = [
        "{ topProducts { upc } }",
        "query($representations: [_Any!]!) { e: _entities(representations: $representations) { __typename } }",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ...F } }"
        " fragment F on Product { upc }",
        "query($representations: [_Any!]!) @x { _entities(representations: $representations) { __typename } }",
        "query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }",
    ]
    assert [EntityOperation.of(op) for op in rejected] == [None] * len(rejected)


def test_split_keeps_unplaced_errors_for_parts_without_data() -> None:
    response = SubgraphResponse(None, [{"message": "invalid"}])
    parts = split_entity_response(response, 2)
    assert [p.data for p in parts] == [None, None]
    assert [p.errors for p in parts] == [[{"message": "invalid"}], [{"message": "invalid"}]]


async def test_a_cancelled_first_fetch_releases_the_fetches_queued_behind_it() -> None:
    from gateway.execution.executor import _Run

    client = ScriptedClient({"inventory": lambda r: entities(r, lambda rep, i: {"inStock": True})})
    executor = Executor(SUPERGRAPH, client, masking=DEVELOPMENT)
    fetch = entity_fetch("inventory", ("product",), "Product", ("upc",), "inStock").node
    run = _Run(executor._prepare(QueryPlan(FlattenNode(("product",), fetch))), {}, None)
    request = SubgraphRequest(fetch.operation, {"representations": [{"__typename": "Product", "upc": "1"}]})
    first = asyncio.ensure_future(executor._send_entities(fetch, request, run))
    second = asyncio.ensure_future(executor._send_entities(fetch, request, run))
    await asyncio.sleep(0)  # the first fetch waits for company, the second has joined it
    assert len(run.queues["inventory"]) == 2
    first.cancel()
    outcomes = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 2)
    assert [type(o) for o in outcomes] == [asyncio.CancelledError, asyncio.CancelledError]
    assert client.requests == [] and run.queues == {}
