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
from .test_errors import ERRORS

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
NON_NULL_WAREHOUSE = {
    "message": "Cannot return null for non-nullable field Product.warehouse.",
    "path": ["products", 1, "warehouse"],
}
GARBLED = {
    "message": 'Subgraph "garbled" returned an invalid response',
    "path": ["garbled"],
    "extensions": {
        "code": "SUBGRAPH_REQUEST_FAILED",
        "serviceName": "garbled",
        "reason": "SUBGRAPH_INVALID_RESPONSE",
    },
}

# Where Hive Router's planner places errors differently; GraphQL spec 7.1.2 ("Errors": the path of the response
# field that experienced the error) decides.
HIVE_PATHLESS_ROOT_ERROR = (
    "Hive Router's planner gives a pathless error of a root fetch the path of the fetch's first root field "
    "only (['status']), leaving ['uptime'], nulled by the same failure, without one; GraphQL spec 7.1.2 "
    "associates the error with every response field it nulled"
)
HIVE_ENTITY_FETCH_ERROR_AT_ENTITY = (
    "Hive Router's planner puts a pathless error of an entity fetch at the entity ['product'], which has data; "
    "GraphQL spec 7.1.2 wants the path of the response field that experienced the error, the nulled "
    "['product', 'rating'] (as test_errors.py, subgraph-answers-invalid-json-to-an-entity-fetch)"
)
HIVE_LEAVES_NULL_IN_A_NON_NULL_LIST = (
    "Hive Router's planner leaves null for the Product p2, whose non-null warehouse no subgraph resolved, in "
    "the non-null list products ([Product!]!) without an error instead of bubbling to data "
    "(graphql-hive/router#1110); GraphQL spec 6.4.4 (Handling Field Errors) decides"
)
HIVE_ENTITY_FETCH_ERROR_AT_LIST = (
    "Hive Router's planner reports a pathless error of an entity fetch once, at the list the entities are in "
    "(['top']), which has data; GraphQL spec 7.1.2 wants the path of each response field that experienced it, "
    "['top', i, ...] for every entity the failed fetch should have completed"
)

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
        reference=(
            "Hive Router's planner leaves null in the non-null items of products ([Product!]!) instead of "
            "bubbling (graphql-hive/router#1110); GraphQL spec 6.4.4 (Handling Field Errors) nulls the nearest "
            "nullable parent, here data"
        ),
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
    ),
    Case(
        "field-error-nulls-a-nullable-root-field-once",
        FIDELITY,
        '{ product(id: "p3") { name shelf stock } }',
        {"data": {"product": None}, "errors": [{**STOCK, "path": ["product", "stock"]}]},
        depth=2,
        fetches=2,
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
        reference=HIVE_PATHLESS_ROOT_ERROR,
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
        reference=HIVE_ENTITY_FETCH_ERROR_AT_LIST,
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
        reference=HIVE_ENTITY_FETCH_ERROR_AT_LIST,
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
        reference=HIVE_ENTITY_FETCH_ERROR_AT_ENTITY,
    ),
    # Every field error raised belongs in the list (GraphQL spec 6.4.4, 7.1.2), whichever root field comes first:
    # a non-null error that nulls data does not hide the failure of another root field's fetch.
    Case(
        "root-field-errors-stay-when-a-non-null-error-nulls-data",
        ERRORS,
        "{ products { warehouse { code } } garbled }",
        {"data": None, "errors": [NON_NULL_WAREHOUSE, GARBLED]},
        depth=2,
        fetches=3,
        reference=HIVE_LEAVES_NULL_IN_A_NON_NULL_LIST,
    ),
    Case(
        "the-same-with-the-failing-root-field-first",
        ERRORS,
        "{ garbled products { warehouse { code } } }",
        {"data": None, "errors": [GARBLED, NON_NULL_WAREHOUSE]},
        depth=2,
        fetches=3,
        reference=HIVE_LEAVES_NULL_IN_A_NON_NULL_LIST,
    ),
    Case(
        # Found by the differential run: the fields below a root field that a variable @include excludes are
        # merged into the entity fetch the included copy of the field needs, without their condition, so the
        # subgraph resolves ``stock`` (which fails for p3) and its error nulls an entity the client never asked
        # that of (GraphQL spec 6.3.2: excluded fields are not executed; the reference answers so).
        "fields-under-an-excluded-copy-of-a-root-field-are-not-fetched",
        FIDELITY,
        "query Q($b1: Boolean!) { top @include(if: $b1) { stock } top { shelf } }",
        {
            "data": {"top": [{"shelf": "A"}, {"shelf": None}, {"shelf": "C"}]},
            "errors": [{**LOCKED, "path": ["top", 1]}],
        },
        variables={"b1": False},
        depth=2,
        fetches=2,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_error_fidelity(case: Case) -> None:
    await run_case(case)
