"""Shared helpers for planning tests: load committed supergraph fixtures and build join-spec SDL by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph

__all__ = ["FIXTURES", "assert_plan", "fixture", "join_v03", "plan_json", "plan_text", "supergraph_from"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "supergraphs"

_JOIN_V03_HEADER = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  %(roots)s
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
"""


def join_v03(graphs: list[str], body: str, roots: str = "query: Query") -> str:
    """A join v0.4 supergraph SDL with the given subgraph names (enum values upper-cased) and type SDL."""
    values = "\n".join(
        f'  {g.upper()} @join__graph(name: "{g}", url: "http://{g}.local/graphql")' for g in graphs
    )
    return _JOIN_V03_HEADER % {"roots": roots} + "enum join__Graph {\n" + values + "\n}\n" + body


@cache
def _read_fixture(name: str) -> str:
    return (FIXTURES / f"{name}.graphql").read_text()


def fixture(name: str) -> Supergraph:
    """A committed fixture supergraph, e.g. ``fixture("shop.apollo")``."""
    return read_supergraph(_read_fixture(name))


def supergraph_from(graphs: list[str], body: str, roots: str = "query: Query") -> Supergraph:
    return read_supergraph(join_v03(graphs, body, roots))


def plan_text(
    sg: Supergraph, query: str, operation_name: str | None = None, labels: frozenset[str] = frozenset()
) -> str:
    """Plan ``query`` and render it (render.py) for a snapshot comparison."""
    from graphql import parse, validate

    from gateway.planning import plan_operation

    from .render import render

    document = parse(query)
    errors = validate(sg.api_schema, document)
    assert not errors, errors
    plan = plan_operation(sg, document, operation_name, override_labels=labels)
    assert_documents_match(plan.node)
    return render(plan.to_json())


def plan_json(
    sg: Supergraph, query: str, operation_name: str | None = None, labels: frozenset[str] = frozenset()
) -> dict[str, object]:
    from graphql import parse, validate

    from gateway.planning import plan_operation

    document = parse(query)
    errors = validate(sg.api_schema, document)
    assert not errors, errors
    plan = plan_operation(sg, document, operation_name, override_labels=labels)
    assert_documents_match(plan.node)
    return plan.to_json()


def assert_documents_match(node: object) -> None:
    """Every fetch carries the operation it sends already parsed: the very AST its text parses to."""
    from graphql import parse

    from gateway.planning.plan import ConditionNode, FetchNode, FlattenNode, ParallelNode, SequenceNode

    if isinstance(node, FetchNode):
        assert node.document == parse(node.operation, no_location=True), node.operation
    elif isinstance(node, FlattenNode):
        assert_documents_match(node.node)
    elif isinstance(node, SequenceNode | ParallelNode):
        for child in node.nodes:
            assert_documents_match(child)
    elif isinstance(node, ConditionNode):
        assert_documents_match(node.if_clause)
        assert_documents_match(node.else_clause)


def assert_plan(
    sg: Supergraph,
    query: str,
    expected: str,
    *,
    depth: int,
    fetches: int,
    operation_name: str | None = None,
    labels: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """Plan ``query``; compare the rendered plan with ``expected`` and check its sequential depth and size."""
    import textwrap

    from .render import fetch_count, render, sequential_fetches

    plan = plan_json(sg, query, operation_name, labels)
    assert render(plan) == textwrap.dedent(expected).strip()
    assert sequential_fetches(plan) == depth
    assert fetch_count(plan) == fetches
    return plan
