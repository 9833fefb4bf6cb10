"""Error fidelity across fetch boundaries: a subgraph error stands at the client path of the entity (or field)
it belongs to, a null it explains adds no further error, and an error without a path is given the path of the
root field its fetch served (GraphQL spec 6.4.4 "Handling Field Errors": a null caused by an error already in
the list adds none; 7.1.2 "Errors": an error that can be associated with a field carries its path; Federation
subgraph spec ``_entities``: errors of one representation are at ``["_entities", i, ...]``)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError

from .support import Case, Federation, Subgraph, case_params, run_case

PRODUCTS = {
    "p1": {"id": "p1", "name": "Lamp"},
    "p2": {"id": "p2", "name": "Mug"},
    "p3": {"id": "p3", "name": "Desk"},
}

products = Subgraph(
    "products",
    """
    type Query { products: [Product!]! top: [Product] product(id: ID!): Product }
    type Product @key(fields: "id") { id: ID! name: String! }
    """,
    {
        "Query": {
            "products": list(PRODUCTS.values()),
            "top": list(PRODUCTS.values()),
            "product": lambda _p, a: PRODUCTS.get(a["id"]),
        },
        "entities": {"Product": list(PRODUCTS.values())},
    },
)


def _stock_down(_parent: Any, _args: Any) -> int:
    raise GraphQLError("stock service down", extensions={"code": "STOCK_UNAVAILABLE"})


def _inventory(rep: dict[str, Any]) -> dict[str, Any] | None:
    if rep["id"] == "p2":
        raise GraphQLError("product p2 is locked", extensions={"code": "LOCKED"})
    return {
        "p1": {"stock": 5, "warehouse": {"code": "W1"}, "shelf": "A"},
        "p3": {"stock": _stock_down, "warehouse": {"code": "W3"}, "shelf": "C"},
    }.get(rep["id"])


inventory = Subgraph(
    "inventory",
    """
    type Product @key(fields: "id") { id: ID! warehouse: Warehouse! stock: Int! shelf: String }
    type Warehouse { code: String! }
    """,
    {"entities": {"Product": _inventory}},
)

status = Subgraph(
    "status",
    "type Query { status: String uptime: Int }",
    raw_response=(
        200,
        "application/json",
        b'{"data": {"status": null, "uptime": null}, "errors": [{"message": "down for maintenance"}]}',
    ),
)

reviews = Subgraph(
    "reviews",
    """
    type Product @key(fields: "id") { id: ID! rating: Int score: Int! }
    """,
    raw_response=(
        200,
        "application/json",
        b'{"data": {"_entities": null}, "errors": [{"message": "reviews database is down"}]}',
    ),
)

FIDELITY = Federation("error_fidelity", [products, inventory, status, reviews])


def _error(message: str, path: list[Any] | None, service: str, code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message}
    if path is not None:
        out["path"] = path
    out["extensions"] = {"serviceName": service} if code is None else {"code": code, "serviceName": service}
    return out


LOCKED = _error("product p2 is locked", None, "inventory", "LOCKED")
STOCK = _error("stock service down", None, "inventory", "STOCK_UNAVAILABLE")
REVIEWS_DOWN = "reviews database is down"

# Hive Gateway drops list indices from entity error paths (["top", "warehouse"] for the error of _entities item 2)
# and puts them on a field the error does not belong to; GraphQL spec 7.1.2 wants the full path of the entity.
HIVE_NO_INDEX = "Hive Gateway reports entity errors without the list index, at a field they do not belong to"

CASES: list[Case] = [
    Case(
        "entity-nulled-by-its-own-field-error-adds-no-error-for-siblings",
        FIDELITY,
        "{ top { id warehouse { code } stock } }",
        {
            "data": {"top": [{"id": "p1", "warehouse": {"code": "W1"}, "stock": 5}, None, None]},
            "errors": [
                {**LOCKED, "path": ["top", 1]},
                {**STOCK, "path": ["top", 2, "stock"]},
            ],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "the-same-with-the-failing-field-first",
        FIDELITY,
        "{ top { id stock warehouse { code } } }",
        {
            "data": {"top": [{"id": "p1", "stock": 5, "warehouse": {"code": "W1"}}, None, None]},
            "errors": [
                {**LOCKED, "path": ["top", 1]},
                {**STOCK, "path": ["top", 2, "stock"]},
            ],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "failing-entity-among-good-ones-nullable-field",
        FIDELITY,
        "{ products { id shelf } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "shelf": "A"},
                    {"id": "p2", "shelf": None},
                    {"id": "p3", "shelf": "C"},
                ]
            },
            "errors": [{**LOCKED, "path": ["products", 1]}],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "non-null-entity-fields-bubble-through-a-non-null-list-to-data",
        FIDELITY,
        "{ products { id stock } }",
        {
            "data": None,
            "errors": [
                {**LOCKED, "path": ["products", 1]},
                {**STOCK, "path": ["products", 2, "stock"]},
            ],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "entity-error-at-a-single-entity-next-to-another-root-field",
        FIDELITY,
        '{ product(id: "p2") { name shelf } top { id } }',
        {
            "data": {
                "product": {"name": "Mug", "shelf": None},
                "top": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}],
            },
            "errors": [{**LOCKED, "path": ["product"]}],
        },
        depth=2,
        fetches=2,
        reference=(
            "Hive Gateway puts the error of _entities item 0 at ['product', 'shelf']; it is the entity's own error "
            "(path ['_entities', 0]), so it stands at the entity's path ['product'], as Apollo Router puts it"
        ),
    ),
    Case(
        "field-error-nulls-a-nullable-root-field-once",
        FIDELITY,
        '{ product(id: "p3") { name shelf stock } }',
        {"data": {"product": None}, "errors": [{**STOCK, "path": ["product", "stock"]}]},
        depth=2,
        fetches=2,
        reference="Hive Gateway repeats the stock error at ['product', 'shelf'], a field that resolved",
    ),
    Case(
        "root-error-without-path-goes-to-the-root-field",
        FIDELITY,
        "{ status }",
        {"data": {"status": None}, "errors": [_error("down for maintenance", ["status"], "status")]},
        depth=1,
        fetches=1,
    ),
    Case(
        "root-error-without-path-goes-to-every-root-field-it-nulled",
        FIDELITY,
        '{ status uptime product(id: "p1") { name } }',
        {
            "data": {"status": None, "uptime": None, "product": {"name": "Lamp"}},
            "errors": [
                _error("down for maintenance", ["status"], "status"),
                _error("down for maintenance", ["uptime"], "status"),
            ],
        },
        depth=1,
        fetches=2,
    ),
    Case(
        "entity-fetch-error-without-path-at-each-field-it-nulled",
        FIDELITY,
        "{ top { id rating } }",
        {
            "data": {
                "top": [
                    {"id": "p1", "rating": None},
                    {"id": "p2", "rating": None},
                    {"id": "p3", "rating": None},
                ]
            },
            "errors": [_error(REVIEWS_DOWN, ["top", i, "rating"], "reviews") for i in range(3)],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "entity-fetch-error-without-path-explains-non-null-bubbling",
        FIDELITY,
        "{ top { id score } }",
        {
            "data": {"top": [None, None, None]},
            "errors": [_error(REVIEWS_DOWN, ["top", i, "score"], "reviews") for i in range(3)],
        },
        depth=2,
        fetches=2,
        reference=HIVE_NO_INDEX,
    ),
    Case(
        "entity-fetch-error-without-path-on-one-entity",
        FIDELITY,
        '{ product(id: "p1") { name rating } }',
        {
            "data": {"product": {"name": "Lamp", "rating": None}},
            "errors": [_error(REVIEWS_DOWN, ["product", "rating"], "reviews")],
        },
        depth=2,
        fetches=2,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_error_fidelity(case: Case) -> None:
    await run_case(case)
