"""Null and error handling: entities a subgraph cannot find (null with or without an error), errors of nested
entity fetches at the right client paths, non-null bubbling across fetch boundaries, subgraph errors without
paths, and subgraphs that answer invalid JSON or a body that is not GraphQL (GraphQL spec 6.4.4 "Handling Field
Errors"; Federation subgraph spec ``_entities``: null for an entity it cannot resolve)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError

from .support import Case, Federation, Subgraph, case_params, run_case

PRODUCTS = {
    "p1": {"id": "p1", "name": "Lamp"},
    "p2": {"id": "p2", "name": "Mug"},
    "p3": {"id": "p3", "name": "Desk"},
    "p9": {"id": "p9", "name": "Old"},
}

products = Subgraph(
    "products",
    """
    type Query {
      products: [Product!]!
      top: [Product]
      product(id: ID!): Product
      archived: [Product!]!
    }
    type Product @key(fields: "id") { id: ID! name: String! }
    """,
    {
        "Query": {
            "products": [PRODUCTS[i] for i in ("p1", "p2", "p3", "p1")],
            "top": [PRODUCTS[i] for i in ("p1", "p2", "p3")],
            "product": lambda _p, a: PRODUCTS.get(a["id"]),
            "archived": [PRODUCTS["p9"]],
        },
        "entities": {"Product": list(PRODUCTS.values())},
    },
)


def _failing_stock(_parent: Any, _args: Any) -> int:
    raise GraphQLError("stock service down")


def _inventory(rep: dict[str, Any]) -> dict[str, Any] | None:
    if rep["id"] == "p9":
        raise GraphQLError("product p9 is archived")
    return {
        "p1": {"stock": 5, "warehouse": {"code": "W1"}},
        "p2": None,  # not found, no error
        "p3": {"stock": _failing_stock, "warehouse": {"code": "W3"}},
    }.get(rep["id"])


inventory = Subgraph(
    "inventory",
    """
    type Product @key(fields: "id") { id: ID! stock: Int warehouse: Warehouse! }
    type Warehouse { code: String! }
    """,
    {"entities": {"Product": _inventory}},
)

pathless = Subgraph(
    "pathless",
    "type Query { status: String }",
    raw_response=(
        200,
        "application/json",
        b'{"data": null, "errors": [{"message": "down for maintenance"}]}',
    ),
)

garbled = Subgraph(
    "garbled",
    """
    type Query { garbled: String }
    type Product @key(fields: "id") { id: ID! rating: Int }
    """,
    raw_response=(200, "application/json", b'{"data": {"garbled": "x"'),
)

html = Subgraph(
    "html",
    "type Query { html: String }",
    raw_response=(502, "text/html", b"<html><body>Bad gateway</body></html>"),
)

ERRORS = Federation("errors", [products, inventory, pathless, garbled, html])

CASES = [
    Case(
        "entity-not-found-and-entity-field-error",
        ERRORS,
        "{ products { id stock } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "stock": 5},
                    {"id": "p2", "stock": None},
                    {"id": "p3", "stock": None},
                    {"id": "p1", "stock": 5},
                ]
            },
            "errors": [
                {
                    "message": "stock service down",
                    "path": ["products", 2, "stock"],
                    "extensions": {"serviceName": "inventory"},
                }
            ],
        },
        depth=2,
    ),
    Case(
        "non-null-field-of-a-missing-entity-bubbles-to-the-nullable-list-item",
        ERRORS,
        "{ top { id warehouse { code } } }",
        {
            "data": {
                "top": [
                    {"id": "p1", "warehouse": {"code": "W1"}},
                    None,
                    {"id": "p3", "warehouse": {"code": "W3"}},
                ]
            },
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Product.warehouse.",
                    "path": ["top", 1, "warehouse"],
                }
            ],
        },
        depth=2,
        reference=(
            "Hive Gateway with the Rust planner answers null for a non-null field of an entity that was not "
            "found, or nulls its parent, without an error (graphql-hive/router#1110); GraphQL spec 6.4.4 "
            "(Handling Field Errors) makes it a field error and nulls the nearest nullable parent"
        ),
    ),
    Case(
        "non-null-bubbling-through-non-null-list-to-data",
        ERRORS,
        "{ products { warehouse { code } } }",
        {
            "data": None,
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Product.warehouse.",
                    "path": ["products", 1, "warehouse"],
                }
            ],
        },
        depth=2,
        reference=(
            "Hive Gateway with the Rust planner answers null for a non-null field of an entity that was not "
            "found, or nulls its parent, without an error (graphql-hive/router#1110); GraphQL spec 6.4.4 "
            "(Handling Field Errors) makes it a field error and nulls the nearest nullable parent"
        ),
    ),
    Case(
        "non-null-bubbling-stops-at-nullable-root-field",
        ERRORS,
        '{ product(id: "p2") { name warehouse { code } } other: product(id: "p1") { name } }',
        {
            "data": {"product": None, "other": {"name": "Lamp"}},
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Product.warehouse.",
                    "path": ["product", "warehouse"],
                }
            ],
        },
        depth=2,
        reference=(
            "Hive Gateway with the Rust planner answers null for a non-null field of an entity that was not "
            "found, or nulls its parent, without an error (graphql-hive/router#1110); GraphQL spec 6.4.4 "
            "(Handling Field Errors) makes it a field error and nulls the nearest nullable parent"
        ),
    ),
    Case(
        "entity-resolution-error-at-the-entity-path",
        ERRORS,
        "{ archived { id stock } }",
        {
            "data": {"archived": [{"id": "p9", "stock": None}]},
            "errors": [
                {
                    "message": "product p9 is archived",
                    "path": ["archived", 0],
                    "extensions": {"serviceName": "inventory"},
                }
            ],
        },
        depth=2,
    ),
    Case(
        "missing-entity-without-error-nulls-nullable-fields-silently",
        ERRORS,
        '{ product(id: "p2") { name stock } }',
        {"data": {"product": {"name": "Mug", "stock": None}}},
        depth=2,
    ),
    Case(
        "subgraph-error-without-path",
        ERRORS,
        '{ status product(id: "p1") { name } }',
        {
            "data": {"status": None, "product": {"name": "Lamp"}},
            # The fetch's root field, as Hive Gateway does: the error explains that null (GraphQL spec 7.1.2).
            "errors": [
                {
                    "message": "down for maintenance",
                    "path": ["status"],
                    "extensions": {"serviceName": "pathless"},
                }
            ],
        },
        depth=1,
    ),
    Case(
        "subgraph-answers-invalid-json",
        ERRORS,
        '{ garbled product(id: "p1") { name } }',
        {
            "data": {"garbled": None, "product": {"name": "Lamp"}},
            "errors": [
                {
                    "message": 'Subgraph "garbled" returned an invalid response',
                    "path": ["garbled"],
                    "extensions": {
                        "code": "SUBGRAPH_REQUEST_FAILED",
                        "serviceName": "garbled",
                        "reason": "SUBGRAPH_INVALID_RESPONSE",
                    },
                }
            ],
        },
        depth=1,
    ),
    Case(
        "subgraph-answers-invalid-json-to-an-entity-fetch",
        ERRORS,
        '{ product(id: "p1") { name rating } }',
        {
            "data": {"product": {"name": "Lamp", "rating": None}},
            "errors": [
                {
                    "message": 'Subgraph "garbled" returned an invalid response',
                    "path": ["product", "rating"],
                    "extensions": {
                        "code": "SUBGRAPH_REQUEST_FAILED",
                        "serviceName": "garbled",
                        "reason": "SUBGRAPH_INVALID_RESPONSE",
                    },
                }
            ],
        },
        depth=2,
        reference=(
            "Hive Gateway with the Rust planner puts the failed entity fetch's error at the entity ['product'], "
            "which has data; GraphQL spec 7.1.2 wants the path of the response field that experienced the error, "
            "the nulled ['product', 'rating']"
        ),
    ),
    Case(
        "subgraph-answers-a-body-that-is-not-graphql",
        ERRORS,
        "{ html }",
        {
            "data": {"html": None},
            "errors": [
                {
                    "message": 'Subgraph "html" answered HTTP 502',
                    "path": ["html"],
                    "extensions": {
                        "code": "SUBGRAPH_REQUEST_FAILED",
                        "serviceName": "html",
                        "reason": "SUBGRAPH_HTTP_ERROR",
                    },
                }
            ],
        },
        depth=1,
        reference=(
            "Hive Gateway with the Rust planner answers no data at all when a root fetch's answer is not GraphQL "
            "(RESPONSE_VALIDATION_FAILED); GraphQL spec 7.1.2: once execution started, data is present and the "
            "failed nullable field is null"
        ),
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_errors(case: Case) -> None:
    await run_case(case)


async def test_representations_are_deduplicated_and_error_paths_follow_them() -> None:
    """p1 appears twice in the list but is sent once; the error of p3 (index 2 of _entities) lands on products.2."""
    result, _ = await run_case(CASES[0])
    (request,) = inventory.requests
    assert [r["id"] for r in request["variables"]["representations"]] == ["p1", "p2", "p3"]
    assert [e["path"] for e in result["errors"]] == [["products", 2, "stock"]]
