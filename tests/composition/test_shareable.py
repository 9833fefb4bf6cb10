"""@shareable: value types, shared fields, key fields, and the INVALID_FIELD_SHARING error."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, compose_sdls, fed2


def test_shareable_value_type_in_two_subgraphs(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: Money } type Money @shareable { amount: Int! currency: String! }"
    b = fed2("shareable") + "type Query { b: Money } type Money @shareable { amount: Int! currency: String! }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert sorted(result.supergraph().field("Money", "amount").resolvable_in()) == ["a", "b"]


def test_shareable_field_and_key_fields(oracle: Oracle) -> None:
    a = (
        fed2("key", "shareable")
        + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String @shareable }'
    )
    b = fed2("key", "shareable") + 'type T @key(fields: "id") { id: ID! name: String @shareable size: Int }'
    assert_composes_like_oracle([("a", a), ("b", b)], oracle)


def test_non_shareable_field_in_two_subgraphs(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }'
    b = fed2("key") + 'type T @key(fields: "id") { id: ID! x: Int }'
    result = assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "INVALID_FIELD_SHARING", '"T.x"', '"a" and "b"', "@shareable"
    )
    error = next(e for e in result.errors if e.code == "INVALID_FIELD_SHARING")
    assert (error.type_name, error.field_name, error.subgraphs) == ("T", "x", ("a", "b"))


def test_shareable_on_one_side_only(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { x: Int }"
    b = fed2("shareable") + "type Query { b: V } type V { x: Int }"
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "INVALID_FIELD_SHARING", '"V.x"', 'non-shareable in subgraph "b"'
    )


def test_root_fields_are_not_implicitly_shareable(oracle: Oracle) -> None:
    a = fed2() + "type Query { hello: String }"
    b = fed2() + "type Query { hello: String }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "INVALID_FIELD_SHARING", '"Query.hello"')


def test_every_error_is_reported_not_only_the_first() -> None:
    a = fed2() + "type Query { x: Int y: Int }"
    b = fed2() + "type Query { x: Int y: Int }"
    result = compose_sdls([("a", a), ("b", b)])
    assert sorted(e.field_name or "" for e in result.errors) == ["x", "y"]
