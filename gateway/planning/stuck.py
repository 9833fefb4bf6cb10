"""Fields stuck in a subgraph: selected, but neither resolvable there nor reachable from there by an entity move.

A field resolvable in a subgraph whose selection gets stuck below (a value type's field the subgraph lacks,
where ``@provides`` brought only part of it) is taken whole from another subgraph through the parent entity's
key (``rescue_jumps``).
"""

from __future__ import annotations

from gateway.planning.members import fragment_types
from gateway.planning.normalize import NField, NSelection
from gateway.planning.paths import Jump, candidate_jumps, child_provided
from gateway.planning.query_graph import FieldSet, QueryGraph

__all__ = ["StuckFields"]


class StuckFields:
    """Answers "is this field stuck here?" for one plan, remembering answers without ``@provides``."""

    def __init__(self, graph: QueryGraph) -> None:
        self.graph = graph
        # (id of a client field, type, subgraph) -> whether its selection gets stuck there.
        self._memo: dict[tuple[int, str, str], bool] = {}
        # Fields the planner made (split pieces of client fields): the memo is keyed by id(), keep them alive.
        self._kept: list[NField] = []

    def keep(self, *fields: NField) -> None:
        """Keep ``fields`` alive as long as the memo, so no other field reuses their id()."""
        self._kept.extend(fields)

    def rescue_jumps(
        self, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]
    ) -> list[Jump] | None:
        """Entity moves for a field resolvable here whose selection gets stuck below (a field of a value type
        this subgraph lacks, say ``street`` where ``@provides`` brought only ``address { city }``): the field is
        then taken from a subgraph where its whole selection resolves, through the key of ``type_name``."""
        below = child_provided(self.graph, type_name, subgraph, f, provided)
        if not self.stuck_selections(f.type_name, subgraph, f.selections, below):
            return None
        jumps = [
            j
            for j in candidate_jumps(self.graph, type_name, subgraph, f.name)
            if j.edge.target != subgraph and not self.stuck_field(j.edge.type_name, j.edge.target, f, {})
        ]
        return jumps or None

    def stuck_selections(
        self, type_name: str, subgraph: str, selections: list[NSelection], provided: dict[str, FieldSet]
    ) -> bool:
        """Whether a selected field is neither resolvable in ``subgraph`` nor reachable from it by an entity move
        at its own level or above (within ``selections``)."""
        graph = self.graph
        for s in selections:
            if isinstance(s, NField):
                if self.stuck_field(type_name, subgraph, s, provided):
                    return True
                continue
            condition = s.type_condition
            if condition not in (None, type_name) and graph.is_interface_object(type_name, subgraph):
                continue  # planned at the interface's owner
            for t in fragment_types(graph, type_name, subgraph, condition):
                inner = provided if t == type_name else graph.narrow(provided, t)
                if self.stuck_selections(t, subgraph, s.selections, inner):
                    return True
        return False

    def stuck_field(self, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]) -> bool:
        """Whether field ``f`` on ``type_name`` is stuck in ``subgraph`` (split.py's ``Stuck``)."""
        if f.name == "__typename":
            return False
        memo = (id(f), type_name, subgraph)
        if not provided:
            cached = self._memo.get(memo)
            if cached is not None:
                return cached
        graph = self.graph
        local = graph.resolvable_here(type_name, f.name, subgraph) or f.key in provided
        if not local and graph.is_abstract(type_name, subgraph):
            stuck = any(
                self.stuck_field(t, subgraph, f, graph.narrow(provided, t))
                for t in graph.possible_types(type_name, subgraph)
            )
        elif not local:
            stuck = not candidate_jumps(graph, type_name, subgraph, f.name)
        elif f.selections:
            below = child_provided(graph, type_name, subgraph, f, provided)
            stuck = self.stuck_selections(f.type_name, subgraph, f.selections, below) and not any(
                j.edge.target != subgraph for j in candidate_jumps(graph, type_name, subgraph, f.name)
            )
        else:
            stuck = False
        if not provided:
            self._memo[memo] = stuck
        return stuck
