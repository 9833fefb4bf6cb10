"""The selection walk: add each selected field to the step whose subgraph resolves it, or move to one that does.

Walking a selection in a step's subgraph adds every field that subgraph resolves (or that a ``@provides`` on the
path brings along); any other field is reached through the best entity move (paths.py, entity_moves.py).
"""

from __future__ import annotations

from dataclasses import replace

from gateway.planning.budget import spend
from gateway.planning.entity_moves import best_jump, enter
from gateway.planning.fetch_step import FetchSteps
from gateway.planning.members import fragment_types, own_type_name, without_impossible_members
from gateway.planning.normalize import NField, NFragment, NSelection, conditions_of
from gateway.planning.paths import Jump, available, candidate_jumps, child_provided
from gateway.planning.position import Position
from gateway.planning.query_graph import FieldSet
from gateway.planning.response_keys import client_keys
from gateway.planning.split import count_fields, split_selections

__all__ = ["walk"]


def walk(steps: FetchSteps, at: Position, selections: list[NSelection]) -> None:
    """Plan ``selections`` on the object at ``at``."""
    graph = steps.graph
    type_name, subgraph = at.type_name, at.subgraph
    for s in selections:
        spend()
        if isinstance(s, NFragment):
            _walk_fragment(steps, at, s)
            continue
        if s.name == "__typename":
            if graph.is_interface_object(type_name, subgraph):
                _jump(steps, at, s)
            else:
                at.out.field(s.response_key, "__typename", (), s.directives)
            continue
        if graph.is_abstract(type_name, subgraph) and not (
            graph.resolvable_here(type_name, s.name, subgraph) or s.key in at.provided
        ):
            # Not resolvable on the abstract type here: ask for it on each object type this subgraph
            # may return instead (abstract edges), where it may be resolvable or reachable by a key.
            for possible in graph.possible_types(type_name, subgraph):
                inner = at._replace(
                    out=at.out.fragment(possible),
                    type_name=possible,
                    provided=graph.narrow(at.provided, possible),
                )
                walk(steps, inner, [s])
            continue
        if s.selections:
            s = _without_impossible_members(steps, at, s)
        if graph.resolvable_here(type_name, s.name, subgraph) or s.key in at.provided:
            rescue = steps.stuck.rescue_jumps(type_name, subgraph, s, at.provided) if s.selections else None
            if rescue:
                _jump(steps, at, s, rescue)
            else:
                _local_field(steps, at, s)
        else:
            _jump(steps, at, s)


def _without_impossible_members(steps: FetchSteps, at: Position, f: NField) -> NField:
    """``f`` without the fragments that one of the subgraphs it could come from here can never return
    (members.py): the options are this subgraph, where it resolves ``f``, and the targets of the entity moves
    whose keys are available here."""
    graph = steps.graph
    if not any(isinstance(s, NFragment) and s.type_condition for s in f.selections):
        return f
    type_name, subgraph = at.type_name, at.subgraph
    options = {
        j.edge.target
        for j in candidate_jumps(graph, type_name, subgraph, f.name)
        if j.rewrite_from is None and available(graph, type_name, subgraph, j.edge.key, at.provided)
    }
    if graph.resolvable_here(type_name, f.name, subgraph) or f.key in at.provided:
        options.add(subgraph)
    pruned = without_impossible_members(graph, type_name, f, sorted(options))
    if pruned is not f:
        steps.stuck.keep(pruned)
        steps.note_dropped(at.path, f, pruned)
    return pruned


def _local_field(steps: FetchSteps, at: Position, f: NField) -> None:
    graph = steps.graph
    type_name, subgraph = at.type_name, at.subgraph
    composite = bool(f.selections)
    key = steps.response_keys.subgraph_key(
        type_name, subgraph, f.name, f.response_key, at.abstract_depth, at.step.aliases
    )
    if not composite and graph.is_composite(f.type_name):
        # Literal @skip/@include removed every subfield: the subgraph still needs a selection, and the
        # client gets {} for each object (GraphQL spec 6.3.2 CollectFields).
        emptied = at.out.field(key, f.name, f.arguments, f.directives, True)
        assert emptied.selections is not None
        emptied.selections.field("__typename", "__typename")
        return
    of = at.out.field(key, f.name, f.arguments, f.directives, composite)
    if not composite:
        return
    assert of.selections is not None
    child_type = f.type_name
    own = own_type_name(graph, type_name, f.name, subgraph)
    if own != child_type and graph.has_type(own, subgraph):
        # The subgraph's field returns a member (or implementation) of the supergraph's type: fragments
        # are kept against what this subgraph can return (GraphQL spec 5.5.2.3 in its schema).
        child_type = own
    abstract = graph.is_abstract(child_type, subgraph)
    if abstract or child_type != f.type_name:
        # The response is shaped by the runtime type where the supergraph's type is abstract.
        of.selections.field("__typename", "__typename")
    below = Position(
        at.step,
        of.selections,
        child_type,
        subgraph,
        (*at.path, key, *("@",) * f.list_depth),
        child_provided(graph, type_name, subgraph, f, at.provided),
        at.conditions | frozenset(conditions_of(f.directives)),
        client_keys(f.selections),
        at.abstract_depth + abstract,
    )
    walk(steps, below, f.selections)


def _walk_fragment(steps: FetchSteps, at: Position, frag: NFragment) -> None:
    graph = steps.graph
    type_name, subgraph = at.type_name, at.subgraph
    condition = frag.type_condition
    if condition not in (None, type_name) and graph.is_interface_object(type_name, subgraph):
        # The subgraph cannot tell implementations apart: continue where the interface is real.
        _jump(steps, at, frag)
        return
    inner_conditions = at.conditions | frozenset(conditions_of(frag.directives))
    for t in fragment_types(graph, type_name, subgraph, condition):
        if t == type_name:
            out = at.out.fragment(None, frag.directives) if frag.directives else at.out
            walk(steps, at._replace(out=out, conditions=inner_conditions), frag.selections)
        else:
            inner = at._replace(
                out=at.out.fragment(t, frag.directives),
                type_name=t,
                provided=graph.narrow(at.provided, t),
                conditions=inner_conditions,
            )
            walk(steps, inner, frag.selections)


def _jump(steps: FetchSteps, at: Position, sel: NSelection, jumps: list[Jump] | None = None) -> None:
    """Reach ``sel`` through the best entity move (or two parallel ones, ``_split_jump``)."""
    field_name = sel.name if isinstance(sel, NField) else "__typename"
    jump = best_jump(steps, at, field_name, [sel], jumps)
    if isinstance(sel, NField) and sel.selections:
        pieces = _split_jump(steps, at, sel, jump, jumps)
        if pieces is not None:
            for piece, piece_jump in pieces:
                _jump_with(steps, at, piece, piece_jump)
            return
    _jump_with(steps, at, sel, jump)


def _split_jump(
    steps: FetchSteps, at: Position, f: NField, jump: Jump, jumps: list[Jump] | None
) -> list[tuple[NField, Jump]] | None:
    """Two parallel entity moves for ``f`` instead of one and a further hop: when the best target resolves
    only part of the field's selection itself and another target, entered with a key available here too,
    resolves all the rest itself (a value type two subgraphs know in part, one of them without a key)."""
    graph = steps.graph
    type_name, subgraph, provided = at.type_name, at.subgraph, at.provided

    def elsewhere(t: str, g: str, s: NField, p: dict[str, FieldSet]) -> bool:
        return s.name != "__typename" and not (graph.resolvable_here(t, s.name, g) or s.key in p)

    entity_type, target = jump.edge.type_name, jump.edge.target
    if graph.requires(entity_type, f.name, target) is not None or not graph.resolvable_here(
        entity_type, f.name, target
    ):
        return None
    mine, rest = split_selections(graph, elsewhere, f.type_name, target, f.selections, {})
    if not rest or not count_fields(mine):
        return None
    if not available(graph, type_name, subgraph, jump.edge.key, provided):
        return None
    for other in jumps if jumps is not None else candidate_jumps(graph, type_name, subgraph, f.name):
        g = other.edge.target
        if g == target or other.rewrite_from is not None or g == subgraph:
            continue
        if not graph.resolvable_here(other.edge.type_name, f.name, g):
            continue
        if graph.requires(other.edge.type_name, f.name, g) is not None:
            continue
        if not available(graph, type_name, subgraph, other.edge.key, provided):
            continue
        _, left = split_selections(graph, elsewhere, f.type_name, g, rest, {})
        if not left:
            first, second = replace(f, selections=mine), replace(f, selections=rest)
            steps.stuck.keep(first, second)
            return [(first, jump), (second, other)]
    return None


def _jump_with(steps: FetchSteps, at: Position, sel: NSelection, jump: Jump) -> None:
    field_name = sel.name if isinstance(sel, NField) else "__typename"
    target = jump.edge.target
    entity_type = jump.edge.type_name
    graph = steps.graph
    requires = graph.requires(entity_type, field_name, target) if isinstance(sel, NField) else None
    # The move exists for this selection: under its own @skip/@include the whole fetch is conditional.
    entry_conditions = at.conditions | frozenset(conditions_of(sel.directives))
    entity_step = enter(steps, at._replace(conditions=entry_conditions), jump, requires, 0)
    # What this way in fetches stays under the conditions of its path (the step may run under fewer).
    entity_out = entity_step.entity_selections(entity_type, at.conditions)
    if graph.is_abstract(entity_type, target):
        entity_out.field("__typename", "__typename")
    # In that fetch the representation carries the required fields: the field is resolvable there.
    satisfied: dict[str, FieldSet] = {sel.key: ()} if requires is not None and isinstance(sel, NField) else {}
    there = Position(
        entity_step,
        entity_out,
        entity_type,
        target,
        at.path,
        satisfied,
        at.conditions,
        at.client_keys,
        1,  # under ``_entities``
    )
    walk(steps, there, [sel])
