"""Build fetch steps: walk the normalised operation over the query graph, one subgraph request per step.

Each step is one future ``Fetch``: a root fetch, or an ``_entities`` fetch at a response path (Apollo Federation
spec, "Query planning" and ``_entities``). Walking a selection in a step's subgraph adds every field that subgraph
resolves (or that a ``@provides`` on the path brings along); any other field is reached through the best entity
move (paths.py): the current step then also fetches ``__typename`` and the key fields (and the target's
``@requires`` fields, themselves planned the same way) and the target step lists them as its representation.

Fields the planner adds use their own name as response key, unless the client's selection uses that response key
for something else (another field or other arguments); then the planner's field is aliased ``__fk_<name>`` and
the representation reads it from there (``FieldSelection.alias``). A required field with arguments has one alias
per argument set in the whole plan (``__fk_weight__1``), unless the client selects that very field there.

A field resolvable here whose selection gets stuck below (a value type's field the subgraph lacks, where
``@provides`` brought only part of it) is taken whole from another subgraph through the parent entity's key.
Two entries into one entity step share it only when their representations agree (``can_share``: no field read
from two response keys, and no field fetched only under a condition the merged fetch would not have).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gateway.planning.budget import spend
from gateway.planning.errors import PlanningError
from gateway.planning.members import own_type_name, without_impossible_members
from gateway.planning.normalize import NField, NFragment, NOperation, NSelection, conditions_of
from gateway.planning.paths import Jump, available, candidate_jumps, local_misses
from gateway.planning.query_graph import (
    FieldSet,
    QueryGraph,
    entry_arguments,
    entry_name,
    field_key,
    fragment_condition,
    merge_field_sets,
)
from gateway.planning.selection import OutSelectionSet
from gateway.planning.split import count_fields, split_selections

__all__ = ["FetchStep", "RepTree", "build_fetch_steps", "can_share", "rep_conflict", "rep_within"]

# A representation selection being built: field name -> (response key to read it from, sub-selection).
RepTree = dict[str, tuple[str, "RepTree"]]
Conditions = frozenset[tuple[str, bool]]
# The client's fields at one object level by response key (several when fragments reuse a key).
ClientKeys = dict[str, list[NField]]

_INTROSPECTION_ROOT_FIELDS = {"__schema", "__type", "__typename"}
_MAX_HOPS = 4
_UNPLANNABLE = 1 << 30


@dataclass
class FetchStep:
    """One request to one subgraph, as it is being planned."""

    id: int
    subgraph: str
    operation_kind: str
    path: tuple[str, ...]
    is_entity: bool
    selections: OutSelectionSet = field(default_factory=OutSelectionSet)
    requires: dict[str, RepTree] = field(default_factory=dict)
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


def _merge_rep(into: RepTree, other: RepTree) -> None:
    for name, (key, sub) in other.items():
        mine = into.get(name)
        if mine is None:
            into[name] = (key, dict(sub))
        else:
            _merge_rep(mine[1], sub)


def client_keys(selections: list[NSelection]) -> ClientKeys:
    """Response keys the client uses at one object level, through fragments."""
    out: ClientKeys = {}
    stack = list(selections)
    while stack:
        s = stack.pop()
        if isinstance(s, NField):
            out.setdefault(s.response_key, []).append(s)
        else:
            stack.extend(s.selections)
    return out


class _StepBuilder:
    def __init__(self, graph: QueryGraph, operation: NOperation) -> None:
        self.graph = graph
        self.operation = operation
        self.steps: list[FetchStep] = []
        # (subgraph, path, steps it waits for, mutation group, variant) -> the entity step: entering it again
        # merges. A new variant opens only when representations conflict (the same required field read from
        # two response keys, e.g. ``weight(unit: "kg")`` and ``weight(unit: "g")``).
        self._entity_steps: dict[tuple[str, tuple[str, ...], frozenset[int], int, int], FetchStep] = {}
        # (id of a client field, type, subgraph) -> whether its selection gets stuck there (see _stuck_field).
        self._stuck: dict[tuple[int, str, str], bool] = {}
        # Split pieces of client fields (see _split_root_field).
        self._pieces: list[NField] = []
        # Field with arguments -> the alias every fetch uses for it (see _planner_key).
        self._argument_aliases: dict[str, str] = {}
        # (response key, subgraph type) -> alias, for fields whose subgraph type differs (see _subgraph_key).
        self._type_aliases: dict[tuple[str, str], str] = {}
        # How many abstract positions (an interface, a union, ``_entities``) enclose the one being walked.
        self._abstract_depth = 0

    def _new_step(
        self, subgraph: str, path: tuple[str, ...], is_entity: bool, deps: set[int], group: int = 0
    ) -> FetchStep:
        kind = "query" if is_entity else self.operation.kind
        step = FetchStep(len(self.steps), subgraph, kind, path, is_entity, depends_on=set(deps), group=group)
        self.steps.append(step)
        return step

    # -- root fields ---------------------------------------------------------------------------------------

    def plan_root(self) -> None:
        root = self.operation.root_type
        entries = self._root_entries(self.operation.selections, (), frozenset())
        if self.operation.kind == "mutation":
            self._plan_mutation(root, entries)
            return
        entries = [(without_impossible_members(self.graph, root, f), c, d) for f, c, d in entries]
        self._pieces.extend(f for f, _, _ in entries)  # the stuck memo is keyed by id(): keep them alive
        chosen = self._choose_root_subgraphs(root, entries)
        root_steps: dict[str, FetchStep] = {}
        for (f, chain, conds), (subgraph, whole) in zip(entries, chosen, strict=True):
            pieces = [(f, subgraph)] if whole else self._split_root_field(root, f, subgraph, [*root_steps])
            for piece, g in pieces:
                step = root_steps.get(g)
                if step is None:
                    step = root_steps[g] = self._new_step(g, (), False, set())
                self._root_field(step, root, piece, chain, conds)

    def _split_root_field(
        self, root: str, f: NField, first: str, used: list[str]
    ) -> list[tuple[NField, str]]:
        """A shared root field no single subgraph can plan (its type has no key to move with): one piece per
        subgraph, each taking what it can of what is left (the most fields first), merged at the root."""
        resolvers = self.graph.resolvers(root, f.name)
        left: list[NSelection] = f.selections
        pieces: list[tuple[NField, str]] = []
        # Each piece takes at least one field of what is left: never more rounds than fields.
        for _ in range(count_fields(left) + 1):
            if not left:
                break
            best: tuple[int, int, int] | None = None
            split: tuple[str, list[NSelection], list[NSelection]] | None = None
            for g in resolvers:
                provided = dict(self.graph.provides(root, f.name, g))
                mine, rest = split_selections(self.graph, self._stuck_field, f.type_name, g, left, provided)
                rank = (-count_fields(mine), g != first and g not in used, self.graph.order[g])
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
            self._pieces.append(piece)  # the stuck memo is keyed by id(): keep every piece alive
            pieces.append((piece, g))
            used = [*used, g]
        if left:
            raise PlanningError(
                "UNSATISFIABLE", f"{root}.{f.name} cannot be split between its subgraphs", (f.response_key,)
            )
        return pieces

    def _root_entries(
        self, selections: list[NSelection], chain: tuple[NFragment, ...], conds: Conditions
    ) -> list[tuple[NField, tuple[NFragment, ...], Conditions]]:
        out: list[tuple[NField, tuple[NFragment, ...], Conditions]] = []
        for s in selections:
            if isinstance(s, NField):
                if s.name not in _INTROSPECTION_ROOT_FIELDS:
                    out.append((s, chain, conds | frozenset(conditions_of(s.directives))))
            else:
                out.extend(
                    self._root_entries(
                        s.selections, (*chain, s), conds | frozenset(conditions_of(s.directives))
                    )
                )
        return out

    def _resolvers_or_fail(self, type_name: str, f: NField) -> tuple[str, ...]:
        resolvers = self.graph.resolvers(type_name, f.name)
        if not resolvers:
            raise PlanningError(
                "UNSATISFIABLE", f"no subgraph resolves {type_name}.{f.name}", (f.response_key,)
            )
        return resolvers

    def _choose_root_subgraphs(
        self, root: str, entries: list[tuple[NField, tuple[NFragment, ...], Conditions]]
    ) -> list[tuple[str, bool]]:
        """One subgraph per root field: forced choices first; a shared field goes where its whole subtree plans
        with the fewest sequential fetches, then the fewest fetches (joining a root fetch already chosen is
        free), then the fewest fields left to other subgraphs. The flag is False when no resolver can plan the
        whole field alone (``_split_root_field``)."""
        chosen: list[str | None] = []
        used: set[str] = set()
        for f, _, _ in entries:
            resolvers = self._resolvers_or_fail(root, f)
            if len(resolvers) == 1:
                chosen.append(resolvers[0])
                used.add(resolvers[0])
            else:
                chosen.append(None)
        out: list[tuple[str, bool]] = []
        for (f, chain, conds), pick in zip(entries, chosen, strict=True):
            whole = True
            if pick is None:
                resolvers = self.graph.resolvers(root, f.name)
                trials = (
                    {g: self._trial_cost(root, f, chain, conds, g) for g in resolvers} if f.selections else {}
                )

                costs = {
                    g: (
                        *trials.get(g, (1, 1)),
                        local_misses(
                            self.graph,
                            f.type_name,
                            g,
                            f.selections,
                            dict(self.graph.provides(root, f.name, g)),
                        ),
                        self.graph.order[g],
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
        self, root: str, f: NField, chain: tuple[NFragment, ...], conds: Conditions, subgraph: str
    ) -> tuple[int, int]:
        """(sequential fetches, fetches) of the plan for root field ``f`` alone when ``subgraph`` resolves it."""
        from gateway.planning.optimize import optimize  # the optimiser works on this module's steps

        trial = _StepBuilder(self.graph, self.operation)
        step = trial._new_step(subgraph, (), False, set())
        try:
            trial._root_field(step, root, f, chain, conds)
        except PlanningError:
            return (_UNPLANNABLE, _UNPLANNABLE)
        steps = optimize(trial.steps)
        level: dict[int, int] = {}
        for s in steps:
            level[s.id] = 1 + max((level[d] for d in s.depends_on if d in level), default=0)
        return (max(level.values(), default=0), len(steps))

    def _root_field(
        self, step: FetchStep, root: str, f: NField, chain: tuple[NFragment, ...], conds: Conditions
    ) -> None:
        step.entries.append(conds)
        out = step.selections
        for frag in chain:
            out = out.fragment(None, frag.directives)
        self._walk(
            step, out, root, step.subgraph, [f], (), {}, conds - frozenset(conditions_of(f.directives)), {}
        )

    def _plan_mutation(
        self, root: str, entries: list[tuple[NField, tuple[NFragment, ...], Conditions]]
    ) -> None:
        """Mutation root fields run one after another (GraphQL spec 6.2.2); neighbours on one subgraph share a fetch."""
        current: FetchStep | None = None
        for f, chain, conds in entries:
            resolvers = self._resolvers_or_fail(root, f)
            if current is not None and current.subgraph in resolvers:
                subgraph = current.subgraph
            else:
                subgraph = min(
                    resolvers,
                    key=lambda g: (
                        local_misses(self.graph, f.type_name, g, f.selections, {}),
                        self.graph.order[g],
                    ),
                )
            if current is None or current.subgraph != subgraph:
                group = current.group + 1 if current is not None else 0
                current = self._new_step(subgraph, (), False, set(), group)
            self._root_field(current, root, f, chain, conds)

    # -- walking selections ------------------------------------------------------------------------------

    def _walk(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        selections: list[NSelection],
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
    ) -> None:
        graph = self.graph
        for s in selections:
            spend()
            if isinstance(s, NFragment):
                self._walk_fragment(step, out, type_name, subgraph, s, path, provided, conds, ckeys)
                continue
            if s.name == "__typename":
                if graph.is_interface_object(type_name, subgraph):
                    self._jump(step, out, type_name, subgraph, s, path, provided, conds, ckeys)
                else:
                    out.field(s.response_key, "__typename", (), s.directives)
                continue
            if graph.is_abstract(type_name, subgraph) and not (
                graph.resolvable_here(type_name, s.name, subgraph) or s.key in provided
            ):
                # Not resolvable on the abstract type here: ask for it on each object type this subgraph
                # may return instead (abstract edges), where it may be resolvable or reachable by a key.
                for possible in graph.possible_types(type_name, subgraph):
                    self._walk(
                        step,
                        out.fragment(possible),
                        possible,
                        subgraph,
                        [s],
                        path,
                        graph.narrow(provided, possible),
                        conds,
                        ckeys,
                    )
                continue
            if graph.resolvable_here(type_name, s.name, subgraph) or s.key in provided:
                rescue = self._rescue_jumps(type_name, subgraph, s, provided) if s.selections else None
                if rescue:
                    self._jump(step, out, type_name, subgraph, s, path, provided, conds, ckeys, rescue)
                else:
                    self._local_field(step, out, type_name, subgraph, s, path, provided, conds)
            else:
                self._jump(step, out, type_name, subgraph, s, path, provided, conds, ckeys)

    def _subgraph_key(
        self, step: FetchStep, type_name: str, subgraph: str, name: str, key: str, client: bool
    ) -> str:
        """The response key of ``type_name.name`` in ``subgraph``'s operation.

        Under an abstract position, two fields of one response key on different object types must have the same
        response shape in the subgraph's own schema (GraphQL spec 5.3.2, SameResponseShape). The client's
        operation is valid against the supergraph, so only a field whose subgraph type differs from the
        supergraph's can break that: it is aliased ``<key>__alias_<n>``, one alias per subgraph type, like
        Apollo's query planner (``addAliasesForNonMergingFields``). The plan lists the aliases of client fields
        so the response is shaped from them (``QueryPlan.response_aliases``); paths below keep the alias.
        """
        if not self._abstract_depth or name == "__typename":
            return key
        own = self.graph.subgraph_field_type(type_name, name, subgraph)
        if own == self.graph.supergraph.field(type_name, name).type:
            return key
        alias = self._type_aliases.get((key, own))
        if alias is None:
            taken = sum(1 for k, _ in self._type_aliases if k == key)
            alias = self._type_aliases[(key, own)] = f"{key}__alias_{taken}"
        if client:
            step.aliases[alias] = key
        return alias

    def _local_field(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        f: NField,
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
    ) -> None:
        composite = bool(f.selections)
        key = self._subgraph_key(step, type_name, subgraph, f.name, f.response_key, True)
        if not composite and self.graph.is_composite(f.type_name):
            # Literal @skip/@include removed every subfield: the subgraph still needs a selection, and the
            # client gets {} for each object (GraphQL spec 6.3.2 CollectFields).
            emptied = out.field(key, f.name, f.arguments, f.directives, True)
            assert emptied.selections is not None
            emptied.selections.field("__typename", "__typename")
            return
        of = out.field(key, f.name, f.arguments, f.directives, composite)
        if not composite:
            return
        assert of.selections is not None
        child_type = f.type_name
        own = own_type_name(self.graph, type_name, f.name, subgraph)
        if own != child_type and self.graph.has_type(own, subgraph):
            # The subgraph's field returns a member (or implementation) of the supergraph's type: fragments
            # are kept against what this subgraph can return (GraphQL spec 5.5.2.3 in its schema).
            child_type = own
        child_provided = self._child_provided(type_name, subgraph, f, provided)
        abstract = self.graph.is_abstract(child_type, subgraph)
        if abstract or child_type != f.type_name:
            # The response is shaped by the runtime type where the supergraph's type is abstract.
            of.selections.field("__typename", "__typename")
        child_path = (*path, key, *("@",) * f.list_depth)
        self._abstract_depth += abstract
        try:
            self._walk(
                step,
                of.selections,
                child_type,
                subgraph,
                f.selections,
                child_path,
                child_provided,
                conds | frozenset(conditions_of(f.directives)),
                client_keys(f.selections),
            )
        finally:
            self._abstract_depth -= abstract

    def _walk_fragment(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        frag: NFragment,
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
    ) -> None:
        graph = self.graph
        inner_conds = conds | frozenset(conditions_of(frag.directives))
        condition = frag.type_condition
        if condition is None or condition == type_name:
            target = out.fragment(None, frag.directives) if frag.directives else out
            self._walk(step, target, type_name, subgraph, frag.selections, path, provided, inner_conds, ckeys)
            return
        if graph.is_interface_object(type_name, subgraph):
            # The subgraph cannot tell implementations apart: continue where the interface is real.
            self._jump(step, out, type_name, subgraph, frag, path, provided, conds, ckeys)
            return
        if not graph.is_abstract(type_name, subgraph):
            # An object type here: the fragment applies only if the object is (or implements) the condition.
            if type_name in graph.supergraph_possible_types(condition):
                target = out.fragment(None, frag.directives) if frag.directives else out
                self._walk(
                    step, target, type_name, subgraph, frag.selections, path, provided, inner_conds, ckeys
                )
            return
        possible = graph.possible_types(type_name, subgraph)
        wanted = set(graph.supergraph_possible_types(condition))
        if not graph.is_abstract(condition):
            if condition in possible:
                target = out.fragment(condition, frag.directives)
                narrowed = graph.narrow(provided, condition)
                self._walk(
                    step, target, condition, subgraph, frag.selections, path, narrowed, inner_conds, ckeys
                )
            return
        for t in possible:
            if t in wanted:
                target = out.fragment(t, frag.directives)
                narrowed = graph.narrow(provided, t)
                self._walk(step, target, t, subgraph, frag.selections, path, narrowed, inner_conds, ckeys)

    # -- fields stuck in a subgraph --------------------------------------------------------------------

    def _child_provided(
        self, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]
    ) -> dict[str, FieldSet]:
        """What comes along below ``f`` in ``subgraph``: the path's ``@provides`` and the field's own."""
        merged = merge_field_sets(provided.get(f.key, ()), self.graph.provides(type_name, f.name, subgraph))
        return self.graph.narrow(dict(merged), f.type_name) if merged else {}

    def _rescue_jumps(
        self, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]
    ) -> list[Jump] | None:
        """Entity moves for a field resolvable here whose selection gets stuck below (a field of a value type
        this subgraph lacks, say ``street`` where ``@provides`` brought only ``address { city }``): the field is
        then taken from a subgraph where its whole selection resolves, through the key of ``type_name``."""
        child_provided = self._child_provided(type_name, subgraph, f, provided)
        if not self._stuck_selections(f.type_name, subgraph, f.selections, child_provided):
            return None
        jumps = [
            j
            for j in candidate_jumps(self.graph, type_name, subgraph, f.name)
            if j.edge.target != subgraph and not self._stuck_field(j.edge.type_name, j.edge.target, f, {})
        ]
        return jumps or None

    def _stuck_selections(
        self, type_name: str, subgraph: str, selections: list[NSelection], provided: dict[str, FieldSet]
    ) -> bool:
        """Whether a selected field is neither resolvable in ``subgraph`` nor reachable from it by an entity move
        at its own level or above (within ``selections``)."""
        graph = self.graph
        for s in selections:
            if isinstance(s, NField):
                if self._stuck_field(type_name, subgraph, s, provided):
                    return True
                continue
            condition = s.type_condition
            if condition is None or condition == type_name:
                if self._stuck_selections(type_name, subgraph, s.selections, provided):
                    return True
            elif graph.is_interface_object(type_name, subgraph):
                continue  # planned at the interface's owner
            elif not graph.is_abstract(type_name, subgraph):
                if type_name in graph.supergraph_possible_types(condition) and self._stuck_selections(
                    type_name, subgraph, s.selections, provided
                ):
                    return True
            else:
                wanted = set(graph.supergraph_possible_types(condition))
                for t in graph.possible_types(type_name, subgraph):
                    if t in wanted and self._stuck_selections(
                        t, subgraph, s.selections, graph.narrow(provided, t)
                    ):
                        return True
        return False

    def _stuck_field(self, type_name: str, subgraph: str, f: NField, provided: dict[str, FieldSet]) -> bool:
        if f.name == "__typename":
            return False
        memo = (id(f), type_name, subgraph)
        if not provided:
            cached = self._stuck.get(memo)
            if cached is not None:
                return cached
        graph = self.graph
        local = graph.resolvable_here(type_name, f.name, subgraph) or f.key in provided
        if not local and graph.is_abstract(type_name, subgraph):
            stuck = any(
                self._stuck_field(t, subgraph, f, graph.narrow(provided, t))
                for t in graph.possible_types(type_name, subgraph)
            )
        elif not local:
            stuck = not candidate_jumps(graph, type_name, subgraph, f.name)
        elif f.selections:
            child_provided = self._child_provided(type_name, subgraph, f, provided)
            stuck = self._stuck_selections(f.type_name, subgraph, f.selections, child_provided) and not any(
                j.edge.target != subgraph for j in candidate_jumps(graph, type_name, subgraph, f.name)
            )
        else:
            stuck = False
        if not provided:
            self._stuck[memo] = stuck
        return stuck

    # -- entity moves ------------------------------------------------------------------------------------

    def _jump(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        sel: NSelection,
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
        jumps: list[Jump] | None = None,
    ) -> None:
        field_name = sel.name if isinstance(sel, NField) else "__typename"
        jump = self._best_jump(step, type_name, subgraph, field_name, [sel], path, provided, jumps)
        if isinstance(sel, NField) and sel.selections:
            pieces = self._split_jump(step, type_name, subgraph, sel, provided, jump, jumps)
            if pieces is not None:
                for piece, piece_jump in pieces:
                    self._jump_with(
                        step, out, type_name, subgraph, piece, path, provided, conds, ckeys, piece_jump
                    )
                return
        self._jump_with(step, out, type_name, subgraph, sel, path, provided, conds, ckeys, jump)

    def _split_jump(
        self,
        step: FetchStep,
        type_name: str,
        subgraph: str,
        f: NField,
        provided: dict[str, FieldSet],
        jump: Jump,
        jumps: list[Jump] | None,
    ) -> list[tuple[NField, Jump]] | None:
        """Two parallel entity moves for ``f`` instead of one and a further hop: when the best target resolves
        only part of the field's selection itself and another target, entered with a key available here too,
        resolves all the rest itself (a value type two subgraphs know in part, one of them without a key)."""
        graph = self.graph

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
                self._pieces.extend((first, second))
                return [(first, jump), (second, other)]
        return None

    def _jump_with(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        sel: NSelection,
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
        jump: Jump,
    ) -> None:
        field_name = sel.name if isinstance(sel, NField) else "__typename"
        target = jump.edge.target
        entity_type = jump.edge.type_name
        requires = self.graph.requires(entity_type, field_name, target) if isinstance(sel, NField) else None
        # The move exists for this selection: under its own @skip/@include the whole fetch is conditional.
        entry_conds = conds | frozenset(conditions_of(sel.directives))
        step2 = self._enter(
            step, out, type_name, subgraph, path, jump, provided, entry_conds, ckeys, requires, 0
        )
        entity_out = step2.selections.fragment(entity_type)
        if self.graph.is_abstract(entity_type, target):
            entity_out.field("__typename", "__typename")
        # In that fetch the representation carries the required fields: the field is resolvable there.
        satisfied: dict[str, FieldSet] = (
            {sel.key: ()} if requires is not None and isinstance(sel, NField) else {}
        )
        outer, self._abstract_depth = self._abstract_depth, 1  # under ``_entities``
        try:
            self._walk(step2, entity_out, entity_type, target, [sel], path, satisfied, conds, ckeys)
        finally:
            self._abstract_depth = outer

    def _best_jump(
        self,
        step: FetchStep,
        type_name: str,
        subgraph: str,
        field_name: str,
        selections: list[NSelection],
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        jumps: list[Jump] | None = None,
    ) -> Jump:
        if jumps is None:
            jumps = candidate_jumps(self.graph, type_name, subgraph, field_name)
        if not jumps:
            raise PlanningError(
                "UNSATISFIABLE",
                f"{type_name}.{field_name} cannot be reached from subgraph {subgraph!r}: no subgraph that resolves "
                "it has a resolvable @key for the type",
                tuple(p for p in path if p != "@"),
            )
        existing = {k[0] for k in self._entity_steps if k[1] == path and k[2] == frozenset({step.id})}

        def cost(j: Jump) -> tuple[int, int, int, str]:
            depth = 0 if available(self.graph, type_name, subgraph, j.edge.key, provided) else 1
            req = self.graph.requires(j.edge.type_name, field_name, j.edge.target)
            if req is not None and not available(self.graph, type_name, subgraph, req[0], provided):
                depth += 1
            fetches = local_misses(self.graph, j.edge.type_name, j.edge.target, selections, {})
            fetches += 0 if j.edge.target in existing else 1
            return (depth, fetches, self.graph.order[j.edge.target], j.edge.key_text)

        return min(jumps, key=cost)

    def _enter(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        path: tuple[str, ...],
        jump: Jump,
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
        requires: tuple[FieldSet, str] | None,
        hops: int,
    ) -> FetchStep:
        """The entity step behind ``jump``; the current step fetches the representation it needs."""
        if hops > _MAX_HOPS:
            raise PlanningError(
                "UNSATISFIABLE",
                f"no way to collect the key fields of {type_name} for subgraph {jump.edge.target!r}",
                tuple(p for p in path if p != "@"),
            )
        out.field("__typename", "__typename")
        rep: RepTree = {"__typename": ("__typename", {})}
        deps = {step.id}
        d, r = self._require(
            step, out, type_name, subgraph, jump.edge.key, path, provided, conds, ckeys, hops
        )
        deps |= d
        _merge_rep(rep, r)
        if requires is not None:
            d, r = self._require(
                step, out, type_name, subgraph, requires[0], path, provided, conds, ckeys, hops
            )
            deps |= d
            _merge_rep(rep, r)
        variant = 0
        while True:
            key = (jump.edge.target, path, frozenset(deps), step.group, variant)
            target = self._entity_steps.get(key)
            if target is None:
                target = self._new_step(jump.edge.target, path, True, deps, step.group)
                self._entity_steps[key] = target
                break
            if can_share(target.requires.get(type_name, {}), target.conditions, rep, frozenset(conds)):
                break
            variant += 1
        target.entries.append(conds)
        _merge_rep(target.requires.setdefault(type_name, {}), rep)
        if jump.rewrite_from is not None or self.graph.is_interface_object(
            jump.edge.type_name, jump.edge.target
        ):
            # The target knows the entity only as the interface: whatever __typename the object has by the
            # time the fetch runs (another fetch may have set the real one), the representation names the
            # interface.
            target.rewrites[type_name] = jump.edge.type_name
        return target

    def _require(
        self,
        step: FetchStep,
        out: OutSelectionSet,
        type_name: str,
        subgraph: str,
        fields: FieldSet,
        path: tuple[str, ...],
        provided: dict[str, FieldSet],
        conds: Conditions,
        ckeys: ClientKeys,
        hops: int,
    ) -> tuple[set[int], RepTree]:
        """Fetch a key or @requires field set at the current object; returns the steps that provide it."""
        deps: set[int] = set()
        rep: RepTree = {}
        graph = self.graph
        for entry, sub in fields:
            if entry == "__typename":
                rep[entry] = ("__typename", {})
                continue
            condition = fragment_condition(entry)
            if condition is not None:
                if not graph.is_abstract(type_name, subgraph):
                    # An object here: the fragment's fields are the object's own when it satisfies the condition.
                    if type_name == condition or type_name in graph.supergraph_possible_types(condition):
                        d, r = self._require(
                            step, out, type_name, subgraph, sub, path, provided, conds, ckeys, hops
                        )
                        deps |= d
                        _merge_rep(rep, r)
                    continue
                d, r = self._require(
                    step,
                    out.fragment(condition),
                    condition,
                    subgraph,
                    sub,
                    path,
                    graph.narrow(provided, condition),
                    conds,
                    ckeys,
                    hops,
                )
                deps |= d
                _merge_rep(rep.setdefault(entry, (entry, {}))[1], r)
                continue
            name = entry_name(entry)
            if graph.resolvable_for_representation(type_name, name, subgraph) or entry in provided:
                arguments = entry_arguments(entry)
                planner_key = _planner_key(name, entry, ckeys, out, self._argument_aliases)
                response_key = self._subgraph_key(step, type_name, subgraph, name, planner_key, False)
                of = out.field(response_key, name, arguments, (), composite=bool(sub))
                child: RepTree = {}
                if sub:
                    assert of.selections is not None
                    child_type, depth = graph.field_type(type_name, name)
                    abstract = graph.is_abstract(child_type, subgraph)
                    if abstract:
                        of.selections.field("__typename", "__typename")
                        child["__typename"] = ("__typename", {})
                    self._abstract_depth += abstract
                    try:
                        d, sub_rep = self._require(
                            step,
                            of.selections,
                            child_type,
                            subgraph,
                            sub,
                            (*path, response_key, *("@",) * depth),
                            graph.narrow(dict(provided.get(entry, ())), child_type),
                            conds,
                            client_keys([c for f in ckeys.get(planner_key, []) for c in f.selections]),
                            hops,
                        )
                    finally:
                        self._abstract_depth -= abstract
                    deps |= d
                    _merge_rep(child, sub_rep)
                rep[name] = (response_key, child)
                continue
            jump = self._best_jump(step, type_name, subgraph, name, [], path, provided)
            req = graph.requires(jump.edge.type_name, name, jump.edge.target)
            step3 = self._enter(
                step, out, type_name, subgraph, path, jump, provided, conds, ckeys, req, hops + 1
            )
            entity_out = step3.selections.fragment(jump.edge.type_name)
            # In that fetch the field's own requirement (if any) travels in the representation: it resolves there.
            outer, self._abstract_depth = self._abstract_depth, 1  # under ``_entities``
            try:
                d, r = self._require(
                    step3,
                    entity_out,
                    jump.edge.type_name,
                    jump.edge.target,
                    ((entry, sub),),
                    path,
                    {entry: ()},
                    conds,
                    ckeys,
                    hops + 1,
                )
            finally:
                self._abstract_depth = outer
            deps |= d | {step3.id}
            _merge_rep(rep, r)
        return deps, rep


def can_share(a: RepTree, a_conditions: Conditions, b: RepTree, b_conditions: Conditions) -> bool:
    """Whether representations ``a`` (a step running under ``a_conditions``) and ``b`` can be one step's.

    They must not read one field from two response keys (``rep_conflict``). And a merged step runs under the
    weaker of the two conditions, so every field its representation reads must be fetched then: the more
    conditional side may only need fields the other side needs too (``{ products { cost } products
    @skip(if: $s) { heaviest } }``: heaviest's requirement is fetched only when $s is false, so it cannot join
    cost's representation, or every entity would lose cost when $s is true).
    """
    if rep_conflict(a, b):
        return False
    if a_conditions == b_conditions:
        return True
    if a_conditions <= b_conditions:
        return rep_within(b, a)
    if b_conditions <= a_conditions:
        return rep_within(a, b)
    return a == b


def rep_within(a: RepTree, b: RepTree) -> bool:
    """Whether every field ``a`` reads, ``b`` reads too (from the same response key)."""
    for name, (key, sub) in a.items():
        mine = b.get(name)
        if mine is None or mine[0] != key or not rep_within(sub, mine[1]):
            return False
    return True


def rep_conflict(a: RepTree, b: RepTree) -> bool:
    """Whether two representation selections read one field from different response keys (so the field has
    different arguments in each): they cannot share one representation."""
    for name, (key, sub) in b.items():
        mine = a.get(name)
        if mine is not None and (mine[0] != key or rep_conflict(mine[1], sub)):
            return True
    return False


def _planner_key(
    name: str, entry: str, ckeys: ClientKeys, out: OutSelectionSet, aliases: dict[str, str]
) -> str:
    """The response key for a field the planner adds (``entry``: its name and arguments).

    Without arguments: its name, unless the client or another planner field uses that key at this level for
    something else; then ``__fk_<name>`` (``__fk_<name>_<n>`` when even that is taken). With arguments: the
    client's own key when the client selects that very field there, else an alias that is the same for that
    field and arguments everywhere in the plan (``__fk_<name>__<n>``, from ``aliases``), so two fetches that
    merge at one path never write different arguments' values under one key.
    """
    if entry != name:
        clients = ckeys.get(name, ())
        if clients and all(f.key == entry for f in clients):
            return name
        base = aliases.get(entry)
        if base is None:
            base = f"__fk_{name}__{1 + sum(1 for e in aliases if entry_name(e) == name)}"
            aliases[entry] = base
        candidates = [base]
    else:
        candidates = [name, f"__fk_{name}"]

    def free(candidate: str) -> bool:
        if any(f.key != entry for f in ckeys.get(candidate, ())):
            return False
        mine = out.fields.get((candidate, ""))
        return mine is None or field_key(mine.name, mine.arguments) == entry

    for candidate in candidates:
        if free(candidate):
            return candidate
    n = 2
    while not free(f"{candidates[-1]}_{n}"):
        n += 1
    return f"{candidates[-1]}_{n}"


def build_fetch_steps(graph: QueryGraph, operation: NOperation) -> list[FetchStep]:
    """Plan every selected field into fetch steps (ids are a topological order: dependencies come first)."""
    builder = _StepBuilder(graph, operation)
    builder.plan_root()
    return builder.steps
