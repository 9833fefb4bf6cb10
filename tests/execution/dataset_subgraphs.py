"""Subgraphs simulated over one in-memory dataset, and the same dataset as a single-schema oracle.

``DatasetSubgraphs`` is a ``SubgraphClient`` that answers every subgraph's operation (root fields and
``_entities``) by executing it with graphql-core against the supergraph schema over a shared dataset of plain
dicts. Executing the client's operation directly against the API schema over the same dataset gives the response
a correct gateway must produce, so planner + executor can be checked against graphql-core on real plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    execute_sync,
    extend_schema,
    parse,
)

from gateway.composition.supergraph import Supergraph
from gateway.execution import SubgraphFetchError, SubgraphRequest, SubgraphResponse

__all__ = ["DatasetSubgraphs", "oracle"]


def _matches(rep_value: Any, value: Any) -> bool:
    if isinstance(rep_value, dict):
        return isinstance(value, dict) and all(
            k == "__typename" or _matches(v, value.get(k)) for k, v in rep_value.items()
        )
    if isinstance(rep_value, list):
        return (
            isinstance(value, list)
            and len(value) == len(rep_value)
            and all(_matches(a, b) for a, b in zip(rep_value, value, strict=True))
        )
    return bool(rep_value == value)


@dataclass
class DatasetSubgraphs:
    """Every subgraph of ``supergraph``, answering from ``root`` (root field values) and ``objects`` (entities)."""

    supergraph: Supergraph
    root: dict[str, Any]
    objects: list[dict[str, Any]]
    down: set[str] = field(default_factory=set)
    requests: list[tuple[str, SubgraphRequest]] = field(default_factory=list)

    def __post_init__(self) -> None:
        schema = self.supergraph.schema
        entities = sorted(
            t.name
            for t in self.supergraph.types.values()
            if t.is_entity() and isinstance(schema.get_type(t.name), GraphQLObjectType)
        )
        query = schema.query_type
        assert query is not None
        sdl = (
            f"scalar _Any\nunion _Entity = {' | '.join(entities)}\n"
            f"extend type {query.name} {{ _entities(representations: [_Any!]!): [_Entity]! }}"
        )
        self.schema: GraphQLSchema = extend_schema(schema, parse(sdl))
        self._root = {**self.root, "_entities": self._entities}
        # A subgraph that sees an interface as an @interfaceObject answers the interface's name as __typename.
        self._typename_views: dict[str, dict[str, str]] = {}
        for t in self.supergraph.types.values():
            interface = schema.get_type(t.name)
            for graph, facts in t.subgraphs.items():
                if facts.is_interface_object and isinstance(interface, GraphQLInterfaceType):
                    view = self._typename_views.setdefault(graph, {})
                    for impl in schema.get_possible_types(interface):
                        view[impl.name] = t.name

    def _entities(self, _info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        return [self._find(rep) for rep in representations]

    def _find(self, rep: dict[str, Any]) -> dict[str, Any] | None:
        wanted = self.schema.get_type(rep["__typename"])
        for obj in self.objects:
            typename = obj["__typename"]
            if typename != rep["__typename"]:
                if not isinstance(wanted, GraphQLInterfaceType | GraphQLUnionType):
                    continue
                obj_type = self.schema.get_type(typename)
                if not isinstance(obj_type, GraphQLObjectType) or not self.schema.is_sub_type(
                    wanted, obj_type
                ):
                    continue
            if _matches(rep, obj):
                return obj
        return None

    def count(self, subgraph: str) -> int:
        return sum(1 for s, _ in self.requests if s == subgraph)

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        self.requests.append((subgraph, request))
        if subgraph in self.down:
            raise SubgraphFetchError(subgraph, "SUBGRAPH_UNREACHABLE", f'Subgraph "{subgraph}" is down')
        result = execute_sync(
            self.schema,
            parse(request.query),
            root_value=self._root,
            variable_values=dict(request.variables or {}),
            operation_name=request.operation_name,
        )
        errors = [dict(e.formatted) for e in result.errors or ()]
        view = self._typename_views.get(subgraph)
        if view and result.data:
            _rename_types(result.data, view)
        return SubgraphResponse(data=result.data, errors=errors or None)


def _rename_types(value: Any, view: dict[str, str]) -> None:
    if isinstance(value, dict):
        if value.get("__typename") in view:
            value["__typename"] = view[value["__typename"]]
        for v in value.values():
            _rename_types(v, view)
    elif isinstance(value, list):
        for v in value:
            _rename_types(v, view)


def oracle(
    schema: GraphQLSchema, root: dict[str, Any], query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The response graphql-core gives for ``query`` over the whole dataset in one schema."""
    result = execute_sync(schema, parse(query), root_value=root, variable_values=variables or {})
    assert not result.errors, result.errors
    return {"data": result.data}
