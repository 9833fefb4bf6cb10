"""``@requires`` through an interface- or union-typed field selected with inline fragments, nested ones too
(Federation spec, ``@requires``: the gateway fetches the required selection, ``__typename`` of abstract values
included, and sends it in the representation; subgraph spec ``_entities``)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

CONTENT_TYPES = """
    interface Content { title: String! }
    interface Video implements Content { title: String! minutes: Int! }
    type Article implements Content @shareable { title: String! words: Int! }
    type Film implements Video & Content @shareable { title: String! minutes: Int! }
    type Series implements Video & Content @shareable { title: String! minutes: Int! episodes: Int! }
    union Attachment = Image | Clip
    type Image @shareable { bytes: Int! }
    type Clip @shareable { seconds: Int! }
"""

ITEMS: list[dict[str, Any]] = [
    {
        "id": "1",
        "content": {"__typename": "Article", "title": "Lamps", "words": 1200},
        "attachments": [{"__typename": "Image", "bytes": 300}, {"__typename": "Clip", "seconds": 40}],
        "related": None,
    },
    {
        "id": "2",
        "content": {"__typename": "Film", "title": "Mugs", "minutes": 90},
        "attachments": [],
        "related": {"__typename": "Clip", "seconds": 5},
    },
    {
        "id": "3",
        "content": {"__typename": "Series", "title": "Desks", "minutes": 30, "episodes": 8},
        "attachments": [{"__typename": "Clip", "seconds": 12}],
        "related": {"__typename": "Image", "bytes": 7},
    },
]

catalog = Subgraph(
    "catalog",
    """
    type Query { items: [Item!]! item(id: ID!): Item }
    type Item @key(fields: "id") {
      id: ID! content: Content! attachments: [Attachment!]! related: Attachment
    }
    """
    + CONTENT_TYPES,
    {
        "Query": {"items": ITEMS, "item": lambda _p, a: next((i for i in ITEMS if i["id"] == a["id"]), None)},
        "entities": {"Item": ITEMS},
    },
)


def _need(rep: dict[str, Any], field: str) -> Any:
    """A required field must be in the representation: a missing one is a gateway bug, so fail loudly."""
    if field not in rep:
        raise KeyError(f"representation lacks required field {field!r}: {rep}")
    return rep[field]


def _cost(rep: dict[str, Any]) -> int:
    content = _need(rep, "content")
    kind = _need(content, "__typename")
    if kind == "Article":
        return _need(content, "words") // 100
    if kind == "Series":
        return _need(content, "minutes") * _need(content, "episodes")
    return _need(content, "minutes")


def _size(rep: dict[str, Any]) -> int:
    total = 0
    for a in _need(rep, "attachments"):
        total += _need(a, "bytes") if _need(a, "__typename") == "Image" else 10 * _need(a, "seconds")
    return total


def _hint(rep: dict[str, Any]) -> str | None:
    related = _need(rep, "related")
    if related is None:
        return None
    return f"{related['__typename']}:{related.get('bytes', related.get('seconds'))}"


pricing = Subgraph(
    "pricing",
    """
    type Item @key(fields: "id") {
      id: ID!
      content: Content! @external
      attachments: [Attachment!]! @external
      related: Attachment @external
      cost: Int! @requires(fields: "content { ... on Article { words } ... on Video { minutes ... on Series { episodes } } }")
      size: Int! @requires(fields: "attachments { ... on Image { bytes } ... on Clip { seconds } }")
      hint: String @requires(fields: "related { ... on Image { bytes } ... on Clip { seconds } }")
    }
    """
    + CONTENT_TYPES,
    {
        "entities": {
            "Item": lambda rep: {
                "cost": lambda p, _a: _cost(p),
                "size": lambda p, _a: _size(p),
                "hint": lambda p, _a: _hint(p),
            }
        }
    },
)

REQUIRES_ABSTRACT = Federation("requires_abstract", [catalog, pricing])

# What the pinned Hive Gateway does with these requirements; the Federation spec (``@requires`` takes any field
# set, fragments on abstract types included) and GraphQL field collection (a fragment on ``Video`` applies to
# ``Film``) decide for our answers.
HIVE_DROPS_NESTED_FRAGMENT = (
    "Hive Gateway sends Film's content without minutes (it applies `... on Video { minutes }` only to the types "
    "named in nested fragments), so pricing fails and a non-null cost nulls data"
)
HIVE_CRASHES_ON_UNION = (
    "Hive Gateway answers 'type.getFields is not a function' for a @requires through a union-typed field"
)

CASES: list[Case] = [
    Case(
        "interface-field-with-nested-fragments",
        REQUIRES_ABSTRACT,
        "{ items { id cost } }",
        {"data": {"items": [{"id": "1", "cost": 12}, {"id": "2", "cost": 90}, {"id": "3", "cost": 240}]}},
        depth=2,
        fetches=2,
        reference=HIVE_DROPS_NESTED_FRAGMENT,
    ),
    Case(
        "list-of-a-union",
        REQUIRES_ABSTRACT,
        "{ items { size } }",
        {"data": {"items": [{"size": 700}, {"size": 0}, {"size": 120}]}},
        depth=2,
        fetches=2,
        reference=HIVE_CRASHES_ON_UNION,
    ),
    Case(
        "nullable-union-field-null-for-one-entity",
        REQUIRES_ABSTRACT,
        "{ items { id hint } }",
        {
            "data": {
                "items": [
                    {"id": "1", "hint": None},
                    {"id": "2", "hint": "Clip:5"},
                    {"id": "3", "hint": "Image:7"},
                ]
            }
        },
        depth=2,
        fetches=2,
        reference=HIVE_CRASHES_ON_UNION,
    ),
    Case(
        "several-abstract-requirements-in-one-fetch",
        REQUIRES_ABSTRACT,
        '{ item(id: "3") { cost size hint content { title ... on Video { minutes } } } }',
        {
            "data": {
                "item": {
                    "cost": 240,
                    "size": 120,
                    "hint": "Image:7",
                    "content": {"title": "Desks", "minutes": 30},
                }
            }
        },
        depth=2,
        fetches=2,
        reference=HIVE_CRASHES_ON_UNION,
    ),
    Case(
        "client-selects-the-abstract-field-with-other-fragments",
        REQUIRES_ABSTRACT,
        "{ items { cost content { __typename ... on Series { episodes } ... on Article { title } } } }",
        {
            "data": {
                "items": [
                    {"cost": 12, "content": {"__typename": "Article", "title": "Lamps"}},
                    {"cost": 90, "content": {"__typename": "Film"}},
                    {"cost": 240, "content": {"__typename": "Series", "episodes": 8}},
                ]
            }
        },
        depth=2,
        fetches=2,
        reference=HIVE_DROPS_NESTED_FRAGMENT,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_requires_abstract(case: Case) -> None:
    await run_case(case)


async def test_representation_carries_the_runtime_type_of_abstract_values() -> None:
    """Each required abstract value travels with its ``__typename`` and only its own fragment's fields."""
    await run_case(CASES[0])
    (request,) = pricing.requests
    assert request["variables"]["representations"] == [
        {"__typename": "Item", "id": "1", "content": {"__typename": "Article", "words": 1200}},
        {"__typename": "Item", "id": "2", "content": {"__typename": "Film", "minutes": 90}},
        {"__typename": "Item", "id": "3", "content": {"__typename": "Series", "minutes": 30, "episodes": 8}},
    ]
