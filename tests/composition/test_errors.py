"""Error reporting: codes, locations (subgraphs, type, field), all errors at once, invalid input."""

from __future__ import annotations

from gateway.composition import CompositionError, SubgraphSource, compose

from .support import Oracle, assert_fails_like_oracle, compose_sdls, fed2


def test_syntax_error_is_invalid_graphql(oracle: Oracle) -> None:
    result = assert_fails_like_oracle(
        [("a", "type Query { a: Int ")], oracle, "INVALID_GRAPHQL", "Syntax Error"
    )
    assert result.errors[0].subgraphs == ("a",)
    assert "line 1" in result.errors[0].message


def test_unknown_type_is_invalid_graphql(oracle: Oracle) -> None:
    assert_fails_like_oracle(
        [("a", fed2() + "type Query { a: Missing }")], oracle, "INVALID_GRAPHQL", "Missing"
    )


def test_field_type_mismatch(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { x: Int }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { x: String }"
    result = assert_fails_like_oracle(
        [("a", a), ("b", b)],
        oracle,
        "FIELD_TYPE_MISMATCH",
        '"V.x"',
        '"Int" in subgraph "a"',
        '"String" in subgraph "b"',
    )
    error = result.errors[0]
    assert (error.type_name, error.field_name, error.subgraphs) == ("V", "x", ("a", "b"))


def test_list_shape_mismatch(oracle: Oracle) -> None:
    a = fed2("shareable") + "type Query { a: V } type V @shareable { x: [Int] }"
    b = fed2("shareable") + "type Query { b: V } type V @shareable { x: Int }"
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "FIELD_TYPE_MISMATCH", '"V.x"')


def test_type_kind_mismatch(oracle: Oracle) -> None:
    a = fed2() + "type Query { t: T } type T { id: ID! }"
    b = fed2() + "interface T { id: ID! } type Query { u: T }"
    assert_fails_like_oracle(
        [("a", a), ("b", b)], oracle, "TYPE_KIND_MISMATCH", '"T"', "Object Type", "Interface Type"
    )


def test_errors_from_several_subgraphs_are_all_reported() -> None:
    result = compose_sdls([("a", "type Query { a: Int "), ("b", fed2() + "type Query { b: Nope }")])
    assert [e.subgraphs for e in result.errors] == [("a",), ("b",)]


def test_duplicate_and_invalid_subgraph_names() -> None:
    sdl = fed2() + "type Query { a: Int }"
    result = compose([SubgraphSource("a", "http://a", sdl), SubgraphSource("a", "http://b", sdl)])
    assert [e.code for e in result.errors] == ["INVALID_SUBGRAPH_NAME"]
    assert compose([SubgraphSource("_x", "http://a", sdl)]).errors[0].code == "INVALID_SUBGRAPH_NAME"


def test_no_queries() -> None:
    result = compose_sdls([("a", fed2("key") + 'type T @key(fields: "id") { id: ID! }')])
    assert [e.code for e in result.errors] == ["NO_QUERIES"]


def test_errors_are_values_with_a_readable_form() -> None:
    error = CompositionError.of("FIELD_TYPE_MISMATCH", "Type of field ...", ["a", "b"], "V", "x")
    assert str(error) == "[FIELD_TYPE_MISMATCH] Type of field ..."
    assert error.subgraphs == ("a", "b")
    result = compose_sdls([("a", "type Query { a: Int ")])
    assert result.supergraph_sdl is None and not result.ok
