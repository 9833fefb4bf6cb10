"""A ``@shareable`` root field whose type has no ``@key``: each subgraph knows some of the type's fields.

No entity move can reach the fields a subgraph lacks (there is no key to enter another subgraph with), so the
only plan is one root fetch per subgraph needed, merged at the root (Apollo Federation: a shared root field is
resolvable from any subgraph that declares it; the results of root fetches merge into one response object).
"""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

ITEM: dict[str, Any] = {
    "name": "Lamp",
    "price": 40,
    "stock": 7,
    "tags": ["home", "light"],
    "dims": {"width": 20, "height": 45, "depth": 20},
}

pricing = Subgraph(
    "pricing",
    """
    type Query { item: Item @shareable items: [Item!]! @shareable }
    type Item @shareable { name: String! price: Int! dims: Dims }
    type Dims @shareable { width: Int! height: Int! }
    """,
    {"Query": {"item": ITEM, "items": [ITEM]}},
)

inventory = Subgraph(
    "inventory",
    """
    type Query { item: Item @shareable items: [Item!]! @shareable }
    type Item @shareable { name: String! stock: Int! dims: Dims }
    type Dims @shareable { width: Int! depth: Int! }
    """,
    {"Query": {"item": ITEM, "items": [ITEM]}},
)

tagging = Subgraph(
    "tagging",
    """
    type Query { item: Item @shareable items: [Item!]! @shareable }
    type Item @shareable { name: String! tags: [String!]! }
    """,
    {"Query": {"item": ITEM, "items": [ITEM]}},
)

SHARED_ROOT = Federation("shared_root_value_types", [pricing, inventory, tagging])

CASES = [
    Case(
        "one-subgraph-knows-all-selected-fields",
        SHARED_ROOT,
        "{ item { name price } }",
        {"data": {"item": {"name": "Lamp", "price": 40}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "fields-from-three-subgraphs",
        SHARED_ROOT,
        "{ item { name price stock tags } }",
        {"data": {"item": {"name": "Lamp", "price": 40, "stock": 7, "tags": ["home", "light"]}}},
        depth=1,
        fetches=3,
    ),
    Case(
        "aliased-root-fields",
        SHARED_ROOT,
        "{ a: item { price } b: item { stock name } }",
        {"data": {"a": {"price": 40}, "b": {"stock": 7, "name": "Lamp"}}},
        depth=1,
        fetches=2,
    ),
    Case(
        "nested-value-type-split-across-subgraphs",
        SHARED_ROOT,
        "{ item { dims { width height depth } } }",
        {"data": {"item": {"dims": {"width": 20, "height": 45, "depth": 20}}}},
        depth=1,
        fetches=2,
    ),
    Case(
        "list-root-field-from-two-subgraphs",
        SHARED_ROOT,
        "{ items { price stock } }",
        {"data": {"items": [{"price": 40, "stock": 7}]}},
        depth=1,
        fetches=2,
    ),
    Case(
        "fragments-and-typename",
        SHARED_ROOT,
        "query Q { item { __typename ...P ... on Item { tags } } } fragment P on Item { price stock }",
        {"data": {"item": {"__typename": "Item", "price": 40, "stock": 7, "tags": ["home", "light"]}}},
        depth=1,
        fetches=3,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_shared_root_value_types(case: Case) -> None:
    await run_case(case)
