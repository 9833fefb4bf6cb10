"""Authorization directives at the gateway, per directive, on a small supergraph: what a request may not see
is removed before planning and comes back null with ``UNAUTHORIZED_FIELD_OR_TYPE`` at its path."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.planning.plan import QueryPlan
from gateway.server import Gateway, ServerSettings, create_app
from gateway.server.request import GraphQLRequest

from .support import SchemaExecutor

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9",
  import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
type Query {
  products: [Product!]!
  product(id: ID!): Product
  me: User @authenticated
  orders: [Order!] @requiresScopes(scopes: [["orders:read"], ["admin"]])
  secret: String @policy(policies: [["vip"]])
  nodes: [Node!]!
  hello: String
}
type Mutation {
  adjustStock(id: ID!, by: Int!): Product @requiresScopes(scopes: [["products:manage"]])
}
interface Node { id: ID! }
type Product implements Node @key(fields: "id") {
  id: ID!
  name: String
  stock: Int @authenticated
  code: String! @authenticated
  supplier: Supplier
}
type Supplier @authenticated { name: String }
type Secret implements Node @key(fields: "id") @requiresScopes(scopes: [["secrets"]]) { id: ID! note: String }
type User @key(fields: "id") { id: ID! email: String }
type Order @key(fields: "id") { id: ID! total: Int }
"""

PRODUCTS = [
    {"__typename": "Product", "id": "1", "name": "Lamp", "stock": 5, "code": "L", "supplier": {"name": "S"}},
    {"__typename": "Product", "id": "2", "name": "Desk", "stock": 0, "code": "D", "supplier": None},
]
UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


def vip_policy(claims: Mapping[str, Any] | None, names: frozenset[str]) -> set[str]:
    """The policy function the config names: ``vip`` for ``User:1`` only."""
    return {"vip"} if claims and claims.get("sub") == "User:1" else set()


class CountingExecutor(SchemaExecutor):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.documents: list[str] = []

    async def execute(
        self, plan: QueryPlan, variables: dict[str, Any], *, request_headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        from graphql import print_ast

        assert plan.document is not None
        self.documents.append(print_ast(plan.document))
        return await super().execute(plan, variables, request_headers=request_headers)


def supergraph() -> Any:
    result = compose([SubgraphSource("shop", "http://shop.test/graphql", SDL)])
    assert result.supergraph_sdl is not None, result.errors
    return read_supergraph(result.supergraph_sdl)


def make_gateway(**settings: Any) -> tuple[Gateway, CountingExecutor]:
    model = supergraph()
    root = {
        "products": PRODUCTS,
        "product": lambda info, id: next(p for p in PRODUCTS if p["id"] == id),
        "me": {"id": "User:1", "email": "ada@example.com"},
        "orders": [{"id": "o1", "total": 3}],
        "secret": "42",
        "nodes": [PRODUCTS[0], {"__typename": "Secret", "id": "s1", "note": "hush"}],
        "hello": "world",
        "adjustStock": lambda info, id, by: {**PRODUCTS[0], "stock": 5 + by},
    }
    executor = CountingExecutor(model, root)
    defaults: dict[str, Any] = {
        "claims_header": "x-claims",
        "prepare_in_worker": False,
        "authorization_policy": f"{__name__}:vip_policy",
    }
    gateway = Gateway(model, executor=executor, settings=ServerSettings(**{**defaults, **settings}))
    return gateway, executor


def claims(sub: str = "User:1", scope: str = "") -> dict[str, str]:
    return {"x-claims": json.dumps({"sub": sub, "scope": scope})}


async def run(gateway: Gateway, query: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    result = await gateway.execute(GraphQLRequest(query), headers=headers)
    result.pop("extensions", None)
    return result


def error(*path: str) -> dict[str, Any]:
    return {"message": "Unauthorized field or type", "path": list(path), "extensions": {"code": UNAUTHORIZED}}


async def test_authenticated_field_is_null_for_anonymous_and_served_when_signed_in() -> None:
    gateway, _ = make_gateway()
    anonymous = await run(gateway, "{ products { id stock } }")
    assert anonymous == {
        "data": {"products": [{"id": "1", "stock": None}, {"id": "2", "stock": None}]},
        "errors": [error("products", "@", "stock")],
    }
    signed_in = await run(gateway, "{ products { id stock } }", claims())
    assert signed_in == {"data": {"products": [{"id": "1", "stock": 5}, {"id": "2", "stock": 0}]}}


async def test_requires_scopes_is_or_of_and_lists() -> None:
    gateway, _ = make_gateway()
    query = "{ orders { id } hello }"
    for scope in ("orders:read", "admin other"):
        assert (await run(gateway, query, claims(scope=scope))) == {
            "data": {"orders": [{"id": "o1"}], "hello": "world"}
        }
    refused = await run(gateway, query, claims(scope="orders:write"))
    assert refused == {"data": {"orders": None, "hello": "world"}, "errors": [error("orders")]}


async def test_policy_is_decided_by_the_configured_function() -> None:
    gateway, _ = make_gateway()
    assert (await run(gateway, "{ secret }", claims("User:1"))) == {"data": {"secret": "42"}}
    assert (await run(gateway, "{ secret hello }", claims("User:2")))["errors"] == [error("secret")]
    without_function, _ = make_gateway(authorization_policy=None)
    assert (await run(without_function, "{ secret hello }", claims("User:1")))["data"]["secret"] is None


async def test_a_field_returning_a_guarded_type_is_removed() -> None:
    gateway, _ = make_gateway()
    result = await run(gateway, '{ product(id: "1") { name supplier { name } } }')
    assert result == {
        "data": {"product": {"name": "Lamp", "supplier": None}},
        "errors": [error("product", "supplier")],
    }


async def test_a_removed_non_null_field_nulls_its_parent() -> None:
    gateway, _ = make_gateway()
    result = await run(gateway, '{ product(id: "2") { name code } hello }')
    assert result == {"data": {"product": None, "hello": "world"}, "errors": [error("product", "code")]}
    # Through a list of non-null items up to a non-null root field: data itself is null.
    assert (await run(gateway, "{ products { code } }"))["data"] is None


async def test_fragments_on_guarded_types_and_named_fragments() -> None:
    gateway, executor = make_gateway()
    result = await run(gateway, "{ nodes { id ... on Secret { note } } }", claims())
    # The Secret's note is null; the Product, which the fragment never applied to, has no such key.
    assert result == {
        "data": {"nodes": [{"id": "1"}, {"id": "s1", "note": None}]},
        "errors": [error("nodes", "@")],
    }
    assert "__authorization_typename" in executor.documents[-1]
    allowed = await run(gateway, "{ nodes { id ... on Secret { note } } }", claims(scope="secrets"))
    assert allowed == {"data": {"nodes": [{"id": "1"}, {"id": "s1", "note": "hush"}]}}
    named = await run(gateway, "query { products { ...P } } fragment P on Product { id stock }")
    assert named["data"]["products"][0] == {"id": "1", "stock": None}
    assert named["errors"] == [error("products", "@", "stock")]


async def test_typename_is_always_allowed() -> None:
    gateway, _ = make_gateway()
    result = await run(gateway, "{ products { __typename stock } }")
    assert result["data"]["products"][0] == {"__typename": "Product", "stock": None}


async def test_when_nothing_is_left_nothing_runs() -> None:
    gateway, executor = make_gateway()
    assert (await run(gateway, "{ me { email } }")) == {"data": {"me": None}, "errors": [error("me")]}
    mutation = 'mutation { adjustStock(id: "1", by: 5) { id stock } }'
    assert (await run(gateway, mutation, claims(scope="orders:manage"))) == {
        "data": {"adjustStock": None},
        "errors": [error("adjustStock")],
    }
    assert executor.documents == []  # the mutation never reached a subgraph
    staff = await run(gateway, mutation, claims(scope="products:manage"))
    assert staff == {"data": {"adjustStock": {"id": "1", "stock": 10}}}


async def test_filtered_plans_are_cached_by_the_removed_selections_not_the_token() -> None:
    gateway, _ = make_gateway()
    query = "{ products { id stock } orders { id } }"
    await run(gateway, query, claims("User:1"))
    entries = len(gateway.plan_cache)
    await run(gateway, query, claims("User:2"))  # another token, the same removals
    await run(gateway, query, claims("User:3"))
    assert len(gateway.plan_cache) == entries
    await run(gateway, query)  # anonymous: stock is removed too, a different plan
    assert len(gateway.plan_cache) == entries + 1
    both = await run(gateway, query, claims("User:4", "admin"))
    assert "errors" not in both


async def test_claims_are_ignored_unless_authentication_is_on() -> None:
    gateway, _ = make_gateway(claims_header=None)
    forged = await run(gateway, "{ products { stock } }", claims(scope="admin"))
    assert forged["errors"] == [error("products", "@", "stock")]


async def test_reject_unauthorized_refuses_the_request_with_403() -> None:
    gateway, executor = make_gateway(reject_unauthorized=True)
    app = create_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        refused = await client.post("/graphql", json={"query": "{ products { id stock } }"})
        assert refused.status_code == 403
        body = refused.json()
        assert "data" not in body and body["errors"] == [error("products", "@", "stock")]
        allowed = await client.post("/graphql", json={"query": "{ products { id stock } }"}, headers=claims())
        assert allowed.status_code == 200 and "errors" not in allowed.json()
    assert len(executor.documents) == 1


async def test_a_field_selected_several_times_gets_one_error_per_path() -> None:
    gateway, _ = make_gateway()
    repeated = await run(gateway, "{ products { id stock stock } }")
    assert repeated["errors"] == [error("products", "@", "stock")]
    through_fragments = await run(
        gateway, "{ products { stock ...P ... on Product { stock } } } fragment P on Product { stock }"
    )
    assert through_fragments["errors"] == [error("products", "@", "stock")]
    # Aliases are paths of their own.
    aliased = await run(gateway, "{ products { a: stock b: stock a: stock } }")
    assert aliased["errors"] == [error("products", "@", "a"), error("products", "@", "b")]
    types = await run(gateway, "{ nodes { id ... on Secret { note } ... on Secret { id } } }", claims())
    assert types["errors"] == [error("nodes", "@")]
    rejecting, _ = make_gateway(reject_unauthorized=True)
    refused = await run(rejecting, "{ products { stock stock } }")
    assert refused["errors"] == [error("products", "@", "stock")]


async def test_filtered_operations_are_planned_off_the_event_loop() -> None:
    # Planning a filtered document costs what planning the document costs (tens of ms for a large one): done
    # on the event loop, it would hold every other request and /health meanwhile.
    import threading

    from gateway.planning import plan_operation

    threads: list[str] = []

    def planner(*args: Any, **kwargs: Any) -> QueryPlan:
        threads.append(threading.current_thread().name)
        return plan_operation(*args, **kwargs)

    gateway, _ = make_gateway(prepare_in_worker=True)
    gateway._planner = planner
    loop_thread = threading.current_thread().name
    result = await run(gateway, "{ products { id stock } }")
    assert result["errors"] == [error("products", "@", "stock")]
    assert len(threads) == 2 and loop_thread not in threads  # the document, then its filtered form
    # Concurrent requests for the same filtered document plan it once.
    query = "{ products { id name stock } }"
    results = await asyncio.gather(*(run(gateway, query) for _ in range(5)))
    assert all(r["errors"] == [error("products", "@", "stock")] for r in results)
    assert len(threads) == 4


@pytest.mark.parametrize("reference", ["nomodule", "json:nothing_here"])
def test_a_bad_policy_reference_is_a_clear_error(reference: str) -> None:
    with pytest.raises(ValueError, match="callable"):
        make_gateway(authorization_policy=reference)


def test_finding_and_filtering_guarded_selections_leaves_no_cycle() -> None:
    """Walking an operation for its guards and rebuilding it without the failing ones is freed by reference
    counting (a closure calling itself is a cycle, left for a collection that pauses the event loop)."""
    import gc

    from graphql import OperationDefinitionNode, parse

    from gateway.server.authorization import authorization_guards, filter_operation

    model = supergraph()
    document = parse("{ products { id stock ... on Product { stock } } me { email } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    authorization_guards(model, document, operation)  # warm: what the supergraph caches on first use
    gc.collect()
    gc.disable()
    try:
        guards = authorization_guards(model, document, operation)
        assert guards
        filtered = filter_operation(
            model, document, operation, guards, frozenset(g.selection for g in guards)
        )
        assert filtered.removed
        del guards, filtered
        assert gc.collect() == 0
    finally:
        gc.enable()
