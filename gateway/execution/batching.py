"""Entity fetches to one subgraph that are ready together, sent as one request with aliased ``_entities`` fields.

An execution strategy, not a plan change: the plan's ``Flatten``/``Fetch`` nodes stay as they are (see
``gateway.planning.plan``); the executor merges the ``_entities`` selections of fetches waiting at the same time
into one operation (``_0: _entities(representations: $r0) {...} _1: _entities(representations: $r1) {...}``),
as the Apollo Federation subgraph spec's ``Query._entities`` field may be selected several times under aliases
(GraphQL spec section 2.7 "Field Alias"), then splits the answer back into one ``_entities`` response per fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
    print_ast,
)

from .client import SubgraphResponse

__all__ = [
    "EntityOperation",
    "alias",
    "merge_entity_operations",
    "representations_variable",
    "split_entity_response",
]

REPRESENTATIONS = "representations"
# How the planner writes the ``_entities`` argument (nowhere else can its text hold this).
_ENTITIES_ARGUMENT = "(representations:$representations)"


@dataclass(frozen=True, slots=True)
class EntityOperation:
    """The parts of an entity fetch's operation that a merged operation reuses, as text.

    ``variables`` maps each variable other than ``$representations`` to its type; ``selection`` is the
    ``_entities`` field's selection set, braces included.
    """

    name: str | None
    representations_type: str
    variables: tuple[tuple[str, str], ...]
    selection: str

    @staticmethod
    def of(operation: str, document: DocumentNode | None = None) -> EntityOperation | None:
        """Split an entity fetch operation, or ``None`` when it is not one plain ``_entities`` query.

        Only ``query ($representations: ..., ...) { _entities(representations: $representations) {...} }``
        qualifies: no fragment definitions, no directives, no alias, no other root field. ``document`` is the
        operation already parsed (the plan's ``FetchNode.document``, without locations); without it, or when
        comments in the text could hide where the selection starts, the text is parsed.
        """
        if document is None or _ENTITIES_ARGUMENT not in operation or "#" in operation:
            try:
                document = parse(operation)
            except GraphQLSyntaxError:
                return None
        if len(document.definitions) != 1:
            return None
        op = document.definitions[0]
        if (
            not isinstance(op, OperationDefinitionNode)
            or op.operation is not OperationType.QUERY
            or op.directives
        ):
            return None
        if len(op.selection_set.selections) != 1:
            return None
        field = op.selection_set.selections[0]
        if (
            not isinstance(field, FieldNode)
            or field.name.value != "_entities"
            or field.alias is not None
            or field.directives
            or field.selection_set is None
        ):
            return None
        arguments = field.arguments or ()
        if len(arguments) != 1 or arguments[0].name.value != REPRESENTATIONS:
            return None
        argument = arguments[0].value
        if not isinstance(argument, VariableNode) or argument.name.value != REPRESENTATIONS:
            return None  # the executor sends the representations as $representations
        rep_variable = REPRESENTATIONS
        body = operation

        def text(node: Any) -> str:
            if node.loc is not None:
                return body[node.loc.start : node.loc.end]
            return print_ast(node)  # a type: printed as compactly as it is written

        rep_type: str | None = None
        variables: list[tuple[str, str]] = []
        for definition in op.variable_definitions or ():
            if definition.directives or definition.default_value is not None:
                return None
            name = definition.variable.name.value
            if name == rep_variable:
                rep_type = text(definition.type)
            else:
                variables.append((name, text(definition.type)))
        if rep_type is None:
            return None
        if field.selection_set.loc is not None:
            selection = text(field.selection_set)
        else:
            # The planner's compact text: ``_entities`` is the only field (checked above), written
            # ``_entities(representations:$representations){...}`` and followed only by the closing brace.
            start = body.index(_ENTITIES_ARGUMENT) + len(_ENTITIES_ARGUMENT)
            selection = body[start : body.rstrip().rindex("}")].rstrip()
        return EntityOperation(op.name.value if op.name else None, rep_type, tuple(variables), selection)


def alias(index: int) -> str:
    """The response key of the ``index``-th ``_entities`` field of a merged operation."""
    return f"_{index}"


def representations_variable(index: int) -> str:
    """The variable holding the ``index``-th part's representations in a merged operation."""
    return f"r{index}"


def merge_entity_operations(parts: Sequence[EntityOperation]) -> tuple[str, str] | None:
    """The name and text of one operation selecting every part's ``_entities`` under alias ``_i`` with ``$ri`` as representations.

    ``None`` when two parts declare the same variable with different types (they could not share it).
    Variables other than the representations are the client's own, so equal names carry equal values.
    """
    declared: dict[str, str] = {}
    definitions: list[str] = []
    fields: list[str] = []
    for i, part in enumerate(parts):
        rep = representations_variable(i)
        definitions.append(f"${rep}:{part.representations_type}")
        fields.append(f"{alias(i)}:_entities(representations:${rep}){part.selection}")
        for name, type_ in part.variables:
            known = declared.get(name)
            if known is None:
                declared[name] = type_
                definitions.append(f"${name}:{type_}")
            elif known != type_:
                return None
    if any(representations_variable(i) in declared for i in range(len(parts))):
        return None
    name = f"{parts[0].name or 'Entities'}__batch"
    return name, f"query {name}({','.join(definitions)}){{{' '.join(fields)}}}"


def split_entity_response(response: SubgraphResponse, count: int) -> list[SubgraphResponse]:
    """One ``_entities`` response per part of a merged request.

    An error whose path starts at alias ``_i`` goes to part ``i`` with the path rewritten to ``_entities``;
    an error without such a path goes to the first part, and to every part the answer has no list for (as
    separate requests would each have reported it).
    """
    data = response.data
    per_part: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    unplaced: list[dict[str, Any]] = []
    aliases = {alias(i): i for i in range(count)}
    for error in response.errors or ():
        path = error.get("path")
        index = aliases.get(path[0]) if isinstance(path, list) and path and isinstance(path[0], str) else None
        if index is None:
            unplaced.append(error)
        else:
            assert isinstance(path, list)
            per_part[index].append({**error, "path": ["_entities", *path[1:]]})
    out: list[SubgraphResponse] = []
    for i in range(count):
        entities = data.get(alias(i)) if data is not None else None
        errors = per_part[i]
        if unplaced and (i == 0 or type(entities) is not list):
            errors = unplaced + errors
        part_data = None if data is None else {"_entities": entities}
        out.append(SubgraphResponse(part_data, errors or None, response.status, response.extensions))
    return out
