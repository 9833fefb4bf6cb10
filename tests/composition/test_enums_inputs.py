"""Enums (output-only: union; input-only: intersection; both: must match), input types, arguments, scalars."""

from __future__ import annotations

from graphql import print_ast

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2


def test_enum_merge_by_usage(oracle: Oracle) -> None:
    a = fed2() + (
        "type Query { a(e: In): Out x(i: Both): Both } enum In { A B } enum Out { A B } enum Both { A B } enum Unused { X }"
    )
    b = (
        fed2()
        + "type Query { b(e: In): Out } enum In { A C } enum Out { A C } enum Both { A B } enum Unused { Y }"
    )
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    api = result.supergraph().api_schema
    assert sorted(api.type_map["In"].values) == ["A"]  # type: ignore[attr-defined]
    assert sorted(api.type_map["Out"].values) == ["A", "B", "C"]  # type: ignore[attr-defined]
    assert sorted(api.type_map["Unused"].values) == ["X", "Y"]  # type: ignore[attr-defined]
    assert "B @join__enumValue(graph: A)" in (result.supergraph_sdl or "")


def test_enum_used_both_ways_must_match(oracle: Oracle) -> None:
    a = fed2() + "type Query { x(i: Both): Both } enum Both { A B }"
    b = fed2() + "type Query { y: Both } enum Both { A C }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "ENUM_VALUE_MISMATCH", '"Both"', '"B"')


def test_input_only_enum_with_no_common_value(oracle: Oracle) -> None:
    a = fed2() + "type Query { x(i: E): Int } enum E { A }"
    b = fed2() + "type Query { y(i: E): Int } enum E { B }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "EMPTY_MERGED_ENUM_TYPE", '"E"')


def test_input_types_intersect(oracle: Oracle) -> None:
    a = fed2() + "type Query { a(i: I): Int } input I { x: Int y: String z: Int = 3 }"
    b = fed2() + "type Query { b(i: I): Int } input I { x: Int! y: String }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    fields = result.supergraph().api_schema.type_map["I"].fields  # type: ignore[attr-defined]
    assert sorted(fields) == ["x", "y"]
    assert str(fields["x"].type) == "Int!"


def test_required_input_field_missing_in_a_subgraph(oracle: Oracle) -> None:
    a = fed2() + "type Query { a(i: I): Int } input I { x: Int! y: String }"
    b = fed2() + "type Query { b(i: I): Int } input I { y: String }"
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH", '"I.x"', '"a"', '"b"'
    )


def test_empty_merged_input_type(oracle: Oracle) -> None:
    a = fed2() + "type Query { a(i: I): Int } input I { x: Int }"
    b = fed2() + "type Query { b(i: I): Int } input I { y: Int }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "EMPTY_MERGED_INPUT_TYPE", '"I"')


def test_arguments_intersect_and_nullability_merges(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { x: Int! y(a: Int, b: String): Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { x: Int y(a: Int!): Int }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    v = result.supergraph().api_schema.type_map["V"]
    assert str(v.fields["x"].type) == "Int"  # type: ignore[attr-defined]
    assert list(v.fields["y"].args) == ["a"]  # type: ignore[attr-defined]
    assert '@join__field(graph: A, type: "Int!")' in (result.supergraph_sdl or "")


def test_required_argument_missing_in_a_subgraph(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { y(a: Int!): Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { y: Int }"
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH", "V.y(a:)"
    )


def test_argument_type_mismatch(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { y(a: Int): Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { y(a: String): Int }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "FIELD_ARGUMENT_TYPE_MISMATCH", "V.y(a:)")


def test_scalars_and_unions_merge(oracle: Oracle) -> None:
    a = fed2("shareable") + (
        'scalar Date @specifiedBy(url: "https://tools.ietf.org/html/rfc3339") '
        "type Query { s: [R] d: Date } union R = A | B type A @shareable { x: Int } type B { y: Int }"
    )
    b = (
        fed2("shareable")
        + "scalar Date type Query { t: [R] } union R = A | C type A @shareable { x: Int } type C { z: Int }"
    )
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert '@join__unionMember(graph: B, member: "C")' in (result.supergraph_sdl or "")
    assert result.supergraph().type("R").union_members["A"] == {"a", "b"}


def test_defaults_only_some_subgraphs_declare_are_dropped(oracle: Oracle) -> None:
    a = fed2() + "type Query { a(i: I): Int } input I { x: Int = 1 y: String }"
    b = fed2() + 'type Query { b(i: I): Int } input I { x: Int = 1 y: String = "s" }'
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    fields = result.supergraph().api_schema.type_map["I"].fields  # type: ignore[attr-defined]
    assert print_ast(fields["x"].default.literal) == "1"  # graphql-core 3.3 keeps defaults as literals
    assert fields["y"].default is None


def test_conflicting_argument_defaults(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { f(x: Int = 1): Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { f(x: Int = 2): Int }"
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "FIELD_ARGUMENT_DEFAULT_MISMATCH", "V.f(x:)", "1", "2"
    )
