"""@override: moving a field between subgraphs, progressive override labels, and the override errors."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2

A = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }'


def test_override_moves_the_field(oracle: Oracle) -> None:
    b = fed2("key", "override") + 'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }'
    result = assert_composes_like_oracle([("a", A), ("b", b)], oracle)
    assert 'x: Int @join__field(graph: B, override: "a")' in (result.supergraph_sdl or "")
    model = result.supergraph()
    assert model.field("T", "x").resolvable_in() == ["b"]
    assert model.field("T", "x").subgraphs["b"].override == "a"


def test_overridden_field_still_used_by_a_key_is_used_overridden(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id x") { id: ID! x: Int }'
    b = fed2("key", "override") + 'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }'
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert "@join__field(graph: A, usedOverridden: true)" in (result.supergraph_sdl or "")
    assert result.supergraph().field("T", "x").subgraphs["a"].used_overridden


def test_progressive_override_with_label(oracle: Oracle) -> None:
    a = fed2("key", version="2.7") + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }'
    b = fed2("key", "override", version="2.7") + (
        'type T @key(fields: "id") { id: ID! x: Int @override(from: "a", label: "percent(25)") }'
    )
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    sdl = result.supergraph_sdl or ""
    assert "https://specs.apollo.dev/join/v0.4" in sdl
    assert '@join__field(graph: B, override: "a", overrideLabel: "percent(25)")' in sdl
    assert '@join__field(graph: A, overrideLabel: "percent(25)")' in sdl
    field = result.supergraph().field("T", "x")
    assert field.subgraphs["b"].override_label == "percent(25)"
    assert sorted(field.resolvable_in()) == ["a", "b"]


def test_override_from_self(oracle: Oracle) -> None:
    a = (
        fed2("key", "override")
        + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }'
    )
    assert_fails_like_oracle([("a", a)], oracle, "OVERRIDE_FROM_SELF_ERROR", '"T.x"')


def test_override_of_an_overriding_field(oracle: Oracle) -> None:
    a = (
        fed2("key", "override")
        + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int @override(from: "b") }'
    )
    b = fed2("key", "override") + 'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }'
    assert_fails_like_oracle([("a", a), ("b", b)], oracle, "OVERRIDE_SOURCE_HAS_OVERRIDE", '"T.x"')


def test_override_with_external(oracle: Oracle) -> None:
    b = fed2("key", "override", "external", "requires") + (
        'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") @external y: Int @requires(fields: "x") }'
    )
    assert_fails_like_oracle(
        [("a", A), ("b", b)], oracle, "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE", '"T.x"'
    )


def test_invalid_override_label(oracle: Oracle) -> None:
    b = fed2("key", "override", version="2.7") + (
        'type T @key(fields: "id") { id: ID! x: Int @override(from: "a", label: "percent(250)") }'
    )
    assert_fails_like_oracle([("a", A), ("b", b)], oracle, "OVERRIDE_LABEL_INVALID", "percent(250)")
