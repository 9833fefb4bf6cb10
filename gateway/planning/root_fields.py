"""Build fetch steps from the operation's root fields: pick each root field's subgraph, then walk it (walk.py).

A shared root field goes where its whole subtree plans with the fewest sequential fetches (a trial plan per
candidate, optimised like the real one); one no single subgraph can plan is split between them. Mutation root
fields run one after another (GraphQL spec 6.2.2).
"""

from __future__ import annotations

from dataclasses import replace

from gateway.planning.errors import PlanningError
from gateway.planning.fetch_step import FetchStep, FetchSteps
from gateway.planning.members import without_impossible_members
from gateway.planning.normalize import NField, NFragment, NOperation, NSelection, conditions_of
from gateway.planning.optimize import optimize
from gateway.planning.paths import local_misses
from gateway.planning.position import Position
from gateway.planning.query_graph import QueryGraph
from gateway.planning.representation import Conditions
from gateway.planning.split import count_fields, split_selections
from gateway.planning.walk import walk

__all__ = ["build_fetch_steps"]

_INTROSPECTION_ROOT_FIELDS = {"__schema", "__type", "__typename"}
_UNPLANNABLE = 1 << 30

# A root field with the fragments around it and the conditions on its way.
RootEntry = tuple[NField, tuple[NFragment, ...], Conditions]


def build_fetch_steps(
    graph: QueryGraph, operation: NOperation, dropped: set[tuple[tuple[str, ...], str]] | None = None
) -> list[FetchStep]:
    """Plan every selected field into fetch steps (ids are a topological order: dependencies come first).

    ``dropped`` receives the member fragments planned as contributing nothing (``FetchSteps.note_dropped``).
    """
    steps = FetchSteps(graph, operation)
    if dropped is not None:
        steps.dropped_fragments = dropped
    root = operation.root_type
    entries = _root_entries(operation.selections, (), frozenset())
    if operation.kind == "mutation":
        _plan_mutation(steps, root, entries)
        return steps.steps
    pruned_entries = []
    for f, c, d in entries:
        pruned = without_impossible_members(graph, root, f)
        steps.note_dropped((), f, pruned)
        pruned_entries.append((pruned, c, d))
    entries = pruned_entries
    steps.stuck.keep(*(f for f, _, _ in entries))
    chosen = _choose_root_subgraphs(steps, root, entries)
    root_steps: dict[str, FetchStep] = {}
    for (f, chain, conditions), (subgraph, whole) in zip(entries, chosen, strict=True):
        pieces = [(f, subgraph)] if whole else _split_root_field(steps, root, f, subgraph, [*root_steps])
        for piece, g in pieces:
            step = root_steps.get(g)
            if step is None:
                step = root_steps[g] = steps.new_step(g, (), False, set())
            _root_field(steps, step, root, piece, chain, conditions)
    return steps.steps


def _root_entries(
    selections: list[NSelection], chain: tuple[NFragment, ...], conditions: Conditions
) -> list[RootEntry]:
    out: list[RootEntry] = []
    for s in selections:
        inner = conditions | frozenset(conditions_of(s.directives))
        if isinstance(s, NField):
            if s.name not in _INTROSPECTION_ROOT_FIELDS:
                out.append((s, chain, inner))
        else:
            out.extend(_root_entries(s.selections, (*chain, s), inner))
    return out


def _root_field(
    steps: FetchSteps,
    step: FetchStep,
    root: str,
    f: NField,
    chain: tuple[NFragment, ...],
    conditions: Conditions,
) -> None:
    step.entries.append(conditions)
    out = step.selections
    for frag in chain:
        out = out.fragment(None, frag.directives)
    own = conditions - frozenset(conditions_of(f.directives))
    walk(steps, Position(step, out, root, step.subgraph, (), {}, own, {}, 0), [f])


def _resolvers_or_fail(graph: QueryGraph, type_name: str, f: NField) -> tuple[str, ...]:
    resolvers = graph.resolvers(type_name, f.name)
    if not resolvers:
        raise PlanningError("UNSATISFIABLE", f"no subgraph resolves {type_name}.{f.name}", (f.response_key,))
    return resolvers


def _split_root_field(
    steps: FetchSteps, root: str, f: NField, first: str, used: list[str]
) -> list[tuple[NField, str]]:
    """A shared root field no single subgraph can plan (its type has no key to move with): one piece per
    subgraph, each taking what it can of what is left (the most fields first), merged at the root."""
    graph = steps.graph
    resolvers = graph.resolvers(root, f.name)
    left: list[NSelection] = f.selections
    pieces: list[tuple[NField, str]] = []
    # Each piece takes at least one field of what is left: never more rounds than fields.
    for _ in range(count_fields(left) + 1):
        if not left:
            break
        best: tuple[int, int, int] | None = None
        split: tuple[str, list[NSelection], list[NSelection]] | None = None
        for g in resolvers:
            provided = dict(graph.provides(root, f.name, g))
            mine, rest = split_selections(graph, steps.stuck.stuck_field, f.type_name, g, left, provided)
            rank = (-count_fields(mine), g != first and g not in used, graph.order[g])
            if count_fields(mine) and (best is None or rank < best):
                best, split = rank, (g, mine, rest)
        if split is None:
            raise PlanningError(
                "UNSATISFIABLE",
                f"no subgraph that resolves {root}.{f.name} resolves the rest of its selection",
                (f.response_key,),
            )
        g, mine, left = split
        piece = replace(f, selections=mine)
        steps.stuck.keep(piece)
        pieces.append((piece, g))
        used = [*used, g]
    if left:
        raise PlanningError(
            "UNSATISFIABLE", f"{root}.{f.name} cannot be split between its subgraphs", (f.response_key,)
        )
    return pieces


def _choose_root_subgraphs(steps: FetchSteps, root: str, entries: list[RootEntry]) -> list[tuple[str, bool]]:
    """One subgraph per root field: forced choices first; a shared field goes where its whole subtree plans
    with the fewest sequential fetches, then the fewest fetches (joining a root fetch already chosen is
    free), then the fewest fields left to other subgraphs. The flag is False when no resolver can plan the
    whole field alone (``_split_root_field``)."""
    graph = steps.graph
    chosen: list[str | None] = []
    used: set[str] = set()
    for f, _, _ in entries:
        resolvers = _resolvers_or_fail(graph, root, f)
        if len(resolvers) == 1:
            chosen.append(resolvers[0])
            used.add(resolvers[0])
        else:
            chosen.append(None)
    out: list[tuple[str, bool]] = []
    for (f, chain, conditions), pick in zip(entries, chosen, strict=True):
        whole = True
        if pick is None:
            resolvers = graph.resolvers(root, f.name)
            trials = (
                {g: _trial_cost(steps, root, f, chain, conditions, g) for g in resolvers}
                if f.selections
                else {}
            )
            costs = {
                g: (
                    *trials.get(g, (1, 1)),
                    local_misses(graph, f.type_name, g, f.selections, dict(graph.provides(root, f.name, g))),
                    graph.order[g],
                )
                for g in resolvers
            }
            # Joining a root fetch already chosen saves one fetch.
            pick = min(
                resolvers,
                key=lambda g: (
                    costs[g][0],
                    costs[g][1] - (g in used),
                    costs[g][2],
                    g not in used,
                    costs[g][3],
                ),
            )
            used.add(pick)
            whole = costs[pick][0] < _UNPLANNABLE
        out.append((pick, whole))
    return out


def _trial_cost(
    steps: FetchSteps,
    root: str,
    f: NField,
    chain: tuple[NFragment, ...],
    conditions: Conditions,
    subgraph: str,
) -> tuple[int, int]:
    """(sequential fetches, fetches) of the plan for root field ``f`` alone when ``subgraph`` resolves it."""
    trial = FetchSteps(steps.graph, steps.operation)
    step = trial.new_step(subgraph, (), False, set())
    try:
        _root_field(trial, step, root, f, chain, conditions)
    except PlanningError:
        return (_UNPLANNABLE, _UNPLANNABLE)
    optimised = optimize(trial.steps)
    level: dict[int, int] = {}
    for s in optimised:
        level[s.id] = 1 + max((level[d] for d in s.depends_on if d in level), default=0)
    return (max(level.values(), default=0), len(optimised))


def _plan_mutation(steps: FetchSteps, root: str, entries: list[RootEntry]) -> None:
    """Mutation root fields run one after another (GraphQL spec 6.2.2); neighbours on one subgraph share a fetch."""
    graph = steps.graph
    current: FetchStep | None = None
    for f, chain, conditions in entries:
        resolvers = _resolvers_or_fail(graph, root, f)
        if current is not None and current.subgraph in resolvers:
            subgraph = current.subgraph
        else:
            subgraph = min(
                resolvers,
                key=lambda g: (local_misses(graph, f.type_name, g, f.selections, {}), graph.order[g]),
            )
        if current is None or current.subgraph != subgraph:
            group = current.group + 1 if current is not None else 0
            current = steps.new_step(subgraph, (), False, set(), group)
        _root_field(steps, current, root, f, chain, conditions)
