"""Subgraph selection sets as the planner builds them, and their compact GraphQL text.

Fields are keyed by response key plus directives, so a client field and a field the planner adds for a key or
``@requires`` merge when they are the same field, and stay apart when only their directives differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    Node,
    ObjectValueNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)

from gateway.planning.printing import print_arguments, print_directives

__all__ = ["OutField", "OutFragment", "OutSelectionSet", "name_node", "variables_in", "without_location"]

N = TypeVar("N", bound=Node)


@dataclass
class OutField:
    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    selections: OutSelectionSet | None = None

    def text(self, out: list[str]) -> None:
        if self.response_key != self.name:
            out.append(self.response_key)
            out.append(":")
        out.append(self.name)
        if self.arguments:
            out.append("(")
            out.append(print_arguments(self.arguments))
            out.append(")")
        for d in self.directives:
            out.append(_directive_text(d))
        if self.selections is not None:
            self.selections.text(out)

    def node(self) -> FieldNode:
        return _node(
            FieldNode,
            {
                "loc": None,
                "alias": name_node(self.response_key) if self.response_key != self.name else None,
                "name": name_node(self.name),
                "arguments": tuple(without_location(a) for a in self.arguments) if self.arguments else None,
                "directives": tuple(without_location(d) for d in self.directives)
                if self.directives
                else None,
                "selection_set": self.selections.node() if self.selections is not None else None,
            },
        )


@dataclass
class OutFragment:
    type_condition: str | None
    directives: tuple[DirectiveNode, ...]
    selections: OutSelectionSet

    def text(self, out: list[str]) -> None:
        layers = _unique_layers(self.directives)
        for depth, layer in enumerate(layers):
            if depth:
                out.append("{")
            out.append("...")
            if depth == 0 and self.type_condition is not None:
                out.append(" on ")
                out.append(self.type_condition)
            for d in layer:
                out.append(_directive_text(d))
        self.selections.text(out)
        out.append("}" * (len(layers) - 1))

    def node(self) -> InlineFragmentNode:
        selection_set = self.selections.node()
        layers = _unique_layers(self.directives)
        for depth in range(len(layers) - 1, -1, -1):
            condition = self.type_condition if depth == 0 else None
            fragment = _node(
                InlineFragmentNode,
                {
                    "loc": None,
                    "type_condition": _named_type(condition) if condition is not None else None,
                    "directives": tuple(without_location(d) for d in layers[depth])
                    if layers[depth]
                    else None,
                    "selection_set": selection_set,
                },
            )
            if depth:
                selection_set = _node(SelectionSetNode, {"loc": None, "selections": (fragment,)})
        return fragment


def _unique_layers(directives: tuple[DirectiveNode, ...]) -> list[tuple[DirectiveNode, ...]]:
    """``directives`` split into layers in which no directive name repeats, outermost first: a fragment under
    ``@include(if: $a)`` and ``@include(if: $b)`` is written as one inside the other, as ``@include`` and ``@skip``
    are not repeatable (GraphQL spec 5.7.3, Directives Are Unique Per Location)."""
    layers: list[list[DirectiveNode]] = [[]]
    for d in directives:
        for layer in layers:
            if all(other.name.value != d.name.value for other in layer):
                layer.append(d)
                break
        else:
            layers.append([d])
    return [tuple(layer) for layer in layers]


def _directive_text(d: DirectiveNode) -> str:
    if not d.arguments:
        return f" @{d.name.value}"
    return f" @{d.name.value}({print_arguments(d.arguments)})"


@dataclass
class OutSelectionSet:
    """An ordered selection set: fields by (response key, directives), then fragments."""

    fields: dict[tuple[str, str], OutField] = field(default_factory=dict)
    fragments: dict[tuple[str | None, str], OutFragment] = field(default_factory=dict)

    def field(
        self,
        response_key: str,
        name: str,
        arguments: tuple[ArgumentNode, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        composite: bool = False,
    ) -> OutField:
        ident = (response_key, print_directives(directives) if directives else "")
        f = self.fields.get(ident)
        if f is None:
            f = OutField(response_key, name, arguments, directives, OutSelectionSet() if composite else None)
            self.fields[ident] = f
        elif composite and f.selections is None:
            f.selections = OutSelectionSet()
        return f

    def has_field(self, response_key: str) -> bool:
        return (response_key, "") in self.fields

    def fragment(
        self, type_condition: str | None, directives: tuple[DirectiveNode, ...] = ()
    ) -> OutSelectionSet:
        ident = (type_condition, print_directives(directives) if directives else "")
        frag = self.fragments.get(ident)
        if frag is None:
            frag = OutFragment(type_condition, directives, OutSelectionSet())
            self.fragments[ident] = frag
        return frag.selections

    def is_empty(self) -> bool:
        return not self.fields and all(f.selections.is_empty() for f in self.fragments.values())

    def text(self, out: list[str]) -> None:
        out.append("{")
        first = True
        for f in self.fields.values():
            if not first:
                out.append(" ")
            first = False
            f.text(out)
        for frag in self.fragments.values():
            if frag.selections.is_empty():
                continue
            if not first:
                out.append(" ")
            first = False
            frag.text(out)
        out.append("}")

    def node(self) -> SelectionSetNode:
        """The selection set as a graphql-core AST, equal to what parsing ``text`` gives (``no_location``)."""
        selections: list[SelectionNode] = [f.node() for f in self.fields.values()]
        if self.fragments:
            selections.extend(
                frag.node() for frag in self.fragments.values() if not frag.selections.is_empty()
            )
        return _node(SelectionSetNode, {"loc": None, "selections": tuple(selections)})

    def merge(self, other: OutSelectionSet) -> None:
        """Add ``other``'s selections (used when two fetches to the same place are merged)."""
        for ident, f in other.fields.items():
            mine = self.fields.get(ident)
            if mine is None:
                self.fields[ident] = f
            elif f.selections is not None:
                if mine.selections is None:
                    mine.selections = f.selections
                else:
                    mine.selections.merge(f.selections)
        for frag_ident, frag in other.fragments.items():
            existing = self.fragments.get(frag_ident)
            if existing is None:
                self.fragments[frag_ident] = frag
            else:
                existing.selections.merge(frag.selections)


def _node(cls: type[N], fields: dict[str, Any]) -> N:
    """``cls(**fields)`` for graphql-core's AST classes (frozen dataclasses with instance dicts), without the
    keyword ``__init__`` and its ``object.__setattr__`` per field: the planner builds every fetch's document."""
    node = object.__new__(cls)
    node.__dict__.update(fields)
    return node


@lru_cache(maxsize=4096)
def name_node(value: str) -> NameNode:
    """A name node; shared, as AST nodes are never changed once built."""
    return NameNode(value=value)


@lru_cache(maxsize=4096)
def _named_type(value: str) -> NamedTypeNode:
    return NamedTypeNode(name=name_node(value))


# Each AST class's attribute names but ``loc`` (graphql-core computes ``Node.keys`` anew on every access).
_KEYS: dict[type[Node], tuple[str, ...]] = {}


def without_location(node: N) -> N:
    """``node`` without source locations (the client's argument nodes carry the client document's)."""
    if node.loc is None:
        return node
    keys = _KEYS.get(type(node))
    if keys is None:
        keys = _KEYS[type(node)] = tuple(k for k in node.keys if k != "loc")
    values: dict[str, Any] = {}
    for key in keys:
        value = getattr(node, key)
        if isinstance(value, Node):
            value = without_location(value)
        elif isinstance(value, tuple | list):
            value = tuple(without_location(v) if isinstance(v, Node) else v for v in value)
        values[key] = value
    return type(node)(**values)


def _value_variables(value: Node, names: dict[str, None]) -> None:
    """The variables of a value, depth first in document order (as graphql-core's ``visit`` meets them)."""
    if isinstance(value, VariableNode):
        names.setdefault(value.name.value, None)
    elif isinstance(value, ListValueNode):
        for v in value.values:
            _value_variables(v, names)
    elif isinstance(value, ObjectValueNode):
        for f in value.fields:
            _value_variables(f.value, names)


def variables_in(selections: OutSelectionSet, names: dict[str, None]) -> None:
    """Collect the variables used in arguments and directives, in order of appearance."""
    for f in selections.fields.values():
        for a in f.arguments:
            _value_variables(a.value, names)
        for d in f.directives:
            for a in d.arguments or ():
                _value_variables(a.value, names)
        if f.selections is not None:
            variables_in(f.selections, names)
    for frag in selections.fragments.values():
        for d in frag.directives:
            for a in d.arguments or ():
                _value_variables(a.value, names)
        variables_in(frag.selections, names)
