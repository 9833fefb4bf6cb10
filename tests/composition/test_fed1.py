"""Federation 1 subgraphs (no @link): type extensions, implicit sharing, @external key fields."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, compose_sdls, fed2

USERS = 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }'
REVIEWS = (
    "extend type Query { top: [Review] } type Review { body: String author: User } "
    'extend type User @key(fields: "id") { id: ID! @external reviews: [Review] }'
)


def test_fed1_extensions_compose(oracle: Oracle) -> None:
    result = assert_composes_like_oracle([("users", USERS), ("reviews", REVIEWS)], oracle)
    sdl = result.supergraph_sdl or ""
    # Apollo's upgrader turns a Federation 1 ``extend type`` into a definition: no ``extension: true``.
    assert '@join__type(graph: REVIEWS, key: "id")' in sdl
    model = result.supergraph()
    # The @external on the extension's key field only restated the key: the subgraph resolves it.
    assert not model.field("User", "id").subgraphs["reviews"].external
    assert not model.type("User").subgraphs["reviews"].extension


def test_fed1_fields_are_implicitly_shareable(oracle: Oracle) -> None:
    a = "type Query { a: V } type V { x: Int }"
    b = "type Query { b: V } type V { x: Int }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert sorted(result.supergraph().field("V", "x").resolvable_in()) == ["a", "b"]


def test_fed1_and_fed2_together(oracle: Oracle) -> None:
    products = fed2("key", "shareable") + (
        'type Query { products: [Product] } type Product @key(fields: "upc") { upc: String! name: String }'
    )
    inventory = (
        'extend type Product @key(fields: "upc") { upc: String! @external weight: Int @external '
        'inStock: Boolean shipping: Int @requires(fields: "weight") }'
    )
    products = products.replace("name: String }", "name: String weight: Int }")
    result = assert_composes_like_oracle([("products", products), ("inventory", inventory)], oracle)
    assert result.supergraph().field("Product", "shipping").subgraphs["inventory"].requires == "weight"


def test_fed1_directive_definitions_in_the_sdl_are_accepted(oracle: Oracle) -> None:
    # Some Federation 1 servers print the directive definitions and _FieldSet along with the schema.
    sdl = (
        "scalar _FieldSet directive @key(fields: _FieldSet!) repeatable on OBJECT | INTERFACE "
        "directive @external on FIELD_DEFINITION " + USERS
    )
    assert_composes_like_oracle([("users", sdl), ("reviews", REVIEWS)], oracle)


def test_fed1_subgraph_using_a_fed2_directive_is_told_how_to_fix_it() -> None:
    result = compose_sdls([("a", 'type Query { a: Int @override(from: "b") }')])
    assert result.errors and result.errors[0].code == "INVALID_GRAPHQL"
    assert "federation/v2.3" in result.errors[0].message


def test_fed1_extension_without_key_resolves_the_owner_key_fields(oracle: Oracle) -> None:
    # Apollo's upgrader drops @external from the fields that are keys elsewhere: the extension can hand the
    # entity over to its owner with that key (the unused @external "alt" disappears).
    owner = 'type Query { a: T } type T @key(fields: "id") { id: ID! alt: ID! f: String }'
    extension = "extend type T { id: ID! @external alt: ID! @external } extend type Query { b: T }"
    result = assert_composes_like_oracle([("owner", owner), ("ext", extension)], oracle)
    model = result.supergraph()
    assert sorted(model.field("T", "id").resolvable_in()) == ["ext", "owner"]
    assert "ext" not in model.field("T", "alt").subgraphs
