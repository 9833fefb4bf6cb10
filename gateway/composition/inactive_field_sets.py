"""Federation 1 upgrade: ``@requires``/``@provides`` lose the leaf fields that are not ``@external``.

Federation 1 let a field set name fields the subgraph resolves itself; they never did anything. Apollo's
schema upgrader (federation-internals ``removeInactiveProvidesAndRequires``) drops them, and the directive with
them when nothing is left, instead of refusing the subgraph as Federation 2 does.
https://www.apollographql.com/docs/federation/federation-2/backward-compatibility
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLError, InlineFragmentNode, SelectionNode, SelectionSetNode, print_ast

from gateway.composition.field_set import parse_field_set
from gateway.composition.subgraph import SubgraphSchema, SubgraphType
from gateway.composition.supergraph import TypeKind
from gateway.composition.types import named

__all__ = ["drop_inactive_field_sets"]


def drop_inactive_field_sets(subgraphs: list[SubgraphSchema]) -> None:
    """Rewrite the ``@requires``/``@provides`` of every Federation 1 subgraph to their external part."""
    for sub in subgraphs:
        if sub.fed2:
            continue
        for t in sub.types.values():
            if t.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE):
                continue
            for f in t.fields.values():
                if f.requires is not None:
                    f.requires = _active(sub, t, f.requires)
                if f.provides is not None:
                    target = sub.types.get(named(f.type))
                    if target is not None:
                        f.provides = _active(sub, target, f.provides)


def _active(sub: SubgraphSchema, parent: SubgraphType, text: str) -> str | None:
    try:
        selection_set = parse_field_set(text)
    except GraphQLError:
        return text  # the field-set checks report it
    if not _selects_inactive(sub, parent, selection_set):
        return text
    kept = _keep(sub, parent, selection_set)
    return " ".join(" ".join(print_ast(s).split()) for s in kept) or None


def _is_external(sub: SubgraphSchema, parent: SubgraphType, name: str) -> bool:
    f = parent.fields.get(name)
    if f is not None and f.external:
        return True
    if parent.kind is TypeKind.INTERFACE:
        for impl in sub.types.values():
            impl_field = impl.fields.get(name) if parent.name in impl.interfaces else None
            if impl_field is not None and impl_field.external:
                return True
    return False


def _selections(selection: SelectionNode) -> SelectionSetNode | None:
    return selection.selection_set if isinstance(selection, FieldNode | InlineFragmentNode) else None


def _child(sub: SubgraphSchema, parent: SubgraphType, selection: SelectionNode) -> SubgraphType | None:
    if isinstance(selection, FieldNode):
        f = parent.fields.get(selection.name.value)
        return sub.types.get(named(f.type)) if f is not None else None
    assert isinstance(selection, InlineFragmentNode)
    if selection.type_condition is None:
        return parent
    return sub.types.get(selection.type_condition.name.value)


def _selects_inactive(sub: SubgraphSchema, parent: SubgraphType, selection_set: SelectionSetNode) -> bool:
    for s in selection_set.selections:
        if isinstance(s, FieldNode) and _is_external(sub, parent, s.name.value):
            continue
        child, inner = _child(sub, parent, s), _selections(s)
        if inner is None or child is None:
            if isinstance(s, FieldNode):
                return True
            continue
        if _selects_inactive(sub, child, inner):
            return True
    return False


def _keep(sub: SubgraphSchema, parent: SubgraphType, selection_set: SelectionSetNode) -> list[SelectionNode]:
    kept: list[SelectionNode] = []
    for s in selection_set.selections:
        if isinstance(s, FieldNode) and _is_external(sub, parent, s.name.value):
            kept.append(s)
            continue
        child, selections = _child(sub, parent, s), _selections(s)
        if selections is None or child is None:
            continue
        inner = _keep(sub, child, selections)
        if inner:
            values = {k: getattr(s, k) for k in s.keys if k != "loc"}
            values["selection_set"] = SelectionSetNode(selections=tuple(inner))
            kept.append(type(s)(**values))
    return kept
