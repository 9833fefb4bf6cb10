"""Parent-entity calls: a subtree that only the parent entity's subgraph can resolve, and keys reached through
another entity hop (Apollo Federation, entity resolution through ``@key``; a field of a type with no resolvable
``@key`` in the subgraph that has it is reached through the nearest entity above it).
"""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, HandEditedSupergraph, Subgraph, case_params, run_case

PRODUCTS: list[dict[str, Any]] = [
    {"id": "p1", "name": "Lamp", "spec": {"sid": "s1", "weight": 900, "color": "red"}},
    {"id": "p2", "name": "Mug", "spec": {"sid": "s2", "weight": 300, "color": "blue"}},
]
SPECS = [p["spec"] for p in PRODUCTS]

shop = Subgraph(
    "shop",
    """
    type Query { products: [Product!]! product(id: ID!): Product }
    type Product @key(fields: "id") { id: ID! name: String! }
    """,
    {
        "Query": {
            "products": PRODUCTS,
            "product": lambda _p, a: next((p for p in PRODUCTS if p["id"] == a["id"]), None),
        },
        "entities": {"Product": PRODUCTS},
    },
)

# Spec is an entity here...
specs = Subgraph(
    "specs",
    """
    type Product @key(fields: "id") { id: ID! spec: Spec @shareable }
    type Spec @key(fields: "sid") { sid: ID! weight: Int! }
    """,
    {"entities": {"Product": PRODUCTS, "Spec": SPECS}},
)

# ... and a value type here, with a field only this subgraph has: reached through Product's key.
labels = Subgraph(
    "labels",
    """
    type Product @key(fields: "id") { id: ID! spec: Spec @shareable }
    type Spec { sid: ID! @shareable color: String! }
    """,
    {"entities": {"Product": PRODUCTS}},
)

PARENT = Federation("parent_entity", [shop, specs, labels])

ORDERS: list[dict[str, Any]] = [{"id": "o1", "account": {"id": "a1"}}, {"id": "o2", "account": {"id": "a2"}}]
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "a1", "number": "N-1", "balance": 10},
    {"id": "a2", "number": "N-2", "balance": -5},
]

orders = Subgraph(
    "orders",
    """
    type Query { orders: [Order!]! }
    type Order @key(fields: "id") { id: ID! }
    """,
    {"Query": {"orders": [{"id": o["id"]} for o in ORDERS]}, "entities": {"Order": ORDERS}},
)

# The middle subgraph knows an order's account only by id; the number that ledger's key needs comes from registry.
billing = Subgraph(
    "billing",
    """
    type Order @key(fields: "id") { id: ID! account: Account! }
    type Account @key(fields: "id") { id: ID! }
    """,
    {"entities": {"Order": ORDERS, "Account": ACCOUNTS}},
)

registry = Subgraph(
    "registry",
    """
    type Account @key(fields: "id") { id: ID! number: String! @shareable }
    """,
    {"entities": {"Account": ACCOUNTS}},
)

ledger = Subgraph(
    "ledger",
    """
    type Account @key(fields: "number") { number: String! @shareable balance: Int! }
    """,
    {"entities": {"Account": ACCOUNTS}},
)

HOPS = Federation("external_key_hop", [orders, billing, registry, ledger])

# The same chain where the middle subgraph's own key field is @external (a Federation 1 style extension that
# only resolves the number): entering it with the id is still possible.
registry_extension = Subgraph(
    "registry",
    """
    type Account @key(fields: "id") { id: ID! @external number: String! @shareable }
    """,
    {"entities": {"Account": ACCOUNTS}},
)

EXTERNAL_HOPS = Federation("external_key_field_hop", [orders, billing, registry_extension, ledger])

# The middle subgraph returns the account, but its own key field is @external there (a Federation 2 type, not an
# extension): billing does not resolve Account.id (Federation spec, @external: "this subgraph usually can't
# resolve a particular object field"), so no representation for registry or ledger can be built from it, and
# nothing else can reach an order's account. Apollo's composition refuses the set (SATISFIABILITY_ERROR: 'field
# "Account.id" is not resolvable because marked @external'), so does The Guild's, and so does ours; Hive
# Router's planner and Hive Gateway's JavaScript planner, given such a supergraph, refuse the operations that need
# the account's key ("No paths found for selection item", "cannot be satisfied by the subschemas"), and so do
# Apollo's query planner and ours. Served as the supergraph composed with billing resolving the id, then edited
# to say what billing's SDL says.
billing_external_key = Subgraph(
    "billing",
    """
    type Order @key(fields: "id") { id: ID! account: Account! }
    type Account @key(fields: "id") { id: ID! @external }
    """,
    {"entities": {"Order": ORDERS, "Account": ACCOUNTS}},
)

EXTERNAL_IN_THE_MIDDLE = HandEditedSupergraph(
    "key_field_external_in_the_middle",
    [orders, billing_external_key, registry, ledger],
    composed_from=[orders, billing, registry, ledger],
    edits={
        "id: ID! @join__field(graph: BILLING) @join__field(graph: REGISTRY)": (
            "id: ID! @join__field(graph: BILLING, external: true) @join__field(graph: REGISTRY)"
        )
    },
)

# The same subgraph written as an entity extension (``extend type``, as Federation 1 subgraphs do): the @external
# on its key field only restates the key, the subgraph resolves it (Apollo's "fake external", federation-internals
# ExternalTester), so every composer and planner accepts the chain.
billing_extension = Subgraph(
    "billing",
    """
    type Order @key(fields: "id") { id: ID! account: Account! }
    extend type Account @key(fields: "id") { id: ID! @external }
    """,
    {"entities": {"Order": ORDERS, "Account": ACCOUNTS}},
)

EXTENSION_IN_THE_MIDDLE = Federation(
    "key_field_of_an_extension_in_the_middle", [orders, billing_extension, registry, ledger]
)

# The same @external key field, provided by the field that returns the account (``@provides(fields: "id")``):
# on that path billing resolves it, so the chain is satisfiable (Apollo's composition and both Hive planners
# accept it; Hive Gateway's JavaScript planner overflows its stack on ``number balance``, not a reference here).
billing_provides_key = Subgraph(
    "billing",
    """
    type Order @key(fields: "id") { id: ID! account: Account! @provides(fields: "id") }
    type Account @key(fields: "id") { id: ID! @external }
    """,
    {"entities": {"Order": ORDERS, "Account": ACCOUNTS}},
)

PROVIDED_IN_THE_MIDDLE = Federation(
    "key_field_provided_in_the_middle", [orders, billing_provides_key, registry, ledger]
)

ORDER_BALANCES = {
    "data": {"orders": [{"id": "o1", "account": {"balance": 10}}, {"id": "o2", "account": {"balance": -5}}]}
}
ACCOUNT_NUMBERS = {
    "data": {
        "orders": [
            {"id": "o1", "account": {"number": "N-1", "balance": 10}},
            {"id": "o2", "account": {"number": "N-2", "balance": -5}},
        ]
    }
}


def _refused(target: str) -> dict[str, Any]:
    """The planner's refusal: no ``data`` (GraphQL spec 7.1: an error before execution begins leaves it out)."""
    message = f"Query planning failed: no way to collect the key fields of Account for subgraph '{target}'"
    return {
        "errors": [
            {"message": message, "extensions": {"code": "QUERY_PLANNING_FAILED", "reason": "UNSATISFIABLE"}}
        ]
    }


CASES = [
    Case(
        "value-type-field-through-the-parent-entity",
        PARENT,
        "{ products { name spec { color } } }",
        {
            "data": {
                "products": [
                    {"name": "Lamp", "spec": {"color": "red"}},
                    {"name": "Mug", "spec": {"color": "blue"}},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "fields-of-both-sides-in-parallel",
        PARENT,
        '{ product(id: "p1") { spec { weight color } } }',
        {"data": {"product": {"spec": {"weight": 900, "color": "red"}}}},
        depth=2,
        fetches=3,
    ),
    Case(
        "aliased-and-in-fragments",
        PARENT,
        "query Q { products { s: spec { ...C } spec { sid weight } } } fragment C on Spec { color sid }",
        {
            "data": {
                "products": [
                    {"s": {"color": "red", "sid": "s1"}, "spec": {"sid": "s1", "weight": 900}},
                    {"s": {"color": "blue", "sid": "s2"}, "spec": {"sid": "s2", "weight": 300}},
                ]
            }
        },
        depth=2,
        fetches=3,
    ),
    Case(
        "key-of-the-next-entity-through-another-hop",
        HOPS,
        "{ orders { id account { balance } } }",
        {
            "data": {
                "orders": [{"id": "o1", "account": {"balance": 10}}, {"id": "o2", "account": {"balance": -5}}]
            }
        },
        depth=4,
        fetches=4,
    ),
    Case(
        "key-field-of-the-hop-itself",
        HOPS,
        "{ orders { account { id number } } }",
        {
            "data": {
                "orders": [
                    {"account": {"id": "a1", "number": "N-1"}},
                    {"account": {"id": "a2", "number": "N-2"}},
                ]
            }
        },
        depth=3,
        fetches=3,
    ),
    Case(
        "hop-through-a-subgraph-whose-key-field-is-external",
        EXTERNAL_HOPS,
        "{ orders { id account { number balance } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "account": {"number": "N-1", "balance": 10}},
                    {"id": "o2", "account": {"number": "N-2", "balance": -5}},
                ]
            }
        },
        depth=4,
        fetches=4,
    ),
    Case(
        "next-key-behind-a-key-field-external-in-the-middle",
        EXTERNAL_IN_THE_MIDDLE,
        "{ orders { id account { balance } } }",
        _refused("ledger"),
    ),
    Case(
        "key-field-external-in-the-middle-itself",
        EXTERNAL_IN_THE_MIDDLE,
        "{ orders { account { id } } }",
        _refused("registry"),
    ),
    Case(
        "key-field-external-in-the-middle-not-selected",
        EXTERNAL_IN_THE_MIDDLE,
        "{ orders { id account { __typename } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "account": {"__typename": "Account"}},
                    {"id": "o2", "account": {"__typename": "Account"}},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "next-key-behind-a-key-field-of-an-extension-in-the-middle",
        EXTENSION_IN_THE_MIDDLE,
        "{ orders { id account { balance } } }",
        ORDER_BALANCES,
        depth=4,
        fetches=4,
    ),
    Case(
        "key-field-of-an-extension-in-the-middle-itself",
        EXTENSION_IN_THE_MIDDLE,
        "{ orders { id account { id number balance } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "account": {"id": "a1", "number": "N-1", "balance": 10}},
                    {"id": "o2", "account": {"id": "a2", "number": "N-2", "balance": -5}},
                ]
            }
        },
        depth=4,
        fetches=4,
    ),
    Case(
        "next-key-behind-a-provided-key-field-in-the-middle",
        PROVIDED_IN_THE_MIDDLE,
        "{ orders { id account { balance } } }",
        ORDER_BALANCES,
        depth=4,
        fetches=4,
    ),
    Case(
        "provided-key-field-in-the-middle-and-the-next-key",
        PROVIDED_IN_THE_MIDDLE,
        "{ orders { id account { id number balance } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "account": {"id": "a1", "number": "N-1", "balance": 10}},
                    {"id": "o2", "account": {"id": "a2", "number": "N-2", "balance": -5}},
                ]
            }
        },
        depth=4,
        fetches=4,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_parent_entity(case: Case) -> None:
    await run_case(case)
