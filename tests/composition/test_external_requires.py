"""@external and @requires: computed fields, fields with arguments, and the errors around them."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2

PRODUCTS = (
    fed2("key")
    + 'type Query { top: [Product] } type Product @key(fields: "upc") { upc: ID! weight: Int price(currency: String!): Int }'
)


def test_requires_external_field(oracle: Oracle) -> None:
    shipping = fed2("key", "external", "requires") + (
        'type Product @key(fields: "upc") { upc: ID! weight: Int @external cost: Int @requires(fields: "weight") }'
    )
    result = assert_composes_like_oracle([("products", PRODUCTS), ("shipping", shipping)], oracle)
    sdl = result.supergraph_sdl or ""
    assert 'cost: Int @join__field(graph: SHIPPING, requires: "weight")' in sdl
    assert "@join__field(graph: SHIPPING, external: true)" in sdl
    model = result.supergraph()
    assert model.field("Product", "cost").subgraphs["shipping"].requires == "weight"
    assert model.field("Product", "weight").resolvable_in() == ["products"]


def test_requires_a_field_with_arguments(oracle: Oracle) -> None:
    tax = fed2("key", "external", "requires") + (
        'type Product @key(fields: "upc") { upc: ID! price(currency: String!): Int @external '
        'tax: Int @requires(fields: "price(currency: \\"EUR\\")") }'
    )
    result = assert_composes_like_oracle([("products", PRODUCTS), ("tax", tax)], oracle)
    assert result.supergraph().field("Product", "tax").subgraphs["tax"].requires == 'price(currency: "EUR")'


def test_requires_field_not_external(oracle: Oracle) -> None:
    a = fed2("key", "requires") + (
        'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int s: Int @requires(fields: "w") }'
    )
    assert_fails_like_oracle(
        [("a", a)], oracle, "REQUIRES_FIELDS_MISSING_EXTERNAL", '"T.s"', '"T.w"', "@external"
    )


def test_requires_unknown_field(oracle: Oracle) -> None:
    shipping = fed2("key", "requires") + (
        'type Product @key(fields: "upc") { upc: ID! cost: Int @requires(fields: "volume") }'
    )
    assert_fails_like_oracle(
        [("products", PRODUCTS), ("shipping", shipping)], oracle, "REQUIRES_INVALID_FIELDS", '"volume"'
    )


def test_external_unused(oracle: Oracle) -> None:
    b = (
        fed2("key", "external")
        + 'type Product @key(fields: "upc") { upc: ID! weight: Int @external rank: Int }'
    )
    assert_fails_like_oracle(
        [("products", PRODUCTS), ("b", b)], oracle, "EXTERNAL_UNUSED", '"Product.weight"', "should be removed"
    )


def test_external_missing_on_base(oracle: Oracle) -> None:
    b = fed2("key", "external", "requires") + (
        'type Product @key(fields: "upc") { upc: ID! volume: Int @external cost: Int @requires(fields: "volume") }'
    )
    assert_fails_like_oracle(
        [("products", PRODUCTS), ("b", b)], oracle, "EXTERNAL_MISSING_ON_BASE", '"Product.volume"'
    )


def test_external_type_mismatch(oracle: Oracle) -> None:
    b = fed2("key", "external", "requires") + (
        'type Product @key(fields: "upc") { upc: ID! weight: String @external cost: Int @requires(fields: "weight") }'
    )
    assert_fails_like_oracle(
        [("products", PRODUCTS), ("b", b)], oracle, "EXTERNAL_TYPE_MISMATCH", '"Product.weight"'
    )


def test_external_must_repeat_the_exact_type(oracle: Oracle) -> None:
    # Nullability counts too: both reference composers reject a nullable @external copy of an Int! field.
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int! }'
    b = fed2("key", "external", "requires") + (
        'type T @key(fields: "id") { id: ID! w: Int @external r: Int @requires(fields: "w") }'
    )
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "EXTERNAL_TYPE_MISMATCH", '"T.w"', '"Int!"', '"b"')
