"""@interfaceObject and entity interfaces (@key on an interface, Federation 2.3)."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2

MEDIA = fed2("key") + (
    'type Query { media: [Media] } interface Media @key(fields: "id") { id: ID! title: String } '
    'type Book implements Media @key(fields: "id") { id: ID! title: String pages: Int } '
    'type Movie implements Media @key(fields: "id") { id: ID! title: String }'
)
REVIEWS = fed2("key", "interfaceObject") + (
    'type Media @key(fields: "id") @interfaceObject { id: ID! reviews: [String!] }'
)


def test_interface_object_adds_fields_to_every_implementation(oracle: Oracle) -> None:
    result = assert_composes_like_oracle([("media", MEDIA), ("reviews", REVIEWS)], oracle)
    sdl = result.supergraph_sdl or ""
    assert '@join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)' in sdl
    model = result.supergraph()
    media = model.type("Media")
    assert media.subgraphs["reviews"].is_interface_object
    assert model.field("Media", "reviews").resolvable_in() == ["reviews"]
    assert "reviews" in model.type("Book").fields
    assert "reviews" in model.api_schema.type_map["Movie"].fields  # type: ignore[union-attr]


def test_interface_object_everywhere_is_an_error(oracle: Oracle) -> None:
    a = (
        fed2("key", "interfaceObject")
        + 'type Query { m: Media } type Media @key(fields: "id") @interfaceObject { id: ID! }'
    )
    assert_fails_like_oracle(
        [("a", a), ("reviews", REVIEWS)], oracle, "INTERFACE_OBJECT_USAGE_ERROR", '"Media"'
    )


def test_interface_object_needs_an_entity_interface() -> None:
    # Stricter than the reference composer (which accepts it): without a @key on the interface, no subgraph
    # can turn an interface-object reference into a concrete type, so the jump could never be planned.
    a = (
        fed2("key")
        + 'type Query { m: Media } interface Media { id: ID! } type Book implements Media @key(fields: "id") { id: ID! }'
    )
    assert_fails_like_oracle(
        [("a", a), ("reviews", REVIEWS)], None, "INTERFACE_OBJECT_USAGE_ERROR", '"Media"'
    )


def test_plain_interfaces_merge_their_implementations(oracle: Oracle) -> None:
    a = fed2("key") + (
        'type Query { n: [Node] } interface Node { id: ID! } type A implements Node @key(fields: "id") { id: ID! a: Int }'
    )
    b = fed2("key") + (
        'interface Node { id: ID! } type B implements Node @key(fields: "id") { id: ID! } '
        'type A implements Node @key(fields: "id") { id: ID! extra: Int } type Query { b: B }'
    )
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert '@join__implements(graph: B, interface: "Node")' in (result.supergraph_sdl or "")
    assert result.supergraph().type("A").implements["Node"] == {"a", "b"}


def test_interface_object_that_cannot_reach_the_interface(oracle: Oracle) -> None:
    media = MEDIA.replace(
        'interface Media @key(fields: "id")', 'interface Media @key(fields: "id", resolvable: false)'
    )
    reviews = REVIEWS + " type Query { top: Media }"
    assert_fails_like_oracle(
        [("media", media), ("reviews", reviews)], oracle, "SATISFIABILITY_ERROR", "{ top {"
    )


def test_interface_object_entry_point_reaches_interface_fields(oracle: Oracle) -> None:
    reviews = REVIEWS + " type Query { top: Media }"
    assert_composes_like_oracle([("media", MEDIA), ("reviews", reviews)], oracle)
