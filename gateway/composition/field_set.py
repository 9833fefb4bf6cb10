"""Field sets (``@key``, ``@requires``, ``@provides`` arguments): parsing and checking against a subgraph.

https://www.apollographql.com/docs/federation/federated-schemas/federated-directives: a field set is a
selection set without braces; it may select nested fields, inline fragments and (for ``@requires``) fields
with arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
    is_leaf_type,
    parse,
)

__all__ = ["FieldSetProblem", "SelectedField", "parse_field_set", "walk_field_set"]


@dataclass(frozen=True)
class SelectedField:
    """One field a field set selects: on which type, at which depth, and its definition."""

    type_name: str
    field_name: str
    depth: int
    definition: GraphQLField
    node: FieldNode


@dataclass(frozen=True)
class FieldSetProblem:
    """Why a field set is invalid; ``kind`` is ``syntax``, ``unknown``, ``args``, ``selection`` or ``type``."""

    kind: str
    message: str


@lru_cache(maxsize=4096)
def parse_field_set(text: str) -> SelectionSetNode:
    """Parse ``"id organization { id }"`` as the selection set ``{ id organization { id } }``."""
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def walk_field_set(
    schema: GraphQLSchema, type_name: str, text: str
) -> tuple[list[SelectedField], list[FieldSetProblem]]:
    """Every field selected by ``text`` on ``type_name`` in ``schema``, and every problem found on the way."""
    try:
        selection_set = parse_field_set(text)
    except GraphQLError as e:
        return [], [FieldSetProblem("syntax", f"Syntax Error: {e.message.removeprefix('Syntax Error: ')}")]
    if not text.strip():
        return [], [FieldSetProblem("syntax", "the field set is empty")]
    parent = schema.get_type(type_name)
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
        return [], [FieldSetProblem("unknown", f'Cannot select fields on non-composite type "{type_name}"')]
    selected: list[SelectedField] = []
    problems: list[FieldSetProblem] = []
    for item in _walk(schema, parent, selection_set, 0, problems):
        selected.append(item)
    return selected, problems


def _walk(
    schema: GraphQLSchema,
    parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    selection_set: SelectionSetNode,
    depth: int,
    problems: list[FieldSetProblem],
) -> Iterator[SelectedField]:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                found = schema.get_type(selection.type_condition.name.value)
                if not isinstance(found, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
                    problems.append(
                        FieldSetProblem("unknown", f'Unknown type "{selection.type_condition.name.value}"')
                    )
                    continue
                target = found
            yield from _walk(schema, target, selection.selection_set, depth, problems)
            continue
        if not isinstance(selection, FieldNode):
            problems.append(FieldSetProblem("syntax", "fragment spreads are not allowed in field sets"))
            continue
        name = selection.name.value
        if name == "__typename":
            continue
        if isinstance(parent, GraphQLUnionType) or name not in parent.fields:
            problems.append(
                FieldSetProblem("unknown", f'Cannot query field "{name}" on type "{parent.name}"')
            )
            continue
        definition = parent.fields[name]
        yield SelectedField(parent.name, name, depth, definition, selection)
        given = {a.name.value for a in selection.arguments or ()}
        unknown = given - set(definition.args)
        if unknown:
            problems.append(
                FieldSetProblem(
                    "unknown", f'Unknown argument "{sorted(unknown)[0]}" on field "{parent.name}.{name}"'
                )
            )
        missing = [
            a
            for a, d in definition.args.items()
            if d.type.__class__.__name__ == "GraphQLNonNull" and d.default_value is None and a not in given
        ]
        if missing:
            problems.append(
                FieldSetProblem(
                    "args", f'Missing required argument "{missing[0]}" on field "{parent.name}.{name}"'
                )
            )
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            if selection.selection_set is not None:
                problems.append(
                    FieldSetProblem(
                        "selection",
                        f'Leaf field "{parent.name}.{name}" must not have a selection of subfields',
                    )
                )
        elif is_composite_type(named):
            if selection.selection_set is None:
                problems.append(
                    FieldSetProblem(
                        "selection",
                        f'Field "{parent.name}.{name}" of composite type "{named.name}" must have a selection of subfields',
                    )
                )
            else:
                assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
                yield from _walk(schema, named, selection.selection_set, depth + 1, problems)
