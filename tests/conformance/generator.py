"""A seeded generator of random, valid query operations over an API schema (for differential testing).

Each operation picks fields, nested selections, inline fragments on abstract and concrete types, named fragments,
aliases, ``__typename``, ``@skip``/``@include`` and arguments with valid values: global IDs of existing objects (``User:1``..``User:1000``,
``Product:1``..``Product:500``, ``Order:1``..``Order:10000``, now and then one that does not exist), page sizes,
enum values and input objects, given inline or through variables. Every operation is validated against the schema
(GraphQL spec section 5); the rare invalid draft is thrown away and drawn again, so the output is always valid.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    parse,
    print_ast,
    validate,
)

__all__ = ["ID_RANGES", "GeneratedOperation", "OperationGenerator", "generate"]

# How many objects of each type the demo services seed (global IDs are "<Type>:<n>").
ID_RANGES: dict[str, int] = {"User": 1000, "Product": 500, "Order": 10000}

_STRINGS = ("a", "e", "o", "an", "Lamp", "z")
_DECIMALS = ("0", "5.00", "19.99", "100", "250.50")


@dataclass
class GeneratedOperation:
    """One operation: its text, its variables and the seed-derived index it was drawn with."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    index: int = 0


@dataclass
class _Draft:
    fragments: list[str] = field(default_factory=list)
    variable_defs: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


class OperationGenerator:
    """Draws operations from ``schema``'s query type; ``max_depth`` bounds nesting, ``max_fields`` the width."""

    def __init__(
        self,
        schema: GraphQLSchema,
        seed: int,
        *,
        max_depth: int = 4,
        max_fields: int = 4,
        missing_ids: float = 0.05,
        ids: Sequence[str] = (),
    ) -> None:
        if schema.query_type is None:
            raise ValueError("the schema has no query type")
        self.schema = schema
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        self.max_fields = max_fields
        self.missing_ids = missing_ids
        self.id_types = [t for t in ID_RANGES if t in schema.type_map] or list(ID_RANGES)
        # Plain IDs to draw from instead of global ones (for schemas other than the demo's).
        self.ids = list(ids)

    def operations(self, count: int) -> Iterator[GeneratedOperation]:
        for index in range(count):
            yield self.operation(index)

    def operation(self, index: int = 0) -> GeneratedOperation:
        """One valid operation (drafts until one validates)."""
        for _ in range(50):
            draft = _Draft()
            query_type = self.schema.query_type
            assert query_type is not None
            body = self._selection_set(query_type, self.max_depth, draft, root=True)
            header = "query"
            if self.rng.random() < 0.3:
                header += f" Op{index}"
            if draft.variable_defs:
                header += "(" + ", ".join(draft.variable_defs) + ")"
            text = header + " " + body + "".join("\n" + f for f in draft.fragments)
            document = parse(text)
            if not validate(self.schema, document):
                return GeneratedOperation(print_ast(document), draft.variables, index)
        raise RuntimeError("could not draw a valid operation in 50 attempts")

    # ---- selections

    def _selection_set(
        self, type_: GraphQLNamedType, depth: int, draft: _Draft, *, root: bool = False
    ) -> str:
        parts: list[str] = []
        if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
            parts.extend(self._abstract_selections(type_, depth, draft))
        else:
            assert isinstance(type_, GraphQLObjectType)
            parts.extend(self._object_selections(type_, depth, draft, root=root))
            if not root and self.rng.random() < 0.1:
                inner = " ".join(self._object_selections(type_, depth, draft))
                parts.append(f"... on {type_.name} {{ {inner} }}")
            if not root and self.rng.random() < 0.15:
                parts.append(self._named_fragment(type_, depth, draft))
            if not root and type_.interfaces and self.rng.random() < 0.1:
                # A fragment on an interface the object implements (spreads into the object's own fields).
                interface = self.rng.choice(type_.interfaces)
                inner = " ".join(
                    self._field(n, f, depth, draft) for n, f in self._pick_fields(interface.fields, depth)
                )
                parts.append(f"... on {interface.name} {{ {inner} }}")
        if not root and self.rng.random() < 0.15:
            parts.append("__typename")
        return "{ " + " ".join(parts) + " }"

    def _abstract_selections(
        self, type_: GraphQLInterfaceType | GraphQLUnionType, depth: int, draft: _Draft
    ) -> list[str]:
        parts: list[str] = []
        if isinstance(type_, GraphQLInterfaceType):
            fields = self._pick_fields(type_.fields, depth)
            parts.extend(self._field(name, f, depth, draft) for name, f in fields)
        for possible in self.schema.get_possible_types(type_):
            if self.rng.random() < 0.6:
                inner = " ".join(self._object_selections(possible, depth, draft))
                parts.append(f"... on {possible.name} {{ {inner} }}")
        if not parts or self.rng.random() < 0.3:
            parts.append("__typename")
        return parts

    def _named_fragment(self, type_: GraphQLObjectType, depth: int, draft: _Draft) -> str:
        name = draft.name("F")
        inner = " ".join(self._object_selections(type_, depth, draft))
        draft.fragments.append(f"fragment {name} on {type_.name} {{ {inner} }}")
        return f"...{name}"

    def _object_selections(
        self, type_: GraphQLObjectType, depth: int, draft: _Draft, *, root: bool = False
    ) -> list[str]:
        fields = self._pick_fields(type_.fields, depth, root=root)
        return [self._field(name, f, depth, draft) for name, f in fields]

    def _pick_fields(
        self, fields: dict[str, GraphQLField], depth: int, *, root: bool = False
    ) -> list[tuple[str, GraphQLField]]:
        candidates = [(n, f) for n, f in fields.items() if not n.startswith("__")]
        if depth <= 1:
            leaves = [(n, f) for n, f in candidates if is_leaf_type(get_named_type(f.type))]
            candidates = leaves or candidates
        count = 1 if root and self.rng.random() < 0.5 else self.rng.randint(1, self.max_fields)
        picked = [self.rng.choice(candidates) for _ in range(count)]
        if not any(is_leaf_type(get_named_type(f.type)) for _, f in picked) and depth <= 1:
            leaves = [(n, f) for n, f in candidates if is_leaf_type(get_named_type(f.type))]
            if leaves:
                picked.append(self.rng.choice(leaves))
        return picked

    def _field(self, name: str, field_: GraphQLField, depth: int, draft: _Draft) -> str:
        args = self._arguments(name, field_, draft)
        # Fields given arguments get a unique alias, so two uses with other arguments never conflict.
        alias = draft.name("a") if args or self.rng.random() < 0.2 else None
        text = (f"{alias}: " if alias else "") + name + (f"({args})" if args else "") + self._condition(draft)
        named = get_named_type(field_.type)
        if is_leaf_type(named):
            return text
        if depth <= 1:
            return text + " { __typename }"
        return text + " " + self._selection_set(named, depth - 1, draft)

    def _condition(self, draft: _Draft) -> str:
        """Now and then ``@skip``/``@include``, with a literal or a Boolean variable."""
        if self.rng.random() >= 0.06:
            return ""
        directive = self.rng.choice(("skip", "include"))
        value = self.rng.random() < 0.5
        if self.rng.random() < 0.5:
            return f" @{directive}(if: {'true' if value else 'false'})"
        var = draft.name("b")
        draft.variable_defs.append(f"${var}: Boolean!")
        draft.variables[var] = value
        return f" @{directive}(if: ${var})"

    # ---- arguments

    def _arguments(self, field_name: str, field_: GraphQLField, draft: _Draft) -> str:
        given: list[str] = []
        for arg_name, arg in field_.args.items():
            required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
            if field_name == "product" and arg_name == "sku":
                continue  # product(id:) or product(sku:), exactly one: we give the id
            # An optional id is nearly always given: without it, lookups like product(id:, sku:) are errors.
            skip = 0.05 if arg_name == "id" else 0.5
            if not required and self.rng.random() < skip:
                continue
            if arg_name == "after":
                continue  # cursors are opaque; pagination starts at the beginning
            value = self._value(field_name, field_, arg_name, arg)
            if value is _SKIP:
                continue
            if self.rng.random() < 0.25:
                var = draft.name("v")
                draft.variable_defs.append(f"${var}: {arg.type}")
                draft.variables[var] = value
                given.append(f"{arg_name}: ${var}")
            else:
                given.append(f"{arg_name}: {_literal(value, arg.type)}")
        return ", ".join(given)

    def _value(self, field_name: str, field_: GraphQLField, arg_name: str, arg: GraphQLArgument) -> Any:
        named = get_named_type(arg.type)
        if named.name == "ID":
            return self._global_id(field_name, field_, arg_name)
        return self._input_value(arg_name, arg.type)

    def _global_id(self, field_name: str, field_: GraphQLField, arg_name: str) -> str:
        if self.ids:
            return self.rng.choice(self.ids)
        returned = get_named_type(field_.type).name
        if arg_name.endswith("Id") and arg_name[:-2].capitalize() in ID_RANGES:
            type_name = arg_name[:-2].capitalize()
        elif returned in ID_RANGES:
            type_name = returned
        else:
            type_name = self.rng.choice(self.id_types)
        top = ID_RANGES[type_name]
        n = (
            top + self.rng.randint(1, 50)
            if self.rng.random() < self.missing_ids
            else self.rng.randint(1, top)
        )
        return f"{type_name}:{n}"

    def _input_value(self, name: str, type_: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self._input_value(name, type_.of_type)
        if isinstance(type_, GraphQLList):
            return [self._input_value(name, type_.of_type) for _ in range(self.rng.randint(1, 2))]
        if isinstance(type_, GraphQLEnumType):
            return self.rng.choice(list(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            out: dict[str, Any] = {}
            for fname, f in type_.fields.items():
                if (
                    isinstance(f.type, GraphQLNonNull) and f.default_value is None
                ) or self.rng.random() < 0.4:
                    value = self._input_value(fname, f.type)
                    if value is not _SKIP:
                        out[fname] = value
            return out
        if isinstance(type_, GraphQLScalarType):
            if type_.name == "Int":
                return self.rng.randint(0, 5) if name in ("first", "last") else self.rng.randint(-3, 20)
            if type_.name == "Boolean":
                return self.rng.random() < 0.5
            if type_.name == "String":
                return self.rng.choice(_STRINGS)
            if type_.name == "Decimal":
                return self.rng.choice(_DECIMALS)
            if type_.name == "ID":
                return f"{self.rng.choice(self.id_types)}:{self.rng.randint(1, 100)}"
        return _SKIP


_SKIP: Any = object()


def _literal(value: Any, type_: Any) -> str:
    """``value`` as a GraphQL literal of input type ``type_`` (enum values unquoted)."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)
    if value is None:
        return "null"
    if isinstance(type_, GraphQLList):
        return "[" + ", ".join(_literal(v, type_.of_type) for v in value) + "]"
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(type_, GraphQLInputObjectType):
        return "{" + ", ".join(f"{k}: {_literal(v, type_.fields[k].type)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def generate(schema: GraphQLSchema, count: int, seed: int, **options: Any) -> list[GeneratedOperation]:
    """``count`` operations drawn with ``seed`` (the same seed always gives the same operations)."""
    return list(OperationGenerator(schema, seed, **options).operations(count))
