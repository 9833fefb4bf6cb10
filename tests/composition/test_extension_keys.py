"""Join facts Apollo writes for entity extensions, overrides and provided fields (composition-js ``merge.ts``).

The ``@external`` key fields of an ``extend type`` / ``@extends`` entity are resolved by that subgraph ("fake
external"), so its ``@join__field`` has no ``external: true``. ``extension: true`` stands on the ``@join__type`` of
a key declared on an extension in Federation 2, or on an ``@extends`` type; Federation 1 ``extend type``s are
upgraded to definitions. A field overridden away is still ``usedOverridden`` where it implements an interface
field. An ``@external`` field that a ``@provides`` names resolves on that path, so its owner must share it.
"""

from __future__ import annotations

from .support import Oracle, assert_composes_like_apollo, assert_fails_like_apollo, fed2

OWNER = (
    fed2("key", "shareable")
    + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String @shareable }'
)


def test_fed2_extend_type_key_fields_are_not_external(apollo: Oracle) -> None:
    b = fed2("key", "external") + 'extend type T @key(fields: "id") { id: ID! @external extra: Int }'
    result = assert_composes_like_apollo([("a", OWNER), ("b", b)])
    assert '@join__type(graph: B, key: "id", extension: true)' in (result.supergraph_sdl or "")
    model = result.supergraph()
    assert not model.field("T", "id").subgraphs["b"].external
    assert model.type("T").subgraphs["b"].extension


def test_fed2_extends_key_fields_are_not_external(apollo: Oracle) -> None:
    b = fed2("key", "external", "extends", "provides") + (
        'type Query { u: T @provides(fields: "name") } '
        'type T @extends @key(fields: "id") { id: ID! @external name: String @external }'
    )
    result = assert_composes_like_apollo([("a", OWNER), ("b", b)])
    model = result.supergraph()
    assert not model.field("T", "id").subgraphs["b"].external
    assert model.field("T", "name").subgraphs["b"].external


def test_fed2_key_on_the_definition_is_no_extension(apollo: Oracle) -> None:
    b = fed2("key") + 'type T @key(fields: "id") { id: ID! } extend type T { extra: Int }'
    result = assert_composes_like_apollo([("a", OWNER), ("b", b)])
    assert not result.supergraph().type("T").subgraphs["b"].extension


def test_fed1_extend_type_is_upgraded_to_a_definition(apollo: Oracle) -> None:
    a = 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = 'extend type T @key(fields: "id") { id: ID! @external extra: Int }'
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert not result.supergraph().type("T").subgraphs["b"].extension
    c = 'type T @extends @key(fields: "id") { id: ID! @external extra: Int }'
    result = assert_composes_like_apollo([("a", a), ("c", c)])
    assert result.supergraph().type("T").subgraphs["c"].extension


def test_overridden_field_implementing_an_interface_field_is_used_overridden(apollo: Oracle) -> None:
    a = fed2("key") + (
        "type Query { items: [I] } interface I { title: String } "
        'type B implements I @key(fields: "id") { id: ID! title: String }'
    )
    b = fed2("key", "override") + 'type B @key(fields: "id") { id: ID! title: String @override(from: "a") }'
    result = assert_composes_like_apollo([("a", a), ("b", b)])
    assert result.supergraph().field("B", "title").subgraphs["a"].used_overridden


def test_a_provided_field_must_be_shareable_in_its_owner(apollo: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }'
    b = fed2("key", "external", "provides") + (
        'type Query { u: T @provides(fields: "name") } type T @key(fields: "id") { id: ID! name: String @external }'
    )
    assert_fails_like_apollo([("a", a), ("b", b)], "INVALID_FIELD_SHARING", '"T.name"')
    shared = a.replace("name: String }", "name: String @shareable }").replace(
        '"@key"', '"@key", "@shareable"'
    )
    result = assert_composes_like_apollo([("a", shared), ("b", b)])
    assert result.supergraph().field("T", "name").subgraphs["b"].provides is None
    assert result.supergraph().field("Query", "u").subgraphs["b"].provides == "name"
