"""The query graph: nodes are "type T in subgraph S", edges are the moves a plan can make between them.

Edges (after Hive Router's and Apollo's query graphs, https://www.apollographql.com/docs/federation/query-plans):

* field edges: ``T.f`` resolvable in S (``@join__field`` not external, not overridden away; ``@override`` labels
  decided by the request's enabled labels);
* key (entity) edges: from (T, S) to (T, S2) when S2 declares a resolvable ``@key`` on T
  (``@join__type(key:, resolvable: true)``), entered with a representation;
* abstract edges: from an interface or union in S to each object type S can return for it
  (``@join__implements``, ``@join__unionMember``);
* interface-object edges: from an object T to its interface I in a subgraph where I is an ``@interfaceObject``.

The graph is built once per supergraph and set of enabled override labels, and cached.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from graphql import ArgumentNode, FieldNode, InlineFragmentNode, SelectionSetNode

from gateway.composition.field_set import parse_field_set as parse_selection_set
from gateway.composition.supergraph import Supergraph, SupergraphField, TypeKind
from gateway.planning.printing import print_arguments

if TYPE_CHECKING:
    from gateway.planning.paths import Jump

__all__ = [
    "FRAGMENT_PREFIX",
    "FieldSet",
    "KeyEdge",
    "QueryGraph",
    "entry_arguments",
    "entry_name",
    "field_key",
    "fragment_condition",
    "merge_field_sets",
    "parse_field_set",
    "query_graph",
]

# A field set (``@key``/``@requires``/``@provides``) as a tree: entry -> sub-selection. An entry is a field name,
# a field with arguments in canonical text (``weight(unit:"kg")``, see ``field_key``) or an inline fragment
# ``... on T`` (``@provides(fields: "... on Book { title }")`` provides ``title`` on ``Book`` only).
FieldSet = tuple[tuple[str, "FieldSet"], ...]

FRAGMENT_PREFIX = "... on "


def field_key(name: str, arguments: tuple[ArgumentNode, ...] | list[ArgumentNode] = ()) -> str:
    """The field set entry of a field: its name, followed by its arguments (sorted by name) when it has some."""
    if not arguments:
        return name
    return f"{name}({print_arguments(sorted(arguments, key=lambda a: a.name.value))})"


def entry_name(entry: str) -> str:
    """The field name of a field set entry (``weight(unit:"kg")`` -> ``weight``)."""
    cut = entry.find("(")
    return entry if cut < 0 else entry[:cut]


def fragment_condition(entry: str) -> str | None:
    """The type condition of an inline fragment entry, None for a field."""
    return entry[len(FRAGMENT_PREFIX) :] if entry.startswith(FRAGMENT_PREFIX) else None


def entry_arguments(entry: str) -> tuple[ArgumentNode, ...]:
    """The argument nodes of a field set entry (none for a plain field name)."""
    if "(" not in entry:
        return ()
    node = parse_selection_set(entry).selections[0]
    assert isinstance(node, FieldNode)
    return tuple(node.arguments or ())


def _to_tree(selection_set: SelectionSetNode | None) -> FieldSet:
    if selection_set is None:
        return ()
    out: dict[str, FieldSet] = {}
    for s in selection_set.selections:
        if isinstance(s, FieldNode):
            key = field_key(s.name.value, tuple(s.arguments or ()))
            out[key] = _merge_trees(out.get(key, ()), _to_tree(s.selection_set))
        elif isinstance(s, InlineFragmentNode):
            sub = _to_tree(s.selection_set)
            if s.type_condition is None:
                for name, inner in sub:
                    out[name] = _merge_trees(out.get(name, ()), inner)
            else:
                key = FRAGMENT_PREFIX + s.type_condition.name.value
                out[key] = _merge_trees(out.get(key, ()), sub)
    return tuple(out.items())


def _merge_trees(a: FieldSet, b: FieldSet) -> FieldSet:
    if not a:
        return b
    if not b:
        return a
    merged = dict(a)
    for name, sub in b:
        merged[name] = _merge_trees(merged.get(name, ()), sub)
    return tuple(merged.items())


def merge_field_sets(a: FieldSet, b: FieldSet) -> FieldSet:
    """The union of two field sets."""
    return _merge_trees(a, b)


@lru_cache(maxsize=4096)
def parse_field_set(text: str) -> FieldSet:
    """Parse a federation field set (``"id organization { id }"``) into a tree."""
    return _to_tree(parse_selection_set(text))


@dataclass(frozen=True)
class KeyEdge:
    """A way into subgraph ``target`` for entity ``type_name``: its representation carries ``key``."""

    target: str
    type_name: str
    key: FieldSet
    key_text: str


class QueryGraph:
    """Lookups over the (type, subgraph) graph of one supergraph and one set of enabled override labels."""

    def __init__(self, supergraph: Supergraph, override_labels: frozenset[str]) -> None:
        self.supergraph = supergraph
        self.override_labels = override_labels
        self.order = {name: i for i, name in enumerate(sorted(supergraph.subgraphs))}
        self._resolvers: dict[tuple[str, str], tuple[str, ...]] = {}
        self._keys: dict[str, tuple[KeyEdge, ...]] = {}
        self._possible: dict[tuple[str, str], tuple[str, ...]] = {}
        self._field_types: dict[tuple[str, str], tuple[str, int]] = {}
        self._here: dict[tuple[str, str, str], bool] = {}
        self._requires: dict[tuple[str, str, str], tuple[FieldSet, str] | None] = {}
        self._supergraph_possible: dict[str, tuple[str, ...]] = {}
        # paths.candidate_jumps, a function of this graph and (type, subgraph, field) alone.
        self.jumps: dict[tuple[str, str, str], tuple[Jump, ...]] = {}

    # -- nodes -----------------------------------------------------------------------------------------------

    def has_type(self, type_name: str, subgraph: str) -> bool:
        t = self.supergraph.types.get(type_name)
        return t is not None and subgraph in t.subgraphs

    def is_interface_object(self, type_name: str, subgraph: str) -> bool:
        t = self.supergraph.types.get(type_name)
        if t is None:
            return False
        in_subgraph = t.subgraphs.get(subgraph)
        return in_subgraph is not None and in_subgraph.is_interface_object

    def is_abstract(self, type_name: str, subgraph: str | None = None) -> bool:
        """Interfaces and unions, except an interface that ``subgraph`` sees as an object (@interfaceObject)."""
        t = self.supergraph.types.get(type_name)
        if t is None or t.kind not in (TypeKind.INTERFACE, TypeKind.UNION):
            return False
        return subgraph is None or not self.is_interface_object(type_name, subgraph)

    def is_composite(self, type_name: str) -> bool:
        """Object, interface or union: a field of that type needs a selection set."""
        t = self.supergraph.types.get(type_name)
        return t is not None and t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION)

    def field_type(self, type_name: str, field_name: str) -> tuple[str, int]:
        """The named type of a field and how many lists wrap it."""
        cached = self._field_types.get((type_name, field_name))
        if cached is None:
            text = self.supergraph.field(type_name, field_name).type
            cached = (text.replace("[", "").replace("]", "").replace("!", ""), text.count("["))
            self._field_types[(type_name, field_name)] = cached
        return cached

    def subgraph_field_type(self, type_name: str, field_name: str, subgraph: str) -> str:
        """The field's type as ``subgraph`` declares it (``@join__field(type:)``; it may differ from the
        supergraph's in nullability, or name a smaller union or one of its members)."""
        sf = self.supergraph.field(type_name, field_name)
        in_subgraph = sf.subgraphs.get(subgraph)
        return in_subgraph.type if in_subgraph is not None and in_subgraph.type else sf.type

    # -- field edges -----------------------------------------------------------------------------------------

    def resolvers(self, type_name: str, field_name: str) -> tuple[str, ...]:
        """Subgraphs that resolve ``type_name.field_name`` themselves, in a stable order."""
        key = (type_name, field_name)
        found = self._resolvers.get(key)
        if found is None:
            t = self.supergraph.types.get(type_name)
            sf = t.fields.get(field_name) if t is not None else None
            found = self._active(sf) if sf is not None else ()
            self._resolvers[key] = found
        return found

    def _active(self, sf: SupergraphField) -> tuple[str, ...]:
        graphs: list[str] = []
        for g, f in sf.subgraphs.items():
            if f.external or f.used_overridden:
                continue
            if f.override_label is not None:
                # Progressive @override: the winner (``override`` set) serves the field when the label is
                # enabled for this request, the graph it was taken from serves it otherwise.
                enabled = f.override_label in self.override_labels
                if (f.override is not None) != enabled:
                    continue
            graphs.append(g)
        return tuple(sorted(graphs, key=lambda g: self.order.get(g, 0)))

    def resolvable(self, type_name: str, field_name: str, subgraph: str) -> bool:
        if field_name == "__typename":
            return True
        return subgraph in self.resolvers(type_name, field_name)

    def resolvable_here(self, type_name: str, field_name: str, subgraph: str) -> bool:
        """Resolvable in the fetch already under way: a field with ``@requires`` in that subgraph is not, it
        needs an ``_entities`` fetch whose representation carries the required fields.

        On an interface, a field is resolvable only when every implementation the subgraph may return resolves
        it too: an implementation's field can be ``@external``, ``@override``-n away or ``@requires``-computed
        there, and then the planner asks for it per implementation (abstract edges) instead."""
        key = (type_name, field_name, subgraph)
        found = self._here.get(key)
        if found is None:
            found = (
                self.resolvable(type_name, field_name, subgraph)
                and self.requires(type_name, field_name, subgraph) is None
            )
            if found and field_name != "__typename" and self.is_abstract(type_name, subgraph):
                found = all(
                    self.resolvable_here(t, field_name, subgraph)
                    for t in self.possible_types(type_name, subgraph)
                )
            self._here[key] = found
        return found

    def resolvable_for_representation(self, type_name: str, field_name: str, subgraph: str) -> bool:
        """Resolvable here for a key or ``@requires`` selection: also the losing side of an ``@override`` that
        composition kept (``usedOverridden``) precisely because a key or requirement still needs it there."""
        if self.resolvable_here(type_name, field_name, subgraph):
            return True
        t = self.supergraph.types.get(type_name)
        sf = t.fields.get(field_name) if t is not None else None
        in_subgraph = sf.subgraphs.get(subgraph) if sf is not None else None
        return in_subgraph is not None and in_subgraph.used_overridden and not in_subgraph.external

    def provides(self, type_name: str, field_name: str, subgraph: str) -> FieldSet:
        """The ``@provides`` of the field in that subgraph (fields that come along without a jump).

        An event-driven field (``SupergraphField.event_source``) provides its entity's key fields: each message
        carries them (the subgraph declares them ``@external``, as Cosmo's event-driven subgraphs do)."""
        sf = self.supergraph.field(type_name, field_name)
        source = sf.event_source
        if source is not None and source.graph == subgraph:
            provided: FieldSet = ()
            named = self.field_type(type_name, field_name)[0]
            target = self.supergraph.types.get(named)
            for key in target.keys(subgraph) if target is not None else ():
                provided = merge_field_sets(provided, parse_field_set(key.fields))
            return provided
        in_subgraph = sf.subgraphs.get(subgraph)
        return (
            parse_field_set(in_subgraph.provides) if in_subgraph is not None and in_subgraph.provides else ()
        )

    def narrow(self, provided: dict[str, FieldSet], type_name: str) -> dict[str, FieldSet]:
        """``provided`` at a position now known to hold ``type_name``: the entries of inline fragments whose
        condition ``type_name`` satisfies join the plain entries (``@provides(fields: "... on Book { title }")``)."""
        if not any(k.startswith(FRAGMENT_PREFIX) for k in provided):
            return provided
        out: dict[str, FieldSet] = {}
        for entry, sub in provided.items():
            condition = fragment_condition(entry)
            if condition is not None and (
                condition == type_name
                or (
                    not self.is_abstract(type_name) and type_name in self.supergraph_possible_types(condition)
                )
            ):
                for inner, inner_sub in self.narrow(dict(sub), type_name).items():
                    out[inner] = _merge_trees(out.get(inner, ()), inner_sub)
            else:
                out[entry] = _merge_trees(out.get(entry, ()), sub)
        return out

    def requires(self, type_name: str, field_name: str, subgraph: str) -> tuple[FieldSet, str] | None:
        key = (type_name, field_name, subgraph)
        if key in self._requires:
            return self._requires[key]
        t = self.supergraph.types.get(type_name)
        sf = t.fields.get(field_name) if t is not None else None
        in_subgraph = sf.subgraphs.get(subgraph) if sf is not None else None
        found = None
        if in_subgraph is not None and in_subgraph.requires:
            found = parse_field_set(in_subgraph.requires), in_subgraph.requires
        self._requires[key] = found
        return found

    # -- key edges ------------------------------------------------------------------------------------------

    def keys(self, type_name: str) -> tuple[KeyEdge, ...]:
        """Every resolvable key edge into ``type_name`` (``resolvable: false`` keys are never targets)."""
        found = self._keys.get(type_name)
        if found is None:
            t = self.supergraph.types.get(type_name)
            edges: list[KeyEdge] = []
            if t is not None:
                for g in sorted(t.subgraphs, key=lambda g: self.order.get(g, 0)):
                    for k in t.subgraphs[g].keys:
                        if k.resolvable:
                            edges.append(KeyEdge(g, type_name, parse_field_set(k.fields), k.fields))
            found = tuple(edges)
            self._keys[type_name] = found
        return found

    def key_fields(self, type_name: str, subgraph: str) -> set[str]:
        return {entry_name(name) for k in self.keys(type_name) if k.target == subgraph for name, _ in k.key}

    # -- abstract and interface-object edges -----------------------------------------------------------------

    def possible_types(self, type_name: str, subgraph: str) -> tuple[str, ...]:
        """Object types ``subgraph`` can return where it returns ``type_name`` (itself for an object)."""
        key = (type_name, subgraph)
        found = self._possible.get(key)
        if found is None:
            found = self._compute_possible(type_name, subgraph)
            self._possible[key] = found
        return found

    def _compute_possible(self, type_name: str, subgraph: str) -> tuple[str, ...]:
        t = self.supergraph.types.get(type_name)
        if t is None:
            return ()
        if t.kind == TypeKind.OBJECT or self.is_interface_object(type_name, subgraph):
            return (type_name,)
        if t.kind == TypeKind.UNION:
            return tuple(sorted(m for m, graphs in t.union_members.items() if subgraph in graphs))
        out: list[str] = []
        for other in self.supergraph.types.values():
            if other.kind == TypeKind.OBJECT and subgraph in other.implements.get(type_name, set()):
                out.append(other.name)
        return tuple(sorted(out))

    def supergraph_possible_types(self, type_name: str) -> tuple[str, ...]:
        found = self._supergraph_possible.get(type_name)
        if found is None:
            found = self._supergraph_possible[type_name] = self._compute_supergraph_possible(type_name)
        return found

    def _compute_supergraph_possible(self, type_name: str) -> tuple[str, ...]:
        t = self.supergraph.types.get(type_name)
        if t is None:
            return ()
        if t.kind == TypeKind.OBJECT:
            return (type_name,)
        if t.kind == TypeKind.UNION:
            return tuple(sorted(t.union_members))
        return tuple(
            sorted(
                o.name
                for o in self.supergraph.types.values()
                if o.kind == TypeKind.OBJECT and type_name in o.implements
            )
        )

    def interface_objects(self, type_name: str, field_name: str) -> list[tuple[str, str]]:
        """(interface, subgraph) pairs where an @interfaceObject of one of T's interfaces resolves the field."""
        t = self.supergraph.types.get(type_name)
        out: list[tuple[str, str]] = []
        if t is None:
            return out
        for iface in sorted(t.implements):
            for g in self.resolvers(iface, field_name):
                if self.is_interface_object(iface, g):
                    out.append((iface, g))
        return out


_CACHE: dict[int, tuple[weakref.ref[Supergraph], dict[frozenset[str], QueryGraph]]] = {}


def query_graph(supergraph: Supergraph, override_labels: frozenset[str] = frozenset()) -> QueryGraph:
    """The cached query graph of a supergraph (built on first use, dropped with the supergraph)."""
    entry = _CACHE.get(id(supergraph))
    if entry is None or entry[0]() is not supergraph:
        key = id(supergraph)
        # pop bound now: at interpreter exit the module global may already be None when the callback runs.
        pop = _CACHE.pop
        entry = (weakref.ref(supergraph, lambda _ref: pop(key, None)), {})
        _CACHE[key] = entry
    graphs = entry[1]
    graph = graphs.get(override_labels)
    if graph is None:
        graph = QueryGraph(supergraph, override_labels)
        graphs[override_labels] = graph
    return graph
