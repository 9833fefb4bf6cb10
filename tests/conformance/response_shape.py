"""A response's data read along its operation: null propagation after the fact, and where two answers differ.

A gateway that leaves ``null`` where the schema says non-null (Hive Router's planner runtime does, for
entities that could not be resolved: graphql-hive/router#1110) answers a response the spec does not allow.
``propagate_nulls`` turns such ``data`` into what the spec prescribes (GraphQL spec 6.4.4, Handling Field
Errors): each ``null`` in a non-null position makes its parent ``null``, up to the nearest nullable field or
list item, or ``data`` itself. ``differing_fields`` names the schema fields whose values two answers differ in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    is_leaf_type,
    parse,
)

__all__ = ["differing_fields", "propagate_nulls"]


@dataclass
class _Field:
    """What one response key of an object stands for: the schema field, its type and its subselections."""

    parent: str
    name: str
    type: GraphQLOutputType
    selections: list[SelectionNode]


_NULL = object()  # "this value is null where it may not be": the parent must become null


def _operation(
    schema: GraphQLSchema, query: str
) -> tuple[dict[str, FragmentDefinitionNode], GraphQLObjectType, Sequence[SelectionNode]]:
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    root = schema.get_root_type(operation.operation)
    assert root is not None
    return fragments, root, operation.selection_set.selections


def propagate_nulls(schema: GraphQLSchema, query: str, data: Any) -> Any:
    """``data`` of a response to ``query`` (one operation) with every non-null violation propagated."""
    if not isinstance(data, Mapping):
        return data
    fragments, root, selections = _operation(schema, query)
    completed = _object(schema, fragments, data, root, selections)
    return None if completed is _NULL else completed


def differing_fields(
    schema: GraphQLSchema, query: str, ours: Any, theirs: Any
) -> set[tuple[str, str]] | None:
    """The (type, field) of every leaf value two answers to ``query`` differ in; None where they differ in
    shape (a key, a list length or null against an object)."""
    fragments, root, selections = _operation(schema, query)
    found: set[tuple[str, str]] = set()

    def walk(a: Any, b: Any, parent: Any, inner: Sequence[SelectionNode]) -> bool:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            if list(a) != list(b):
                return False
            fields: dict[str, _Field] = {}
            _collect(schema, fragments, parent, inner, fields)
            for key in a:
                entry = fields.get(key)
                if entry is None:
                    if a[key] != b[key]:
                        return False
                    continue
                named = entry.type
                while isinstance(named, (GraphQLNonNull, GraphQLList)):
                    named = named.of_type
                if is_leaf_type(named):
                    if a[key] != b[key]:
                        found.add((entry.parent, entry.name))
                elif not walk(a[key], b[key], named, entry.selections):
                    return False
            return True
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(walk(x, y, parent, inner) for x, y in zip(a, b, strict=True))
        return bool(a == b)

    return found if walk(ours, theirs, root, selections) else None


def _object(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    value: Mapping[str, Any],
    parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    selections: Sequence[SelectionNode],
) -> Any:
    fields: dict[str, _Field] = {}
    _collect(schema, fragments, parent, selections, fields)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in fields:  # not asked for; leave it for the comparison to notice
            out[key] = item
            continue
        type_, inner = fields[key].type, fields[key].selections
        completed = _value(schema, fragments, item, type_, inner)
        if completed is _NULL:
            return _NULL
        out[key] = completed
    return out


def _value(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    value: Any,
    type_: GraphQLOutputType,
    selections: Sequence[SelectionNode],
) -> Any:
    if isinstance(type_, GraphQLNonNull):
        completed = _value(schema, fragments, value, type_.of_type, selections)
        return _NULL if completed is None or completed is _NULL else completed
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return value
        items = [_value(schema, fragments, v, type_.of_type, selections) for v in value]
        return None if any(i is _NULL for i in items) else items
    if is_leaf_type(type_) or not isinstance(value, Mapping):
        return value
    completed = _object(schema, fragments, value, type_, selections)  # type: ignore[arg-type]
    return None if completed is _NULL else completed


def _collect(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    parent: Any,
    selections: Sequence[SelectionNode],
    fields: dict[str, _Field],
) -> None:
    """Each response key's type and subselections, through every fragment whatever its type condition.

    Which fragments apply depends on the object's runtime type, which the data need not say; fields of one
    response key have the same shape (GraphQL spec 5.3.2, SameResponseShape), so any of them gives the type.
    """
    for selection in selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            if selection.name.value.startswith("__"):
                continue
            definition = parent.fields.get(selection.name.value) if hasattr(parent, "fields") else None
            if definition is None:
                continue
            entry = fields.setdefault(key, _Field(parent.name, selection.name.value, definition.type, []))
            if selection.selection_set is not None:
                entry.selections.extend(selection.selection_set.selections)
            continue
        if isinstance(selection, FragmentSpreadNode):
            definition = fragments[selection.name.value]
            condition = schema.get_type(definition.type_condition.name.value)
            inner = definition.selection_set.selections
        else:
            assert isinstance(selection, InlineFragmentNode)
            condition = (
                schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            )
            inner = selection.selection_set.selections
        _collect(schema, fragments, condition, inner, fields)
