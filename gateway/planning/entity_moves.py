"""Entity moves: enter an ``_entities`` step through a key, and fetch its representation where the walk stands.

The current step fetches ``__typename`` and the key fields (and the target field's ``@requires`` fields,
themselves planned the same way, through further moves when the current subgraph lacks them); the target step
lists them as its representation (Apollo Federation spec, ``_entities`` and ``@requires``).
"""

from __future__ import annotations

from gateway.planning.errors import PlanningError
from gateway.planning.fetch_step import FetchStep, FetchSteps
from gateway.planning.normalize import NSelection
from gateway.planning.paths import Jump, available, candidate_jumps, local_misses
from gateway.planning.position import Position
from gateway.planning.query_graph import FieldSet, entry_arguments, entry_name, fragment_condition
from gateway.planning.representation import Representation, can_share, merge_representation
from gateway.planning.response_keys import client_keys

__all__ = ["best_jump", "enter", "require"]

_MAX_HOPS = 4


def best_jump(
    steps: FetchSteps,
    at: Position,
    field_name: str,
    selections: list[NSelection],
    jumps: list[Jump] | None = None,
) -> Jump:
    """The cheapest entity move to reach ``field_name`` from ``at`` (paths.py ranks depth, fetches, name)."""
    graph = steps.graph
    type_name, subgraph, provided = at.type_name, at.subgraph, at.provided
    if jumps is None:
        jumps = candidate_jumps(graph, type_name, subgraph, field_name)
    if not jumps:
        raise PlanningError(
            "UNSATISFIABLE",
            f"{type_name}.{field_name} cannot be reached from subgraph {subgraph!r}: no subgraph that resolves "
            "it has a resolvable @key for the type",
            tuple(p for p in at.path if p != "@"),
        )
    waits_for = frozenset({at.step.id})
    existing = {k[0] for k in steps.entity_steps if k[1] == at.path and k[2] == waits_for}

    def cost(j: Jump) -> tuple[int, int, int, str]:
        depth = 0 if available(graph, type_name, subgraph, j.edge.key, provided) else 1
        req = graph.requires(j.edge.type_name, field_name, j.edge.target)
        if req is not None and not available(graph, type_name, subgraph, req[0], provided):
            depth += 1
        fetches = local_misses(graph, j.edge.type_name, j.edge.target, selections, {})
        fetches += 0 if j.edge.target in existing else 1
        return (depth, fetches, graph.order[j.edge.target], j.edge.key_text)

    return min(jumps, key=cost)


def enter(
    steps: FetchSteps, at: Position, jump: Jump, requires: tuple[FieldSet, str] | None, hops: int
) -> FetchStep:
    """The entity step behind ``jump``; the current step fetches the representation it needs."""
    if hops > _MAX_HOPS:
        raise PlanningError(
            "UNSATISFIABLE",
            f"no way to collect the key fields of {at.type_name} for subgraph {jump.edge.target!r}",
            tuple(p for p in at.path if p != "@"),
        )
    at.out.field("__typename", "__typename")
    rep: Representation = {"__typename": ("__typename", {})}
    deps = {at.step.id}
    d, r = require(steps, at, jump.edge.key, hops)
    deps |= d
    merge_representation(rep, r)
    if requires is not None:
        d, r = require(steps, at, requires[0], hops)
        deps |= d
        merge_representation(rep, r)
    group = at.step.group
    variant = 0
    while True:
        key = (jump.edge.target, at.path, frozenset(deps), group, variant)
        target = steps.entity_steps.get(key)
        if target is None:
            target = steps.new_step(jump.edge.target, at.path, True, deps, group)
            steps.entity_steps[key] = target
            break
        if can_share(target.requires.get(at.type_name, {}), target.conditions, rep, at.conditions):
            break
        variant += 1
    target.entries.append(at.conditions)
    merge_representation(target.requires.setdefault(at.type_name, {}), rep)
    if jump.rewrite_from is not None or steps.graph.is_interface_object(
        jump.edge.type_name, jump.edge.target
    ):
        # The target knows the entity only as the interface: whatever __typename the object has by the
        # time the fetch runs (another fetch may have set the real one), the representation names the
        # interface.
        target.rewrites[at.type_name] = jump.edge.type_name
    return target


def require(steps: FetchSteps, at: Position, fields: FieldSet, hops: int) -> tuple[set[int], Representation]:
    """Fetch a key or @requires field set at ``at``; returns the steps that provide it and the representation
    selection that reads it."""
    deps: set[int] = set()
    rep: Representation = {}
    graph = steps.graph
    step, out, type_name, subgraph = at.step, at.out, at.type_name, at.subgraph
    for entry, sub in fields:
        if entry == "__typename":
            rep[entry] = ("__typename", {})
            continue
        condition = fragment_condition(entry)
        if condition is not None:
            if not graph.is_abstract(type_name, subgraph):
                # An object here: the fragment's fields are the object's own when it satisfies the condition.
                if type_name == condition or type_name in graph.supergraph_possible_types(condition):
                    d, r = require(steps, at, sub, hops)
                    deps |= d
                    merge_representation(rep, r)
                continue
            inner = at._replace(
                out=out.fragment(condition),
                type_name=condition,
                provided=graph.narrow(at.provided, condition),
            )
            d, r = require(steps, inner, sub, hops)
            deps |= d
            merge_representation(rep.setdefault(entry, (entry, {}))[1], r)
            continue
        name = entry_name(entry)
        if graph.resolvable_for_representation(type_name, name, subgraph) or entry in at.provided:
            keys = steps.response_keys
            planner_key = keys.planner_key(name, entry, at.client_keys, out)
            response_key = keys.subgraph_key(type_name, subgraph, name, planner_key, at.abstract_depth, None)
            of = out.field(response_key, name, entry_arguments(entry), (), composite=bool(sub))
            child: Representation = {}
            if sub:
                assert of.selections is not None
                child_type, depth = graph.field_type(type_name, name)
                abstract = graph.is_abstract(child_type, subgraph)
                if abstract:
                    of.selections.field("__typename", "__typename")
                    child["__typename"] = ("__typename", {})
                below = Position(
                    step,
                    of.selections,
                    child_type,
                    subgraph,
                    (*at.path, response_key, *("@",) * depth),
                    graph.narrow(dict(at.provided.get(entry, ())), child_type),
                    at.conditions,
                    client_keys([c for f in at.client_keys.get(planner_key, []) for c in f.selections]),
                    at.abstract_depth + abstract,
                )
                d, sub_rep = require(steps, below, sub, hops)
                deps |= d
                merge_representation(child, sub_rep)
            rep[name] = (response_key, child)
            continue
        jump = best_jump(steps, at, name, [])
        req = graph.requires(jump.edge.type_name, name, jump.edge.target)
        entity_step = enter(steps, at, jump, req, hops + 1)
        # In that fetch the field's own requirement (if any) travels in the representation: it resolves there.
        there = Position(
            entity_step,
            entity_step.entity_selections(jump.edge.type_name, at.conditions),
            jump.edge.type_name,
            jump.edge.target,
            at.path,
            {entry: ()},
            at.conditions,
            at.client_keys,
            1,  # under ``_entities``
        )
        d, r = require(steps, there, ((entry, sub),), hops + 1)
        deps |= d | {entity_step.id}
        merge_representation(rep, r)
    return deps, rep
