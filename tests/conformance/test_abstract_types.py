"""Abstract types: interfaces and unions whose implementations live in different subgraphs, fragments on an
interface a subgraph does not know, ``__typename`` on abstract fields, and ``@inaccessible`` enum values and
input fields (GraphQL spec 3.7-3.8 and 6.4.3 CompleteValue; Federation spec ``@inaccessible``, join spec
``@join__implements``/``@join__unionMember``)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

PUBLICATIONS: list[dict[str, Any]] = [
    {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412, "format": "PRINT"},
    {"__typename": "Magazine", "id": "m1", "title": "Wired", "format": "DIGITAL"},
    {"__typename": "Book", "id": "b2", "title": "Vault", "pages": 10, "format": "ARCHIVE"},
]


def _publications(_parent: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = (args.get("filter") or {}).get("format")
    return [p for p in PUBLICATIONS if wanted is None or p["format"] == wanted]


library = Subgraph(
    "library",
    """
    type Query { publications(filter: Filter): [Publication!]! }
    interface Publication { id: ID! title: String! format: Format }
    enum Format { PRINT DIGITAL ARCHIVE @inaccessible }
    input Filter { format: Format internalCode: String @inaccessible }
    type Book implements Publication @key(fields: "id") { id: ID! title: String! pages: Int! format: Format }
    type Magazine implements Publication @key(fields: "id") {
      id: ID! title: String! @shareable format: Format @shareable
    }
    """,
    {
        "Query": {"publications": _publications},
        "entities": {
            "Book": [p for p in PUBLICATIONS if p["__typename"] == "Book"],
            "Magazine": [p for p in PUBLICATIONS if p["__typename"] == "Magazine"],
        },
    },
)

magazines = Subgraph(
    "magazines",
    """
    type Magazine @key(fields: "id") { id: ID! title: String! @shareable issue: Int! format: Format @shareable }
    enum Format { PRINT DIGITAL ARCHIVE @inaccessible }
    """,
    {"entities": {"Magazine": [{"id": "m1", "title": "Wired", "issue": 7, "format": "DIGITAL"}]}},
)

reviews = Subgraph(
    "reviews",
    """
    type Query { topReviews: [Review!]! }
    type Review { body: String! target: Reviewable! }
    union Reviewable = Book | Magazine
    type Book @key(fields: "id") { id: ID! }
    type Magazine @key(fields: "id") { id: ID! }
    """,
    {
        "Query": {
            "topReviews": [
                {"body": "Long", "target": {"__typename": "Book", "id": "b1"}},
                {"body": "Glossy", "target": {"__typename": "Magazine", "id": "m1"}},
            ]
        }
    },
)

ABSTRACT = Federation("abstract", [library, magazines, reviews])

CASES = [
    Case(
        "interface-implementations-in-different-subgraphs",
        ABSTRACT,
        "{ publications(filter: {format: PRINT}) { title } all: publications(filter: {format: DIGITAL}) { __typename id title ... on Magazine { issue } } }",
        {
            "data": {
                "publications": [{"title": "Dune"}],
                "all": [{"__typename": "Magazine", "id": "m1", "title": "Wired", "issue": 7}],
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "union-members-resolved-in-different-subgraphs",
        ABSTRACT,
        "{ topReviews { body target { ... on Book { title pages } ... on Magazine { title issue } } } }",
        {
            "data": {
                "topReviews": [
                    {"body": "Long", "target": {"title": "Dune", "pages": 412}},
                    {"body": "Glossy", "target": {"title": "Wired", "issue": 7}},
                ]
            }
        },
        depth=2,
    ),
    Case(
        "fragment-on-an-interface-the-subgraph-does-not-know",
        ABSTRACT,
        "{ topReviews { target { ... on Publication { id title } } } }",
        {
            "data": {
                "topReviews": [
                    {"target": {"id": "b1", "title": "Dune"}},
                    {"target": {"id": "m1", "title": "Wired"}},
                ]
            }
        },
        depth=2,
    ),
    Case(
        "named-fragment-on-an-interface-the-subgraph-does-not-know",
        ABSTRACT,
        "{ topReviews { target { ...P } } } fragment P on Publication { __typename title }",
        {
            "data": {
                "topReviews": [
                    {"target": {"__typename": "Book", "title": "Dune"}},
                    {"target": {"__typename": "Magazine", "title": "Wired"}},
                ]
            }
        },
        depth=2,
    ),
    Case(
        "typename-on-abstract-fields-needs-no-jump",
        ABSTRACT,
        "{ topReviews { target { __typename } } publications(filter: {format: DIGITAL}) { __typename } }",
        {
            "data": {
                "topReviews": [{"target": {"__typename": "Book"}}, {"target": {"__typename": "Magazine"}}],
                "publications": [{"__typename": "Magazine"}],
            }
        },
        depth=1,
        fetches=2,
    ),
    Case(
        "inaccessible-enum-value-in-a-response-is-a-field-error",
        ABSTRACT,
        "{ publications { id format } }",
        {
            "data": {
                "publications": [
                    {"id": "b1", "format": "PRINT"},
                    {"id": "m1", "format": "DIGITAL"},
                    {"id": "b2", "format": None},
                ]
            },
            "errors": [
                {
                    "message": "Subgraph data for field Book.format is not a value of its enum type.",
                    "path": ["publications", 2, "format"],
                    "extensions": {"code": "INVALID_SUBGRAPH_DATA"},
                }
            ],
        },
        depth=1,
        reference=(
            "Hive Gateway (with the Rust planner as with the JavaScript one) nulls the @inaccessible enum value "
            "without an error; GraphQL spec 6.4.3 (CompleteValue, enum result coercion) makes it a field error at "
            "the field's path"
        ),
    ),
    Case(
        "inaccessible-enum-value-in-an-argument-is-invalid",
        ABSTRACT,
        "{ publications(filter: {format: ARCHIVE}) { id } }",
        {
            "errors": [
                {
                    "message": "Value 'ARCHIVE' does not exist in 'Format' enum.",
                    "locations": [{"line": 1, "column": 33}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        },
    ),
    Case(
        "inaccessible-input-field-is-invalid",
        ABSTRACT,
        '{ publications(filter: {internalCode: "x"}) { id } }',
        {
            "errors": [
                {
                    "message": "Expected value of type 'Filter' not to include unknown field 'internalCode', "
                    'found: { internalCode: "x" }.',
                    "locations": [{"line": 1, "column": 25}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        },
    ),
]

CASES += [
    Case(
        "only-one-union-member-needs-a-jump",
        ABSTRACT,
        "{ topReviews { target { ... on Magazine { issue } ... on Book { id } } } }",
        {"data": {"topReviews": [{"target": {"id": "b1"}}, {"target": {"issue": 7}}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "interface-fields-and-implementation-fields-from-three-subgraphs",
        ABSTRACT,
        "{ topReviews { body target { __typename ... on Publication { title format } ... on Magazine { issue } } } }",
        {
            "data": {
                "topReviews": [
                    {"body": "Long", "target": {"__typename": "Book", "title": "Dune", "format": "PRINT"}},
                    {
                        "body": "Glossy",
                        "target": {
                            "__typename": "Magazine",
                            "title": "Wired",
                            "format": "DIGITAL",
                            "issue": 7,
                        },
                    },
                ]
            }
        },
        depth=2,
    ),
]

LEVELS: list[dict[str, Any]] = [
    {"code": "LOW", "count": 1},
    {"code": "HIGH", "count": 9},
    {"code": "EXTRA", "count": 99},
]

# Enum values and input fields that only some subgraphs know: the API schema keeps what composition allows
# (output enums: the union of values; input types: the intersection of fields).
stock = Subgraph(
    "stock",
    """
    type Query { levels(filter: LevelFilter): [Level!]! }
    type Level { code: Shade! count: Int! }
    enum Shade { LOW HIGH EXTRA }
    input LevelFilter { min: Int onlyExtra: Boolean }
    """,
    {
        "Query": {
            "levels": lambda _p, a: [
                lv for lv in LEVELS if lv["count"] >= ((a.get("filter") or {}).get("min") or 0)
            ]
        }
    },
)

audit = Subgraph(
    "audit",
    """
    type Query { lastShade: Shade! }
    enum Shade { LOW HIGH }
    input LevelFilter { min: Int }
    """,
    {"Query": {"lastShade": "HIGH"}},
)

ENUMS = Federation("enums", [stock, audit])

CASES += [
    Case(
        "output-enum-values-from-either-subgraph",
        ENUMS,
        "{ levels { code count } lastShade }",
        {
            "data": {
                "levels": [
                    {"code": "LOW", "count": 1},
                    {"code": "HIGH", "count": 9},
                    {"code": "EXTRA", "count": 99},
                ],
                "lastShade": "HIGH",
            }
        },
        depth=1,
        fetches=2,
    ),
    Case(
        "input-field-known-to-every-subgraph",
        ENUMS,
        "{ levels(filter: {min: 5}) { code } }",
        {"data": {"levels": [{"code": "HIGH"}, {"code": "EXTRA"}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "input-field-known-to-one-subgraph-is-not-in-the-api",
        ENUMS,
        "{ levels(filter: {onlyExtra: true}) { code } }",
        {
            "errors": [
                {
                    "message": "Expected value of type 'LevelFilter' not to include unknown field 'onlyExtra', "
                    "found: { onlyExtra: true }.",
                    "locations": [{"line": 1, "column": 19}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        },
    ),
    Case(
        "introspection-next-to-federated-fields",
        ABSTRACT,
        '{ __type(name: "Reviewable") { possibleTypes { name } } topReviews { target { __typename } } }',
        {
            "data": {
                "__type": {"possibleTypes": [{"name": "Book"}, {"name": "Magazine"}]},
                "topReviews": [{"target": {"__typename": "Book"}}, {"target": {"__typename": "Magazine"}}],
            }
        },
        depth=1,
        fetches=1,
        reference=(
            "Hive Gateway with the Rust planner answers an operation whose first root field is __type or __schema "
            "from its own schema alone (router-runtime's isIntrospection), so topReviews is null and data null; "
            "GraphQL spec 6.3 executes every root field, the federated ones through the subgraphs"
        ),
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_abstract_types(case: Case) -> None:
    await run_case(case)


async def test_fragment_on_unknown_interface_is_rewritten_for_the_subgraph() -> None:
    """reviews does not know Publication: the fetch it gets must still validate there (it gets no such fragment)."""
    await run_case(CASES[2])
    (request,) = reviews.requests
    assert "Publication" not in request["query"]
