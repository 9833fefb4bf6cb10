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
from gateway.composition.field_set import SelectedField, walk_field_set
from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import SubgraphField
from gateway.composition.supergraph import Key, TypeKind
from gateway.composition.types import named

__all__ = ["check_satisfiability"]

# (type name, subgraph name, the (type, field) pairs a @provides on the way there made resolvable)
_Node = tuple[str, str, frozenset[tuple[str, str]]]
_NONE: frozenset[tuple[str, str]] = frozenset()
_ROOT_TYPES = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class _Step:
    previous: _Node | None
    label: str  # "field name", "... on Type" or "" for an entity move


class _Graph:
    def __init__(self, model: MergedSupergraph) -> None:
        self.model = model
        self.subs = {s.name: s for s in model.subgraphs}
        self.collect_cache: dict[tuple[str, str, str], bool] = {}
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

    def can_collect(self, graph: str, type_name: str, key: Key) -> bool:
        cache_key = (graph, type_name, key.fields)
        hit = self.collect_cache.get(cache_key)
        if hit is not None:
            return hit
        sub = self.subs[graph]
        ok = False
        if sub.schema.get_type(type_name) is not None:
            selected, problems = walk_field_set(sub.schema, type_name, key.fields)
            # Fields of the subgraph's own keys came with the representation that entered it, @external or not.
            own = {
                (s.type_name, s.field_name)
                for k in sub.types[type_name].keys
                for s in self._key_fields(graph, type_name, k)
            }
            ok = not problems and all(
                self.local(graph, s.type_name, s.field_name) or (s.type_name, s.field_name) in own
                for s in selected
            )
        self.collect_cache[cache_key] = ok
        return ok

    def _key_fields(self, graph: str, type_name: str, key: Key) -> list[SelectedField]:
        return walk_field_set(self.subs[graph].schema, type_name, key.fields)[0]

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
        type_name, graph, _ = node
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
                    if key.resolvable and self.can_collect(graph, type_name, key):
                        out.append(((target, other, _NONE), key))
                        break
        return out

    def provided_by(
        self, graph: str, decl: SubgraphField, target: str, provided: frozenset[tuple[str, str]], local: bool
    ) -> frozenset[tuple[str, str]]:
        """What is resolvable beyond the subgraph's own fields after moving along ``decl``: its ``@provides``
        (https://www.apollographql.com/docs/federation/federated-schemas/federated-directives#provides), or
        what an enclosing ``@provides`` still covers when the field itself was provided."""
        if decl.provides is not None and local:
            selected, _ = walk_field_set(self.subs[graph].schema, target, decl.provides)
            return frozenset((s.type_name, s.field_name) for s in selected)
        return provided if not local else _NONE

    def explore(self) -> dict[_Node, _Step]:
        """Breadth-first over the graph; fills ``self.entries`` with the nodes a field or type condition reaches.

        Only entries are checked: a node reached through an entity move alone is one of the alternatives of
        the entry it was reached from, where the field may have been resolved before moving.
        """
        seen: dict[_Node, _Step] = {}
        self.entries: dict[_Node, _Step] = {}
        queue: deque[_Node] = deque()
        for root in _ROOT_TYPES:
            mt = self.model.types.get(root)
            for graph in mt.sources if mt else ():
                node = (root, graph, _NONE)
                seen[node] = self.entries[node] = _Step(None, root)
                queue.append(node)
        while queue:
            node = queue.popleft()
            type_name, graph, provided = node
            decl = self.subs[graph].types.get(type_name)
            mt = self.model.types.get(type_name)
            if decl is None or mt is None:
                continue
            moves: list[tuple[_Node, str]] = []
            for fname in decl.fields:
                mf = mt.fields.get(fname)
                local = mf is not None and (
                    self.resolves(graph, mt, mf)
                    or (decl.interface_object and not decl.fields[fname].external)
                )
                if mf is None or not (local or (type_name, fname) in provided):
                    continue
                target = named(decl.fields[fname].type)
                if self.subs[graph].types.get(target) is not None:
                    moves.append(
                        (
                            (
                                target,
                                graph,
                                self.provided_by(graph, decl.fields[fname], target, provided, local),
                            ),
                            fname,
                        )
                    )
            moves.extend(((v, graph, provided), f"... on {v}") for v in self.possible_types(graph, type_name))
            moves.extend((n, "") for n, _ in self.entity_moves(node))
            for nxt, label in moves:
                if label and nxt not in self.entries:
                    self.entries[nxt] = _Step(node, label)
                if nxt not in seen:
                    seen[nxt] = _Step(node, label)
                    queue.append(nxt)
        return seen


def _query_path(seen: dict[_Node, _Step], entries: dict[_Node, _Step], node: _Node, leaf: str) -> str:
    labels: list[str] = [leaf]
    root = "Query"
    current: _Node | None = node
    visited: set[_Node] = set()
    while current is not None and current not in visited:
        visited.add(current)
        step = entries.get(current) or seen[current]
        if step.previous is None:
            root = step.label
            break
        if step.label:
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
    """One ``SATISFIABILITY_ERROR`` per client-selectable field that some path to its type cannot resolve.

    Every reachable (object type, subgraph) node is checked: each field of the type must be resolvable in that
    subgraph or in one reachable from it through entity moves, with its ``@requires`` met there.
    """
    graph = _Graph(model)
    seen = graph.explore()
    cache: dict[_Node, set[_Node]] = {}
    failed: set[tuple[str, str]] = set()
    errors: list[CompositionError] = []
    roots_done: set[str] = set()
    for node in graph.entries:  # breadth-first order: the first failure has the shortest example query
        type_name, origin, provided = node
        mt = model.types.get(type_name)
        if mt is None or mt.inaccessible:
            continue
        if type_name in _ROOT_TYPES:
            if type_name in roots_done:
                continue  # every root node has the same alternatives: check the root type once
            roots_done.add(type_name)
        if mt.kind is not TypeKind.OBJECT and not (
            mt.kind is TypeKind.INTERFACE and mt.sources[origin].interface_object
        ):
            continue  # an interface's fields are checked on the implementations it leads to
        closure: set[_Node] | None = None
        for mf in mt.fields.values():
            if mf.inaccessible or (type_name, mf.name) in failed:
                continue
            if not mf.via_interface_object and (
                (graph.resolves(origin, mt, mf) and mf.sources[origin].requires is None)
                or (type_name, mf.name) in provided
            ):
                continue  # the common case, decided without computing the closure
            if closure is None:
                if type_name in _ROOT_TYPES:  # the gateway enters a root type in whichever subgraph it likes
                    closure = {(type_name, g, _NONE) for g in mt.sources}
                else:
                    closure = _closure(graph, node, cache)
            problem = _field_problem(graph, closure, mt, mf, origin)
            if problem is None:
                continue
            failed.add((type_name, mf.name))
            reached = sorted({g for t, g, _ in closure if t == type_name}, key=lambda g: (g != origin, g))
            errors.append(
                CompositionError.of(
                    "SATISFIABILITY_ERROR",
                    f"The following supergraph API query:\n{_query_path(seen, graph.entries, node, mf.name)}\n"
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
    selected, _ = walk_field_set(graph.subs[owner].schema, type_name, requires)
    missing: list[str] = []
    for s in selected:
        if s.depth == 0 and not any(graph.local(g, s.type_name, s.field_name) for g in reached):
            missing.append(f'"{s.type_name}.{s.field_name}"')
    return missing


def _subgraphs(graphs: list[str]) -> str:
    quoted = ", ".join(f'"{g}"' for g in graphs)
    return f"subgraph{'s' if len(graphs) > 1 else ''} {quoted}"
