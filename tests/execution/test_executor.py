"""Executor: fetch ordering, entity batching and merging, response shaping, null propagation, errors."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.execution import ErrorMasking, Executor, HeaderPolicy, SubgraphFetchError, SubgraphRequest
from gateway.planning.plan import (
    ConditionNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    InputRewrite,
    ParallelNode,
    SequenceNode,
)

from .support import ScriptedClient, entity_fetch, make_supergraph, plan

# These tests check where subgraph errors go: they pass through as in development (masking: test_masking.py).
DEVELOPMENT = ErrorMasking(include_all=True)

SUPERGRAPH = make_supergraph()


def entities_answer(request: SubgraphRequest, make: Any) -> dict[str, Any]:
    reps = request.variables["representations"] if request.variables else []
    return {"data": {"_entities": [make(rep) for rep in reps]}}


async def test_root_and_entity_fetch_merge_and_shape_to_the_client_selection() -> None:
    query = "{ topProducts { name cost: price } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [
                        {"__typename": "Product", "upc": "1", "name": "Table"},
                        {"__typename": "Product", "upc": "2", "name": "Couch"},
                    ]
                }
            },
            "inventory": lambda r: entities_answer(r, lambda rep: {"cost": int(rep["upc"]) * 100}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc name } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "cost: price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {"topProducts": [{"name": "Table", "cost": 100}, {"name": "Couch", "cost": 200}]}
    }
    (sent,) = client.sent_to("inventory")
    assert sent.variables == {
        "representations": [{"__typename": "Product", "upc": "1"}, {"__typename": "Product", "upc": "2"}]
    }
    assert "_entities(representations: $representations)" in sent.query


async def test_key_order_follows_the_client_operation_not_the_subgraph() -> None:
    query = '{ product(upc: "1") { weight name upc } }'
    client = ScriptedClient(
        {"products": lambda r: {"data": {"product": {"upc": "1", "name": "A", "weight": 3, "price": 9}}}}
    )
    node = FetchNode("products", '{ product(upc: "1") { upc name weight price } }')
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert list(result["data"]["product"]) == ["weight", "name", "upc"]


async def test_one_request_with_distinct_representations_for_repeated_keys() -> None:
    query = "{ topProducts { upc inStock } }"
    products = [{"__typename": "Product", "upc": str(i % 10)} for i in range(100)]
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"topProducts": [dict(p) for p in products]}},
            "inventory": lambda r: entities_answer(r, lambda rep: {"inStock": rep["upc"] in {"1", "3"}}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "inStock"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    inventory = client.sent_to("inventory")
    assert len(inventory) == 1
    reps = inventory[0].variables["representations"]  # type: ignore[index]
    assert reps == [{"__typename": "Product", "upc": str(i)} for i in range(10)]
    rows = result["data"]["topProducts"]
    assert len(rows) == 100
    assert all(row == {"upc": str(i % 10), "inStock": i % 10 in (1, 3)} for i, row in enumerate(rows))


async def test_nested_lists_and_compound_keys_build_nested_representations() -> None:
    query = "{ me { reviews { product { shippingEstimate } } } }"
    me = {
        "__typename": "User",
        "reviews": [
            {"product": {"__typename": "Product", "upc": "1", "dimensions": {"width": 2, "height": 3}}},
            {"product": {"__typename": "Product", "upc": "2", "dimensions": {"width": 4, "height": 5}}},
            {"product": None},
        ],
    }
    requires = (
        InlineFragmentSelection(
            "Product",
            (
                FieldSelection("__typename"),
                FieldSelection("upc"),
                FieldSelection("dimensions", (FieldSelection("width"),)),
            ),
        ),
    )
    entity = FetchNode(
        "inventory",
        "query($representations: [_Any!]!) { _entities(representations: $representations) "
        "{ ... on Product { shippingEstimate } } }",
        requires=requires,
    )
    client = ScriptedClient(
        {
            "reviews": lambda r: {"data": {"me": me}},
            "inventory": lambda r: entities_answer(
                r, lambda rep: {"shippingEstimate": rep["dimensions"]["width"]}
            ),
        }
    )
    node = SequenceNode(
        [
            FetchNode(
                "reviews",
                "{ me { __typename reviews { product { __typename upc dimensions { width height } } } } }",
            ),
            FlattenNode(("me", "reviews", "@", "product"), entity),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {
            "me": {
                "reviews": [
                    {"product": {"shippingEstimate": 2}},
                    {"product": {"shippingEstimate": 4}},
                    {"product": None},
                ]
            }
        }
    }
    (sent,) = client.sent_to("inventory")
    assert sent.variables["representations"] == [  # type: ignore[index]
        {"__typename": "Product", "upc": "1", "dimensions": {"width": 2}},
        {"__typename": "Product", "upc": "2", "dimensions": {"width": 4}},
    ]


async def test_type_conditioned_path_and_typename_filter() -> None:
    query = """{ search { __typename ... on Product { upc price } ... on User { id username } } }"""
    hits = [
        {"__typename": "Product", "upc": "1"},
        {"__typename": "User", "id": "u1", "username": "ada"},
        {"__typename": "Product", "upc": "2"},
    ]
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"search": hits}},
            "inventory": lambda r: entities_answer(r, lambda rep: {"price": 10 * int(rep["upc"])}),
        }
    )
    node = SequenceNode(
        [
            FetchNode(
                "products", "{ search { __typename ... on Product { upc } ... on User { id username } } }"
            ),
            entity_fetch("inventory", ("search", "@|[Product]"), "Product", ("upc",), "price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {
            "search": [
                {"__typename": "Product", "upc": "1", "price": 10},
                {"__typename": "User", "id": "u1", "username": "ada"},
                {"__typename": "Product", "upc": "2", "price": 20},
            ]
        }
    }
    assert client.sent_to("inventory")[0].variables["representations"] == [  # type: ignore[index]
        {"__typename": "Product", "upc": "1"},
        {"__typename": "Product", "upc": "2"},
    ]


async def test_objects_matching_no_requires_fragment_send_no_request() -> None:
    query = "{ search { ... on User { username } } }"
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"search": [{"__typename": "User", "id": "u1", "username": "x"}]}},
            "inventory": lambda r: {"data": {"_entities": []}},
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ search { __typename ... on User { id username } } }"),
            entity_fetch("inventory", ("search", "@"), "Product", ("upc",), "price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert client.sent_to("inventory") == []
    assert result == {"data": {"search": [{"username": "x"}]}}


async def test_entity_fragment_on_an_interface_matches_its_implementations() -> None:
    query = "{ search { ... on Product { name } } }"
    requires = (InlineFragmentSelection("Node", (FieldSelection("__typename"), FieldSelection("id"))),)
    entity = FetchNode(
        "accounts",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Node { ... on Product { name } } } }",
        requires=requires,
    )
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"search": [{"__typename": "Product", "id": "p1"}]}},
            "accounts": lambda r: entities_answer(r, lambda rep: {"name": "n-" + rep["id"]}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ search { __typename ... on Product { id } } }"),
            FlattenNode(("search", "@"), entity),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"search": [{"name": "n-p1"}]}}


async def test_entity_null_leaves_the_object_and_nullable_fields_become_null() -> None:
    query = "{ topProducts { upc weight } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [
                        {"__typename": "Product", "upc": "1"},
                        {"__typename": "Product", "upc": "2"},
                    ]
                }
            },
            "inventory": lambda r: {"data": {"_entities": [None, {"weight": 7}]}},
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "weight"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"topProducts": [{"upc": "1", "weight": None}, {"upc": "2", "weight": 7}]}}


async def test_null_in_non_null_field_bubbles_across_the_fetch_boundary() -> None:
    # price is Int! and the entity fetch answers null for it: the product (a nullable field) becomes null.
    query = '{ product(upc: "1") { upc price } }'
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"product": {"__typename": "Product", "upc": "1"}}},
            "inventory": lambda r: {"data": {"_entities": [{"price": None}]}},
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", '{ product(upc: "1") { __typename upc } }'),
            entity_fetch("inventory", ("product",), "Product", ("upc",), "price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {"product": None},
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Product.price.",
                "path": ["product", "price"],
            }
        ],
    }


async def test_null_bubbles_to_the_root_and_data_becomes_null() -> None:
    query = "{ topProducts { upc price } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [
                        {"__typename": "Product", "upc": "1"},
                        {"__typename": "Product", "upc": "2"},
                    ]
                }
            },
            "inventory": lambda r: {"data": {"_entities": [{"price": 1}, None]}},
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] is None
    assert result["errors"] == [
        {
            "message": "Cannot return null for non-nullable field Product.price.",
            "path": ["topProducts", 1, "price"],
        }
    ]


async def test_bubbling_stops_at_a_nullable_list_item_and_no_duplicate_error_when_subgraph_reported_it() -> (
    None
):
    query = '{ product(upc: "1") { reviews { body } } }'
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"product": {"__typename": "Product", "upc": "1"}}},
            "reviews": lambda r: {
                "data": {"_entities": [{"reviews": [{"body": "ok"}, {"body": None}]}]},
                "errors": [
                    {
                        "message": "body failed",
                        "path": ["_entities", 0, "reviews", 1, "body"],
                        "extensions": {"code": "BOOM"},
                        "locations": [{"line": 1, "column": 2}],
                    }
                ],
            },
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", '{ product(upc: "1") { __typename upc } }'),
            entity_fetch("reviews", ("product",), "Product", ("upc",), "reviews { body }"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    # reviews: [Review!] - the null Review! makes the (nullable) list null.
    assert result == {
        "data": {"product": {"reviews": None}},
        "errors": [
            {
                "message": "body failed",
                "path": ["product", "reviews", 1, "body"],
                "extensions": {"code": "BOOM", "serviceName": "reviews"},
            }
        ],
    }


async def test_entity_error_paths_point_at_every_object_that_shared_the_representation() -> None:
    query = "{ topProducts { upc weight } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {"topProducts": [{"__typename": "Product", "upc": u} for u in ("1", "2", "1")]}
            },
            "inventory": lambda r: {
                "data": {"_entities": [{"weight": 1}, {"weight": None}]},
                "errors": [
                    {"message": "no scale", "path": ["_entities", 1, "weight"]},
                    {"message": "pathless", "extensions": {"code": "X"}},
                    {"message": "odd path", "path": ["somewhere"]},
                ],
            },
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "weight"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] == {
        "topProducts": [{"upc": "1", "weight": 1}, {"upc": "2", "weight": None}, {"upc": "1", "weight": 1}]
    }
    assert result["errors"] == [
        {
            "message": "no scale",
            "path": ["topProducts", 1, "weight"],
            "extensions": {"serviceName": "inventory"},
        },
        {"message": "pathless", "extensions": {"code": "X", "serviceName": "inventory"}},
        {"message": "odd path", "extensions": {"serviceName": "inventory"}},
    ]
    dup_client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [{"__typename": "Product", "upc": "1"}] * 1
                    + [{"__typename": "Product", "upc": "1"}]
                }
            },
            "inventory": lambda r: {
                "data": {"_entities": [None]},
                "errors": [{"message": "gone", "path": ["_entities", 0]}],
            },
        }
    )
    result = await Executor(SUPERGRAPH, dup_client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert [e["path"] for e in result["errors"]] == [["topProducts", 0], ["topProducts", 1]]


async def test_root_fetch_error_paths_are_kept_and_service_name_added() -> None:
    query = "{ me { username } topProducts { upc } }"
    client = ScriptedClient(
        {
            "accounts": lambda r: {
                "data": {"me": None},
                "errors": [
                    {"message": "not signed in", "path": ["me"], "extensions": {"code": "UNAUTHENTICATED"}}
                ],
            },
            "products": lambda r: {"data": {"topProducts": [{"upc": "1"}]}},
        }
    )
    node = ParallelNode(
        [FetchNode("accounts", "{ me { username } }"), FetchNode("products", "{ topProducts { upc } }")]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {"me": None, "topProducts": [{"upc": "1"}]},
        "errors": [
            {
                "message": "not signed in",
                "path": ["me"],
                "extensions": {"code": "UNAUTHENTICATED", "serviceName": "accounts"},
            }
        ],
    }


async def test_failed_entity_fetch_nulls_its_fields_with_errors_and_keeps_other_data() -> None:
    query = "{ topProducts { name inStock } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [
                        {"__typename": "Product", "upc": "1", "name": "A"},
                        {"__typename": "Product", "upc": "2", "name": "B"},
                    ]
                }
            },
            "inventory": lambda r: SubgraphFetchError(
                "inventory", "SUBGRAPH_TIMEOUT", 'Subgraph "inventory" did not answer within 1 s'
            ),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc name } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "inStock"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] == {"topProducts": [{"name": "A", "inStock": None}, {"name": "B", "inStock": None}]}
    ext = {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "inventory", "reason": "SUBGRAPH_TIMEOUT"}
    assert result["errors"] == [
        {
            "message": 'Subgraph "inventory" did not answer in time',
            "extensions": ext,
            "path": ["topProducts", 0, "inStock"],
        },
        {
            "message": 'Subgraph "inventory" did not answer in time',
            "extensions": ext,
            "path": ["topProducts", 1, "inStock"],
        },
    ]


async def test_failed_root_fetch_nulls_its_root_fields_and_non_null_ones_bubble() -> None:
    query = '{ me { username } product(upc: "1") { name } }'
    client = ScriptedClient(
        {
            "accounts": lambda r: SubgraphFetchError(
                "accounts", "SUBGRAPH_UNREACHABLE", 'Subgraph "accounts" is unreachable'
            ),
            "products": lambda r: {"data": {"product": {"name": "A"}}},
        }
    )
    node = ParallelNode(
        [
            FetchNode("accounts", "{ me { username } }"),
            FetchNode("products", '{ product(upc: "1") { name } }'),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] == {"me": None, "product": {"name": "A"}}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["me"], "SUBGRAPH_REQUEST_FAILED")
    ]

    # featured is Product!: its failure makes data null, with the one failure error (no second null error).
    query = "{ featured { name } }"
    client = ScriptedClient(
        {"products": lambda r: SubgraphFetchError("products", "SUBGRAPH_HTTP_ERROR", "HTTP 502", status=502)}
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(query, FetchNode("products", "{ featured { name } }")), {}
    )
    assert result["data"] is None
    assert [(e["path"], e["message"]) for e in result["errors"]] == [
        (["featured"], 'Subgraph "products" answered HTTP 502')
    ]


async def test_failure_propagates_to_fetches_that_needed_the_failed_fields() -> None:
    # shippingEstimate @requires(weight): weight comes from inventory, which fails.
    query = "{ topProducts { upc shippingEstimate } }"
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"topProducts": [{"__typename": "Product", "upc": "1"}]}},
            "inventory": lambda r: SubgraphFetchError("inventory", "SUBGRAPH_TIMEOUT", "timed out"),
            "accounts": lambda r: entities_answer(r, lambda rep: {"shippingEstimate": rep["weight"]}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "weight"),
            entity_fetch("accounts", ("topProducts", "@"), "Product", ("upc", "weight"), "shippingEstimate"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert client.sent_to("accounts") == []
    assert result["data"] == {"topProducts": [{"upc": "1", "shippingEstimate": None}]}
    assert [(e["path"], e["extensions"]["serviceName"]) for e in result["errors"]] == [
        (["topProducts", 0, "shippingEstimate"], "inventory")
    ]


async def test_unexpected_client_exception_never_leaks_its_message() -> None:
    def boom(request: SubgraphRequest) -> dict[str, Any]:
        raise RuntimeError("secret stack detail")

    client = ScriptedClient({"accounts": boom})
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan("{ me { id } }", FetchNode("accounts", "{ me { id } }")), {}
    )
    assert result["data"] == {"me": None}
    assert "secret" not in str(result)
    assert result["errors"][0]["extensions"]["reason"] == "SUBGRAPH_UNKNOWN"


async def test_wrong_number_of_entities_is_a_failure_of_that_fetch() -> None:
    query = "{ topProducts { upc weight } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "topProducts": [
                        {"__typename": "Product", "upc": "1"},
                        {"__typename": "Product", "upc": "2"},
                    ]
                }
            },
            "inventory": lambda r: {"data": {"_entities": [{"weight": 1}]}},
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "weight"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] == {"topProducts": [{"upc": "1", "weight": None}, {"upc": "2", "weight": None}]}
    assert {e["extensions"]["reason"] for e in result["errors"]} == {"SUBGRAPH_INVALID_RESPONSE"}
    assert len(result["errors"]) == 2


async def test_parallel_fetches_run_concurrently_and_sequence_in_order() -> None:
    started: dict[str, asyncio.Event] = {"accounts": asyncio.Event(), "products": asyncio.Event()}
    order: list[str] = []

    def waiting(name: str, other: str, data: dict[str, Any]) -> Any:
        async def handler(request: SubgraphRequest) -> dict[str, Any]:
            started[name].set()
            await asyncio.wait_for(started[other].wait(), 2)  # deadlocks (times out) unless both run at once
            order.append(name)
            return {"data": data}

        return handler

    client = ScriptedClient(
        {
            "accounts": waiting("accounts", "products", {"me": {"__typename": "User", "id": "u1"}}),
            "products": waiting("products", "accounts", {"topProducts": []}),
            "reviews": lambda r: (order.append("reviews"), entities_answer(r, lambda rep: {"reviews": []}))[
                1
            ],
        }
    )
    node = SequenceNode(
        [
            ParallelNode(
                [
                    FetchNode("accounts", "{ me { __typename id } }"),
                    FetchNode("products", "{ topProducts { upc } }"),
                ]
            ),
            entity_fetch("reviews", ("me",), "User", ("id",), "reviews { id }"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan("{ me { reviews { id } } topProducts { upc } }", node), {}
    )
    assert result == {"data": {"me": {"reviews": []}, "topProducts": []}}
    assert order[-1] == "reviews" and sorted(order[:2]) == ["accounts", "products"]


async def test_aliases_typename_and_fragments_on_abstract_types() -> None:
    query = """
    query Q {
      __typename
      first: node(id: "p1") { kind: __typename id ...P ... on User { username } }
      second: node(id: "u1") { kind: __typename ...P ... on User { handle: username } }
    }
    fragment P on Product { label: name }
    """
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "first": {
                        "__typename": "Product",
                        "kind": "Product",
                        "id": "p1",
                        "label": "Lamp",
                        "name": "Lamp",
                    },
                    "second": {"__typename": "User", "kind": "User", "handle": "ada", "username": "ada"},
                }
            }
        }
    )
    node = FetchNode(
        "products",
        '{ first: node(id: "p1") { __typename id label: name } second: node(id: "u1") { __typename handle: username } }',
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node, "Q"), {})
    assert result == {
        "data": {
            "__typename": "Query",
            "first": {"kind": "Product", "id": "p1", "label": "Lamp"},
            "second": {"kind": "User", "handle": "ada"},
        }
    }


async def test_typename_of_an_object_type_comes_from_the_schema_not_the_data() -> None:
    client = ScriptedClient({"products": lambda r: {"data": {"featured": {"t": "Wrong", "upc": "1"}}}})
    query = "{ featured { t: __typename upc } }"
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(query, FetchNode("products", "{ featured { upc } }")), {}
    )
    assert result == {"data": {"featured": {"t": "Product", "upc": "1"}}}


async def test_skip_and_include_with_variables_and_defaults() -> None:
    query = """
    query($withName: Boolean!, $skipUpc: Boolean = true) {
      product(upc: "1") { name @include(if: $withName) upc @skip(if: $skipUpc) ... @include(if: $withName) { weight } }
    }
    """
    data = {"product": {"name": "A", "upc": "1", "weight": 2}}
    client = ScriptedClient({"products": lambda r: {"data": data}})
    node = FetchNode("products", '{ product(upc: "1") { name upc weight } }')
    p = plan(query, node)
    executor = Executor(SUPERGRAPH, client, masking=DEVELOPMENT)
    assert await executor.execute(p, {"withName": True}) == {"data": {"product": {"name": "A", "weight": 2}}}
    assert await executor.execute(p, {"withName": False, "skipUpc": False}) == {
        "data": {"product": {"upc": "1"}}
    }
    assert await executor.execute(p, {"withName": True, "skipUpc": False}) == {
        "data": {"product": {"name": "A", "upc": "1", "weight": 2}}
    }


async def test_condition_node_cuts_fetches_by_variable() -> None:
    query = "query($rev: Boolean!) { me { id reviews @include(if: $rev) { id } } }"
    client = ScriptedClient(
        {
            "accounts": lambda r: {"data": {"me": {"__typename": "User", "id": "u1"}}},
            "reviews": lambda r: entities_answer(r, lambda rep: {"reviews": [{"id": "r1"}]}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("accounts", "{ me { __typename id } }"),
            ConditionNode(
                "rev", if_clause=entity_fetch("reviews", ("me",), "User", ("id",), "reviews { id }")
            ),
        ]
    )
    p = plan(query, node)
    executor = Executor(SUPERGRAPH, client, masking=DEVELOPMENT)
    assert await executor.execute(p, {"rev": False}) == {"data": {"me": {"id": "u1"}}}
    assert client.sent_to("reviews") == []
    assert await executor.execute(p, {"rev": True}) == {
        "data": {"me": {"id": "u1", "reviews": [{"id": "r1"}]}}
    }
    assert len(client.sent_to("reviews")) == 1


async def test_fetches_get_only_the_variables_they_use() -> None:
    query = "query($upc: String!, $first: Int, $unused: Int) { product(upc: $upc) { reviews { id } } topProducts(first: $first) { upc } }"
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {"product": {"__typename": "Product", "upc": "1"}, "topProducts": []}
            },
            "reviews": lambda r: entities_answer(r, lambda rep: {"reviews": []}),
        }
    )
    node = SequenceNode(
        [
            FetchNode(
                "products",
                "query($upc: String!, $first: Int) { product(upc: $upc) { __typename upc } topProducts(first: $first) { upc } }",
                variable_usages=("upc", "first"),
            ),
            entity_fetch("reviews", ("product",), "Product", ("upc",), "reviews { id }"),
        ]
    )
    await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(query, node), {"upc": "1", "first": 3, "unused": 4}
    )
    assert client.sent_to("products")[0].variables == {"upc": "1", "first": 3}
    assert client.sent_to("reviews")[0].variables == {
        "representations": [{"__typename": "Product", "upc": "1"}]
    }


async def test_headers_are_forwarded_only_through_the_allow_list() -> None:
    client = ScriptedClient({"accounts": lambda r: {"data": {"me": None}}})
    policy = HeaderPolicy(
        allow=["Authorization", "x-request-id", "content-length"], static={"X-Gateway": "fed"}
    )
    executor = Executor(SUPERGRAPH, client, header_policy=policy, masking=DEVELOPMENT)
    headers = {"authorization": "Bearer t", "X-Request-ID": "42", "cookie": "secret", "Content-Length": "10"}
    await executor.execute(
        plan("{ me { id } }", FetchNode("accounts", "{ me { id } }")), {}, request_headers=headers
    )
    assert client.sent_to("accounts")[0].headers == {
        "x-gateway": "fed",
        "authorization": "Bearer t",
        "x-request-id": "42",
    }

    client.requests.clear()
    await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan("{ me { id } }", FetchNode("accounts", "{ me { id } }")), {}, request_headers=headers
    )
    assert client.sent_to("accounts")[0].headers is None


async def test_introspection_is_answered_by_the_gateway_and_merged_with_planned_data() -> None:
    query = """
    query($t: String!) {
      __typename
      schema: __schema { queryType { name } mutationType { name } }
      __type(name: $t) { name kind fields { name } }
      me { username }
    }
    """
    client = ScriptedClient({"accounts": lambda r: {"data": {"me": {"username": "ada"}}}})
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(query, FetchNode("accounts", "{ me { username } }")), {"t": "Dimensions"}
    )
    assert result == {
        "data": {
            "__typename": "Query",
            "schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}},
            "__type": {
                "name": "Dimensions",
                "kind": "OBJECT",
                "fields": [{"name": "width"}, {"name": "height"}],
            },
            "me": {"username": "ada"},
        }
    }


async def test_introspection_only_plan_has_no_node() -> None:
    client = ScriptedClient({})
    query = '{ __type(name: "Color") { enumValues { name } } ...F } fragment F on Query { __typename }'
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, None), {})
    assert result == {
        "data": {"__type": {"enumValues": [{"name": "RED"}, {"name": "GREEN"}]}, "__typename": "Query"}
    }
    assert client.requests == []


async def test_invalid_subgraph_values_become_null_with_errors() -> None:
    query = '{ product(upc: "1") { color reviews { id } dimensions { width } } }'
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {"product": {"color": "BLUE", "reviews": {"id": "r"}, "dimensions": "wide"}}
            }
        }
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan(query, FetchNode("products", query)), {}
    )
    assert result["data"] == {"product": {"color": None, "reviews": None, "dimensions": None}}
    assert [e["path"] for e in result["errors"]] == [
        ["product", "color"],
        ["product", "reviews"],
        ["product", "dimensions"],
    ]
    assert {e["extensions"]["code"] for e in result["errors"]} == {"INVALID_SUBGRAPH_DATA"}


async def test_mutation_root_fetches_run_in_sequence() -> None:
    order: list[str] = []

    def add(request: SubgraphRequest) -> dict[str, Any]:
        order.append(request.query)
        return {"data": {k: {"id": k} for k in ("a", "b") if f"{k}: addReview" in request.query}}

    client = ScriptedClient({"reviews": add})
    query = 'mutation { a: addReview(upc: "1", body: "x") { id } b: addReview(upc: "2", body: "y") { id } }'
    node = SequenceNode(
        [
            FetchNode(
                "reviews", 'mutation { a: addReview(upc: "1", body: "x") { id } }', operation_kind="mutation"
            ),
            FetchNode(
                "reviews", 'mutation { b: addReview(upc: "2", body: "y") { id } }', operation_kind="mutation"
            ),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"a": {"id": "a"}, "b": {"id": "b"}}}
    assert ["a:" in q for q in order] == [True, False]


async def test_prepared_forms_are_reused_across_executions() -> None:
    client = ScriptedClient({"accounts": lambda r: {"data": {"me": {"id": "1"}}}})
    fetch = FetchNode("accounts", "{ me { id } }")
    p = plan("{ me { id } }", fetch)
    executor = Executor(SUPERGRAPH, client, masking=DEVELOPMENT)
    await executor.execute(p, {})
    prepared = executor._prepare(p)
    assert await executor.execute(p, {}) == {"data": {"me": {"id": "1"}}}
    assert executor._prepare(p) is prepared and prepared.fetch(fetch) is prepared.fetch(fetch)


async def test_key_fields_the_plan_aliased_are_read_from_their_response_key() -> None:
    # The client calls `name` "upc", so the plan fetched the real key as `__fk_upc: upc`.
    query = "{ topProducts { upc: name weight } }"
    requires = (
        InlineFragmentSelection(
            "Product", (FieldSelection("__typename"), FieldSelection("upc", response_key="__fk_upc"))
        ),
    )
    entity = FetchNode(
        "inventory",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { weight } } }",
        requires=requires,
    )
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {"topProducts": [{"__typename": "Product", "upc": "Lamp", "__fk_upc": "7"}]}
            },
            "inventory": lambda r: entities_answer(r, lambda rep: {"weight": int(rep["upc"])}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc: name __fk_upc: upc } }"),
            FlattenNode(("topProducts", "@"), entity),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"topProducts": [{"upc": "Lamp", "weight": 7}]}}
    assert client.sent_to("inventory")[0].variables == {
        "representations": [{"__typename": "Product", "upc": "7"}]
    }
    assert requires[0].to_json()["selections"][1] == {"kind": "Field", "name": "upc", "alias": "__fk_upc"}


async def test_null_inside_a_non_null_object_field_bubbles_through_it() -> None:
    query = "{ featured { upc dimensions { width } } me { id } }"
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"featured": {"upc": "1", "dimensions": {"width": None}}}},
            "accounts": lambda r: {"data": {"me": {"id": "u"}}},
        }
    )
    # dimensions is nullable: the null width (Int!) stops there.
    node = ParallelNode(
        [
            FetchNode("products", "{ featured { upc dimensions { width } } }"),
            FetchNode("accounts", "{ me { id } }"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": {"featured": {"upc": "1", "dimensions": None}, "me": {"id": "u"}},
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Dimensions.width.",
                "path": ["featured", "dimensions", "width"],
            }
        ],
    }
    # upc is String! on featured: Product!: the null reaches the root.
    client = ScriptedClient({"products": lambda r: {"data": {"featured": {"upc": None}}}})
    node2 = FetchNode("products", "{ featured { upc } }")
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan("{ featured { upc } }", node2), {}
    )
    assert result == {
        "data": None,
        "errors": [
            {"message": "Cannot return null for non-nullable field Product.upc.", "path": ["featured", "upc"]}
        ],
    }


async def test_input_rewrites_set_the_representation_typename_for_interface_objects() -> None:
    query = "{ search { ... on Product { weight } } }"
    requires = (InlineFragmentSelection("Product", (FieldSelection("__typename"), FieldSelection("id"))),)
    entity = FetchNode(
        "inventory",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Node { weight: size } } }",
        requires=requires,
        input_rewrites=(InputRewrite("Product", "Node"),),
    )
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {"search": [{"__typename": "Product", "id": "p1"}, {"__typename": "User", "id": "u"}]}
            },
            "inventory": lambda r: entities_answer(r, lambda rep: {"weight": 5}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ search { __typename ... on Product { id } ... on User { id } } }"),
            FlattenNode(("search", "@"), entity),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert client.sent_to("inventory")[0].variables == {
        "representations": [{"__typename": "Node", "id": "p1"}]
    }
    assert result == {"data": {"search": [{"weight": 5}, {}]}}


async def test_an_entity_error_explains_the_nulls_below_it() -> None:
    query = "{ topProducts { upc price } }"
    client = ScriptedClient(
        {
            "products": lambda r: {"data": {"topProducts": [{"__typename": "Product", "upc": "1"}]}},
            "inventory": lambda r: {
                "data": {"_entities": [None]},
                "errors": [{"message": "not found", "path": ["_entities", 0]}],
            },
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", "{ topProducts { __typename upc } }"),
            entity_fetch("inventory", ("topProducts", "@"), "Product", ("upc",), "price"),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {
        "data": None,
        "errors": [
            {"message": "not found", "path": ["topProducts", 0], "extensions": {"serviceName": "inventory"}}
        ],
    }


async def test_one_fetch_node_under_two_flattens_uses_each_path() -> None:
    query = '{ product(upc: "1") { weight } featured { weight } }'
    shared = entity_fetch("inventory", ("product",), "Product", ("upc",), "weight").node
    client = ScriptedClient(
        {
            "products": lambda r: {
                "data": {
                    "product": {"__typename": "Product", "upc": "1"},
                    "featured": {"__typename": "Product", "upc": "2"},
                }
            },
            "inventory": lambda r: entities_answer(r, lambda rep: {"weight": int(rep["upc"])}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("products", '{ product(upc: "1") { __typename upc } featured { __typename upc } }'),
            FlattenNode(("product",), shared),
            FlattenNode(("featured",), shared),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"product": {"weight": 1}, "featured": {"weight": 2}}}


async def test_errors_of_parallel_fetches_come_in_plan_order_whichever_finishes_first() -> None:
    async def late(request: SubgraphRequest) -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"data": {"me": None}, "errors": [{"message": "first in plan", "path": ["me"]}]}

    client = ScriptedClient(
        {
            "accounts": late,
            "products": lambda r: {
                "data": {"product": None},
                "errors": [{"message": "second in plan", "path": ["product"]}],
            },
        }
    )
    node = ParallelNode(
        [FetchNode("accounts", "{ me { id } }"), FetchNode("products", '{ product(upc: "1") { upc } }')]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(
        plan('{ me { id } product(upc: "1") { upc } }', node), {}
    )
    assert [e["message"] for e in result["errors"]] == ["first in plan", "second in plan"]


async def test_interface_value_without_an_object_typename_keeps_the_interface_fields() -> None:
    """An @interfaceObject subgraph returns the interface with no object __typename: its own fields stay."""
    query = '{ node(id: "p1") { id ... on Product { name } } }'
    client = ScriptedClient({"products": lambda r: {"data": {"node": {"id": "p1"}}}})
    node = FetchNode("products", '{ node(id: "p1") { id } }')
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result == {"data": {"node": {"id": "p1"}}}


async def test_representation_without_a_complete_key_is_not_sent() -> None:
    """A null key field identifies no entity (subgraph spec, _entities): nothing is asked for that object."""
    from gateway.composition import SubgraphSource, compose
    from gateway.composition.read_supergraph import read_supergraph

    link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])\n'
    composed = compose(
        [
            SubgraphSource(
                "shelf",
                "http://shelf/graphql",
                link
                + 'type Query { books: [Book!]! } type Book @key(fields: "id") { id: ID! isbn: String @shareable }',
            ),
            SubgraphSource(
                "authors",
                "http://authors/graphql",
                link + 'type Book @key(fields: "isbn") { isbn: String! @shareable author: String }',
            ),
        ]
    )
    assert composed.supergraph_sdl is not None, composed.errors
    supergraph = read_supergraph(composed.supergraph_sdl)
    client = ScriptedClient(
        {
            "shelf": lambda r: {
                "data": {
                    "books": [
                        {"__typename": "Book", "id": "b1", "isbn": "978-1"},
                        {"__typename": "Book", "id": "b2", "isbn": None},
                    ]
                }
            },
            "authors": lambda r: entities_answer(r, lambda rep: {"author": "Ann"}),
        }
    )
    node = SequenceNode(
        [
            FetchNode("shelf", "{ books { id __typename isbn } }"),
            entity_fetch("authors", ("books", "@"), "Book", ("isbn",), "author"),
        ]
    )
    result = await Executor(supergraph, client, masking=DEVELOPMENT).execute(
        plan("{ books { id author } }", node), {}
    )
    assert client.sent_to("authors")[0].variables == {
        "representations": [{"__typename": "Book", "isbn": "978-1"}]
    }
    assert result == {"data": {"books": [{"id": "b1", "author": "Ann"}, {"id": "b2", "author": None}]}}


async def test_every_error_without_a_path_reaches_the_client_once() -> None:
    """The first explains the nulls its fetch left (at their paths); the others pass on as the subgraph sent them."""
    query = '{ me { id } product(upc: "1") { upc inStock } }'
    client = ScriptedClient(
        {
            "accounts": lambda r: {"data": {"me": None}, "errors": [{"message": "a1"}, {"message": "a2"}]},
            "products": lambda r: {"data": {"product": {"__typename": "Product", "upc": "1"}}},
            "inventory": lambda r: {
                "data": {"_entities": [None]},
                "errors": [{"message": "i1"}, {"message": "i2"}],
            },
        }
    )
    node = ParallelNode(
        [
            FetchNode("accounts", "{ me { id } }"),
            SequenceNode(
                [
                    FetchNode("products", '{ product(upc: "1") { __typename upc } }'),
                    entity_fetch("inventory", ("product",), "Product", ("upc",), "inStock"),
                ]
            ),
        ]
    )
    result = await Executor(SUPERGRAPH, client, masking=DEVELOPMENT).execute(plan(query, node), {})
    assert result["data"] == {"me": None, "product": {"upc": "1", "inStock": None}}
    assert sorted((e["message"], tuple(e.get("path", ()))) for e in result["errors"]) == [
        ("a1", ("me",)),
        ("a2", ()),
        ("i1", ("product", "inStock")),
        ("i2", ()),
    ]
