"""Union members a subgraph's own field does not have.

``Query.pick`` is ``Media`` (``Book | Movie``) in the supergraph and ``Book`` in reviews; ``Query.media`` is a
``@shareable`` ``[Media!]!`` whose union has only ``Book`` in reviews (``@join__unionMember``). A fetch to reviews
keeps only the fragments that reviews' own field type can return (GraphQL spec 5.5.2.3, "Fragment spread is
possible", checked against the subgraph's schema), and a fragment on a member no subgraph on the path can return
selects nothing: the object is ``{}`` (GraphQL spec 6.3.2, CollectFields skips a fragment that does not apply).

Members the chosen path cannot resolve (shape of a ``@shareable`` field whose union differs between subgraphs):
Apollo's planner resolves a ``@shareable`` field from one subgraph, picked by plan cost, and a type condition
that subgraph cannot return is not followed further (query-graphs' ``advanceWithOperationElement``: no edge to
that type in the subgraph, so that branch contributes nothing). Objects the chosen subgraph does not return are
not in the response: ``@shareable`` asserts every subgraph resolves the field to the same value, so a subgraph
that returns more members than another breaks that contract, and the answer is that of the chosen subgraph.
"""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

BOOKS: list[dict[str, Any]] = [
    {"__typename": "Book", "id": "b1", "title": "Dune", "stars": 5, "year": 1965, "prize": "Hugo"},
    {"__typename": "Book", "id": "b2", "title": "Emma", "stars": 4, "year": 1815, "prize": None},
]
MOVIES: list[dict[str, Any]] = [{"__typename": "Movie", "id": "m1", "title": "Alien"}]

catalog = Subgraph(
    "catalog",
    """
    type Query {
      media: [Media!]! @shareable
      pick: Media @shareable
      winner: Media @shareable
      everything: [Media!]!
    }
    union Media = Book | Movie
    type Book @key(fields: "id") { id: ID! title: String! @shareable year: Int! }
    type Movie @key(fields: "id") { id: ID! title: String }
    """,
    {
        "Query": {
            "media": [BOOKS[0], MOVIES[0], BOOKS[1]],
            "pick": BOOKS[0],
            "winner": BOOKS[0],
            "everything": [*BOOKS, *MOVIES],
        },
        "entities": {"Book": BOOKS, "Movie": MOVIES},
    },
)

reviews = Subgraph(
    "reviews",
    """
    type Query { media: [Media!]! @shareable pick: Book @shareable }
    union Media = Book
    type Book @key(fields: "id") { id: ID! title: String! @shareable stars: Int! }
    """,
    {"Query": {"media": BOOKS, "pick": BOOKS[0]}, "entities": {"Book": BOOKS}},
)

# No union at all here: the field returns the member itself.
awards = Subgraph(
    "awards",
    """
    type Query { winner: Book @shareable }
    type Book @key(fields: "id") { id: ID! prize: String }
    """,
    {"Query": {"winner": BOOKS[0]}, "entities": {"Book": BOOKS}},
)

UNION_MEMBERS = Federation("subgraph_union_members", [catalog, reviews, awards])

# Where the reference answers a dropped member fragment otherwise (the cases below that name it).
DROPPED_MEMBER_COMPLETED = (
    "Hive Router completes the fields of a member fragment the planner drops as null (it answers {} where one "
    "is non-null); Apollo's rule (module docstring): the fragment yields no result, {}"
)

# The same union difference one level down: ``Shelf.items`` is @shareable, and reviews' ``Media`` has no Movie.
# Apollo's rule is not one of root fields: at every open branch (query planner ``handleOpenBranch``) the options
# for ``items`` are catalog's own field and reviews' through Shelf's key, and a type condition one option can
# never return is dropped from all (Apollo's planner and Hive Router's planner answer so; Hive Gateway's
# JavaScript planner fetches the Movie's title). Where reviews' Shelf has no key, it is no option, and the Movie
# fragment is kept (all three agree).
SHELF: dict[str, Any] = {"id": "s1", "items": [BOOKS[0], MOVIES[0], BOOKS[1]]}
SHELF_SDL = """
    type Query { shelf: Shelf }
    type Shelf @key(fields: "id") { id: ID! items: [Media!]! @shareable }
    union Media = Book | Movie
    type Book @key(fields: "id") { id: ID! year: Int! }
    type Movie @key(fields: "id") { id: ID! title: String }
"""
shelves = Subgraph(
    "catalog",
    SHELF_SDL,
    {"Query": {"shelf": SHELF}, "entities": {"Shelf": [SHELF], "Book": BOOKS, "Movie": MOVIES}},
)
REVIEWS_SHELF_SDL = """
    type Shelf @key(fields: "id") { id: ID! items: [Media!]! @shareable }
    union Media = Book
    type Book @key(fields: "id") { id: ID! stars: Int! }
"""
shelf_reviews = Subgraph(
    "reviews", REVIEWS_SHELF_SDL, {"entities": {"Shelf": [{"id": "s1", "items": BOOKS}], "Book": BOOKS}}
)
NESTED_MEMBERS = Federation("nested_union_members", [shelves, shelf_reviews])

KEYLESS_SHELF = "type Shelf { id: ID! @shareable items: [Media!]! @shareable }"
keyless_shelves = Subgraph(
    "catalog",
    SHELF_SDL.replace('type Shelf @key(fields: "id") { id: ID! items: [Media!]! @shareable }', KEYLESS_SHELF),
    shelves.data,
)
keyless_shelf_reviews = Subgraph(
    "reviews",
    REVIEWS_SHELF_SDL.replace(
        'type Shelf @key(fields: "id") { id: ID! items: [Media!]! @shareable }', KEYLESS_SHELF
    ),
    {"entities": {"Book": BOOKS}},
)
KEYLESS_NESTED_MEMBERS = Federation(
    "nested_union_members_without_key", [keyless_shelves, keyless_shelf_reviews]
)

CASES = [
    Case(
        "field-returning-one-member-in-the-subgraph",
        UNION_MEMBERS,
        "{ pick { __typename ... on Book { title stars } ... on Movie { name: title } } }",
        {"data": {"pick": {"__typename": "Book", "title": "Dune", "stars": 5}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "fragment-on-a-member-the-path-cannot-return-is-empty",
        UNION_MEMBERS,
        "{ pick { ... on Movie { title } } }",
        {"data": {"pick": {}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "named-fragment-on-the-union",
        UNION_MEMBERS,
        "query Q { pick { ...M } } fragment M on Media { ... on Book { stars } ... on Movie { id } }",
        {"data": {"pick": {"stars": 5}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "smaller-union-in-the-chosen-subgraph",
        UNION_MEMBERS,
        "{ media { __typename ... on Book { stars } ... on Movie { title } } }",
        {
            "data": {
                "media": [{"__typename": "Book", "stars": 5}, {"__typename": "Book", "stars": 4}],
            }
        },
        depth=1,
        fetches=1,
    ),
    Case(
        # catalog is chosen (year is only there) and returns a Movie, but reviews' media can never return one:
        # Apollo's rule (module docstring) drops the Movie fragment from every subgraph: it yields nothing, so
        # the Movie is {} (the plan's dropped_fragments tell shaping so).
        "members-only-the-chosen-subgraph-returns-yield-nothing",
        UNION_MEMBERS,
        "{ media { ... on Movie { title } ... on Book { year } } }",
        {"data": {"media": [{"year": 1965}, {}, {"year": 1815}]}},
        depth=1,
        fetches=1,
        reference=DROPPED_MEMBER_COMPLETED,
    ),
    Case(
        # As above with a non-null field in the dropped fragment: {} again, and no "Cannot return null" error
        # that no subgraph gave (found by the differential run: data was null).
        "a-dropped-member-fragment-with-a-non-null-field-invents-no-error",
        UNION_MEMBERS,
        "{ media { ... on Movie { id } ... on Book { year } } }",
        {"data": {"media": [{"year": 1965}, {}, {"year": 1815}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        # Found by the differential run (seed 3, operation 606): three copies of media and a winner. Ours is
        # one list (GraphQL spec 6.3.2: one response key is one field), the Movie fragments dropped as above.
        "three-copies-of-a-shareable-union-list-are-one-list",
        UNION_MEMBERS,
        "{ a1: media { ... on Book { id id year } ... on Movie { title id title } __typename } media { ... on Book { prize } ... on Movie { title title a2: title a3: title } } media { ... on Book { a4: id stars a5: year a6: stars } } winner { ... on Book { stars a7: id prize a8: id } ... on Movie { title } } }",
        {
            "data": {
                "a1": [
                    {"id": "b1", "year": 1965, "__typename": "Book"},
                    {"__typename": "Movie"},
                    {"id": "b2", "year": 1815, "__typename": "Book"},
                ],
                "media": [
                    {"prize": "Hugo", "a4": "b1", "stars": 5, "a5": 1965, "a6": 5},
                    {},
                    {"prize": None, "a4": "b2", "stars": 4, "a5": 1815, "a6": 4},
                ],
                "winner": {"stars": 5, "a7": "b1", "prize": "Hugo", "a8": "b1"},
            }
        },
        reference=(
            "Hive Router answers a1's Movie without its __typename and media as a longer list of empty "
            "objects and nulls, losing the books' prize, stars, id and year that the subgraphs return; asked "
            "the fields merged, the same: no documented rule of the differential explains it"
        ),
    ),
    Case(
        # year is only in catalog, stars only in reviews: media comes from catalog, stars by an entity fetch.
        "member-fields-from-two-subgraphs",
        UNION_MEMBERS,
        "{ media { ... on Book { year stars } } }",
        {"data": {"media": [{"year": 1965, "stars": 5}, {}, {"year": 1815, "stars": 4}]}},
        depth=2,
        fetches=2,
        reference=(
            "Hive Router's planner fetches media from catalog and from reviews and answers the two lists one "
            "after the other, five empty objects; GraphQL spec 6.4.3 (CompleteValue): the field has one list, "
            "each item completed with its selections, and @shareable means either subgraph's list is the value"
        ),
    ),
    Case(
        "subgraph-without-the-union-returns-the-member",
        UNION_MEMBERS,
        "{ winner { ... on Book { prize } ... on Movie { title } } }",
        {"data": {"winner": {"prize": "Hugo"}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "member-field-through-the-member-subgraph-then-a-jump",
        UNION_MEMBERS,
        "{ winner { ... on Book { prize year } } }",
        {"data": {"winner": {"prize": "Hugo", "year": 1965}}},
        depth=2,
        fetches=2,
    ),
    Case(
        "aliased-fields-each-from-its-own-subgraph",
        UNION_MEMBERS,
        "{ a: pick { ... on Book { stars } } b: everything { ... on Movie { title } ... on Book { stars } } }",
        {
            "data": {
                "a": {"stars": 5},
                "b": [{"stars": 5}, {"stars": 4}, {"title": "Alien"}],
            }
        },
        depth=2,
    ),
    Case(
        "nested-members-the-other-option-cannot-return-yield-nothing",
        NESTED_MEMBERS,
        "{ shelf { items { ... on Movie { title } ... on Book { year } } } }",
        {"data": {"shelf": {"items": [{"year": 1965}, {}, {"year": 1815}]}}},
        depth=1,
        fetches=1,
        reference=DROPPED_MEMBER_COMPLETED,
    ),
    Case(
        "nested-members-with-a-field-of-the-other-option",
        NESTED_MEMBERS,
        "{ shelf { items { ... on Book { stars } ... on Movie { title } } } }",
        {"data": {"shelf": {"items": [{"stars": 5}, {}, {"stars": 4}]}}},
        depth=2,
        fetches=2,
        reference=DROPPED_MEMBER_COMPLETED,
    ),
    Case(
        "nested-members-with-the-typename",
        NESTED_MEMBERS,
        "{ shelf { items { __typename ... on Movie { title } } } }",
        {
            "data": {
                "shelf": {
                    "items": [
                        {"__typename": "Book"},
                        {"__typename": "Movie"},
                        {"__typename": "Book"},
                    ]
                }
            }
        },
        depth=1,
        fetches=1,
        reference=DROPPED_MEMBER_COMPLETED,
    ),
    Case(
        "nested-members-where-the-other-subgraph-is-no-option",
        KEYLESS_NESTED_MEMBERS,
        "{ shelf { items { ... on Movie { title } ... on Book { year stars } } } }",
        {
            "data": {
                "shelf": {
                    "items": [{"year": 1965, "stars": 5}, {"title": "Alien"}, {"year": 1815, "stars": 4}]
                }
            }
        },
        depth=2,
        fetches=2,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_subgraph_union_members(case: Case) -> None:
    await run_case(case)


async def test_fragment_one_resolver_cannot_return_is_sent_to_none() -> None:
    await run_case(next(c for c in CASES if c.id == "members-only-the-chosen-subgraph-returns-yield-nothing"))
    (request,) = catalog.requests
    assert "Movie" not in request["query"]
    assert reviews.requests == []


async def test_fetch_keeps_only_fragments_the_subgraph_can_return() -> None:
    await run_case(CASES[0])
    (request,) = reviews.requests
    assert "Movie" not in request["query"]
    assert catalog.requests == []
