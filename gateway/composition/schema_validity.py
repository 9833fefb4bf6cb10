"""A quick test that graphql-core's schema validation (``validate_schema``) would find nothing in a document.

After the SDL rules (``sdl_validity``), graphql-core builds a ``GraphQLSchema`` and checks the type system rules
of https://spec.graphql.org/October2021/#sec-Type-System (root operation types are objects, every object and
interface has fields, output fields have output types and arguments input types, implementations match
their interfaces, unions have object members, enums have values, input objects have fields and no unbreakable
cycle, default values fit their types). Building that schema per subgraph only to validate it cost
composition more than parsing. ``schema_surely_valid`` checks the same rules in one pass over the definitions.
It is conservative: True only when every rule surely holds; False at the first doubt (a rule broken, or a
construct it does not follow, such as a covariant implementation field type, ``@oneOf`` or a default value of
an input object type), and then graphql-core builds, validates and words the errors.
"""

from __future__ import annotations

import math
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumValueNode,
    FloatValueNode,
    InputValueDefinitionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    NullValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
)

from gateway.composition.schema_shape import BUILT_IN_SCALARS, KIND_OF_NODE
from gateway.composition.supergraph import TypeKind
from gateway.composition.types import type_text

__all__ = ["schema_surely_valid"]

_INPUT_KINDS = frozenset({TypeKind.SCALAR, TypeKind.ENUM, TypeKind.INPUT_OBJECT})
_OUTPUT_KINDS = frozenset(
    {TypeKind.SCALAR, TypeKind.ENUM, TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION}
)
_MAX_INT = 2**31 - 1


class _Doubt(Exception):
    """A rule may be broken: let graphql-core decide."""


class _Type:
    __slots__ = ("enum_values", "fields", "interfaces", "kind", "members", "nodes")

    def __init__(self, kind: TypeKind) -> None:
        self.kind = kind
        self.nodes: list[Any] = []
        self.fields: dict[str, Any] = {}  # field (or input field) name -> its definition node
        self.interfaces: list[str] = []
        self.members: list[str] = []
        self.enum_values: set[str] = set()


def _named(type_node: Any) -> str:
    while type(type_node) is not NamedTypeNode:
        type_node = type_node.type
    name: str = type_node.name.value
    return name


def _deprecated(node: Any) -> bool:
    return bool(node.directives) and any(d.name.value == "deprecated" for d in node.directives)


def schema_surely_valid(document: DocumentNode, require_query: bool = True) -> bool:
    """True when ``validate_schema(build_ast_schema(document))`` would return no error (False may be wrong).

    ``document`` must pass ``sdl_surely_valid`` first. With ``require_query=False`` a missing query root type
    is not counted (a subgraph may have none of its own).
    """
    try:
        _check(document, require_query)
    except (_Doubt, AttributeError, KeyError, TypeError, ValueError):
        return False
    return True


def _check(document: DocumentNode, require_query: bool) -> None:
    types: dict[str, _Type] = {}
    directives: list[DirectiveDefinitionNode] = []
    for d in document.definitions:
        kind = KIND_OF_NODE.get(type(d))
        if kind is None:
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
                raise _Doubt  # root operation types named otherwise: graphql-core resolves them
            if isinstance(d, DirectiveDefinitionNode):
                directives.append(d)
                continue
            raise _Doubt
        name = d.name.value  # type: ignore[attr-defined]
        if name.startswith("__"):
            raise _Doubt
        t = types.get(name)
        if t is None:
            t = types[name] = _Type(kind)
        t.nodes.append(d)
        for f in getattr(d, "fields", None) or ():
            t.fields[f.name.value] = f
        t.interfaces.extend(i.name.value for i in getattr(d, "interfaces", None) or ())
        t.members.extend(m.name.value for m in getattr(d, "types", None) or ())
        t.enum_values.update(v.name.value for v in getattr(d, "values", None) or ())

    kinds = {name: TypeKind.SCALAR for name in BUILT_IN_SCALARS}
    kinds.update((name, t.kind) for name, t in types.items())

    def kind_of(name: str) -> TypeKind:
        return kinds[name]  # KeyError: an unknown type, which the SDL rules would have reported

    for root in ("Query", "Mutation", "Subscription"):
        if root in types and types[root].kind is not TypeKind.OBJECT:
            raise _Doubt
    if require_query and "Query" not in types:
        raise _Doubt

    def default_fits(value: Any, type_node: Any) -> bool:
        if isinstance(value, NullValueNode):
            return not isinstance(type_node, NonNullTypeNode)
        if isinstance(type_node, NonNullTypeNode):
            return default_fits(value, type_node.type)
        if isinstance(type_node, ListTypeNode):
            if isinstance(value, ListValueNode):
                return all(default_fits(v, type_node.type) for v in value.values)
            return default_fits(value, type_node.type)
        name = type_node.name.value
        t = types.get(name)
        if t is None or name in BUILT_IN_SCALARS:
            if name == "Int":
                return isinstance(value, IntValueNode) and -_MAX_INT - 1 <= int(value.value) <= _MAX_INT
            if name == "Float":
                return isinstance(value, IntValueNode | FloatValueNode) and math.isfinite(float(value.value))
            if name == "String":
                return isinstance(value, StringValueNode)
            if name == "Boolean":
                return isinstance(value, BooleanValueNode)
            if name == "ID":
                return isinstance(value, StringValueNode | IntValueNode)
            return False
        if t.kind is TypeKind.SCALAR:
            return True  # a custom scalar's literal parser takes any constant
        if t.kind is TypeKind.ENUM:
            return isinstance(value, EnumValueNode) and value.value in t.enum_values
        return False  # an input object's default: its fields, their defaults and cycles are graphql-core's

    def input_value(v: InputValueDefinitionNode) -> None:
        if v.name.value.startswith("__") or kind_of(_named(v.type)) not in _INPUT_KINDS or _deprecated(v):
            raise _Doubt
        if v.default_value is not None and not default_fits(v.default_value, v.type):
            raise _Doubt

    for directive in directives:
        if directive.name.value.startswith("__") or not directive.locations:
            raise _Doubt
        for a in directive.arguments or ():
            input_value(a)

    for name, t in types.items():
        if t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
            if not t.fields:
                raise _Doubt
            for fname, f in t.fields.items():
                if fname.startswith("__") or kinds[_named(f.type)] not in _OUTPUT_KINDS:
                    raise _Doubt
                if f.arguments:
                    for a in f.arguments:
                        input_value(a)
            if t.interfaces:
                _implementations(name, t, types)
        elif t.kind is TypeKind.UNION:
            if not t.members or len(set(t.members)) != len(t.members):
                raise _Doubt
            if any(kind_of(m) is not TypeKind.OBJECT for m in t.members):
                raise _Doubt
        elif t.kind is TypeKind.ENUM:
            if not t.enum_values or any(v.startswith("__") for v in t.enum_values):
                raise _Doubt
        elif t.kind is TypeKind.INPUT_OBJECT:
            if not t.fields:
                raise _Doubt
            if any(any(d.name.value == "oneOf" for d in n.directives or ()) for n in t.nodes):
                raise _Doubt  # @oneOf has rules of its own
            for f in t.fields.values():
                input_value(f)
                if kind_of(_named(f.type)) is TypeKind.INPUT_OBJECT and (
                    isinstance(f.type, NonNullTypeNode) or f.default_value is not None
                ):
                    raise _Doubt  # a possible cycle of required input objects or of defaults


def _implementations(name: str, t: _Type, types: dict[str, _Type]) -> None:
    """Interface implementation rules, where field types and arguments match the interface's exactly."""
    seen: set[str] = set()
    for i in t.interfaces:
        iface = types.get(i)
        if iface is None or iface.kind is not TypeKind.INTERFACE or i == name or i in seen:
            raise _Doubt
        seen.add(i)
    for i in t.interfaces:
        iface = types[i]
        if any(transitive not in seen for transitive in iface.interfaces):
            raise _Doubt
        for fname, iface_field in iface.fields.items():
            own = t.fields.get(fname)
            if own is None or type_text(own.type) != type_text(iface_field.type):
                raise _Doubt
            if _deprecated(own) and not _deprecated(iface_field):
                raise _Doubt
            iface_args = {a.name.value: a for a in iface_field.arguments or ()}
            own_args = {a.name.value: a for a in own.arguments or ()}
            for aname, a in iface_args.items():
                mine = own_args.get(aname)
                if mine is None or type_text(mine.type) != type_text(a.type):
                    raise _Doubt
            for aname, a in own_args.items():
                if (
                    aname not in iface_args
                    and isinstance(a.type, NonNullTypeNode)
                    and a.default_value is None
                ):
                    raise _Doubt
