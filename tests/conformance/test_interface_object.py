"""Entity interfaces and ``@interfaceObject`` (Federation 2.3): a subgraph that sees an entity interface as one
object type adds fields to every implementation; the gateway rewrites ``__typename`` in representations to the
interface's name and asks the interface's owner for the real type (also when the ``@interfaceObject`` is
``resolvable: false``)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Case, Federation, Subgraph, case_params, run_case

ACCOUNTS: list[dict[str, Any]] = [
    {"__typename": "User", "id": "a1", "name": "Ada", "email": "ada@example.com"},
    {"__typename": "Org", "id": "a2", "name": "Acme", "members": 12},
]

accounts = Subgraph(
    "accounts",
    """
    type Query { accounts: [Account!]! }
    interface Account @key(fields: "id") { id: ID! name: String! }
    type User implements Account @key(fields: "id") { id: ID! name: String! email: String! }
    type Org implements Account @key(fields: "id") { id: ID! name: String! members: Int! }
    """,
    {
        "Query": {"accounts": ACCOUNTS},
        "entities": {
            "Account": ACCOUNTS,
            "User": [a for a in ACCOUNTS if a["__typename"] == "User"],
            "Org": [a for a in ACCOUNTS if a["__typename"] == "Org"],
        },
    },
)

BALANCES = {"a1": 30, "a2": 900}

billing = Subgraph(
    "billing",
    """
    type Query { richest: Account }
    type Account @key(fields: "id") @interfaceObject { id: ID! balance: Int! }
    """,
    {
        "Query": {"richest": {"id": "a2", "balance": 900}},
        "entities": {"Account": lambda rep: {"id": rep["id"], "balance": BALANCES[rep["id"]]}},
    },
)

audit = Subgraph(
    "audit",
    """
    type Query { lastActor: Account! }
    type Account @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
    """,
    {"Query": {"lastActor": {"id": "a1"}}},
)

greeter = Subgraph(
    "greeter",
    """
    type Account @key(fields: "id") @interfaceObject {
      id: ID!
      name: String! @external
      greeting: String! @requires(fields: "name")
    }
    """,
    {"entities": {"Account": lambda rep: {"greeting": f"Hello, {rep['name']}!"}}},
)

INTERFACE_OBJECT = Federation("interface_object", [accounts, billing, audit, greeter])

CASES = [
    Case(
        "entity-interface-from-its-owner",
        INTERFACE_OBJECT,
        "{ accounts { id name ... on Org { members } } }",
        {"data": {"accounts": [{"id": "a1", "name": "Ada"}, {"id": "a2", "name": "Acme", "members": 12}]}},
        depth=1,
        fetches=1,
    ),
    Case(
        "interface-object-field-on-every-implementation",
        INTERFACE_OBJECT,
        "{ accounts { __typename name balance } }",
        {
            "data": {
                "accounts": [
                    {"__typename": "User", "name": "Ada", "balance": 30},
                    {"__typename": "Org", "name": "Acme", "balance": 900},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "interface-object-root-field-needs-the-real-typename",
        INTERFACE_OBJECT,
        "{ richest { __typename id balance } }",
        {"data": {"richest": {"__typename": "Org", "id": "a2", "balance": 900}}},
        depth=2,
        fetches=2,
    ),
    Case(
        "interface-object-root-field-then-implementation-fields",
        INTERFACE_OBJECT,
        "{ richest { balance name ... on Org { members } ... on User { email } } }",
        {"data": {"richest": {"balance": 900, "name": "Acme", "members": 12}}},
        depth=2,
        fetches=2,
    ),
    Case(
        "interface-object-fields-need-no-jump",
        INTERFACE_OBJECT,
        "{ richest { id balance } }",
        {"data": {"richest": {"id": "a2", "balance": 900}}},
        depth=1,
        fetches=1,
    ),
    Case(
        "non-resolvable-interface-object-jumps-to-the-owner",
        INTERFACE_OBJECT,
        "{ lastActor { id name ... on User { email } } }",
        {"data": {"lastActor": {"id": "a1", "name": "Ada", "email": "ada@example.com"}}},
        depth=2,
        fetches=2,
    ),
    Case(
        "non-resolvable-interface-object-to-another-interface-object",
        INTERFACE_OBJECT,
        "{ lastActor { __typename balance } }",
        {"data": {"lastActor": {"__typename": "User", "balance": 30}}},
        depth=2,
    ),
]


CASES += [
    Case(
        "interface-object-requires-a-field-of-the-interface",
        INTERFACE_OBJECT,
        "{ accounts { id greeting } }",
        {
            "data": {
                "accounts": [
                    {"id": "a1", "greeting": "Hello, Ada!"},
                    {"id": "a2", "greeting": "Hello, Acme!"},
                ]
            }
        },
        depth=2,
        fetches=2,
    ),
    Case(
        "interface-object-requires-after-an-interface-object-root",
        INTERFACE_OBJECT,
        "{ richest { balance greeting } }",
        {"data": {"richest": {"balance": 900, "greeting": "Hello, Acme!"}}},
        depth=3,
        fetches=3,
    ),
]

CASES += [
    Case(
        "interface-object-field-inside-an-implementation-fragment",
        INTERFACE_OBJECT,
        "{ accounts { ... on Org { name balance } ... on User { email } } }",
        {"data": {"accounts": [{"email": "ada@example.com"}, {"name": "Acme", "balance": 900}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "two-interface-objects-after-the-owner",
        INTERFACE_OBJECT,
        "{ accounts { id balance greeting } }",
        {
            "data": {
                "accounts": [
                    {"id": "a1", "balance": 30, "greeting": "Hello, Ada!"},
                    {"id": "a2", "balance": 900, "greeting": "Hello, Acme!"},
                ]
            }
        },
        depth=2,
        fetches=3,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_interface_object(case: Case) -> None:
    await run_case(case)


async def test_representations_for_the_interface_object_use_the_interface_name() -> None:
    await run_case(CASES[1])
    (request,) = billing.requests
    assert request["variables"]["representations"] == [
        {"__typename": "Account", "id": "a1"},
        {"__typename": "Account", "id": "a2"},
    ]
