"""``@override``: a field taken over from another subgraph, on fields of interface implementations, and
progressive override with ``label`` (``percent(N)`` or a custom label the request enables) (Federation spec,
``@override``; join spec ``overrideLabel``).

The losing subgraph keeps stale data ("old"), so a plan that asks it shows in the response.
"""

from __future__ import annotations

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

PRODUCTS = [{"id": "p1", "name": "Lamp"}, {"id": "p2", "name": "Mug"}]

legacy = Subgraph(
    "legacy",
    """
    type Query { products: [Product!]! items: [Item!]! }
    type Product @key(fields: "id") { id: ID! name: String! stock: Int! rating: Int! trend: String! }
    interface Item { id: ID! title: String! }
    type Book implements Item @key(fields: "id") { id: ID! title: String! }
    type Pen implements Item @key(fields: "id") { id: ID! title: String! }
    """,
    {
        "Query": {
            "products": [{**p, "stock": -1, "rating": 1, "trend": "old"} for p in PRODUCTS],
            "items": [
                {"__typename": "Book", "id": "b1", "title": "old"},
                {"__typename": "Pen", "id": "n1", "title": "Blue pen"},
            ],
        },
        "entities": {
            "Product": [{**p, "stock": -1, "rating": 1, "trend": "old"} for p in PRODUCTS],
            "Book": [{"id": "b1", "title": "old"}],
        },
    },
)

modern = Subgraph(
    "modern",
    """
    type Product @key(fields: "id") {
      id: ID!
      stock: Int! @override(from: "legacy")
      rating: Int! @override(from: "legacy", label: "percent(50)")
      trend: String! @override(from: "legacy", label: "trend-v2")
    }
    type Book @key(fields: "id") { id: ID! title: String! @override(from: "legacy") }
    """,
    {
        "entities": {
            "Product": lambda rep: {"stock": 10 * int(rep["id"][1:]), "rating": 5, "trend": "rising"},
            "Book": [{"id": "b1", "title": "Dune"}],
        }
    },
)

OVERRIDE = Federation("override", [legacy, modern])

CASES = [
    Case(
        "overridden-field-comes-from-the-new-owner",
        OVERRIDE,
        "{ products { name stock } }",
        {"data": {"products": [{"name": "Lamp", "stock": 10}, {"name": "Mug", "stock": 20}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "override-on-an-interface-implementation",
        OVERRIDE,
        "{ items { __typename id title } }",
        {
            "data": {
                "items": [
                    {"__typename": "Book", "id": "b1", "title": "Dune"},
                    {"__typename": "Pen", "id": "n1", "title": "Blue pen"},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "override-on-an-interface-implementation-fragment",
        OVERRIDE,
        "{ items { ... on Pen { title } ... on Book { id } } }",
        {"data": {"items": [{"id": "b1"}, {"title": "Blue pen"}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "percent-label-not-rolled-stays-with-the-old-owner",
        OVERRIDE,
        "{ products { rating } }",
        {"data": {"products": [{"rating": 1}, {"rating": 1}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "percent-label-rolled-goes-to-the-new-owner",
        OVERRIDE,
        "{ products { rating } }",
        {"data": {"products": [{"rating": 5}, {"rating": 5}]}},
        depth=2,
        fetches=2,
        enabled_percent=True,
    ),
    Case(
        "custom-label-disabled",
        OVERRIDE,
        "{ products { id trend } }",
        {"data": {"products": [{"id": "p1", "trend": "old"}, {"id": "p2", "trend": "old"}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "custom-label-enabled-by-the-request",
        OVERRIDE,
        "{ products { id trend } }",
        {"data": {"products": [{"id": "p1", "trend": "rising"}, {"id": "p2", "trend": "rising"}]}},
        depth=2,
        fetches=2,
        headers={"x-override-labels": "trend-v2"},
    ),
    Case(
        "labels-and-plain-override-together",
        OVERRIDE,
        "{ products { stock rating trend } }",
        {
            "data": {
                "products": [
                    {"stock": 10, "rating": 5, "trend": "rising"},
                    {"stock": 20, "rating": 5, "trend": "rising"},
                ]
            }
        },
        depth=2,
        fetches=2,
        headers={"x-override-labels": "trend-v2"},
        enabled_percent=True,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_override(case: Case) -> None:
    await run_case(case)
