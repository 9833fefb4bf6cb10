"""A field that only a ``resolvable: false`` ``@interfaceObject`` defines (Federation 2.3 ``@interfaceObject``,
``@key(resolvable: false)``): no subgraph can take an entity there, so an operation that reaches the field from
another subgraph cannot be planned and fails as a whole (data null, one coded error); where the field comes
along with the object from the subgraph itself, it resolves."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError

from .support import Case, HandEditedSupergraph, Subgraph, case_params, run_case

ACCOUNTS: list[dict[str, Any]] = [
    {"__typename": "User", "id": "a1", "name": "Ada"},
    {"__typename": "Org", "id": "a2", "name": "Acme"},
]

accounts = Subgraph(
    "accounts",
    """
    type Query { accounts: [Account!]! account(id: ID!): Account }
    interface Account @key(fields: "id") { id: ID! name: String! }
    type User implements Account @key(fields: "id") { id: ID! name: String! }
    type Org implements Account @key(fields: "id") { id: ID! name: String! }
    """,
    {
        "Query": {
            "accounts": ACCOUNTS,
            "account": lambda _p, a: next((x for x in ACCOUNTS if x["id"] == a["id"]), None),
        },
        "entities": {
            "Account": ACCOUNTS,
            "User": [a for a in ACCOUNTS if a["__typename"] == "User"],
            "Org": [a for a in ACCOUNTS if a["__typename"] == "Org"],
        },
    },
)


def _no_entities(rep: dict[str, Any]) -> Any:
    # What a subgraph library answers for a type it has no reference resolver for.
    raise GraphQLError(f"Account {rep.get('id')} cannot be resolved by notes")


NOTES_SDL = """
    type Query { pinned: Account }
    type Account @key(fields: "id"%s) @interfaceObject { id: ID! note: String }
"""
notes = Subgraph(
    "notes",
    NOTES_SDL % ", resolvable: false",
    {"Query": {"pinned": {"id": "a2", "note": "call back"}}, "entities": {"Account": _no_entities}},
)
# The same subgraph with a resolvable key: what composers accept.
notes_resolvable = Subgraph("notes", NOTES_SDL % "")

RESOLVABLE_JOIN_TYPE = '@join__type(graph: NOTES, key: "id", isInterfaceObject: true)'
UNRESOLVABLE_JOIN_TYPE = '@join__type(graph: NOTES, key: "id", resolvable: false, isInterfaceObject: true)'


UNRESOLVABLE = HandEditedSupergraph(
    "interface_object_unresolvable",
    [accounts, notes],
    composed_from=[accounts, notes_resolvable],
    edits={RESOLVABLE_JOIN_TYPE: UNRESOLVABLE_JOIN_TYPE},
)


def _refused(type_name: str) -> dict[str, Any]:
    """The planner's refusal: no ``data`` (GraphQL spec 7.1: an error before execution begins leaves it out)."""
    message = (
        f"Query planning failed: {type_name}.note cannot be reached from subgraph 'accounts': no subgraph that "
        "resolves it has a resolvable @key for the type"
    )
    return {
        "errors": [
            {"message": message, "extensions": {"code": "QUERY_PLANNING_FAILED", "reason": "UNSATISFIABLE"}}
        ]
    }


# Nothing can resolve the field there (``resolvable: false``: the subgraph cannot take an entity by that key,
# Federation spec ``@key``), so the plan is refused, as Apollo's planner and composers do with such a field and
# Hive Router's planner does too.
CASES: list[Case] = [
    Case(
        "field-only-on-a-non-resolvable-interface-object",
        UNRESOLVABLE,
        "{ accounts { id note } }",
        _refused("Org"),
    ),
    Case(
        "through-a-fragment-on-one-implementation",
        UNRESOLVABLE,
        '{ account(id: "a1") { name ... on User { note } } }',
        _refused("User"),
    ),
    Case(
        "next-to-a-root-field-that-would-resolve",
        UNRESOLVABLE,
        "{ pinned { note } accounts { id note } }",
        _refused("Org"),
    ),
    Case(
        "from-the-interface-object-itself",
        UNRESOLVABLE,
        "{ pinned { id name note } }",
        {"data": {"pinned": {"id": "a2", "name": "Acme", "note": "call back"}}},
        depth=2,
        fetches=2,
    ),
    Case(
        "from-the-interface-object-with-the-real-typename",
        UNRESOLVABLE,
        "{ pinned { __typename note } }",
        {"data": {"pinned": {"__typename": "Org", "note": "call back"}}},
        depth=2,
        fetches=2,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_interface_object_unresolvable(case: Case) -> None:
    await run_case(case)


@pytest.mark.parametrize("case", case_params([c for c in CASES if "data" not in c.expected]))
async def test_a_refused_operation_sends_no_fetch(case: Case) -> None:
    """The whole request fails before execution: no subgraph is asked, so no partial data can come back."""
    await run_case(case)
    assert accounts.requests == [] and notes.requests == []
