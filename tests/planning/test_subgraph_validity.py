"""Every fetch the planner emits is a valid operation for its subgraph's own schema.

The subgraph schemas are built from the same SDL files the fixture supergraphs were composed from, with the
federation additions a subgraph serves (``_Any``, ``_Entity``, ``Query._entities``; Apollo Federation subgraph spec).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_ast_schema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
    validate,
)

from .supergraphs import fixture, plan_json

SUBGRAPHS = Path(__file__).resolve().parent / "fixtures_tool" / "subgraphs"

FEDERATION_DEFINITIONS = """
scalar _Any
scalar FieldSet
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @shareable repeatable on FIELD_DEFINITION | OBJECT
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
directive @interfaceObject on OBJECT
"""


@cache
def subgraph_schema(fixture_name: str, subgraph: str) -> GraphQLSchema:
    sdl = (SUBGRAPHS / fixture_name / f"{subgraph}.graphql").read_text()
    sdl = re.sub(r"extend schema\s*@link\([^)]*\)", "", sdl, flags=re.S)
    for name in re.findall(r"extend type (\w+)", sdl):
        if not re.search(rf"(^|\n)type {name}\b", sdl):
            sdl = sdl.replace(f"extend type {name}", f"type {name}", 1)
    entities = sorted(set(re.findall(r"(?:type|interface) (\w+)[^{]*@key", sdl)))
    extra = FEDERATION_DEFINITIONS
    if entities:
        extra += f"union _Entity = {' | '.join(e for e in entities if _is_object(sdl, e))}\n"
        extra += "extend type Query { _entities(representations: [_Any!]!): [_Entity]! }\n"
    if not re.search(r"(^|\n)type Query\b", sdl):
        extra += "type Query { _service: String }\n"
    return build_ast_schema(parse(sdl + extra), assume_valid_sdl=True)


def _is_object(sdl: str, name: str) -> bool:
    return re.search(rf"(^|\n)(extend )?type {name}\b", sdl) is not None


def _fetches(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    if node is None:
        return []
    kind = node["kind"]
    if kind == "Fetch":
        return [node]
    if kind in ("QueryPlan",):
        return _fetches(node.get("node"))
    if kind == "Flatten":
        return _fetches(node["node"])
    if kind in ("Sequence", "Parallel"):
        return [f for n in node["nodes"] for f in _fetches(n)]
    return _fetches(node.get("ifClause")) + _fetches(node.get("elseClause"))


CASES = [
    (
        "shop",
        "{ topProducts { name inStock shippingEstimate reviews { body author { name username } } } me { name } }",
    ),
    ("shop", '{ topReviews { product { name price shippingEstimate } author { birthDate(locale: "fr") } } }'),
    ("shop", "{ topProducts { upc: name price: weight shippingEstimate reviews { body } } }"),
    (
        "shop",
        "query($s: Boolean!) { topProducts { reviews @include(if: $s) { author { name } } warehouse { name } } }",
    ),
    (
        "shop",
        'mutation { addProduct(upc: "1", name: "p") { inStock } updateName(id: "1", name: "n") { reviews { id } } }',
    ),
    ("abstract", "{ media { id title ... on Book { rating } ... on Movie { duration rating } } }"),
    ("abstract", "{ feed { ... on Media { id title } ... on Podcast { title } } }"),
    ("abstract", "{ accounts { name balance ... on PersonalAccount { birthday } } }"),
    ("abstract", "{ richestAccount { balance name __typename ... on BusinessAccount { vatNumber } } }"),
    (
        "fed1",
        "{ topReviews { body author { name username reviews { body } } product { name shippingEstimate } } }",
    ),
]


@pytest.mark.parametrize("composer", ["apollo", "guild"])
@pytest.mark.parametrize(("fixture_name", "query"), CASES)
def test_every_fetch_validates_against_its_subgraph(fixture_name: str, query: str, composer: str) -> None:
    sg = fixture(f"{fixture_name}.{composer}")
    plan = plan_json(sg, query)
    fetches = _fetches(plan)
    assert fetches
    for fetch in fetches:
        schema = subgraph_schema(fixture_name, fetch["serviceName"])
        errors = validate(schema, parse(fetch["operation"]))
        assert not errors, (fetch["serviceName"], fetch["operation"], errors)


def _leaf_value(type_name: str, schema: GraphQLSchema) -> str | None:
    literal = {"ID": '"1"', "String": '"s"', "Int": "1", "Boolean": "true", "Float": "1.0"}.get(type_name)
    if literal is None:
        enum = schema.get_type(type_name)
        values = getattr(enum, "values", None)
        return next(iter(values)) if values else None
    return literal


def _arguments(f: Any, schema: GraphQLSchema) -> str | None:
    """Required arguments filled with literals; None when one cannot be (an input object)."""
    parts = []
    for name, arg in f.args.items():
        if is_non_null_type(arg.type) and arg.default_value is Undefined:
            value = _leaf_value(get_named_type(arg.type).name, schema)
            if value is None:
                return None
            parts.append(f"{name}: {value}")
    return f"({', '.join(parts)})" if parts else ""


def _select_everything(t: Any, depth: int, schema: GraphQLSchema) -> str:
    """Every field (and every implementation's fields) down to ``depth`` levels."""
    out = []
    if isinstance(t, GraphQLUnionType):
        for member in t.types:
            inner = _select_everything(member, depth, schema)
            if inner:
                out.append(f"... on {member.name} {{ {inner} }}")
        return " ".join(out) or "__typename"
    for name, f in t.fields.items():
        args = _arguments(f, schema)
        if args is None:
            continue
        named = get_named_type(f.type)
        if is_leaf_type(named):
            out.append(name + args)
        elif depth > 0:
            inner = _select_everything(named, depth - 1, schema)
            if inner:
                out.append(f"{name}{args} {{ {inner} }}")
    if isinstance(t, GraphQLInterfaceType) and depth > 0:
        for impl in schema.get_possible_types(t):
            inner = _select_everything(impl, depth - 1, schema)
            if inner:
                out.append(f"... on {impl.name} {{ {inner} }}")
    return " ".join(out)


@pytest.mark.parametrize("composer", ["apollo", "guild"])
@pytest.mark.parametrize("fixture_name", ["shop", "abstract", "fed1"])
def test_selecting_everything_from_every_root_field(fixture_name: str, composer: str) -> None:
    sg = fixture(f"{fixture_name}.{composer}")
    api = sg.api_schema
    planned = 0
    for kind, root in (("query", api.query_type), ("mutation", api.mutation_type)):
        if root is None:
            continue
        for name, f in root.fields.items():
            args = _arguments(f, api)
            assert args is not None
            named = get_named_type(f.type)
            for depth in (1, 2, 3):
                body = name + args
                if not is_leaf_type(named):
                    body += " { " + _select_everything(named, depth, api) + " }"
                query = f"{kind} {{ {body} }}"
                for fetch in _fetches(plan_json(sg, query)):
                    schema = subgraph_schema(fixture_name, fetch["serviceName"])
                    errors = validate(schema, parse(fetch["operation"]))
                    assert not errors, (query, fetch["serviceName"], fetch["operation"], errors)
                planned += 1
    assert planned >= 9
