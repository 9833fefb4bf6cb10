"""A subgraph's types, fields and arguments as field sets need them, read from its SDL without a GraphQLSchema.

Building graphql-core's ``GraphQLSchema`` for every subgraph (type objects, thunks, the type map walk) cost
composition more than parsing did, and field sets (``@key``, ``@requires``, ``@provides``) only ask which
types exist, of which kind, and the fields' types and arguments. ``SchemaShape.of_document`` reads that from
the normalised document (definitions and their extensions merged, https://spec.graphql.org/October2021/#sec-Type-Extensions);
``SchemaShape.of_schema`` reads the same from a built schema, for documents graphql-core had to build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    is_introspection_type,
)

from gateway.composition.supergraph import TypeKind
from gateway.composition.types import type_text

__all__ = ["BUILT_IN_SCALARS", "KIND_OF_NODE", "ArgumentShape", "FieldShape", "SchemaShape", "TypeShape"]

KIND_OF_NODE: dict[type[Any], TypeKind] = {
    ObjectTypeDefinitionNode: TypeKind.OBJECT,
    ObjectTypeExtensionNode: TypeKind.OBJECT,
    InterfaceTypeDefinitionNode: TypeKind.INTERFACE,
    InterfaceTypeExtensionNode: TypeKind.INTERFACE,
    UnionTypeDefinitionNode: TypeKind.UNION,
    UnionTypeExtensionNode: TypeKind.UNION,
    EnumTypeDefinitionNode: TypeKind.ENUM,
    EnumTypeExtensionNode: TypeKind.ENUM,
    InputObjectTypeDefinitionNode: TypeKind.INPUT_OBJECT,
    InputObjectTypeExtensionNode: TypeKind.INPUT_OBJECT,
    ScalarTypeDefinitionNode: TypeKind.SCALAR,
    ScalarTypeExtensionNode: TypeKind.SCALAR,
}
BUILT_IN_SCALARS = ("String", "Int", "Float", "Boolean", "ID")  # GraphQL spec 3.5, in its order


@dataclass(frozen=True, slots=True)
class ArgumentShape:
    """A field argument: its type as SDL text (``Int!``) and whether it declares a default value."""

    type: str
    has_default: bool


@dataclass(frozen=True, slots=True)
class FieldShape:
    """A field (or input field): its type as SDL text (``[String!]!``) and its arguments."""

    name: str
    type: str
    args: dict[str, ArgumentShape]


@dataclass(slots=True)
class TypeShape:
    """A named type: its kind, and the fields of an object, interface or input object."""

    name: str
    kind: TypeKind
    fields: dict[str, FieldShape] = field(default_factory=dict)

    @property
    def composite(self) -> bool:
        return self.kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION)

    @property
    def leaf(self) -> bool:
        return self.kind in (TypeKind.SCALAR, TypeKind.ENUM)


@dataclass
class SchemaShape:
    """Every named type of a schema by name, the built-in scalars included (introspection types are not)."""

    types: dict[str, TypeShape]
    # (type, field set text) -> what ``walk_field_set`` found, for field sets read again and again.
    field_sets: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    def get_type(self, name: str) -> TypeShape | None:
        return self.types.get(name)

    @classmethod
    def of_document(cls, document: DocumentNode) -> SchemaShape:
        """The types of a type system document whose definitions and extensions graphql-core would accept."""
        types = {n: TypeShape(n, TypeKind.SCALAR) for n in BUILT_IN_SCALARS}
        for d in document.definitions:
            kind = KIND_OF_NODE.get(type(d))
            if kind is None:
                continue
            name = d.name.value  # type: ignore[attr-defined]
            t = types.get(name)
            if t is None or name in BUILT_IN_SCALARS:
                t = types[name] = TypeShape(name, kind)
            if kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.INPUT_OBJECT):
                fields = t.fields
                for f in d.fields or ():  # type: ignore[attr-defined]
                    args = {
                        a.name.value: ArgumentShape(type_text(a.type), a.default_value is not None)
                        for a in getattr(f, "arguments", None) or ()
                    }
                    fields[f.name.value] = FieldShape(f.name.value, type_text(f.type), args)
        return cls(types)

    @classmethod
    def of_schema(cls, schema: GraphQLSchema) -> SchemaShape:
        """The same view of a schema graphql-core built."""
        types = {n: TypeShape(n, TypeKind.SCALAR) for n in BUILT_IN_SCALARS}  # also those no field uses
        for name, t in schema.type_map.items():
            if is_introspection_type(t):
                continue
            if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
                kind = TypeKind.OBJECT if isinstance(t, GraphQLObjectType) else TypeKind.INTERFACE
                fields = {
                    fn: FieldShape(
                        fn,
                        str(f.type),
                        {an: ArgumentShape(str(a.type), a.default is not None) for an, a in f.args.items()},
                    )
                    for fn, f in t.fields.items()
                }
                types[name] = TypeShape(name, kind, fields)
            elif isinstance(t, GraphQLInputObjectType):
                fields = {fn: FieldShape(fn, str(f.type), {}) for fn, f in t.fields.items()}
                types[name] = TypeShape(name, TypeKind.INPUT_OBJECT, fields)
            elif isinstance(t, GraphQLUnionType):
                types[name] = TypeShape(name, TypeKind.UNION)
            elif isinstance(t, GraphQLEnumType):
                types[name] = TypeShape(name, TypeKind.ENUM)
            elif isinstance(t, GraphQLScalarType):
                types[name] = TypeShape(name, TypeKind.SCALAR)
        return cls(types)
