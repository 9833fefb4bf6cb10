"""``@shareable``: root fields and value types served by several subgraphs, and the planner choosing the subgraph
that needs no extra jump (Federation spec, ``@shareable``; a good plan minimises sequential fetches first)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

USERS: list[dict[str, Any]] = [{"id": "u1", "name": "Ada", "plan": {"tier": "gold", "seats": 3}}]
PRODUCTS: list[dict[str, Any]] = [
    {"id": "p1", "name": "Lamp", "price": {"amount": 40, "currency": "EUR"}},
    {"id": "p2", "name": "Mug", "price": {"amount": 8, "currency": "EUR"}},
]
REVIEWS = {"u1": [{"body": "Bright", "product": {"id": "p1"}}]}

accounts = Subgraph(
    "accounts",
    """
    type Query { me: User @shareable }
    type User @key(fields: "id") { id: ID! name: String! plan: Plan! @shareable }
    type Plan @shareable { tier: String! seats: Int! }
    """,
    {"Query": {"me": USERS[0]}, "entities": {"User": USERS}},
)

reviews = Subgraph(
    "reviews",
    """
    type Query { me: User @shareable }
    type User @key(fields: "id") { id: ID! reviews: [Review!]! plan: Plan! @shareable }
    type Plan @shareable { tier: String! seats: Int! }
    type Review { body: String! product: Product! }
    type Product @key(fields: "id") { id: ID! }
    """,
    {
        "Query": {"me": {"id": "u1", "reviews": REVIEWS["u1"], "plan": USERS[0]["plan"]}},
        "entities": {
            "User": lambda rep: {"reviews": REVIEWS.get(rep["id"], []), "plan": USERS[0]["plan"]},
        },
    },
)

catalog = Subgraph(
    "catalog",
    """
    type Query { products: [Product!]! }
    type Product @key(fields: "id") { id: ID! name: String! @shareable price: Money! @shareable }
    type Money @shareable { amount: Int! currency: String! }
    """,
    {"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
)

search = Subgraph(
    "search",
    """
    type Query { search(text: String!): [Product!]! }
    type Product @key(fields: "id") { id: ID! name: String! @shareable price: Money! @shareable rank: Int! }
    type Money @shareable { amount: Int! currency: String! }
    """,
    {
        "Query": {
            "search": lambda _p, a: [
                {**p, "rank": i + 1} for i, p in enumerate(PRODUCTS) if a["text"].lower() in p["name"].lower()
            ]
        },
        "entities": {"Product": [{**p, "rank": i + 1} for i, p in enumerate(PRODUCTS)]},
    },
)

SHAREABLE = Federation("shareable", [accounts, reviews, catalog, search])

CASES = [
    Case(
        "shared-root-field-from-the-subgraph-with-the-fields",
        SHAREABLE,
        "{ me { name } }",
        {"data": {"me": {"name": "Ada"}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "shared-root-field-from-the-other-subgraph",
        SHAREABLE,
        "{ me { reviews { body } } }",
        {"data": {"me": {"reviews": [{"body": "Bright"}]}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "shared-root-field-needing-both",
        SHAREABLE,
        "{ me { name plan { tier } reviews { body product { name } } } }",
        {
            "data": {
                "me": {
                    "name": "Ada",
                    "plan": {"tier": "gold"},
                    "reviews": [{"body": "Bright", "product": {"name": "Lamp"}}],
                }
            }
        },
        depth=2,
    ),
    Case(
        "shared-value-type-from-the-current-subgraph",
        SHAREABLE,
        '{ search(text: "m") { rank name price { amount currency } } }',
        {
            "data": {
                "search": [
                    {"rank": 1, "name": "Lamp", "price": {"amount": 40, "currency": "EUR"}},
                    {"rank": 2, "name": "Mug", "price": {"amount": 8, "currency": "EUR"}},
                ]
            }
        },
        depth=1,
        fetches=1,
    ),
    Case(
        "shared-fields-then-jump-only-for-the-rest",
        SHAREABLE,
        "{ products { name price { amount } rank } }",
        {
            "data": {
                "products": [
                    {"name": "Lamp", "price": {"amount": 40}, "rank": 1},
                    {"name": "Mug", "price": {"amount": 8}, "rank": 2},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "shared-value-type-on-entity-from-either",
        SHAREABLE,
        "{ me { plan { tier seats } } }",
        {"data": {"me": {"plan": {"tier": "gold", "seats": 3}}}},
        depth=1,
        fetches=1,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_shareable(case: Case) -> None:
    await run_case(case)


async def test_shared_value_type_not_fetched_twice() -> None:
    """``name`` and ``price`` come from search itself: catalog is never asked."""
    await run_case(CASES[3])
    assert len(search.requests) == 1
    assert catalog.requests == []
