"""Subgraph sets Apollo's composition accepts (and the near misses it refuses): we decide the same way.

Apollo's rules checked here (composition-js ``merge.ts`` and federation-internals' schema upgrader): compound keys
whose nested fields another subgraph resolves; an enum used as input and output may differ in a value that is
``@inaccessible``; Federation 1 ``@requires``/``@provides`` naming fields that are not external are dropped, not
refused; and in Federation 2 the ``@external`` key fields of an ``extend type`` are "effectively" resolved, so a
``@requires``/``@provides`` may not name them.
"""

from __future__ import annotations

from .support import Oracle, assert_composes_like_apollo, assert_fails_like_apollo, fed2


def test_compound_key_with_nested_fields_of_another_entity(apollo: Oracle) -> None:
    a = fed2("key") + (
        'type Query { t: T } type T @key(fields: "id org { id }") { id: ID! org: Org! name: String } '
        'type Org @key(fields: "id") { id: ID! title: String }'
    )
    b = fed2("key") + (
        'type T @key(fields: "id org { id }") { id: ID! org: Org! extra: Int } type Org @key(fields: "id") { id: ID! }'
    )
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert [k.fields for k in result.supergraph().type("T").keys("b")] == ["id org { id }"]


def test_enum_in_both_positions_may_differ_in_an_inaccessible_value(apollo: Oracle) -> None:
    a = fed2("inaccessible") + "type Query { e(x: E): E } enum E { A B C @inaccessible }"
    b = fed2() + "type Query { f(x: E): E } enum E { A B }"
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert result.supergraph().type("E").enum_values["C"] == {"a"}


def test_enum_in_both_positions_still_refuses_an_accessible_difference(apollo: Oracle) -> None:
    a = fed2() + "type Query { e(x: E): E } enum E { A B C }"
    b = fed2() + "type Query { f(x: E): E } enum E { A B }"
    assert_fails_like_apollo([("a", a), ("b", b)], "ENUM_VALUE_MISMATCH", '"C"')


def test_fed1_requires_of_a_field_that_is_not_external_is_dropped(apollo: Oracle) -> None:
    a = 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = 'extend type T @key(fields: "id") { id: ID! @external name: String x: Int @requires(fields: "name") }'
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert result.supergraph().field("T", "x").subgraphs["b"].requires is None


def test_fed1_requires_of_an_extension_key_field_is_dropped(apollo: Oracle) -> None:
    a = 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = 'extend type T @key(fields: "id") { id: ID! @external x: Int @requires(fields: "id") }'
    assert_composes_like_apollo([("a", a), ("b", b)])


def test_fed1_provides_of_a_field_that_is_not_external_is_dropped(apollo: Oracle) -> None:
    a = 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = (
        'extend type Query { u: T @provides(fields: "name") } '
        'extend type T @key(fields: "id") { id: ID! @external name: String }'
    )
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert result.supergraph().field("Query", "u").subgraphs["b"].provides is None


def test_fed1_requires_keeps_its_external_part(apollo: Oracle) -> None:
    a = 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String w: Int }'
    b = (
        'extend type T @key(fields: "id") { id: ID! @external name: String w: Int @external '
        'x: Int @requires(fields: "name w") }'
    )
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert result.supergraph().field("T", "x").subgraphs["b"].requires == "w"


def test_fed2_requires_of_an_extension_key_field_is_refused(apollo: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = fed2("key", "external", "requires") + (
        'extend type T @key(fields: "id") { id: ID! @external x: Int @requires(fields: "id") }'
    )
    assert_fails_like_apollo(
        [("a", a), ("b", b)], "REQUIRES_FIELDS_MISSING_EXTERNAL", '"T.id"', "effectively"
    )


def test_fed2_provides_of_an_extends_key_field_is_refused(apollo: Oracle) -> None:
    a = fed2("key", "shareable") + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = fed2("key", "external", "provides", "extends") + (
        'type Query { u: T @provides(fields: "id") } type T @extends @key(fields: "id") { id: ID! @external }'
    )
    assert_fails_like_apollo(
        [("a", a), ("b", b)], "PROVIDES_FIELDS_MISSING_EXTERNAL", '"T.id"', "effectively"
    )


def test_type_level_external_covers_the_fields_of_its_extensions(apollo: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int y: Int }'
    b = fed2("key", "external", "requires") + (
        'type T @key(fields: "id") @external { id: ID! x: Int y: Int } '
        'extend type T { z: Int @requires(fields: "x y") }'
    )
    assert_fails_like_apollo([("a", a), ("b", b)], "EXTERNAL_UNUSED", '"T.z"')
