"""Shared pieces for executor tests: a small API schema, a Supergraph around it, and a scripted client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import build_schema, parse

from gateway.composition.supergraph import Subgraph, Supergraph
from gateway.execution import SubgraphFetchError, SubgraphRequest, SubgraphResponse
from gateway.planning.plan import (
    EntityKey,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    PlanNode,
    QueryPlan,
)

API_SDL = """
type Query {
  topProducts(first: Int): [Product!]!
  product(upc: String!): Product
  me: User
  search(text: String): [SearchResult!]!
  node(id: ID!): Node
  featured: Product!
}

type Mutation {
  addReview(upc: String!, body: String!): Review
}

interface Node { id: ID! }

type Product implements Node {
  id: ID!
  upc: String!
  name: String
  price: Int!
  weight: Int
  inStock: Boolean
  shippingEstimate: Int
  color: Color
  reviews: [Review!]
  dimensions: Dimensions
}

type Dimensions { width: Int! height: Int }

type Review implements Node {
  id: ID!
  body: String!
  author: User!
  product: Product
}

type User implements Node {
  id: ID!
  username: String
  reviews: [Review!]!
}

union SearchResult = Product | User

enum Color { RED GREEN }
"""

SCHEMA = build_schema(API_SDL)


def make_supergraph() -> Supergraph:
    """A Supergraph whose api_schema is ``API_SDL`` (the join facts are not needed by the executor)."""
    subgraphs = {
        name: Subgraph(name=name, url=f"http://{name}/graphql", enum_value=name.upper())
        for name in ("products", "reviews", "inventory", "accounts")
    }
    return Supergraph(
        subgraphs=subgraphs, types={}, schema=SCHEMA, api_schema=SCHEMA, root_types={"query": "Query"}
    )


Handler = Callable[[SubgraphRequest], Awaitable[dict[str, Any]] | dict[str, Any]]


@dataclass
class ScriptedClient:
    """A ``SubgraphClient`` answering from per-subgraph handlers and recording every request."""

    handlers: dict[str, Handler]
    requests: list[tuple[str, SubgraphRequest]] = field(default_factory=list)

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        self.requests.append((subgraph, request))
        handler = self.handlers[subgraph]
        result = handler(request)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, SubgraphFetchError):
            raise result
        assert isinstance(result, dict)
        return SubgraphResponse(data=result.get("data"), errors=result.get("errors"))

    def sent_to(self, subgraph: str) -> list[SubgraphRequest]:
        return [r for s, r in self.requests if s == subgraph]


def plan(query: str, node: PlanNode | None, operation_name: str | None = None) -> QueryPlan:
    return QueryPlan(node=node, document=parse(query), operation_name=operation_name)


def entity_fetch(
    service: str,
    path: tuple[str, ...],
    type_name: str,
    key_fields: tuple[str, ...],
    selection: str,
    *,
    variable_usages: tuple[str, ...] = (),
    variable_defs: str = "",
) -> FlattenNode:
    """A ``Flatten`` over an ``_entities`` fetch for one type keyed by flat fields (the target's only key)."""
    operation = (
        f"query($representations: [_Any!]!{variable_defs}) {{ _entities(representations: $representations) "
        f"{{ ... on {type_name} {{ {selection} }} }} }}"
    )
    requires = (
        InlineFragmentSelection(
            type_name, (FieldSelection("__typename"), *(FieldSelection(k) for k in key_fields))
        ),
    )
    return FlattenNode(
        path=path,
        node=FetchNode(
            service,
            operation,
            variable_usages=variable_usages,
            requires=requires,
            entity_keys=(EntityKey(type_name, tuple(FieldSelection(k) for k in key_fields)),),
        ),
    )
