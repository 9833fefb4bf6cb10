"""Fetch steps: the plan's future ``Fetch`` nodes while they are being planned, and the set of them for one plan.

Each step is one request to one subgraph: a root fetch, or an ``_entities`` fetch at a response path (Apollo
Federation spec, "Query planning" and ``_entities``). The optimiser (optimize.py) merges and drops steps; the
plan builder (build_plan.py) turns them into plan nodes.

A step entered in several ways runs under what all of them share (``FetchStep.conditions``); what one way
brings is fetched under that way's own ``@skip``/``@include`` (GraphQL spec 6.3.2, CollectFields: a field under
an excluded selection is not fetched). So each way fills the entity fragment of its conditions
(``entity_selections``), and once the step's entries are final, ``settle_conditions`` keeps on each fragment only
the conditions the step's ``Condition`` nodes do not already ensure (like Apollo's planner, which keeps them as
``@include``/``@skip`` on the subgraph operation's selections).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ArgumentNode, DirectiveNode, VariableNode

from gateway.planning.normalize import NField, NFragment, NOperation, conditions_of
from gateway.planning.printing import print_directives
from gateway.planning.query_graph import QueryGraph
from gateway.planning.representation import Conditions, Representation
from gateway.planning.response_keys import ResponseKeys
from gateway.planning.selection import OutFragment, OutSelectionSet, name_node
from gateway.planning.stuck import StuckFields

__all__ = ["EntityStepKey", "FetchStep", "FetchSteps"]


@dataclass
class FetchStep:
    """One request to one subgraph, as it is being planned."""

    id: int
    subgraph: str
    operation_kind: str
    path: tuple[str, ...]
    is_entity: bool
    selections: OutSelectionSet = field(default_factory=OutSelectionSet)
    # Entity type -> the representation the step needs for it.
    requires: dict[str, Representation] = field(default_factory=dict)
    # Entity type -> the ``__typename`` its representations carry instead (Apollo's inputRewrites).
    rewrites: dict[str, str] = field(default_factory=dict)
    depends_on: set[int] = field(default_factory=set)
    # Each way the step is entered brings the variable conditions on its path; it runs under their intersection.
    entries: list[Conditions] = field(default_factory=list)
    group: int = 0
    # Aliases this step gives client fields whose subgraph type differs (alias -> the client's response key).
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def conditions(self) -> Conditions:
        if not self.entries:
            return frozenset()
        common = set(self.entries[0])
        for e in self.entries[1:]:
            common &= e
        return frozenset(common)

    def entity_selections(self, type_name: str, conditions: Conditions) -> OutSelectionSet:
        """The selection set, in this entity step, of what a way in under ``conditions`` fetches for ``type_name``."""
        return self.selections.fragment(type_name, _condition_directives(conditions))

    def settle_conditions(self) -> None:
        """Drop from the entity fragments the conditions the whole step runs under, merging fragments that
        become alike (in the order they were first made)."""
        common = self.conditions
        settled: dict[tuple[str | None, str], OutFragment] = {}
        for frag in self.selections.fragments.values():
            kept = [d for d in frag.directives if not (set(conditions_of((d,))) & common)]
            ident = (frag.type_condition, print_directives(kept))
            into = settled.get(ident)
            if into is None:
                settled[ident] = OutFragment(frag.type_condition, tuple(kept), frag.selections)
            else:
                into.selections.merge(frag.selections)
        self.selections.fragments = settled


def _condition_directives(conditions: Conditions) -> tuple[DirectiveNode, ...]:
    """``@include(if: $v)``/``@skip(if: $v)`` for each condition, in a stable order."""
    return tuple(
        DirectiveNode(
            name=name_node("include" if include else "skip"),
            arguments=(ArgumentNode(name=name_node("if"), value=VariableNode(name=name_node(variable))),),
        )
        for variable, include in sorted(conditions)
    )


# (subgraph, path, steps it waits for, mutation group, variant): entering an entity step with the same key
# again merges into it. A new variant opens only when representations conflict (the same required field read
# from two response keys, e.g. ``weight(unit: "kg")`` and ``weight(unit: "g")``).
EntityStepKey = tuple[str, tuple[str, ...], frozenset[int], int, int]


class FetchSteps:
    """The fetch steps of one plan as they are built, with what later entries need to join them."""

    def __init__(self, graph: QueryGraph, operation: NOperation) -> None:
        self.graph = graph
        self.operation = operation
        self.steps: list[FetchStep] = []
        self.entity_steps: dict[EntityStepKey, FetchStep] = {}
        self.stuck = StuckFields(graph)
        self.response_keys = ResponseKeys(graph)
        # (response path of a field, type condition) of the member fragments members.py dropped there; the
        # path's keys as the fetches name them ("@" for list elements).
        self.dropped_fragments: set[tuple[tuple[str, ...], str]] = set()

    def note_dropped(self, path: tuple[str, ...], f: NField, pruned: NField) -> None:
        """Remember the fragments of ``f`` (at ``path``) that ``pruned`` no longer has: the client's response
        shaping must not complete them either (they contribute nothing, members.py)."""
        if pruned is f:
            return
        kept = {id(s) for s in pruned.selections}
        at = (*path, f.response_key)
        for s in f.selections:
            if isinstance(s, NFragment) and s.type_condition is not None and id(s) not in kept:
                self.dropped_fragments.add((at, s.type_condition))

    def new_step(
        self, subgraph: str, path: tuple[str, ...], is_entity: bool, deps: set[int], group: int = 0
    ) -> FetchStep:
        kind = "query" if is_entity else self.operation.kind
        step = FetchStep(len(self.steps), subgraph, kind, path, is_entity, depends_on=set(deps), group=group)
        self.steps.append(step)
        return step
