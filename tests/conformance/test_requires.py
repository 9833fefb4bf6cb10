"""``@requires``: nested selections, list fields, fields with arguments (and two requirements whose arguments
conflict), requirements that need another entity jump first, and chains of requirements (Federation spec,
``@requires``: the gateway fetches the required fields and sends them in the representation)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

GRAMS = {"1": 2500, "2": 800}


def _weight(product: dict[str, Any], args: dict[str, Any]) -> int:
    grams = GRAMS[product["id"]]
    return grams // 1000 if args.get("unit") == "kg" else grams


PRODUCTS = [
    {
        "id": "1",
        "name": "Lamp",
        "price": 40,
        "dimensions": {"width": 2, "height": 5},
        "variants": [{"color": "red", "weight": 7}, {"color": "blue", "weight": 9}],
        "weight": _weight,
    },
    {
        "id": "2",
        "name": "Mug",
        "price": 8,
        "dimensions": {"width": 1, "height": 1},
        "variants": [],
        "weight": _weight,
    },
]

products = Subgraph(
    "products",
    """
    type Query { products: [Product!]! }
    type Product @key(fields: "id") {
      id: ID! name: String! price: Int! dimensions: Dimensions! variants: [Variant!]!
      weight(unit: String = "g"): Int!
    }
    type Dimensions @shareable { width: Int! height: Int! }
    type Variant @shareable { color: String! weight: Int! }
    """,
    {"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
)

inventory = Subgraph(
    "inventory",
    """
    type Product @key(fields: "id") { id: ID! packedWeight: Int! }
    """,
    {"entities": {"Product": [{"id": "1", "packedWeight": 3000}, {"id": "2", "packedWeight": 1000}]}},
)


def _need(rep: dict[str, Any], field: str) -> Any:
    """A required field must be in the representation: a missing one is a gateway bug, so fail loudly."""
    if field not in rep:
        raise KeyError(f"representation lacks required field {field!r}: {rep}")
    return rep[field]


shipping = Subgraph(
    "shipping",
    """
    type Product @key(fields: "id") {
      id: ID!
      price: Int! @external
      dimensions: Dimensions! @external
      variants: [Variant!]! @external
      weight(unit: String = "g"): Int! @external
      packedWeight: Int! @external
      volume: Int! @requires(fields: "dimensions { width height }")
      heaviestVariant: Int @requires(fields: "variants { weight }")
      costPerKg: Int! @requires(fields: "weight(unit: \\"kg\\")")
      costPerGram: Int! @requires(fields: "weight(unit: \\"g\\")")
      quote(currency: String!): String! @requires(fields: "price")
      estimate: Int! @requires(fields: "price packedWeight")
    }
    type Dimensions @shareable { width: Int! height: Int! }
    type Variant @shareable { color: String! weight: Int! }
    """,
    {
        "entities": {
            "Product": lambda rep: {
                "volume": lambda p, _a: _need(p, "dimensions")["width"] * p["dimensions"]["height"],
                "heaviestVariant": lambda p, _a: max(
                    (v["weight"] for v in _need(p, "variants")), default=None
                ),
                "costPerKg": lambda p, _a: 3 * _need(p, "weight"),
                "costPerGram": lambda p, _a: _need(p, "weight") // 100,
                "quote": lambda p, a: f"{_need(p, 'price')} {a['currency']}",
                "estimate": lambda p, _a: _need(p, "price") // 4 + _need(p, "packedWeight") // 1000,
            }
        }
    },
)

insurance = Subgraph(
    "insurance",
    """
    type Product @key(fields: "id") {
      id: ID!
      estimate: Int! @external
      premium: Int! @requires(fields: "estimate")
    }
    """,
    {"entities": {"Product": lambda rep: {"premium": 2 * _need(rep, "estimate")}}},
)

# Planner bug: the fetch that collects a required field drops the field set's arguments, so
# `@requires(fields: "weight(unit: \"kg\")")` sends `weight` fetched as `{products{id __typename weight}}`.
ARGUMENTS_DROPPED = (
    'planner drops the arguments of a @requires field set: weight(unit: "kg") is fetched as plain weight'
)
# Planner bug: a field that requires a field which is itself @requires-computed in a third subgraph.
CHAIN_UNSATISFIABLE = (
    "planner reports UNSATISFIABLE ('no way to collect the key fields of Product for subgraph products') for "
    "premium @requires(estimate) where estimate is itself @requires(price packedWeight) in another subgraph"
)

REQUIRES = Federation("requires", [products, inventory, shipping, insurance])

CASES = [
    Case(
        "nested-selection",
        REQUIRES,
        "{ products { name volume } }",
        {"data": {"products": [{"name": "Lamp", "volume": 10}, {"name": "Mug", "volume": 1}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "list-field",
        REQUIRES,
        "{ products { heaviestVariant } }",
        {"data": {"products": [{"heaviestVariant": 9}, {"heaviestVariant": None}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "required-field-with-argument",
        REQUIRES,
        "{ products { id costPerKg } }",
        {"data": {"products": [{"id": "1", "costPerKg": 6}, {"id": "2", "costPerKg": 0}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "requiring-field-with-arguments",
        REQUIRES,
        '{ products { eur: quote(currency: "EUR") usd: quote(currency: "USD") } }',
        {"data": {"products": [{"eur": "40 EUR", "usd": "40 USD"}, {"eur": "8 EUR", "usd": "8 USD"}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "two-requirements-with-conflicting-arguments",
        REQUIRES,
        "{ products { id costPerKg costPerGram weight } }",
        {
            "data": {
                "products": [
                    {"id": "1", "costPerKg": 6, "costPerGram": 25, "weight": 2500},
                    {"id": "2", "costPerKg": 0, "costPerGram": 8, "weight": 800},
                ]
            }
        },
        depth=2,
    ),
    Case(
        "client-aliases-the-required-field",
        REQUIRES,
        '{ products { weight: name costPerKg w: weight(unit: "kg") } }',
        {
            "data": {
                "products": [
                    {"weight": "Lamp", "costPerKg": 6, "w": 2},
                    {"weight": "Mug", "costPerKg": 0, "w": 0},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "requirement-needs-another-jump-first",
        REQUIRES,
        "{ products { estimate } }",
        {"data": {"products": [{"estimate": 13}, {"estimate": 3}]}},
        depth=3,
        fetches=3,
    ),
    Case(
        "chain-of-requires",
        REQUIRES,
        "{ products { name premium } }",
        {"data": {"products": [{"name": "Lamp", "premium": 26}, {"name": "Mug", "premium": 6}]}},
        depth=4,
        fetches=4,
    ),
    Case(
        "everything-at-once",
        REQUIRES,
        "{ products { volume heaviestVariant costPerKg estimate premium } }",
        {
            "data": {
                "products": [
                    {"volume": 10, "heaviestVariant": 9, "costPerKg": 6, "estimate": 13, "premium": 26},
                    {"volume": 1, "heaviestVariant": None, "costPerKg": 0, "estimate": 3, "premium": 6},
                ]
            }
        },
        depth=4,
    ),
]

# A requirement that reaches through a list of value objects into another entity's field.
ORDER = {"id": "o1", "items": [{"qty": 2, "product": {"id": "1"}}, {"qty": 3, "product": {"id": "2"}}]}

orders = Subgraph(
    "orders",
    """
    type Query { order: Order! }
    type Order @key(fields: "id") { id: ID! items: [Item!]! }
    type Item @shareable { qty: Int! product: Product! }
    type Product @key(fields: "id", resolvable: false) { id: ID! }
    """,
    {"Query": {"order": ORDER}, "entities": {"Order": [ORDER]}},
)

billing = Subgraph(
    "billing",
    """
    type Order @key(fields: "id") {
      id: ID!
      items: [Item!]! @external
      total: Int! @requires(fields: "items { qty product { price } }")
    }
    type Item @shareable { qty: Int! product: Product! }
    type Product @key(fields: "id") { id: ID! price: Int! @external }
    """,
    {
        "entities": {
            "Order": lambda rep: {
                "total": sum(i["qty"] * i["product"]["price"] for i in _need(rep, "items")),
            }
        }
    },
)

NESTED_REQUIRES = Federation("nested_requires", [products, orders, billing])

CASES += [
    Case(
        "requirement-through-a-list-into-another-entity",
        NESTED_REQUIRES,
        "{ order { id total } }",
        {"data": {"order": {"id": "o1", "total": 2 * 40 + 3 * 8}}},
        depth=3,
        fetches=3,
    ),
    Case(
        "requirement-through-a-list-next-to-the-client-selection",
        NESTED_REQUIRES,
        "{ order { total items { qty product { name } } } }",
        {
            "data": {
                "order": {
                    "total": 104,
                    "items": [
                        {"qty": 2, "product": {"name": "Lamp"}},
                        {"qty": 3, "product": {"name": "Mug"}},
                    ],
                }
            }
        },
        depth=3,
        fetches=3,
    ),
    Case(
        # The requirement's price is fetched under both $b2 and $b5 beside the unconditional copy's: one
        # @include inside the other, as @include is not repeatable (GraphQL spec 5.7.3).
        "requirement-under-two-conditions-beside-an-unconditional-copy",
        NESTED_REQUIRES,
        "query($b2: Boolean!, $b5: Boolean!) { order { total } order @include(if: $b2) { total @include(if: $b5) } }",
        {"data": {"order": {"total": 104}}},
        variables={"b2": False, "b5": True},
        depth=3,
        fetches=3,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_requires(case: Case) -> None:
    await run_case(case)


async def test_representation_carries_required_fields_by_field_name() -> None:
    """The required ``weight(unit: "kg")`` travels as ``weight`` whatever the client called its own fields."""
    await run_case(CASES[5])
    (request,) = shipping.requests
    assert request["variables"]["representations"] == [
        {"__typename": "Product", "id": "1", "weight": 2},
        {"__typename": "Product", "id": "2", "weight": 0},
    ]
