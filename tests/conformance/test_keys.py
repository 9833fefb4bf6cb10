"""Keys: compound and nested keys, several keys known by different subgraphs, ``resolvable: false``, keys made of
entities, and all of them in one operation (Federation spec, ``@key``; ``_entities`` representations)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

USERS = [
    {"id": "u1", "email": "ada@example.com", "name": "Ada"},
    {"id": "u2", "email": "bob@example.com", "name": "Bob"},
]

accounts = Subgraph(
    "accounts",
    """
    type Query { users: [User!]! }
    type User @key(fields: "id") @key(fields: "email") { id: ID! email: String! name: String! }
    """,
    {"Query": {"users": USERS}, "entities": {"User": USERS}},
)

reviews = Subgraph(
    "reviews",
    """
    type Query { topReviews: [Review!]! }
    type Review { body: String! author: User! product: Product! }
    type User @key(fields: "email") { email: String! reviews: [Review!]! }
    type Product @key(fields: "upc region { code }", resolvable: false) { upc: String! region: Region! }
    type Region @shareable { code: String! }
    """,
    {
        "Query": {
            "topReviews": [
                {
                    "body": "Great",
                    "author": {"email": "bob@example.com"},
                    "product": {"upc": "p1", "region": {"code": "EU"}},
                },
            ]
        },
        "entities": {
            "User": [
                {
                    "email": "ada@example.com",
                    "reviews": [{"body": "Fine", "product": {"upc": "p2", "region": {"code": "US"}}}],
                },
                {"email": "bob@example.com", "reviews": []},
            ]
        },
    },
)

PRODUCTS = [
    {"upc": "p1", "region": {"code": "EU"}, "name": "Table"},
    {"upc": "p2", "region": {"code": "US"}, "name": "Chair"},
]

catalog = Subgraph(
    "catalog",
    """
    type Query { products: [Product!]! }
    type Product @key(fields: "upc region { code }") { upc: String! region: Region! name: String! }
    type Region @shareable { code: String! }
    """,
    {"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
)

STOCK = {"p1": 3, "p2": 0}


def _stock(product: dict[str, Any], _args: dict[str, Any]) -> int:
    return STOCK[product["upc"]]


SHELVES: list[dict[str, Any]] = [
    {"product": {"upc": "p1", "region": {"code": "EU"}, "stock": _stock}, "position": 1, "label": "A-1"},
    {"product": {"upc": "p1", "region": {"code": "EU"}, "stock": _stock}, "position": 2, "label": "A-2"},
    {"product": {"upc": "p2", "region": {"code": "US"}, "stock": _stock}, "position": 1, "label": "B-1"},
]

inventory = Subgraph(
    "inventory",
    """
    type Product @key(fields: "upc region { code }") {
      upc: String! region: Region! stock: Int! shelves: [Shelf!]!
    }
    type Region @shareable { code: String! }
    type Shelf @key(fields: "product { upc region { code } } position") {
      product: Product! position: Int!
    }
    """,
    {
        "entities": {
            "Product": lambda rep: {
                "stock": STOCK[rep["upc"]],
                "shelves": [s for s in SHELVES if s["product"]["upc"] == rep["upc"]],
            },
            "Shelf": SHELVES,
        }
    },
)

labels = Subgraph(
    "labels",
    """
    type Shelf @key(fields: "product { upc region { code } } position") {
      product: Product! position: Int! label: String!
    }
    type Product @key(fields: "upc region { code }", resolvable: false) { upc: String! region: Region! }
    type Region @shareable { code: String! }
    """,
    {"entities": {"Shelf": SHELVES}},
)

KEYS = Federation("keys", [accounts, reviews, catalog, inventory, labels])

CASES = [
    Case(
        "second-key-known-to-other-subgraph",
        KEYS,
        "{ users { id name reviews { body } } }",
        {
            "data": {
                "users": [
                    {"id": "u1", "name": "Ada", "reviews": [{"body": "Fine"}]},
                    {"id": "u2", "name": "Bob", "reviews": []},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "jump-back-through-the-other-key",
        KEYS,
        "{ topReviews { body author { email id name } } }",
        {
            "data": {
                "topReviews": [
                    {"body": "Great", "author": {"email": "bob@example.com", "id": "u2", "name": "Bob"}}
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "compound-nested-key",
        KEYS,
        "{ products { upc region { code } name stock } }",
        {
            "data": {
                "products": [
                    {"upc": "p1", "region": {"code": "EU"}, "name": "Table", "stock": 3},
                    {"upc": "p2", "region": {"code": "US"}, "name": "Chair", "stock": 0},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "resolvable-false-reference-resolved-elsewhere",
        KEYS,
        "{ topReviews { product { name stock } } }",
        {"data": {"topReviews": [{"product": {"name": "Table", "stock": 3}}]}},
        depth=2,
        fetches=3,
    ),
    Case(
        "key-made-of-an-entity",
        KEYS,
        "{ products { name shelves { position label } } }",
        {
            "data": {
                "products": [
                    {
                        "name": "Table",
                        "shelves": [{"position": 1, "label": "A-1"}, {"position": 2, "label": "A-2"}],
                    },
                    {"name": "Chair", "shelves": [{"position": 1, "label": "B-1"}]},
                ]
            }
        },
        depth=3,
        fetches=3,
    ),
    Case(
        "mash-up",
        KEYS,
        """{
          users { name reviews { product { upc name shelves { label product { stock } } } } }
          topReviews { author { name } product { region { code } stock } }
        }""",
        {
            "data": {
                "users": [
                    {
                        "name": "Ada",
                        "reviews": [
                            {
                                "product": {
                                    "upc": "p2",
                                    "name": "Chair",
                                    "shelves": [{"label": "B-1", "product": {"stock": 0}}],
                                }
                            }
                        ],
                    },
                    {"name": "Bob", "reviews": []},
                ],
                "topReviews": [
                    {"author": {"name": "Bob"}, "product": {"region": {"code": "EU"}, "stock": 3}}
                ],
            }
        },
        depth=4,
    ),
]


shelf_a = Subgraph(
    "shelf_a",
    """
    type Query { books: [Book!]! }
    type Book @key(fields: "id") { id: ID! isbn: String @shareable }
    """,
    {
        "Query": {
            "books": [
                {"id": "b1", "isbn": "978-1"},
                {"id": "b2", "isbn": None},
                {"id": "b3", "isbn": "978-3"},
            ]
        }
    },
)

shelf_b = Subgraph(
    "shelf_b",
    """
    type Book @key(fields: "isbn") { isbn: String! author: String }
    """,
    {"entities": {"Book": [{"isbn": "978-1", "author": "Ann"}, {"isbn": "978-3", "author": "Cy"}]}},
)

NULL_KEYS = Federation("null_keys", [shelf_a, shelf_b])

CASES += [
    Case(
        "entity-with-a-null-key-field-is-not-sent",
        NULL_KEYS,
        "{ books { id author } }",
        {
            "data": {
                "books": [
                    {"id": "b1", "author": "Ann"},
                    {"id": "b2", "author": None},
                    {"id": "b3", "author": "Cy"},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
]

# A chain of keys: origin knows only `id`, bridge knows `id` and `sku`, pricing knows only `sku`; and a key
# field hidden from clients (@inaccessible) still serves the gateway.
origin = Subgraph(
    "origin",
    """
    type Query { things: [Thing!]! }
    type Thing @key(fields: "id") { id: ID! label: String! }
    """,
    {"Query": {"things": [{"id": "t1", "label": "one"}, {"id": "t2", "label": "two"}]}},
)

bridge = Subgraph(
    "bridge",
    """
    type Thing @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! @inaccessible }
    """,
    {"entities": {"Thing": [{"id": "t1", "sku": "S-1"}, {"id": "t2", "sku": "S-2"}]}},
)

pricing = Subgraph(
    "pricing",
    """
    type Thing @key(fields: "sku") { sku: String! @inaccessible price: Int! }
    """,
    {"entities": {"Thing": [{"sku": "S-1", "price": 10}, {"sku": "S-2", "price": 20}]}},
)

KEY_CHAIN = Federation("key_chain", [origin, bridge, pricing])

CASES += [
    Case(
        "jump-through-a-subgraph-that-knows-both-keys",
        KEY_CHAIN,
        "{ things { label price } }",
        {"data": {"things": [{"label": "one", "price": 10}, {"label": "two", "price": 20}]}},
        depth=3,
        fetches=3,
    ),
    Case(
        "inaccessible-key-field-is-not-selectable",
        KEY_CHAIN,
        "{ things { sku } }",
        {
            "errors": [
                {
                    "message": "Cannot query field 'sku' on type 'Thing'.",
                    "locations": [{"line": 1, "column": 12}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        },
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_keys(case: Case) -> None:
    await run_case(case)


async def test_entity_requests_carry_every_key_field() -> None:
    """The representation of a compound nested key holds the whole nested selection (``_entities`` spec)."""
    await run_case(CASES[2])
    (request,) = inventory.requests
    assert request["variables"]["representations"] == [
        {"__typename": "Product", "upc": "p1", "region": {"code": "EU"}},
        {"__typename": "Product", "upc": "p2", "region": {"code": "US"}},
    ]


async def test_representations_never_hold_null_key_fields() -> None:
    """A representation must identify the entity: one whose key field is null is not sent (``_entities`` spec)."""
    await run_case(CASES[-1])
    (request,) = shelf_b.requests
    assert request["variables"]["representations"] == [
        {"__typename": "Book", "isbn": "978-1"},
        {"__typename": "Book", "isbn": "978-3"},
    ]
