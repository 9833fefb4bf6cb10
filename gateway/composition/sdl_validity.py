"""A quick test that graphql-core's SDL validation (``validate_sdl``) would find nothing in a document.

``build_ast_schema`` first runs the fifteen SDL rules (https://spec.graphql.org/October2021/#sec-Validation as
graphql-core applies them to type system documents) through its generic visitor, which cost composition as
much as parsing did. ``sdl_surely_valid`` checks the same rules in one direct pass over the definitions. It
is conservative: True only when every rule holds, False at the first doubt (a rule broken, a construct it does
not follow, such as a specified directive redefined), and then graphql-core validates and words the errors.
So a document is built with ``assume_valid_sdl`` only when graphql-core would have found it valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    is_required_argument,
    specified_directives,
)

from gateway.composition.schema_shape import BUILT_IN_SCALARS

__all__ = ["sdl_surely_valid"]

# Definition class -> (extension class, directive location of the type, of its members, of their arguments).
_KINDS: dict[type[Any], tuple[type[Any], str, str | None]] = {
    ObjectTypeDefinitionNode: (ObjectTypeExtensionNode, "OBJECT", "FIELD_DEFINITION"),
    InterfaceTypeDefinitionNode: (InterfaceTypeExtensionNode, "INTERFACE", "FIELD_DEFINITION"),
    InputObjectTypeDefinitionNode: (InputObjectTypeExtensionNode, "INPUT_OBJECT", "INPUT_FIELD_DEFINITION"),
    EnumTypeDefinitionNode: (EnumTypeExtensionNode, "ENUM", "ENUM_VALUE"),
    UnionTypeDefinitionNode: (UnionTypeExtensionNode, "UNION", None),
    ScalarTypeDefinitionNode: (ScalarTypeExtensionNode, "SCALAR", None),
}
_EXTENSIONS = {ext: definition for definition, (ext, _, _) in _KINDS.items()}


class _Directive:
    __slots__ = ("args", "locations", "repeatable", "required")

    def __init__(
        self, locations: Iterable[str], args: Iterable[str], required: Iterable[str], repeatable: bool
    ):
        self.locations = frozenset(locations)
        self.args = frozenset(args)
        self.required = tuple(required)
        self.repeatable = repeatable


_SPECIFIED = {
    d.name: _Directive(
        (loc.name for loc in d.locations),
        d.args,
        (n for n, a in d.args.items() if is_required_argument(a)),
        d.is_repeatable,
    )
    for d in specified_directives
}


class _Doubt(Exception):
    """A rule may be broken: let graphql-core decide."""


def _named(type_node: Any) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    name: str = type_node.name.value
    return name


def sdl_surely_valid(document: DocumentNode) -> bool:
    """True when ``graphql.validation.validate_sdl(document)`` would return no error (False may be wrong)."""
    try:
        _check(document)
    except (_Doubt, AttributeError, TypeError):
        return False
    return True


def _check(document: DocumentNode) -> None:
    kinds: dict[str, type[Any]] = {}
    directives: dict[str, _Directive] = {}
    schemas = 0
    for d in document.definitions:
        cls = type(d)
        if cls in _KINDS:
            if d.name.value in kinds:  # type: ignore[attr-defined]
                raise _Doubt
            kinds[d.name.value] = cls  # type: ignore[attr-defined]
        elif cls is DirectiveDefinitionNode:
            assert isinstance(d, DirectiveDefinitionNode)
            name = d.name.value
            if name in directives or name in _SPECIFIED or d.directives:
                raise _Doubt
            args = [a.name.value for a in d.arguments or ()]
            if len(set(args)) != len(args):
                raise _Doubt
            directives[name] = _Directive(
                (loc.value for loc in d.locations),
                args,
                (
                    a.name.value
                    for a in d.arguments or ()
                    if isinstance(a.type, NonNullTypeNode) and a.default_value is None
                ),
                d.repeatable,
            )
        elif cls is SchemaDefinitionNode:
            schemas += 1
        elif cls not in _EXTENSIONS and cls not in (SchemaDefinitionNode, SchemaExtensionNode):
            raise _Doubt
    if schemas > 1:
        raise _Doubt
    known = {**_SPECIFIED, **directives}

    def known_type(type_node: Any) -> None:
        while type(type_node) is not NamedTypeNode:
            type_node = type_node.type
        name = type_node.name.value
        if name not in kinds and name not in BUILT_IN_SCALARS:
            raise _Doubt

    def applied(nodes: tuple[DirectiveNode, ...] | None, location: str, seen: set[str]) -> None:
        if not nodes:
            return
        for d in nodes:
            directive = known.get(d.name.value)
            if directive is None or location not in directive.locations:
                raise _Doubt
            if not directive.repeatable:
                if d.name.value in seen:
                    raise _Doubt
                seen.add(d.name.value)
            given = [a.name.value for a in d.arguments or ()]
            if len(set(given)) != len(given) or not directive.args.issuperset(given):
                raise _Doubt
            for required in directive.required:
                if required not in given:
                    raise _Doubt
            for a in d.arguments or ():
                _unique_fields(a.value)

    def input_values(values: Iterable[Any], location: str) -> None:
        names: set[str] = set()
        for v in values:
            if v.name.value in names:
                raise _Doubt
            names.add(v.name.value)
            known_type(v.type)
            if v.default_value is not None:
                _unique_fields(v.default_value)
            if v.directives:
                applied(v.directives, location, set())

    operations: set[Any] = set()
    members: dict[str, set[str]] = {}  # type -> its field / value names over definition and extensions
    type_directives: dict[str, set[str]] = {}
    schema_directives: set[str] = set()
    for d in document.definitions:
        cls = type(d)
        if cls in (SchemaDefinitionNode, SchemaExtensionNode):
            applied(d.directives, "SCHEMA", schema_directives)  # type: ignore[attr-defined]
            for op in d.operation_types or ():  # type: ignore[attr-defined]
                if op.operation in operations:
                    raise _Doubt
                operations.add(op.operation)
                known_type(op.type)
            continue
        if cls is DirectiveDefinitionNode:
            input_values(d.arguments or (), "ARGUMENT_DEFINITION")  # type: ignore[attr-defined]
            continue
        name = d.name.value  # type: ignore[attr-defined]
        definition = _EXTENSIONS.get(cls, cls)
        if kinds.get(name) is not definition:
            raise _Doubt  # an extension of an unknown type, or of another kind
        _, location, member_location = _KINDS[definition]
        applied(d.directives, location, type_directives.setdefault(name, set()))  # type: ignore[attr-defined]
        seen = members.setdefault(name, set())
        for i in getattr(d, "interfaces", None) or ():
            known_type(i)
        for m in getattr(d, "types", None) or ():
            known_type(m)
        if definition is EnumTypeDefinitionNode:
            for v in d.values or ():  # type: ignore[attr-defined]
                if v.name.value in seen:
                    raise _Doubt
                seen.add(v.name.value)
                applied(v.directives, "ENUM_VALUE", set())
        elif definition is InputObjectTypeDefinitionNode:
            fields = d.fields or ()  # type: ignore[attr-defined]
            for f in fields:
                if f.name.value in seen:
                    raise _Doubt
                seen.add(f.name.value)
            input_values(fields, "INPUT_FIELD_DEFINITION")
        elif member_location is not None:
            for f in d.fields or ():  # type: ignore[attr-defined]
                if f.name.value in seen:
                    raise _Doubt
                seen.add(f.name.value)
                known_type(f.type)
                if f.directives:
                    applied(f.directives, "FIELD_DEFINITION", set())
                if f.arguments:
                    input_values(f.arguments, "ARGUMENT_DEFINITION")


def _unique_fields(value: Any) -> None:
    """UniqueInputFieldNames inside a constant value."""
    if isinstance(value, ObjectValueNode):
        names = [f.name.value for f in value.fields]
        if len(set(names)) != len(names):
            raise _Doubt
        for f in value.fields:
            _unique_fields(f.value)
    elif isinstance(value, ListValueNode):
        for v in value.values:
            _unique_fields(v)
