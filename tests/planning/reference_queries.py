"""Queries compared with Apollo's query planner (reference_plans.json holds Apollo's sequential depth and fetch
count for each; regenerate with fixtures_tool/reference_plans.mjs, see fixtures_tool/README.md)."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from .supergraphs import fixture

__all__ = ["reference_queries", "select_everything_queries"]

FIXTURES = ["shop.apollo", "abstract.apollo", "fed1.apollo", "fed1.apollo-v1"]

HAND_PICKED = {
    "shop.apollo": [
        "{ topProducts { name inStock shippingEstimate reviews { body author { name username } } } me { name } }",
        "{ topReviews { product { name price shippingEstimate } author { name username } } }",
        "{ topReviews { product { inStock shippingEstimate } } }",
        "{ topProducts { createdBy { username name } warehouse { name } reviewCount } }",
        "{ topReviews { body rating } }",
        "query($s: Boolean!) { topProducts { name reviews @include(if: $s) { body author { name } } } }",
        "{ users { username reviews { product { name inStock } } } }",
        'mutation { a: updateName(id: "1", name: "x") { name reviews { body } } addProduct(upc: "1", name: "p") { name inStock } }',
    ],
    "abstract.apollo": [
        "{ media { id title ... on Book { rating } ... on Movie { duration rating } } }",
        "{ feed { ... on Media { id title } ... on Podcast { title } } }",
        "{ accounts { name balance ... on PersonalAccount { birthday } } }",
        "{ richestAccount { balance name __typename ... on BusinessAccount { vatNumber } } }",
    ],
    "fed1.apollo": [
        "{ topReviews { body author { name username reviews { body } } product { name shippingEstimate } } }",
    ],
}


def _leaf_value(type_name: str, schema: GraphQLSchema) -> str | None:
    literal = {"ID": '"1"', "String": '"s"', "Int": "1", "Boolean": "true", "Float": "1.0"}.get(type_name)
    if literal is None:
        values = getattr(schema.get_type(type_name), "values", None)
        return next(iter(values)) if values else None
    return literal


def _arguments(f: Any, schema: GraphQLSchema) -> str | None:
    parts = []
    for name, arg in f.args.items():
        if is_non_null_type(arg.type) and arg.default_value is Undefined:
            value = _leaf_value(get_named_type(arg.type).name, schema)
            if value is None:
                return None
            parts.append(f"{name}: {value}")
    return f"({', '.join(parts)})" if parts else ""


def _select(t: Any, depth: int, schema: GraphQLSchema) -> str:
    out = []
    if isinstance(t, GraphQLUnionType):
        for member in t.types:
            inner = _select(member, depth, schema)
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
            inner = _select(named, depth - 1, schema)
            if inner:
                out.append(f"{name}{args} {{ {inner} }}")
    if isinstance(t, GraphQLInterfaceType) and depth > 0:
        for impl in schema.get_possible_types(t):
            inner = _select(impl, depth - 1, schema)
            if inner:
                out.append(f"... on {impl.name} {{ {inner} }}")
    return " ".join(out)


def select_everything_queries(schema: GraphQLSchema) -> list[str]:
    """For each root field and depth 1-3: a query selecting every field (and implementation) below it."""
    queries = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, f in root.fields.items():
            args = _arguments(f, schema)
            if args is None:
                continue
            named = get_named_type(f.type)
            for depth in (1, 2, 3):
                body = name + args
                if not is_leaf_type(named):
                    body += " { " + _select(named, depth, schema) + " }"
                queries.append(f"{kind} {{ {body} }}")
    return queries


def reference_queries() -> list[tuple[str, str]]:
    """(fixture name, query) pairs, deduplicated, in a stable order."""
    out: list[tuple[str, str]] = []
    for name in FIXTURES:
        queries = HAND_PICKED.get(name, []) + select_everything_queries(fixture(name).api_schema)
        for q in dict.fromkeys(queries):
            out.append((name, q))
    return out


if __name__ == "__main__":
    # python -m tests.planning.reference_queries: writes the cases fixtures_tool/reference_plans.mjs plans.
    import json
    from pathlib import Path

    target = Path(__file__).resolve().parent / "reference_cases.json"
    cases = [{"fixture": name, "query": query} for name, query in reference_queries()]
    target.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases -> {target}")
