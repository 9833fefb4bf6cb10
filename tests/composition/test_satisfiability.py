"""Satisfiability: every field a client can select is reachable through some sequence of subgraph fetches."""

from __future__ import annotations

import pytest

from .support import (
    Oracle,
    assert_composes_like_apollo,
    assert_composes_like_oracle,
    assert_fails_like_apollo,
    assert_fails_like_oracle,
    fed2,
)

A = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! }'


def test_field_in_a_subgraph_without_key(oracle: Oracle) -> None:
    b = fed2("shareable") + "type T { id: ID! @shareable name: String }"
    a = A.replace("{ id: ID! }", "{ id: ID! @shareable }").replace(
        'import: ["@key"]', 'import: ["@key", "@shareable"]'
    )
    result = assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "SATISFIABILITY_ERROR", "{ t { name } }", '"T.name"'
    )
    error = next(e for e in result.errors if e.code == "SATISFIABILITY_ERROR")
    assert 'has no @key defined in subgraph "b"' in error.message
    assert (error.type_name, error.field_name) == ("T", "name")


def test_field_behind_an_unresolvable_key(oracle: Oracle) -> None:
    b = fed2("key") + 'type T @key(fields: "id", resolvable: false) { id: ID! name: String }'
    result = assert_fails_like_oracle([("a", A), ("b", b)], oracle, "SATISFIABILITY_ERROR", '"T.name"')
    assert "resolvable: false" in next(e.message for e in result.errors if e.code == "SATISFIABILITY_ERROR")


def test_key_fields_the_other_subgraph_cannot_provide(oracle: Oracle) -> None:
    b = fed2("key") + 'type T @key(fields: "sku") { sku: ID! name: String }'
    result = assert_fails_like_oracle([("a", A), ("b", b)], oracle, "SATISFIABILITY_ERROR", '"T.name"')
    message = next(
        e.message for e in result.errors if e.code == "SATISFIABILITY_ERROR" and e.field_name == "name"
    )
    assert '@key(fields: "sku")' in message and 'subgraph "a"' in message


def test_chained_entity_moves_are_satisfiable(oracle: Oracle) -> None:
    # a knows only T.id; b maps id -> sku; c is keyed by sku alone: a -> b -> c.
    b = fed2("key") + 'type T @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }'
    c = fed2("key") + 'type T @key(fields: "sku") { sku: ID! price: Int }'
    b = b.replace("sku: ID! }", "sku: ID! @shareable }").replace('["@key"]', '["@key", "@shareable"]')
    c = c.replace("{ sku: ID!", "{ sku: ID! @shareable").replace('["@key"]', '["@key", "@shareable"]')
    assert_composes_like_oracle([("a", A), ("b", b), ("c", c)], oracle)


def test_mutation_paths_are_checked(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { a: Int } type Mutation { make: T } type T @key(fields: "id") { id: ID! }'
    b = fed2("key") + 'type T @key(fields: "uid") { uid: ID! extra: Int }'
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "SATISFIABILITY_ERROR", "mutation { make { extra } }"
    )


def test_types_reached_through_abstract_types(oracle: Oracle) -> None:
    a = fed2("key") + (
        'type Query { search: [Result] } union Result = Book | Film type Book @key(fields: "id") { id: ID! } '
        'type Film @key(fields: "id") { id: ID! }'
    )
    b = (
        fed2("key")
        + 'type Book @key(fields: "id") { id: ID! title: String } type Film @key(fields: "id") { id: ID! title: String }'
    )
    assert_composes_like_oracle([("a", a), ("b", b)], oracle)


def test_every_path_to_a_type_is_checked(oracle: Oracle) -> None:
    # V.y is reachable through { a { y } } but not through { b { y } }: b cannot jump to a without a key.
    a = fed2("shareable") + "type Query { a: V } type V @shareable { x: Int y: Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { x: Int }"
    result = assert_fails_like_oracle([("a", a), ("b", b)], oracle, "SATISFIABILITY_ERROR", "{ b { y } }")
    assert len(result.errors) == 1
    assert 'from subgraph "b": cannot find field "V.y"' in result.errors[0].message


@pytest.mark.xfail(
    strict=True,
    reason="our satisfiability lets b, entered with its @external key, take z's requirement x, y from a; "
    "Apollo's and The Guild's want a key that b resolves itself to go back to a, and refuse",
)
def test_external_key_fields_of_an_entered_subgraph(oracle: Oracle) -> None:
    # (With a type-level @external, z would be external too, which both refuse: test_apollo_acceptance.)
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int y: Int }'
    b = fed2("key", "external", "requires") + (
        'type T @key(fields: "id") { id: ID! @external x: Int @external y: Int @external '
        'z: Int @requires(fields: "x y") }'
    )
    assert_fails_like_apollo([("a", a), ("b", b)], "SATISFIABILITY_ERROR", "T.z")


def test_a_field_only_reachable_through_provides(oracle: Oracle) -> None:
    # users cannot be entered (no key), but reviews' author comes with its name through @provides.
    users = fed2("shareable") + "type Query { me: User } type User @shareable { id: ID! name: String }"
    reviews = fed2("key", "external", "provides", "shareable") + (
        'type Query { top: [Review] } type Review { author: User @provides(fields: "name") } '
        "type User @shareable { id: ID! name: String @external }"
    )
    assert_composes_like_oracle([("users", users), ("reviews", reviews)], oracle)
    # The same field through a path without the @provides is not satisfiable.
    reviews_without = reviews.replace("type Review {", "type Review { editor: User").replace(
        'author: User @provides(fields: "name")', 'author: User @provides(fields: "name") '
    )
    assert_fails_like_oracle(
        [("users", users), ("reviews", reviews_without)],
        oracle,
        "SATISFIABILITY_ERROR",
        "{ top { editor { name } } }",
    )


# A field that returns an entity whose key field is @external in that subgraph: the subgraph does not resolve
# the key (Federation spec, @external), so it cannot build the representation that the next subgraph needs.
_MIDDLE = 'type Query { t: T } type T @key(fields: "id") { id: ID! u: U }'
_NEXT = fed2("key") + 'type U @key(fields: "id") { id: ID! name: String }'


def test_an_external_key_field_does_not_lead_to_the_next_subgraph(oracle: Oracle) -> None:
    a = fed2("key", "external") + _MIDDLE + ' type U @key(fields: "id") { id: ID! @external }'
    assert_fails_like_apollo([("a", a), ("b", _NEXT)], "SATISFIABILITY_ERROR", '"U.name"')


def test_a_provided_external_key_field_leads_to_the_next_subgraph(oracle: Oracle) -> None:
    a = fed2("key", "external", "provides") + _MIDDLE.replace("u: U", 'u: U @provides(fields: "id")')
    a += ' type U @key(fields: "id") { id: ID! @external }'
    assert_composes_like_apollo([("a", a), ("b", _NEXT)])


def test_the_external_key_field_of_an_extension_leads_to_the_next_subgraph(oracle: Oracle) -> None:
    a = fed2("key", "external") + _MIDDLE + ' extend type U @key(fields: "id") { id: ID! @external }'
    assert_composes_like_apollo([("a", a), ("b", _NEXT)])
