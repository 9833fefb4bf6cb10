"""Operations rewritten into equivalent ones a reference gateway may answer better, for explaining differences.

``resolve_conditions`` applies ``@skip``/``@include`` beforehand (GraphQL spec 6.3.2, CollectFields, steps
b and c); ``merge_fields`` then inlines fragments that apply to their parent type and merges fields of one
response key into one field (CollectFields groups them; 6.4.3, MergeSelectionSets, joins their selections).
The GraphQL spec defines the response to the rewritten operation to be the response to the original one, so
a gateway that answers the rewrite like us but the original otherwise has a bug in one of those steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    REMOVE,
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)

__all__ = ["PLACEHOLDER", "merge_fields", "resolve_conditions", "strip_placeholders"]

# The alias of the ``__typename`` that stands in for a selection ``resolve_conditions`` left empty.
PLACEHOLDER = "_emptied"


class _ConditionResolver(Visitor):
    """Drops selections that ``@skip``/``@include`` exclude under ``variables``; removes the directives."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = dict(variables)
        self.empty_fragments: set[str] = set()

    def _condition(self, node: Any, name: str) -> bool | None:
        for directive in node.directives or ():
            if directive.name.value == name:
                (argument,) = directive.arguments
                value = argument.value
                if isinstance(value, VariableNode):
                    return bool(self.variables[value.name.value])
                assert isinstance(value, BooleanValueNode)
                return value.value
        return None

    def _resolve(self, node: Any) -> Any:
        skip = self._condition(node, "skip")
        include = self._condition(node, "include")
        if skip is True or include is False:
            return REMOVE
        if skip is None and include is None:
            return None
        kept = tuple(d for d in node.directives or () if d.name.value not in ("skip", "include"))
        return _replace(node, directives=kept)

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        return self._resolve(node)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> Any:
        return self._resolve(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> Any:
        if node.name.value in self.empty_fragments:
            return REMOVE
        return self._resolve(node)

    def leave_field(self, node: FieldNode, *_: Any) -> Any:
        # A field left with no subfields answers {}; a document cannot say so, so it asks for a placeholder
        # that ``strip_placeholders`` removes from the answer again.
        if node.selection_set is not None and not node.selection_set.selections:
            placeholder = FieldNode(alias=NameNode(value=PLACEHOLDER), name=NameNode(value="__typename"))
            return _replace(node, selection_set=SelectionSetNode(selections=(placeholder,)))
        return None

    def leave_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> Any:
        # A fragment left with nothing in it contributes nothing: drop it (a field cannot be dropped so).
        return REMOVE if not node.selection_set.selections else None

    def leave_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> Any:
        if not node.selection_set.selections:
            self.empty_fragments.add(node.name.value)
            return REMOVE
        return None


def strip_placeholders(value: Any) -> Any:
    """``value`` without the ``PLACEHOLDER`` keys ``resolve_conditions`` put where a selection became empty."""
    if isinstance(value, dict):
        return {k: strip_placeholders(v) for k, v in value.items() if k != PLACEHOLDER}
    if isinstance(value, list):
        return [strip_placeholders(v) for v in value]
    return value


def resolve_conditions(query: str, variables: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The operation with ``@skip``/``@include`` applied, and the variables it still uses.

    A field left without subfields gets a ``PLACEHOLDER`` field (strip it from the answer). None when the
    operation itself would be left empty.
    """
    resolver = _ConditionResolver(variables)
    document = visit(parse(query), resolver)
    while True:  # spreads of fragments that turned out empty go too, which may empty more fragments
        known = set(resolver.empty_fragments)
        document = visit(document, resolver)
        if resolver.empty_fragments == known:
            break
    empty = False
    variables_of: dict[str | None, set[str]] = {}
    spreads_of: dict[str | None, set[str]] = {}

    class Scan(Visitor):
        def __init__(self, owner: str | None) -> None:
            super().__init__()
            self.variables: set[str] = set()
            self.spreads: set[str] = set()
            variables_of[owner] = self.variables
            spreads_of[owner] = self.spreads

        def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> None:
            nonlocal empty
            empty = empty or not node.selections

        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            self.variables.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            self.spreads.add(node.name.value)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            visit(definition.selection_set, Scan(None))
        elif isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set, Scan(definition.name.value))
    if empty:
        return None
    # Fragments still spread (transitively) from the operation, and the variables they and it use.
    reached: set[str | None] = {None}
    pending: list[str | None] = [None]
    while pending:
        for name in spreads_of.get(pending.pop(), ()):
            if name not in reached:
                reached.add(name)
                pending.append(name)
    used = set().union(*(variables_of.get(name, set()) for name in reached))
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode) and definition.name.value not in reached:
            continue
        if isinstance(definition, OperationDefinitionNode):
            kept = tuple(v for v in definition.variable_definitions or () if v.variable.name.value in used)
            definition = _replace(definition, variable_definitions=kept)
        definitions.append(definition)
    document = _replace(document, definitions=tuple(definitions))
    return print_ast(document), {k: v for k, v in variables.items() if k in used}


Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


def merge_fields(schema: GraphQLSchema, query: str) -> str:
    """``query`` (without ``@skip``/``@include``) with each selection set in CollectFields' normal form.

    Under an object type, fragments that apply to it are replaced by their selections and the others dropped
    (DoesFragmentTypeApply); the fields of one response key merge into the first of them, their selection
    sets joined and merged in turn by the field's type. Under an abstract type, the selection becomes one
    fragment per possible type holding that type's merged fields, so every object gets the fields, in the
    order, CollectFields gives for its runtime type.
    """
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            assert root is not None
            selections = _merge(schema, fragments, definition.selection_set.selections, root)
            definitions.append(_replace(definition, selection_set=SelectionSetNode(selections=selections)))
    return print_ast(_replace(document, definitions=tuple(definitions)))


def _merge(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    selections: Sequence[SelectionNode],
    parent: Composite,
) -> tuple[SelectionNode, ...]:
    if not isinstance(parent, GraphQLObjectType):
        out: list[SelectionNode] = []
        for possible in schema.get_possible_types(parent):
            merged = _merge(schema, fragments, selections, possible)
            if merged:
                out.append(
                    InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=possible.name)),
                        directives=(),
                        selection_set=SelectionSetNode(selections=merged),
                    )
                )
        return tuple(out)
    fields: dict[str, list[FieldNode]] = {}
    for selection in _collect(schema, fragments, selections, parent):
        fields.setdefault((selection.alias or selection.name).value, []).append(selection)
    fields_out: list[SelectionNode] = []
    for same_key in fields.values():
        first = same_key[0]
        if first.selection_set is None:
            fields_out.append(first)
            continue
        named = get_named_type(parent.fields[first.name.value].type)
        inner = [s for f in same_key for s in (f.selection_set.selections if f.selection_set else ())]
        merged = _merge(schema, fragments, inner, named)  # type: ignore[arg-type]
        if not merged:  # every possible type's selection is empty: the object answers {}
            merged = (FieldNode(alias=NameNode(value=PLACEHOLDER), name=NameNode(value="__typename")),)
        fields_out.append(_replace(first, selection_set=SelectionSetNode(selections=merged)))
    return tuple(fields_out)


def _collect(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    selections: Sequence[SelectionNode],
    parent: GraphQLObjectType,
) -> list[FieldNode]:
    """The fields selected on an object of type ``parent``, in order, through the fragments that apply."""
    out: list[FieldNode] = []
    for selection in selections:
        if isinstance(selection, FieldNode):
            out.append(selection)
            continue
        if isinstance(selection, FragmentSpreadNode):
            definition = fragments[selection.name.value]
            condition: str | None = definition.type_condition.name.value
            inner = definition.selection_set.selections
        else:
            assert isinstance(selection, InlineFragmentNode)
            condition = selection.type_condition.name.value if selection.type_condition else None
            inner = selection.selection_set.selections
        if condition is None or _applies(schema, parent, condition):
            out.extend(_collect(schema, fragments, inner, parent))
    return out


def _applies(schema: GraphQLSchema, parent: GraphQLObjectType, condition: str) -> bool:
    """GraphQL spec, DoesFragmentTypeApply, for an object of type ``parent``."""
    if condition == parent.name:
        return True
    condition_type = schema.get_type(condition)
    if isinstance(condition_type, (GraphQLInterfaceType, GraphQLUnionType)):
        return schema.is_sub_type(condition_type, parent)
    return False


def _replace(node: Any, **changes: Any) -> Any:
    """A copy of a (frozen) AST node with some attributes changed."""
    return node.__class__(**{**{k: getattr(node, k) for k in node.keys}, **changes})
