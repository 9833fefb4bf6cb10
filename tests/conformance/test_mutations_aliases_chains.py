"""Mutations across subgraphs run in document order; operations with many aliases of entity fields; deep entity
chains that go back and forth between subgraphs; circular references (GraphQL spec 6.3.1 "Normal and Serial
Execution": mutation root fields run serially; Federation query plans: mutation fetches in a Sequence)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError

from .support import Case, Federation, Subgraph, case_params, run_case
from .test_keys import KEYS

# ---- mutations: a cart in one subgraph, discounts in another, a shared log of the order they ran in.
STATE: dict[str, Any] = {}


def reset() -> None:
    STATE.clear()
    STATE.update(items=[], discount=0, log=[])


reset()


def _add(_root: Any, args: dict[str, Any]) -> dict[str, Any]:
    STATE["items"].append(args["id"])
    STATE["log"].append(f"add {args['id']}")
    return {"id": "cart", "count": len(STATE["items"]), "log": list(STATE["log"])}


def _discount(_root: Any, args: dict[str, Any]) -> int:
    if not 0 <= args["percent"] <= 100:
        STATE["log"].append(f"refused {args['percent']}")
        raise GraphQLError(f"discount {args['percent']} is out of range")
    STATE["discount"] = args["percent"]
    STATE["log"].append(f"discount {args['percent']}")
    return int(args["percent"])


cart = Subgraph(
    "cart",
    """
    type Query { cart: Cart! }
    type Mutation { addToCart(id: ID!): Cart! }
    type Cart @key(fields: "id") { id: ID! count: Int! log: [String!]! }
    """,
    {
        "Query": {
            "cart": lambda _r, _a: {"id": "cart", "count": len(STATE["items"]), "log": list(STATE["log"])}
        },
        "Mutation": {"addToCart": _add},
        "entities": {
            "Cart": lambda rep: {"id": "cart", "count": len(STATE["items"]), "log": list(STATE["log"])}
        },
    },
)

pricing = Subgraph(
    "pricing",
    """
    type Mutation { setDiscount(percent: Int!): Int }
    type Cart @key(fields: "id") { id: ID! total: Int! }
    """,
    {
        "Mutation": {"setDiscount": _discount},
        "entities": {
            "Cart": lambda rep: {"total": len(STATE["items"]) * 10 * (100 - STATE["discount"]) // 100}
        },
    },
)

# ---- chains: users know friends, posts know authors and posts; recommendations close circles.
FRIENDS = {"u1": ["u2"], "u2": ["u1", "u3"], "u3": []}
USERS: dict[str, dict[str, Any]] = {
    uid: {"id": uid, "name": name, "friends": lambda u, _a: [USERS[f] for f in FRIENDS[u["id"]]]}
    for uid, name in (("u1", "Ada"), ("u2", "Bob"), ("u3", "Cy"))
}
POSTS: dict[str, list[dict[str, Any]]] = {
    "u1": [{"id": "t1", "title": "Hello", "author": {"id": "u1"}}],
    "u2": [
        {"id": "t2", "title": "Hi", "author": {"id": "u2"}},
        {"id": "t3", "title": "Yo", "author": {"id": "u2"}},
    ],
    "u3": [],
}

users = Subgraph(
    "users",
    """
    type Query { user(id: ID!): User }
    type User @key(fields: "id") { id: ID! name: String! friends: [User!]! }
    """,
    {"Query": {"user": lambda _r, a: USERS.get(a["id"])}, "entities": {"User": list(USERS.values())}},
)


def _posts_of(user_id: str) -> list[dict[str, Any]]:
    return [
        {**p, "author": {"id": p["author"]["id"], "posts": lambda a, _x: _posts_of(a["id"])}}
        for p in POSTS[user_id]
    ]


posts = Subgraph(
    "posts",
    """
    type Query { latestPost: Post! }
    type Post @key(fields: "id") { id: ID! title: String! author: User! related: [Post!]! }
    type User @key(fields: "id") { id: ID! posts: [Post!]! }
    """,
    {
        "Query": {"latestPost": lambda _r, _a: {**_posts_of("u2")[1], "related": lambda p, _a: _related(p)}},
        "entities": {"User": lambda rep: {"id": rep["id"], "posts": _posts_of(rep["id"])}},
    },
)


def _related(post: dict[str, Any]) -> list[dict[str, Any]]:
    """Circular: every post's related posts are the other posts of the same author, with their own related."""
    others = [p for p in _posts_of(post["author"]["id"]) if p["id"] != post["id"]]
    return [{**p, "related": lambda q, _a: _related(q)} for p in others]


MUTATIONS = Federation("mutations", [cart, pricing])
CHAINS = Federation("chains", [users, posts])

MANY_ALIASES = (
    "{ "
    + " ".join(
        f'u{i}: user(id: "u{1 + i % 3}") {{ n{i}: name i{i}: id p{i}: posts {{ t{i}: title }} }}'
        for i in range(24)
    )
    + " }"
)


def _alias_expected() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(24):
        uid = f"u{1 + i % 3}"
        out[f"u{i}"] = {
            f"n{i}": USERS[uid]["name"],
            f"i{i}": uid,
            f"p{i}": [{f"t{i}": p["title"]} for p in POSTS[uid]],
        }
    return {"data": out}


CASES = [
    Case(
        "mutations-across-subgraphs-run-in-document-order",
        MUTATIONS,
        """mutation {
          first: addToCart(id: "p1") { count }
          discount: setDiscount(percent: 50)
          second: addToCart(id: "p2") { count total log }
        }""",
        {
            "data": {
                "first": {"count": 1},
                "discount": 50,
                "second": {"count": 2, "total": 10, "log": ["add p1", "discount 50", "add p2"]},
            }
        },
        depth=4,
        fetches=4,
        setup=reset,
    ),
    Case(
        "consecutive-mutations-to-one-subgraph",
        MUTATIONS,
        'mutation { a: addToCart(id: "p1") { count } b: addToCart(id: "p2") { count } c: setDiscount(percent: 10) }',
        {"data": {"a": {"count": 1}, "b": {"count": 2}, "c": 10}},
        setup=reset,
        depth=2,
        fetches=2,
    ),
    Case(
        "many-aliases-of-entity-fields",
        CHAINS,
        MANY_ALIASES,
        _alias_expected(),
        depth=2,
    ),
    Case(
        "aliases-of-the-same-field-with-other-arguments",
        CHAINS,
        '{ a: user(id: "u1") { name } b: user(id: "u2") { name } c: user(id: "u9") { name } }',
        {"data": {"a": {"name": "Ada"}, "b": {"name": "Bob"}, "c": None}},
        depth=1,
        fetches=1,
    ),
    Case(
        "deep-chain-back-and-forth",
        CHAINS,
        '{ user(id: "u1") { name friends { name posts { title author { friends { name posts { title } } } } } } }',
        {
            "data": {
                "user": {
                    "name": "Ada",
                    "friends": [
                        {
                            "name": "Bob",
                            "posts": [
                                {
                                    "title": "Hi",
                                    "author": {
                                        "friends": [
                                            {"name": "Ada", "posts": [{"title": "Hello"}]},
                                            {"name": "Cy", "posts": []},
                                        ]
                                    },
                                },
                                {
                                    "title": "Yo",
                                    "author": {
                                        "friends": [
                                            {"name": "Ada", "posts": [{"title": "Hello"}]},
                                            {"name": "Cy", "posts": []},
                                        ]
                                    },
                                },
                            ],
                        }
                    ],
                }
            }
        },
        depth=4,
    ),
    Case(
        "circular-references",
        CHAINS,
        "{ latestPost { title related { title related { title author { name } } } } }",
        {
            "data": {
                "latestPost": {
                    "title": "Yo",
                    "related": [{"title": "Hi", "related": [{"title": "Yo", "author": {"name": "Bob"}}]}],
                }
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "circular-entity-chain-returns-to-the-start",
        CHAINS,
        '{ user(id: "u3") { name friends { id } } back: user(id: "u2") { friends { friends { name } } } }',
        {
            "data": {
                "user": {"name": "Cy", "friends": []},
                "back": {"friends": [{"friends": [{"name": "Bob"}]}, {"friends": []}]},
            }
        },
        depth=1,
        fetches=1,
    ),
]


CASES += [
    Case(
        "a-failing-mutation-field-does-not-stop-the-later-ones",
        MUTATIONS,
        """mutation {
          first: addToCart(id: "p1") { count }
          bad: setDiscount(percent: 150)
          second: addToCart(id: "p2") { count log }
        }""",
        {
            "data": {
                "first": {"count": 1},
                "bad": None,
                "second": {"count": 2, "log": ["add p1", "refused 150", "add p2"]},
            },
            "errors": [
                {
                    "message": "discount 150 is out of range",
                    "path": ["bad"],
                    "extensions": {"serviceName": "pricing"},
                }
            ],
        },
        setup=reset,
        depth=3,
        fetches=3,
    ),
]

CASES += [
    Case(
        "client-aliases-take-the-names-of-key-fields",
        KEYS,
        "{ products { upc: name region: stock name: upc } }",
        {
            "data": {
                "products": [
                    {"upc": "Table", "region": 3, "name": "p1"},
                    {"upc": "Chair", "region": 0, "name": "p2"},
                ]
            }
        },
        depth=2,
        fetches=2,
        reference=(
            "Hive Gateway (with the Rust planner as with the JavaScript one) adds the key field under the "
            "client's alias name and sends the subgraph an invalid operation (\"Fields 'upc' conflict\"); GraphQL "
            "spec 5.3.2 forbids that selection, so the gateway must alias its own field"
        ),
    ),
    Case(
        "client-alias-takes-the-name-of-an-entity-key-in-a-nested-jump",
        CHAINS,
        '{ user(id: "u2") { id: name posts { id: title } friends { id: name } } }',
        {
            "data": {
                "user": {
                    "id": "Bob",
                    "posts": [{"id": "Hi"}, {"id": "Yo"}],
                    "friends": [{"id": "Ada"}, {"id": "Cy"}],
                }
            }
        },
        depth=2,
        fetches=2,
        reference=(
            "Hive Gateway with the Rust planner builds the posts representation from the client's field aliased "
            "id (name), sending {__typename: 'User', id: 'Bob'}, and posts fails on it; the key is the entity's "
            "id (Federation spec, _entities representations), whatever the client's aliases"
        ),
    ),
    Case(
        "same-entity-field-under-several-aliases-with-different-subselections",
        KEYS,
        "{ a: products { upc } b: products { name stock } c: products { shelves { label } } }",
        {
            "data": {
                "a": [{"upc": "p1"}, {"upc": "p2"}],
                "b": [{"name": "Table", "stock": 3}, {"name": "Chair", "stock": 0}],
                "c": [{"shelves": [{"label": "A-1"}, {"label": "A-2"}]}, {"shelves": [{"label": "B-1"}]}],
            }
        },
        depth=3,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_mutations_aliases_chains(case: Case) -> None:
    await run_case(case)


async def test_mutation_fetches_are_sent_one_after_another() -> None:
    await run_case(CASES[0])
    assert STATE["log"] == ["add p1", "discount 50", "add p2"]
    assert [r["query"].split("{")[1].split("(")[0] for r in cart.requests[:2]] == [
        "first:addToCart",
        "second:addToCart",
    ]
