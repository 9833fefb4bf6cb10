"""Type conditions that a ``@shareable`` field's subgraphs cannot all return (a union or interface whose members
differ between subgraphs, or a field that returns one member in some subgraph).

Apollo's query planner treats such a fragment as yielding nothing from every subgraph: when advancing a type
condition from one of the options (subgraphs) that can resolve the field leaves no possible runtime type, "given
that all options return the same results (assuming the user does properly resolve all versions of a given field
the same way from all subgraphs), we know that the operation element should return no result from all options",
and only ``__typename`` is fetched in its place, so the object is still there, as ``{}`` (apollo-federation,
``query_plan/query_planning_traversal.rs``, ``handle_open_branch``, the ``no_followups`` case). ``@shareable``
is that promise; the planner keeps it the same way, whichever subgraph it then picks. The rule is Apollo's at
every open branch, not only at root fields: below an entity, the options for a field are the current subgraph and
every subgraph an entity move reaches that resolves it, and Hive Router's planner answers the same there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gateway.planning.normalize import NField, NFragment, NSelection
from gateway.planning.query_graph import QueryGraph

__all__ = ["fragment_types", "own_type_name", "without_impossible_members"]


def fragment_types(
    graph: QueryGraph, type_name: str, subgraph: str, condition: str | None
) -> tuple[str, ...]:
    """The types a fragment on ``condition`` is planned at, at a ``type_name`` position in ``subgraph`` (GraphQL
    spec 6.3.2 DoesFragmentTypeApply): the position's own type when it satisfies the condition, or under an
    abstract type, each object type the subgraph may return there that does."""
    if condition is None or condition == type_name:
        return (type_name,)
    if not graph.is_abstract(type_name, subgraph):
        return (type_name,) if type_name in graph.supergraph_possible_types(condition) else ()
    wanted = set(graph.supergraph_possible_types(condition))
    return tuple(t for t in graph.possible_types(type_name, subgraph) if t in wanted)


def own_type_name(graph: QueryGraph, type_name: str, field_name: str, subgraph: str) -> str:
    """The named type of ``type_name.field_name`` as ``subgraph`` declares it."""
    text = graph.subgraph_field_type(type_name, field_name, subgraph)
    return text.replace("[", "").replace("]", "").replace("!", "")


def without_impossible_members(
    graph: QueryGraph, type_name: str, f: NField, resolvers: Sequence[str] | None = None
) -> NField:
    """``f`` without the fragments on types that one of the subgraphs resolving it can never return there.

    ``resolvers``: the subgraphs the planner could take ``f`` from at this point (Apollo's options: the current
    subgraph and those an entity move reaches); by default every subgraph that resolves the field, as for a
    root field, which any subgraph serves.
    """
    if not any(isinstance(s, NFragment) and s.type_condition for s in f.selections):
        return f
    if resolvers is None:
        resolvers = graph.resolvers(type_name, f.name)
    if len(resolvers) < 2:
        return f
    possible = [set(graph.possible_types(own_type_name(graph, type_name, f.name, g), g)) for g in resolvers]
    kept: list[NSelection] = []
    for s in f.selections:
        if isinstance(s, NFragment) and s.type_condition is not None:
            wanted = set(graph.supergraph_possible_types(s.type_condition))
            if any(not wanted & types for types in possible):
                continue
        kept.append(s)
    return f if len(kept) == len(f.selections) else replace(f, selections=kept)
