"""Fields of one response key with different types in one subgraph (GraphQL spec 5.3.2 "Field Selection
Merging", SameResponseShape).

The supergraph's ``Book.id`` is ``ID`` (nullable in catalog), but search declares ``Book.id: ID!`` and
``Movie.id: ID``: ``{ ... on Book { id } ... on Movie { id } }`` is valid for the client and invalid as such
for search. The subgraph operation aliases the field whose subgraph type differs from the supergraph's, and the
response carries it under the client's key (Apollo's query planner does the same: an alias per non-merging
field and an output rewrite back to the client's key).
"""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

BOOKS: list[dict[str, Any]] = [
    {"__typename": "Book", "isbn": "b1", "id": "B1", "title": "Dune", "year": 1965, "pages": 412},
    {"__typename": "Book", "isbn": "b2", "id": "B2", "title": "Emma", "year": 1815, "pages": 474},
]
MOVIES: list[dict[str, Any]] = [
    {"__typename": "Movie", "mid": "m1", "id": None, "title": "Alien", "year": None},
    {"__typename": "Movie", "mid": "m2", "id": "M2", "title": "Heat", "year": 1995},
]
for _book, _other in zip(BOOKS, reversed(BOOKS), strict=True):
    _book["similar"] = [_other]
    _book["related"] = _other
for _movie, _other in zip(MOVIES, reversed(MOVIES), strict=True):
    _movie["similar"] = [_other]
    _movie["related"] = _other

search = Subgraph(
    "search",
    """
    type Query { results: [Result!]! media: [Media!]! }
    union Result = Book | Movie
    interface Media { title: String }
    type Book implements Media @key(fields: "isbn") {
      isbn: ID!
      title: String @shareable
      id: ID! @shareable
      year: Int! @shareable
      similar: [Book!]! @shareable
      related: Book @shareable
    }
    type Movie implements Media @key(fields: "mid") {
      mid: ID!
      title: String
      id: ID
      year: Int
      similar: [Movie]
      related: Movie
    }
    """,
    {
        "Query": {"results": [BOOKS[0], MOVIES[0], BOOKS[1], MOVIES[1]], "media": [MOVIES[1], BOOKS[0]]},
        "entities": {"Book": BOOKS, "Movie": MOVIES},
    },
)

catalog = Subgraph(
    "catalog",
    """
    type Query { book(isbn: ID!): Book }
    type Book @key(fields: "isbn") {
      isbn: ID!
      title: String @shareable
      id: ID @shareable
      year: Int @shareable
      similar: [Book] @shareable
      related: Book @shareable
      pages: Int!
    }
    """,
    {
        "Query": {"book": lambda _p, a: next((b for b in BOOKS if b["isbn"] == a["isbn"]), None)},
        "entities": {"Book": BOOKS},
    },
)

studio = Subgraph(
    "studio",
    """
    type Movie @key(fields: "mid") { mid: ID! director: String! }
    """,
    {"entities": {"Movie": lambda rep: {"director": {"m1": "Scott", "m2": "Mann"}[rep["mid"]]}}},
)

CONFLICTING = Federation("conflicting_fields", [search, catalog, studio])

# Hive Router's planner aliases a leaf whose nullability differs between members, but sends list fields whose
# types differ ([Book!]! against [Movie]) or object fields whose subfields differ unaliased, and search rejects
# the operation (GraphQL spec 5.3.2, SameResponseShape: a non-null type merges only with a non-null one); Apollo's
# planner aliases every field that does not merge in the subgraph's schema (addAliasesForNonMergingFields).
_HIVE_SENDS_LIST_CONFLICTS = (
    "Hive Router's planner sends search `similar` of Book ([Book!]!) and Movie ([Movie]) under one name; they do "
    "not merge in search's schema (GraphQL spec 5.3.2 SameResponseShape), search refuses the operation and the "
    "reference answers data null; Apollo's planner aliases them (addAliasesForNonMergingFields)"
)

CASES = [
    Case(
        "nullability-differs-between-union-members",
        CONFLICTING,
        "{ results { ... on Book { id } ... on Movie { id } } }",
        {"data": {"results": [{"id": "B1"}, {"id": None}, {"id": "B2"}, {"id": "M2"}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "client-alias-on-conflicting-fields",
        CONFLICTING,
        "{ results { __typename ... on Book { ident: id title } ... on Movie { ident: id title } } }",
        {
            "data": {
                "results": [
                    {"__typename": "Book", "ident": "B1", "title": "Dune"},
                    {"__typename": "Movie", "ident": None, "title": "Alien"},
                    {"__typename": "Book", "ident": "B2", "title": "Emma"},
                    {"__typename": "Movie", "ident": "M2", "title": "Heat"},
                ]
            }
        },
        depth=1,
        fetches=1,
    ),
    Case(
        "list-nullability-differs-with-nested-conflict",
        CONFLICTING,
        "{ results { ... on Book { similar { id year } } ... on Movie { similar { id year } } } }",
        {
            "data": {
                "results": [
                    {"similar": [{"id": "B2", "year": 1815}]},
                    {"similar": [{"id": "M2", "year": 1995}]},
                    {"similar": [{"id": "B1", "year": 1965}]},
                    {"similar": [{"id": None, "year": None}]},
                ]
            }
        },
        depth=1,
        fetches=1,
        reference=_HIVE_SENDS_LIST_CONFLICTS,
    ),
    Case(
        "conflict-only-inside-a-merged-object-field",
        CONFLICTING,
        "{ results { ... on Book { related { id } } ... on Movie { related { id } } } }",
        {
            "data": {
                "results": [
                    {"related": {"id": "B2"}},
                    {"related": {"id": "M2"}},
                    {"related": {"id": "B1"}},
                    {"related": {"id": None}},
                ]
            }
        },
        depth=1,
        fetches=1,
        reference=(
            "Hive Router's planner sends search `related { id }` of Book and Movie under one name although the "
            "subfields do not merge there (ID! against ID; GraphQL spec 5.3.2 SameResponseShape looks into "
            "subselections), search refuses the operation and the reference answers data null"
        ),
    ),
    Case(
        "named-fragments-on-an-interface",
        CONFLICTING,
        "query Q { media { title ...B ...M } } fragment B on Book { id year } fragment M on Movie { id year }",
        {
            "data": {
                "media": [
                    {"title": "Heat", "id": "M2", "year": 1995},
                    {"title": "Dune", "id": "B1", "year": 1965},
                ]
            }
        },
        depth=1,
        fetches=1,
    ),
    Case(
        "entity-jumps-below-aliased-fields",
        CONFLICTING,
        "{ results { ... on Book { similar { id pages } } ... on Movie { similar { id director } } } }",
        {
            "data": {
                "results": [
                    {"similar": [{"id": "B2", "pages": 474}]},
                    {"similar": [{"id": "M2", "director": "Mann"}]},
                    {"similar": [{"id": "B1", "pages": 412}]},
                    {"similar": [{"id": None, "director": "Scott"}]},
                ]
            }
        },
        depth=2,
        reference=_HIVE_SENDS_LIST_CONFLICTS,
    ),
    Case(
        "no-alias-where-the-subgraph-agrees",
        CONFLICTING,
        '{ book(isbn: "b1") { id year similar { id } } }',
        {"data": {"book": {"id": "B1", "year": 1965, "similar": [{"id": "B2"}]}}},
        depth=1,
        fetches=1,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_conflicting_fields(case: Case) -> None:
    await run_case(case)


async def test_subgraph_operation_aliases_only_the_conflicting_field() -> None:
    await run_case(CASES[0])
    (request,) = search.requests
    assert "errors" not in request
    assert "__alias" in request["query"]
