"""Shared test doubles for the server tests: a tiny supergraph, a recording planner and executors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, ExecutionResult, execute

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.planning.plan import FetchNode, QueryPlan

SUPERGRAPH_SDL = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)
{
  query: Query
  mutation: Mutation
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String,
  external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }

enum join__Graph {
  PRODUCTS @join__graph(name: "products", url: "http://products.test/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews.test/graphql")
}

type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  hello: String @join__field(graph: PRODUCTS)
  product(id: ID!): Product @join__field(graph: PRODUCTS)
  topProducts(first: Int = 5): [Product!]! @join__field(graph: PRODUCTS)
}

type Mutation @join__type(graph: PRODUCTS) {
  setHello(value: String!): String @join__field(graph: PRODUCTS)
}

type Product @join__type(graph: PRODUCTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String @join__field(graph: PRODUCTS)
  rating: Int
    @join__field(graph: PRODUCTS, overrideLabel: "percent(25)")
    @join__field(graph: REVIEWS, override: "products", overrideLabel: "percent(25)")
  stock: Int
    @join__field(graph: PRODUCTS, overrideLabel: "new-stock")
    @join__field(graph: REVIEWS, override: "products", overrideLabel: "new-stock")
}
"""


def tiny_supergraph(url_products: str | None = None, url_reviews: str | None = None) -> Supergraph:
    sdl = SUPERGRAPH_SDL
    if url_products:
        sdl = sdl.replace("http://products.test/graphql", url_products)
    if url_reviews:
        sdl = sdl.replace("http://reviews.test/graphql", url_reviews)
    return read_supergraph(sdl)


@dataclass
class PlannerCall:
    document: DocumentNode
    operation_name: str | None
    override_labels: frozenset[str]


@dataclass
class RecordingPlanner:
    """Plans every operation as one fetch to ``products`` and records each call."""

    calls: list[PlannerCall] = field(default_factory=list)

    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: frozenset[str],
    ) -> QueryPlan:
        self.calls.append(PlannerCall(document, operation_name, override_labels))
        label = ",".join(sorted(override_labels))
        fetch = FetchNode("products", f"# labels: {label}\n{{ hello }}")
        return QueryPlan(fetch, document=document, operation_name=operation_name)


@dataclass
class ExecutorCall:
    plan: QueryPlan
    variables: dict[str, Any]
    request_headers: Mapping[str, str] | None


@dataclass
class RecordingExecutor:
    """Returns a fixed response and records each call."""

    response: dict[str, Any] = field(default_factory=lambda: {"data": {"hello": "world"}})
    calls: list[ExecutorCall] = field(default_factory=list)

    async def execute(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        self.calls.append(ExecutorCall(plan, variables, request_headers))
        return dict(self.response)


class SchemaExecutor:
    """An in-process stand-in for the federated executor: runs the client operation on the API schema.

    Root fields resolve from ``root`` (``hello`` and friends), so the HTTP layer sees real data, errors and
    introspection without subgraphs.
    """

    def __init__(self, supergraph: Supergraph, root: dict[str, Any] | None = None) -> None:
        self.supergraph = supergraph
        self.root = root or {"hello": "world", "setHello": lambda info, value: value}

    async def execute(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        result = execute(
            self.supergraph.api_schema,
            plan.document,
            root_value=self.root,
            variable_values=variables,
            operation_name=plan.operation_name,
        )
        assert isinstance(result, ExecutionResult)
        return result.formatted
