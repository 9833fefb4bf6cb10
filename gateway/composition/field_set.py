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
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from gateway.composition.schema_shape import FieldShape, SchemaShape, TypeShape
from gateway.composition.supergraph import TypeKind
from gateway.composition.types import named

__all__ = ["FieldSetProblem", "SelectedField", "parse_field_set", "walk_field_set"]


@dataclass(frozen=True)
class SelectedField:
    """One field a field set selects: on which type, at which depth, and its definition."""

    type_name: str
    field_name: str
    depth: int
    definition: FieldShape
    node: FieldNode


@dataclass(frozen=True)
class FieldSetProblem:
    """Why a field set is invalid; ``kind`` is ``syntax``, ``unknown``, ``selection`` or ``type``."""

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
    schema: SchemaShape, type_name: str, text: str
) -> tuple[list[SelectedField], list[FieldSetProblem]]:
    """Every field selected by ``text`` on ``type_name`` in ``schema``, and every problem found on the way.

    The answer is kept in ``schema`` (composition asks about the same key many times); the lists are copies.
    """
    found = schema.field_sets.get((type_name, text))
    if found is None:
        found = schema.field_sets[(type_name, text)] = _walk_field_set(schema, type_name, text)
    return list(found[0]), list(found[1])


def _walk_field_set(
    schema: SchemaShape, type_name: str, text: str
) -> tuple[list[SelectedField], list[FieldSetProblem]]:
    try:
        selection_set = parse_field_set(text)
    except GraphQLError as e:
        return [], [FieldSetProblem("syntax", f"Syntax Error: {e.message.removeprefix('Syntax Error: ')}")]
    if not text.strip():
        return [], [FieldSetProblem("syntax", "the field set is empty")]
    parent = schema.get_type(type_name)
    if parent is None or not parent.composite:
        return [], [FieldSetProblem("unknown", f'Cannot select fields on non-composite type "{type_name}"')]
    selected: list[SelectedField] = []
    problems: list[FieldSetProblem] = []
    for item in _walk(schema, parent, selection_set, 0, problems):
        selected.append(item)
    return selected, problems


def _walk(
    schema: SchemaShape,
    parent: TypeShape,
    selection_set: SelectionSetNode,
    depth: int,
    problems: list[FieldSetProblem],
) -> Iterator[SelectedField]:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                found = schema.get_type(selection.type_condition.name.value)
                if found is None or not found.composite:
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
        if parent.kind is TypeKind.UNION or name not in parent.fields:
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
        target_type = schema.get_type(named(definition.type))
        if target_type is None:
            continue
        if target_type.leaf:
            if selection.selection_set is not None:
                problems.append(
                    FieldSetProblem(
                        "selection",
                        f'Leaf field "{parent.name}.{name}" must not have a selection of subfields',
                    )
                )
        elif target_type.composite:
            if selection.selection_set is None:
                problems.append(
                    FieldSetProblem(
                        "selection",
                        f'Field "{parent.name}.{name}" of composite type "{target_type.name}" must have a selection of subfields',
                    )
                )
            else:
                yield from _walk(schema, target_type, selection.selection_set, depth + 1, problems)
