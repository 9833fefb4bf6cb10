"""The fast SDL paths read documents exactly as graphql-core does: the same AST, the same errors, and validity
claimed only where graphql-core's SDL validation finds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, parse
from graphql.validation.validate import validate_sdl

from gateway.composition.parse_sdl import parse_sdl
from gateway.composition.sdl_validity import sdl_surely_valid

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for d in ("tests", "schema", "bench")
    for p in (ROOT / d).rglob("*.graphql")
    if "node_modules" not in p.parts
)

TRICKY = [
    '"""A block\n   description, \\""" quoted\n\n  indented"""\ntype Query { a: Int }',
    '"plain \\"escaped\\" \\u00e9 \\u{1F600} \\n" scalar S @specifiedBy(url: "x")',
    "# a comment\ntype Query,{,a(x:Int=-1,y:Float=1.5e-3,z:[Int!]=[1,2],w:I={a:{b:[]}}):[String!]!}",
    'input I { a: I2 = {} } input I2 { b: Boolean = true c: String = null d: E = RED }\nenum E { RED "g" GREEN }',
    "union U = | A | B\ntype A { a: Int } type B { b: Int }\nextend union U @d",
    "directive @d(a: Int = 0) repeatable on UNION | OBJECT\ndirective @e on | FIELD_DEFINITION",
    "schema @d { query: Q mutation: M } extend schema @d { subscription: S }",
    "interface I implements J & K { a: Int } type T implements & I { a: Int } extend interface I @d",
    "extend type T implements I extend enum E { X } extend input I { z: Int } extend scalar S @d",
    '"""""" type Empty { """\r\n windows\r\n lines """ a: Int }',
    "type T { type: Int input: String enum: ID on: Int extend: Int implements(x: Int): Int }",
    "\ufefftype Query { a: Int }\r\n",
    "type Query { a: Int } query { a }",
    "extend directive @d @e",
]

INVALID = [
    "type Query {",
    "type Query { }",
    "type T { a(x: Int = $v): Int }",
    'type T { a: Int } "dangling"',
    "enum E { true }",
    "type T { a: Int = 1 }",
    "directive @d on NOWHERE",
    "extend type T",
    'scalar S @d(a: "unterminated)',
    'type T { a: Int @d(a: "\\x") }',
    "type T { a: [Int }",
    "type T { a: Int @d(a: 0123) }",
    "type T { a: Int @d(a: 1.) }",
    "type T { a: Int @d(a: .5) }",
    "type T { a: Int @d(a: 1e) }",
    "type T { a: Int @d(a: -x) }",
    "type T { a: Int @d(a: 'x') }",
    "type T { a: Int } ~",
    "schema @d",
    'type T { a: Int @d(a: """unterminated) }',
]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_parses_every_sdl_file_as_graphql_core(path: Path) -> None:
    text = path.read_text()
    try:
        expected = parse(text, no_location=True)
    except GraphQLSyntaxError:
        with pytest.raises(GraphQLSyntaxError):
            parse_sdl(text)
        return
    assert parse_sdl(text) == expected


@pytest.mark.parametrize("sdl", TRICKY)
def test_parses_tricky_documents_as_graphql_core(sdl: str) -> None:
    assert parse_sdl(sdl) == parse(sdl, no_location=True)


@pytest.mark.parametrize("sdl", INVALID)
def test_syntax_errors_are_graphql_cores(sdl: str) -> None:
    with pytest.raises(GraphQLSyntaxError) as expected:
        parse(sdl, no_location=True)
    with pytest.raises(GraphQLSyntaxError) as got:
        parse_sdl(sdl)
    assert got.value.message == expected.value.message
    assert got.value.locations == expected.value.locations


VALID = """
schema { query: Query }
directive @d(a: Int, b: String! = "x", c: [I!]) repeatable on OBJECT | FIELD_DEFINITION | SCHEMA
directive @once(r: Int!) on FIELD_DEFINITION | ARGUMENT_DEFINITION | ENUM_VALUE | INPUT_FIELD_DEFINITION
type Query @d @d(c: [{x: 1}]) { a(x: Int @once(r: 1)): T @deprecated(reason: "no") b: U }
interface Node { id: ID! }
type T implements Node @d { id: ID! e: E @once(r: 2) }
extend type T { f: Float }
union U = T
enum E { A @once(r: 3) B @deprecated }
input I { x: Int @once(r: 4) y: I }
scalar S @specifiedBy(url: "https://example.com")
"""

BROKEN = {
    "LoneSchemaDefinition": "schema { query: Query } schema { query: Query }",
    "UniqueOperationTypes": "schema { query: Query } extend schema { query: Query }",
    "UniqueTypeNames": "type Query { a: Int } type Query { b: Int }",
    "UniqueEnumValueNames": "extend enum E { A }",
    "UniqueFieldDefinitionNames": "extend type T { e: Int }",
    "UniqueArgumentDefinitionNames": "type X { a(x: Int, x: Int): Int }",
    "UniqueDirectiveNames": "directive @d on OBJECT",
    "KnownTypeNames": "type X { a: Missing }",
    "KnownTypeNames in arguments": "type X { a(x: Missing): Int }",
    "KnownTypeNames in interfaces": "type X implements Missing { a: Int }",
    "KnownDirectives": "type X @missing { a: Int }",
    "KnownDirectives location": 'type X { a: Int @specifiedBy(url: "x") }',
    "UniqueDirectivesPerLocation": "type X { a: Int @once(r: 1) @once(r: 2) }",
    "UniqueDirectivesPerLocation across extensions": "directive @o on OBJECT type X @o { a: Int } extend type X @o",
    "PossibleTypeExtensions": "extend type Missing { a: Int }",
    "PossibleTypeExtensions kind": "extend union T = T",
    "KnownArgumentNamesOnDirectives": "type X { a: Int @once(r: 1, z: 2) }",
    "UniqueArgumentNames": "type X { a: Int @once(r: 1, r: 2) }",
    "UniqueInputFieldNames": "type X { a(x: I = {x: 1, x: 2}): Int }",
    "ProvidedRequiredArgumentsOnDirectives": "type X { a: Int @once }",
    "specified directive redefined": "directive @deprecated on FIELD_DEFINITION",
}


def test_valid_document_is_surely_valid() -> None:
    document = parse(VALID, no_location=True)
    assert validate_sdl(document) == []
    assert sdl_surely_valid(document)


@pytest.mark.parametrize("rule", BROKEN)
def test_any_broken_rule_defers_to_graphql_core(rule: str) -> None:
    document = parse(VALID + BROKEN[rule], no_location=True)
    assert not sdl_surely_valid(document)
    if rule != "specified directive redefined":
        assert validate_sdl(document) != []


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_surely_valid_files_have_no_sdl_errors(path: Path) -> None:
    try:
        document = parse(path.read_text(), no_location=True)
    except GraphQLSyntaxError:
        return
    if sdl_surely_valid(document):
        assert validate_sdl(document) == []
