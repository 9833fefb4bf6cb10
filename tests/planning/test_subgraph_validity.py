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
    GraphQLSchema,
    build_ast_schema,
    parse,
    validate,
)

from .reference_queries import select_everything_queries
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


@pytest.mark.parametrize("composer", ["apollo", "guild"])
@pytest.mark.parametrize("fixture_name", ["shop", "abstract", "fed1"])
def test_selecting_everything_from_every_root_field(fixture_name: str, composer: str) -> None:
    sg = fixture(f"{fixture_name}.{composer}")
    queries = select_everything_queries(sg.api_schema)
    assert len(queries) >= 9
    for query in queries:
        for fetch in _fetches(plan_json(sg, query)):
            schema = subgraph_schema(fixture_name, fetch["serviceName"])
            errors = validate(schema, parse(fetch["operation"]))
            assert not errors, (query, fetch["serviceName"], fetch["operation"], errors)
