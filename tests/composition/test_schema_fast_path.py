"""Subgraphs read without a GraphQLSchema read exactly as with one: validity claimed only where graphql-core's
schema validation finds nothing, the same errors, the same types and fields for field sets, the same supergraph."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_ast_schema, parse, validate_schema

from bench.compose_bench import generate
from gateway.composition import SubgraphSource, compose
from gateway.composition import subgraph as subgraph_module
from gateway.composition import validate as validate_module
from gateway.composition.schema_shape import SchemaShape
from gateway.composition.schema_validity import schema_surely_valid
from gateway.composition.sdl_validity import sdl_surely_valid
from gateway.composition.subgraph import read_subgraph

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for d in ("tests", "schema", "bench")
    for p in (ROOT / d).rglob("*.graphql")
    if "node_modules" not in p.parts
)

VALID = """
type Query { a(x: Int = 1, y: Float = 2, z: [ID!] = ["a", 3], e: E = RED, s: S = {any: [1]}, n: Int = null): I }
interface I { id: ID! f(a: Int): [String!] }
interface J implements I { id: ID! f(a: Int): [String!] }
type T implements I & J { id: ID! f(a: Int, b: Int = 2, c: String): [String!] other: U }
extend type T { more: E }
type V { v: Int }
union U = T | V
enum E { RED GREEN }
extend enum E { BLUE }
input In { a: Int = 3 b: [In] c: E! = GREEN d: In2 }
input In2 { x: Boolean = true }
scalar S
directive @d(a: In, b: Int = 4) on FIELD_DEFINITION
"""

BROKEN = {
    "mutation root not an object": "enum Mutation { A }",
    "no fields": "extend type V @d2 type Empty",
    "output field of input type": "type X { a: In }",
    "argument of output type": "type X { a(b: V): Int }",
    "interface field missing": "type X implements I { id: ID! }",
    "interface field of another type": "type X implements I { id: ID f(a: Int): [String!] }",
    "interface argument missing": "type X implements I { id: ID! f: [String!] }",
    "interface argument of another type": "type X implements I { id: ID! f(a: Int!): [String!] }",
    "extra required argument": "type X implements I { id: ID! f(a: Int, b: Int!): [String!] }",
    "transitive interface missing": "type X implements J { id: ID! f(a: Int): [String!] }",
    "implements an object": "type X implements V { v: Int }",
    "union of an interface": "union U2 = V | I",
    "union member twice": "union U2 = V | V",
    "empty enum": "enum Empty",
    "empty input": "input Empty",
    "required input cycle": "input C1 { c: C2! } input C2 { c: C1! }",
    "Int default out of range": "type X { a(b: Int = 3000000000): Int }",
    "String default of an Int": 'type X { a(b: Int = "1"): Int }',
    "null default of a non-null": "type X { a(b: Int! = null): Int }",
    "unknown enum default": "type X { a(b: E = PINK): Int }",
    "list default item": 'type X { a(b: [Int] = [1, "x"]): Int }',
    "input field default": 'input X { a: Boolean = "yes" }',
    "directive argument default": 'directive @d3(a: Int = "x") on FIELD_DEFINITION',
    "reserved type name": "type __X { a: Int }",
    "reserved field name": "type X { __a: Int }",
    "deprecated required argument": "type X { a(b: Int! @deprecated): Int }",
    "deprecated implementation": "type X implements I { id: ID! @deprecated f(a: Int): [String!] }",
}
DIRECTIVE = "directive @d2 on OBJECT\n"


def _graphql_core_errors(sdl: str) -> list[str]:
    return [e.message for e in validate_schema(build_ast_schema(parse(sdl), assume_valid_sdl=True))]


def test_valid_document_is_surely_valid() -> None:
    document = parse(VALID, no_location=True)
    assert sdl_surely_valid(document)
    assert _graphql_core_errors(VALID) == []
    assert schema_surely_valid(document)


@pytest.mark.parametrize("rule", BROKEN)
def test_any_broken_rule_defers_to_graphql_core(rule: str) -> None:
    sdl = VALID + DIRECTIVE + BROKEN[rule]
    document = parse(sdl, no_location=True)
    assert sdl_surely_valid(document), "the case must break a schema rule, not an SDL rule"
    assert _graphql_core_errors(sdl) != []
    assert not schema_surely_valid(document)


def test_missing_query_root_counts_only_when_required() -> None:
    document = parse("type T { a: Int }", no_location=True)
    assert schema_surely_valid(document, require_query=False)
    assert not schema_surely_valid(document)


def test_shape_of_document_is_shape_of_schema() -> None:
    document = parse(VALID, no_location=True)
    assert SchemaShape.of_document(document) == SchemaShape.of_schema(build_ast_schema(document))


def _read_both_ways(
    monkeypatch: pytest.MonkeyPatch, name: str, sdl: str
) -> tuple[tuple[object, ...], tuple[object, ...]]:
    def summary() -> tuple[object, ...]:
        schema, errors = read_subgraph(name, "http://x", sdl)
        if schema is None:
            return (None, [str(e) for e in errors])
        return (schema.types, schema.shape, [str(e) for e in errors])

    fast = summary()
    with monkeypatch.context() as m:
        m.setattr(subgraph_module, "schema_surely_valid", lambda *_, **__: False)
        slow = summary()
    return fast, slow


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sdl_file_reads_as_with_graphql_core(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    fast, slow = _read_both_ways(monkeypatch, path.stem, path.read_text())
    assert fast == slow


FED2 = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'


@pytest.mark.parametrize("rule", BROKEN)
def test_invalid_subgraph_errors_are_graphql_cores(monkeypatch: pytest.MonkeyPatch, rule: str) -> None:
    fast, slow = _read_both_ways(monkeypatch, "broken", FED2 + VALID + DIRECTIVE + BROKEN[rule])
    assert fast == slow
    assert fast[0] is None, "graphql-core's schema errors reach the subgraph's errors"


def _compose_both_ways(
    monkeypatch: pytest.MonkeyPatch, sources: list[SubgraphSource]
) -> tuple[tuple[object, ...], tuple[object, ...]]:
    fast = compose(sources)
    with monkeypatch.context() as m:
        m.setattr(subgraph_module, "schema_surely_valid", lambda *_, **__: False)
        m.setattr(validate_module, "schema_surely_valid", lambda *_, **__: False)
        slow = compose(sources)
    return (
        (fast.supergraph_sdl, fast.api_schema_sdl, [str(e) for e in fast.errors]),
        (slow.supergraph_sdl, slow.api_schema_sdl, [str(e) for e in slow.errors]),
    )


def test_composition_is_the_same_without_graphql_core_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _compose_both_ways(monkeypatch, generate(6, 60))
    assert fast == slow
    assert fast[0] is not None


def test_field_set_errors_are_the_same_without_graphql_core_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    head = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@requires", "@external", "@provides"])\n'
    sources = [
        SubgraphSource(
            "a",
            "http://a",
            head
            + 'type Query { t: T @provides(fields: "nope") u: U }\n'
            + 'type T @key(fields: "id other { x } list(a: 1)") { id: ID! other: O list(b: Int): [Int] }\n'
            + 'type O { x: Int } union U = O\ntype W @key(fields: "u { ... on O { x } }") { u: U }',
        ),
        SubgraphSource(
            "b",
            "http://b",
            head
            + 'type T @key(fields: "id") { id: ID! price: Int @external tax: Int @requires(fields: "price { x }") }',
        ),
    ]
    fast, slow = _compose_both_ways(monkeypatch, sources)
    assert fast == slow
    assert fast[2], "the field sets above are invalid"
