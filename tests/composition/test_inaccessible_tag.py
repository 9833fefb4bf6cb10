"""@inaccessible and @tag: kept in the supergraph with their @link, removed from the API schema."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2

SDL = fed2("key", "inaccessible", "tag") + (
    'type Query { t: T @tag(name: "public") hidden: Hidden @inaccessible e(x: E, y: Int @inaccessible): E } '
    'type T @key(fields: "id") { id: ID! secret: String @inaccessible } '
    "type Hidden @inaccessible { x: Int } enum E { A B @inaccessible }"
)


def test_inaccessible_elements_leave_the_api_schema(oracle: Oracle) -> None:
    result = assert_composes_like_oracle([("a", SDL)], oracle)
    sdl = result.supergraph_sdl or ""
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in sdl
    assert "secret: String @inaccessible" in sdl
    assert 't: T @tag(name: "public")' in sdl
    api = result.supergraph().api_schema
    assert "Hidden" not in api.type_map
    assert "secret" not in api.type_map["T"].fields  # type: ignore[union-attr]


def test_inaccessible_merges_from_any_subgraph(oracle: Oracle) -> None:
    a = (
        fed2("shareable", "inaccessible")
        + "type Query { a: V } type V @shareable { x: Int y: Int @inaccessible }"
    )
    b = fed2("shareable") + "type Query { b: V } type V @shareable { x: Int y: Int }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert "y" not in result.supergraph().api_schema.type_map["V"].fields  # type: ignore[union-attr]


def test_referenced_inaccessible_type(oracle: Oracle) -> None:
    a = fed2("inaccessible") + "type Query { h: Hidden } type Hidden @inaccessible { x: Int }"
    assert_fails_like_oracle([("a", a)], oracle, "REFERENCED_INACCESSIBLE", '"Hidden"', '"Query.h"')


def test_only_inaccessible_children(oracle: Oracle) -> None:
    a = fed2("inaccessible") + "type Query { a: Int v: V } type V { x: Int @inaccessible }"
    assert_fails_like_oracle([("a", a)], oracle, "ONLY_INACCESSIBLE_CHILDREN", '"V"')


def test_required_argument_inaccessible(oracle: Oracle) -> None:
    a = fed2("inaccessible") + "type Query { a(x: Int! @inaccessible): Int }"
    assert_fails_like_oracle([("a", a)], oracle, "REQUIRED_INACCESSIBLE", "Query.a(x:)")
