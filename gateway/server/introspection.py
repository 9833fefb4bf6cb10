"""Whether an operation introspects the schema (GraphQL spec 4.2 "Schema Introspection": ``__schema`` and
``__type`` at the query root), so a production gateway can refuse it. ``__typename`` is not introspection."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["INTROSPECTION_DISABLED", "selects_introspection"]

INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
_META = frozenset({"__schema", "__type"})


def selects_introspection(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    """True when ``operation`` selects ``__schema`` or ``__type`` at its root (through fragments too)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    seen: set[str] = set()

    def visit(selections: SelectionSetNode) -> bool:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _META:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if visit(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    if visit(fragments[name].selection_set):
                        return True
        return False

    return visit(operation.selection_set)
