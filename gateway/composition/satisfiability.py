"""Satisfiability: every field a client can select must be reachable through some sequence of subgraph fetches.

The graph has a node per (type, subgraph, fields a ``@provides`` on the way made available) and edges for field
moves (inside one subgraph), abstract moves (an interface or union to its possible types in that subgraph) and
entity moves (to another subgraph through one of its resolvable ``@key``s whose fields the current subgraph can
provide; interface objects included). Every node a field or a type condition reaches is checked: each field of
its type must be resolvable there or in a subgraph reachable from there through entity moves, with its
``@requires`` met. Apollo's composition checks the same thing path by path (``SATISFIABILITY_ERROR``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from gateway.composition.errors import CompositionError
from gateway.composition.field_set import walk_field_set
from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import SubgraphField
from gateway.composition.supergraph import Key, TypeKind
from gateway.composition.types import named

__all__ = ["check_satisfiability"]

# (type name, subgraph name, the (type, field) pairs a @provides on the way there made resolvable)
_Node = tuple[str, str, frozenset[tuple[str, str]]]
_NONE: frozenset[tuple[str, str]] = frozenset()
_ROOT_TYPES = ("Query", "Mutation", "Subscription")


# A query path: every node the gateway could be in after following it (the alternatives).
_State = frozenset[_Node]


@dataclass(frozen=True)
class _StateStep:
    previous: _State | None
    label: str  # the root type name for a start state, else "field name" or "... on Type"


class _Graph:
    def __init__(self, model: MergedSupergraph) -> None:
        self.model = model
        self.subs = {s.name: s for s in model.subgraphs}
        self.collect_cache: dict[tuple[str, str, str, frozenset[tuple[str, str]]], bool] = {}
        # A node's moves depend on the node alone; the states of many query paths share nodes.
        self.moves_cache: dict[_Node, list[tuple[_Node, str]]] = {}
        # For each type name: the interfaces (with keys somewhere) it implements in the supergraph.
        self.entity_interfaces: dict[str, list[str]] = {}
        for t in model.types.values():
            for i in t.implements:
                it = model.types.get(i)
                if it is not None and any(s.keys for s in it.sources.values()):
                    self.entity_interfaces.setdefault(t.name, []).append(i)

    def resolves(self, graph: str, t: MergedType, f: MergedField) -> bool:
        decl = f.sources.get(graph)
        return decl is not None and not decl.external and graph not in f.overridden

    def can_collect(
        self, graph: str, type_name: str, key: Key, provided: frozenset[tuple[str, str]] = _NONE
    ) -> bool:
        """Whether ``graph`` resolves the fields of ``key`` itself, or a ``@provides`` on the way gave them.

        A key field that is ``@external`` in ``graph`` does not count, even for a key of ``graph``'s own: the
        subgraph does not resolve it (federation spec, ``@external``), so a representation for the next
        subgraph cannot be built there, as Apollo's composition says ("not resolvable because marked
        @external"). A ``@key`` field of an entity extension is not ``@external`` here at all (a "fake"
        external, see ``subgraph.py``).
        """
        cache_key = (graph, type_name, key.fields, provided)
        hit = self.collect_cache.get(cache_key)
        if hit is not None:
            return hit
        sub = self.subs[graph]
        ok = False
        if sub.shape.get_type(type_name) is not None:
            selected, problems = walk_field_set(sub.shape, type_name, key.fields)
            ok = not problems and all(
                self.local(graph, s.type_name, s.field_name) or (s.type_name, s.field_name) in provided
                for s in selected
            )
        self.collect_cache[cache_key] = ok
        return ok

    def local(self, graph: str, type_name: str, field_name: str) -> bool:
        mt = self.model.types.get(type_name)
        if mt is None:
            return False
        mf = mt.fields.get(field_name)
        if mf is None:
            # A subgraph's interface-object type is an interface in the supergraph: look at its own declaration.
            decl = self.subs[graph].types.get(type_name)
            return decl is not None and field_name in decl.fields and not decl.fields[field_name].external
        return self.resolves(graph, mt, mf)

    def possible_types(self, graph: str, abstract: str) -> list[str]:
        sub = self.subs[graph]
        t = sub.types.get(abstract)
        if t is None or t.interface_object:
            return []
        if t.kind is TypeKind.UNION:
            return list(t.members)
        if t.kind is TypeKind.INTERFACE:
            return [o.name for o in sub.types.values() if abstract in o.interfaces]
        return []

    def entity_moves(self, node: _Node) -> list[tuple[_Node, Key]]:
        type_name, graph, provided = node
        out: list[tuple[_Node, Key]] = []
        targets = [type_name, *self.entity_interfaces.get(type_name, ())]
        for target in targets:
            mt = self.model.types.get(target)
            if mt is None:
                continue
            for other, decl in mt.sources.items():
                if other == graph:
                    continue
                for key in decl.keys:
                    if key.resolvable and self.can_collect(graph, type_name, key, provided):
                        out.append(((target, other, _NONE), key))
                        break
        return out

    def provided_by(
        self, graph: str, decl: SubgraphField, target: str, provided: frozenset[tuple[str, str]], local: bool
    ) -> frozenset[tuple[str, str]]:
        """What is resolvable beyond the subgraph's own fields after moving along ``decl``: its ``@provides``
        (https://www.apollographql.com/docs/federation/federated-schemas/federated-directives#provides), or
        what an enclosing ``@provides`` still covers when the field itself was provided. An event-driven field
        (``@edfs__natsSubscribe``, gateway.composition.events) brings the key fields of the entity it returns:
        each message is the entity's ``__typename`` and key, though the subgraph declares them ``@external``."""
        if decl.event_source is not None and local:
            target_type = self.subs[graph].types.get(target)
            keys = target_type.keys if target_type is not None else []
            return frozenset(
                (s.type_name, s.field_name)
                for key in keys
                for s in walk_field_set(self.subs[graph].shape, target, key.fields)[0]
            )
        if decl.provides is not None and local:
            selected, _ = walk_field_set(self.subs[graph].shape, target, decl.provides)
            return frozenset((s.type_name, s.field_name) for s in selected)
        return provided if not local else _NONE

    def moves(self, node: _Node) -> list[tuple[_Node, str]]:
        """Field and abstract-type moves out of ``node`` inside its subgraph (labels: field name, "... on T")."""
        found = self.moves_cache.get(node)
        if found is None:
            found = self.moves_cache[node] = self._moves(node)
        return found

    def _moves(self, node: _Node) -> list[tuple[_Node, str]]:
        type_name, graph, provided = node
        decl = self.subs[graph].types.get(type_name)
        mt = self.model.types.get(type_name)
        if decl is None or mt is None:
            return []
        out: list[tuple[_Node, str]] = []
        for fname in decl.fields:
            mf = mt.fields.get(fname)
            local = mf is not None and (
                self.resolves(graph, mt, mf) or (decl.interface_object and not decl.fields[fname].external)
            )
            if mf is None or not (local or (type_name, fname) in provided):
                continue
            target = named(decl.fields[fname].type)
            if self.subs[graph].types.get(target) is not None:
                nxt = (target, graph, self.provided_by(graph, decl.fields[fname], target, provided, local))
                out.append((nxt, fname))
        out.extend(((v, graph, provided), f"... on {v}") for v in self.possible_types(graph, type_name))
        return out

    def explore(self, cache: dict[_Node, set[_Node]]) -> dict[_State, _StateStep]:
        """Breadth-first over query paths, each a set of alternative nodes (Apollo's simultaneous paths).

        A state is every node one query path can be in: the gateway may take any of them, so a field is
        satisfiable on the path when one alternative (or a subgraph reachable from it by entity moves) resolves
        it. Following a field from a state follows it from every alternative that has it, so a field reached
        only through a ``@provides`` keeps, as alternatives, the nodes where the field's owner resolves it.
        """
        states: dict[_State, _StateStep] = {}
        queue: deque[_State] = deque()
        for root in _ROOT_TYPES:
            mt = self.model.types.get(root)
            if mt is None:
                continue
            # The gateway enters a root type in whichever subgraph it likes.
            start = frozenset((root, g, _NONE) for g in mt.sources)
            states[start] = _StateStep(None, root)
            queue.append(start)
        while queue:
            state = queue.popleft()
            full: set[_Node] = set()
            for node in state:
                full |= _closure(self, node, cache)
            following: dict[str, set[_Node]] = {}
            for node in sorted(full):
                for nxt, label in self.moves(node):
                    following.setdefault(label, set()).add(nxt)
            for label, nodes in sorted(following.items()):
                nxt_state = frozenset(nodes)
                if nxt_state not in states:
                    states[nxt_state] = _StateStep(state, label)
                    queue.append(nxt_state)
        return states


def _query_path(states: dict[_State, _StateStep], state: _State, leaf: str) -> str:
    labels: list[str] = [leaf]
    root = "Query"
    current: _State | None = state
    while current is not None:
        step = states[current]
        if step.previous is None:
            root = step.label
            break
        labels.append(step.label)
        current = step.previous
    labels.reverse()
    text = " { ".join(labels) + " }" * (len(labels) - 1)
    prefix = {"Query": "", "Mutation": "mutation ", "Subscription": "subscription "}.get(root, "")
    return f"{prefix}{{ {text} }}"


def _closure(graph: _Graph, node: _Node, cache: dict[_Node, set[_Node]]) -> set[_Node]:
    """Every node reachable from ``node`` through entity moves only (the same object, other subgraphs)."""
    hit = cache.get(node)
    if hit is not None:
        return hit
    found = {node}
    todo = [node]
    while todo:
        for nxt, _ in graph.entity_moves(todo.pop()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    cache[node] = found
    return found


def check_satisfiability(model: MergedSupergraph) -> list[CompositionError]:
    """One ``SATISFIABILITY_ERROR`` per client-selectable field that some query path to its type cannot resolve.

    On every query path (a state: the set of alternative (type, subgraph) nodes), each field of an object type
    must be resolvable by one alternative, or in a subgraph reachable from one through entity moves, with its
    ``@requires`` met there.
    """
    graph = _Graph(model)
    cache: dict[_Node, set[_Node]] = {}
    states = graph.explore(cache)
    failed: set[tuple[str, str]] = set()
    errors: list[CompositionError] = []
    for state in states:  # breadth-first order: the first failure has the shortest example query
        type_name = next(iter(state))[0]
        mt = model.types.get(type_name)
        if mt is None or mt.inaccessible:
            continue
        origins = sorted({g for _, g, _ in state})
        if mt.kind is not TypeKind.OBJECT and not (
            mt.kind is TypeKind.INTERFACE
            and any(mt.sources[g].interface_object for g in origins if g in mt.sources)
        ):
            continue  # an interface's fields are checked on the implementations it leads to
        closure: set[_Node] | None = None
        for mf in mt.fields.values():
            if mf.inaccessible or (type_name, mf.name) in failed:
                continue
            if not mf.via_interface_object and any(
                (graph.resolves(g, mt, mf) and mf.sources[g].requires is None)
                or (type_name, mf.name) in provided
                for _, g, provided in state
            ):
                continue  # the common case, decided without computing the closure
            if closure is None:
                closure = set()
                for node in state:
                    closure |= _closure(graph, node, cache)
            problem = None
            for origin in origins:
                problem = _field_problem(graph, closure, mt, mf, origin)
                if problem is None:
                    break
            if problem is None:
                continue
            failed.add((type_name, mf.name))
            reached = sorted({g for t, g, _ in closure if t == type_name})
            errors.append(
                CompositionError.of(
                    "SATISFIABILITY_ERROR",
                    f"The following supergraph API query:\n{_query_path(states, state, mf.name)}\n"
                    f"cannot be satisfied by the subgraphs because:\n{problem}",
                    sorted(set(reached) | set(mf.sources)),
                    mt.name,
                    mf.name,
                )
            )
    errors.sort(key=lambda e: (e.type_name or "", e.field_name or ""))
    return errors


def _field_problem(
    graph: _Graph, closure: set[_Node], mt: MergedType, mf: MergedField, origin: str
) -> str | None:
    reached = sorted({g for t, g, _ in closure if t == mt.name}, key=lambda g: (g != origin, g))
    if mf.via_interface_object:
        for i in graph.entity_interfaces.get(mt.name, ()):
            for t, g, _ in closure:
                if t == i and graph.local(g, i, mf.name):
                    return None
        return (
            f'- from subgraph "{origin}": no subgraph that resolves "{mt.name}.{mf.name}" through an '
            "@interfaceObject can be reached with a key of the interface."
        )
    resolvers = [g for g in mf.sources if graph.resolves(g, mt, mf)]
    reasons: list[str] = []
    for g in resolvers:
        if g in reached:
            requires = mf.sources[g].requires
            if requires is None:
                return None
            missing = _unmet_requires(graph, reached, mt.name, g, requires)
            if not missing:
                return None
            reasons.append(
                f'- cannot satisfy @requires(fields: "{requires}") of "{mt.name}.{mf.name}" in subgraph "{g}": '
                f"{', '.join(missing)} cannot be resolved by {_subgraphs(reached)}. "
                "Resolve those fields in a subgraph reachable from there."
            )
            continue
        decl = graph.subs[g].types[mt.name]
        if not decl.keys:
            reasons.append(
                f'- cannot move to subgraph "{g}", which has field "{mt.name}.{mf.name}", because type "{mt.name}" '
                f'has no @key defined in subgraph "{g}". Add a @key to "{mt.name}" in "{g}", or resolve the field '
                f"in {_subgraphs(reached)} too."
            )
        elif not any(k.resolvable for k in decl.keys):
            reasons.append(
                f'- cannot move to subgraph "{g}", which has field "{mt.name}.{mf.name}", because every @key of '
                f'"{mt.name}" in subgraph "{g}" has resolvable: false. Make one key resolvable.'
            )
        else:
            keys = ", ".join(f'@key(fields: "{k.fields}")' for k in decl.keys if k.resolvable)
            reasons.append(
                f'- cannot move to subgraph "{g}", which has field "{mt.name}.{mf.name}", using {keys} of '
                f'"{mt.name}": the key field(s) cannot be resolved from {_subgraphs(reached)}. '
                "Resolve the key fields there (or add a key they can provide)."
            )
    if not resolvers:
        reasons.append(
            f'- no subgraph resolves field "{mt.name}.{mf.name}" (it is @external or overridden everywhere).'
        )
    head = "".join(
        f'- from subgraph "{g}": cannot find field "{mt.name}.{mf.name}".\n'
        for g in reached
        if g not in resolvers
    )
    return head + "\n".join(reasons)


def _unmet_requires(
    graph: _Graph, reached: list[str], type_name: str, owner: str, requires: str
) -> list[str]:
    selected, _ = walk_field_set(graph.subs[owner].shape, type_name, requires)
    missing: list[str] = []
    for s in selected:
        if s.depth == 0 and not any(graph.local(g, s.type_name, s.field_name) for g in reached):
            missing.append(f'"{s.type_name}.{s.field_name}"')
    return missing


def _subgraphs(graphs: list[str]) -> str:
    quoted = ", ".join(f'"{g}"' for g in graphs)
    return f"subgraph{'s' if len(graphs) > 1 else ''} {quoted}"
