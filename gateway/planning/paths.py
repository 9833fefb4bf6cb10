"""Choosing the best way to reach a field the current subgraph cannot resolve (the "best path" stage).

Candidates are key edges into subgraphs that resolve the field, and interface-object edges when only an
``@interfaceObject`` resolves it. They are ranked by extra sequential depth first (a key or ``@requires`` the
current subgraph cannot provide costs another hop), then by fetches (a fetch already planned at this point is
free, and the target that resolves more of the field's sub-selection by itself needs fewer further jumps),
then by subgraph name so plans are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.planning.normalize import NField, NSelection
from gateway.planning.query_graph import (
    FieldSet,
    KeyEdge,
    QueryGraph,
    entry_name,
    fragment_condition,
    merge_field_sets,
)

__all__ = ["Jump", "available", "candidate_jumps", "child_provided", "local_misses"]


@dataclass(frozen=True)
class Jump:
    """An entity move into ``edge.target``; ``rewrite_from`` is set when the representation's ``__typename``
    (that concrete type) must be rewritten to the interface the target sees as an @interfaceObject."""

    edge: KeyEdge
    rewrite_from: str | None = None


def available(
    graph: QueryGraph, type_name: str, subgraph: str, fields: FieldSet, provided: dict[str, FieldSet]
) -> bool:
    """Whether ``subgraph`` can return every field of the field set on ``type_name`` at this point."""
    for entry, sub in fields:
        if entry == "__typename":
            continue
        condition = fragment_condition(entry)
        if condition is not None:
            if graph.is_abstract(type_name, subgraph):
                if not available(graph, condition, subgraph, sub, graph.narrow(provided, condition)):
                    return False
            elif type_name == condition or type_name in graph.supergraph_possible_types(condition):
                if not available(graph, type_name, subgraph, sub, provided):
                    return False
            continue
        name = entry_name(entry)
        if not (graph.resolvable_for_representation(type_name, name, subgraph) or entry in provided):
            return False
        if sub:
            child = graph.field_type(type_name, name)[0]
            if not available(graph, child, subgraph, sub, graph.narrow(dict(provided.get(entry, ())), child)):
                return False
    return True


def child_provided(
    graph: QueryGraph, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]
) -> dict[str, FieldSet]:
    """What comes along below ``f`` in ``subgraph``: the path's ``@provides`` and the field's own."""
    merged = merge_field_sets(provided.get(f.key, ()), graph.provides(type_name, f.name, subgraph))
    return graph.narrow(dict(merged), f.type_name) if merged else {}


def local_misses(
    graph: QueryGraph,
    type_name: str,
    subgraph: str,
    selections: list[NSelection],
    provided: dict[str, FieldSet],
    depth: int = 3,
) -> int:
    """How many selected fields ``subgraph`` cannot resolve itself (a cheap look-ahead, ``depth`` levels)."""
    misses = 0
    for s in selections:
        if isinstance(s, NField):
            if s.name == "__typename":
                continue
            if not graph.has_type(type_name, subgraph) or not (
                graph.resolvable_here(type_name, s.name, subgraph) or s.key in provided
            ):
                misses += 1
                continue
            if s.selections and depth > 0:
                below = child_provided(graph, type_name, subgraph, s, provided)
                misses += local_misses(graph, s.type_name, subgraph, s.selections, below, depth - 1)
        else:
            condition = s.type_condition or type_name
            if graph.has_type(condition, subgraph):
                misses += local_misses(
                    graph, condition, subgraph, s.selections, graph.narrow(provided, condition), depth
                )
            else:
                misses += 1
    return misses


def candidate_jumps(graph: QueryGraph, type_name: str, subgraph: str, field_name: str) -> list[Jump]:
    """Every entity move from (type, subgraph) that leads to a subgraph resolving ``field_name``."""
    key = (type_name, subgraph, field_name)
    found = graph.jumps.get(key)
    if found is None:
        found = graph.jumps[key] = tuple(_candidate_jumps(graph, type_name, subgraph, field_name))
    return list(found)


def _candidate_jumps(graph: QueryGraph, type_name: str, subgraph: str, field_name: str) -> list[Jump]:
    if graph.is_interface_object(type_name, subgraph) and field_name == "__typename":
        # An @interfaceObject subgraph only knows the interface: the concrete type comes from a subgraph
        # where the interface is a real entity interface.
        return [
            Jump(e)
            for e in graph.keys(type_name)
            if e.target != subgraph and not graph.is_interface_object(type_name, e.target)
        ]
    # The current subgraph is a target too when the field has @requires there: it is resolved through an
    # ``_entities`` fetch to that same subgraph, after the required fields are collected.
    targets = [
        g
        for g in graph.resolvers(type_name, field_name)
        if g != subgraph or graph.requires(type_name, field_name, g) is not None
    ]
    jumps = [Jump(e) for e in graph.keys(type_name) if e.target in targets]
    if not jumps and not graph.is_abstract(type_name):
        for iface, g in graph.interface_objects(type_name, field_name):
            if g == subgraph:
                continue
            jumps.extend(Jump(e, rewrite_from=type_name) for e in graph.keys(iface) if e.target == g)
    return jumps
