"""Splitting a selection between subgraphs: the part one subgraph can plan from a position, and the rest.

Used where no single subgraph can plan a field's whole selection and no entity move joins them: a ``@shareable``
root field whose value type has no ``@key`` (each subgraph that declares the field knows some of its fields), so
the plan sends one root fetch per subgraph needed and merges them at the root, and a field reached through its
parent entity that two subgraphs know in part. Composition's satisfiability check accepts such supergraphs
because it checks each path on its own (Apollo Federation, "Shareable types and fields").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gateway.planning.normalize import NField, NFragment, NSelection
from gateway.planning.paths import child_provided
from gateway.planning.query_graph import FieldSet, QueryGraph

__all__ = ["Stuck", "count_fields", "split_selections"]

# Whether a field is neither resolvable in the subgraph nor reachable from it by an entity move.
Stuck = Callable[[str, str, NField, dict[str, FieldSet]], bool]


def split_selections(
    graph: QueryGraph,
    stuck: Stuck,
    type_name: str,
    subgraph: str,
    selections: list[NSelection],
    provided: dict[str, FieldSet],
) -> tuple[list[NSelection], list[NSelection]]:
    """(what ``subgraph`` can plan of ``selections`` on ``type_name``, what is left for other subgraphs).

    A field the subgraph resolves but whose selection is stuck below is split in two, with the same response key
    on both sides (the executor merges them into one object). ``__typename`` stays on the subgraph's side.
    """
    mine: list[NSelection] = []
    rest: list[NSelection] = []
    for s in selections:
        if isinstance(s, NFragment):
            condition = s.type_condition or type_name
            if not graph.has_type(condition, subgraph):
                rest.append(s)
                continue
            inner = provided if condition == type_name else graph.narrow(provided, condition)
            m, r = split_selections(graph, stuck, condition, subgraph, s.selections, inner)
            if m:
                mine.append(replace(s, selections=m))
            if r:
                rest.append(replace(s, selections=r))
            continue
        if s.name == "__typename" or not stuck(type_name, subgraph, s, provided):
            mine.append(s)
            continue
        local = graph.resolvable_here(type_name, s.name, subgraph) or s.key in provided
        if not (local and s.selections):
            rest.append(s)
            continue
        below = child_provided(graph, type_name, subgraph, s, provided)
        m, r = split_selections(graph, stuck, s.type_name, subgraph, s.selections, below)
        if any(count_fields([x]) for x in m):
            mine.append(replace(s, selections=m))
            if r:
                rest.append(replace(s, selections=r))
        else:
            rest.append(s)
    return mine, rest


def count_fields(selections: list[NSelection]) -> int:
    """How many fields (other than ``__typename``) a selection holds, at every level."""
    n = 0
    for s in selections:
        if isinstance(s, NField):
            n += (s.name != "__typename") + count_fields(s.selections)
        else:
            n += count_fields(s.selections)
    return n
