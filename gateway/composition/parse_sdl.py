"""Parse type system documents (subgraph and supergraph SDL) into graphql-core's AST, fast.

graphql-core's parser reads a character at a time in Python, which made parsing the largest cost of composing
many subgraphs. Here one regular expression cuts the whole document into tokens (the scan runs in the ``re``
engine) and a small recursive descent builds the very nodes ``graphql.parse(..., no_location=True)`` builds
(https://spec.graphql.org/October2021/#sec-Type-System). Anything outside that happy path (executable
definitions, syntax errors, variables in constants, escapes it does not decode itself, directive extensions)
is handed to ``graphql.parse``, so errors and unusual input read exactly as graphql-core reads them.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveLocation,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    FloatValueNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    Source,
    StringValueNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)
from graphql.language.block_string import dedent_block_string_lines
from graphql.language.lexer import Lexer

__all__ = ["parse_sdl"]

# Ignored tokens (white space, line terminators, commas, comments, the BOM), then one token. The last
# alternative takes any other character alone, which the parser never accepts, so every document is cut
# without a gap and anything odd ends on graphql-core's parser.
_TOKEN = re.compile(
    r"(?:[ \t\n\r,\ufeff]|#[^\n\r]*)*"
    r'("""(?:[^"\\\ud800-\udfff]|"(?!"")|\\(?!""")|\\""")*"""'
    r'|"(?:[^"\\\n\r\ud800-\udfff]|\\[^\n\r])*"'
    r"|[_A-Za-z][_0-9A-Za-z]*"
    r"|-?[0-9][0-9A-Za-z_.+-]*"
    r"|\.\.\."
    r"|.)"
)
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LINES = re.compile(r"\r\n|[\n\r]")
_NAME_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_LOCATIONS = frozenset(DirectiveLocation.__members__)
_OPERATIONS = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}
_END = "\x00end"  # a token no document produces: the regular expression never yields a NUL alone here
_new = object.__new__


class _Fallback(Exception):
    """The document leaves the happy path: graphql-core parses it (and words any error)."""


_N = TypeVar("_N")


def _node(cls: type[_N], fields: dict[str, Any]) -> _N:
    # The AST classes are frozen dataclasses with instance dicts: filling the dict skips the keyword
    # __init__ and its per-field object.__setattr__, with the same result.
    node = _new(cls)
    node.__dict__.update(fields)
    return node


class _Parser:
    __slots__ = ("i", "names", "tokens")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.names: dict[str, NameNode] = {}

    # -- tokens -------------------------------------------------------------------------------------------

    def name(self) -> NameNode:
        t = self.tokens[self.i]
        if t[0] not in _NAME_START:
            raise _Fallback
        self.i += 1
        return _node(NameNode, {"loc": None, "value": t})

    def expect(self, punct: str) -> None:
        if self.tokens[self.i] != punct:
            raise _Fallback
        self.i += 1

    def string(self) -> StringValueNode:
        t = self.tokens[self.i]
        self.i += 1
        if t.startswith('"""'):
            lines = _LINES.split(t[3:-3].replace('\\"""', '"""'))
            return _node(
                StringValueNode,
                {"loc": None, "value": "\n".join(dedent_block_string_lines(lines)), "block": True},
            )
        if len(t) < 2 or t[-1] != '"':
            raise _Fallback
        value = t[1:-1]
        if "\\" in value:
            try:
                token = Lexer(Source(t)).advance()
            except Exception as e:  # an invalid escape: graphql-core words the error
                raise _Fallback from e
            value = token.value or ""
        return _node(StringValueNode, {"loc": None, "value": value, "block": False})

    def description(self) -> StringValueNode | None:
        return self.string() if self.tokens[self.i][0] == '"' else None

    # -- values and types ---------------------------------------------------------------------------------

    def value(self) -> Any:
        t = self.tokens[self.i]
        c = t[0]
        if c == '"':
            return self.string()
        if c in _NAME_START:
            self.i += 1
            if t == "true" or t == "false":
                return _node(BooleanValueNode, {"loc": None, "value": t == "true"})
            if t == "null":
                return _node(NullValueNode, {"loc": None})
            return _node(EnumValueNode, {"loc": None, "value": t})
        if c == "[":
            self.i += 1
            values = []
            while self.tokens[self.i] != "]":
                values.append(self.value())
            self.i += 1
            return _node(ListValueNode, {"loc": None, "values": tuple(values)})
        if c == "{":
            self.i += 1
            fields = []
            while self.tokens[self.i] != "}":
                name = self.name()
                self.expect(":")
                fields.append(_node(ObjectFieldNode, {"loc": None, "name": name, "value": self.value()}))
            self.i += 1
            return _node(ObjectValueNode, {"loc": None, "fields": tuple(fields)})
        if c == "-" or "0" <= c <= "9":
            self.i += 1
            if _INT.fullmatch(t):
                return _node(IntValueNode, {"loc": None, "value": t})
            if _FLOAT.fullmatch(t):
                return _node(FloatValueNode, {"loc": None, "value": t})
        raise _Fallback

    def type_reference(self) -> Any:
        tokens = self.tokens
        if tokens[self.i] == "[":
            self.i += 1
            inner = self.type_reference()
            self.expect("]")
            of: Any = _node(ListTypeNode, {"loc": None, "type": inner})
        else:
            of = _node(NamedTypeNode, {"loc": None, "name": self.name()})
        if tokens[self.i] == "!":
            self.i += 1
            return _node(NonNullTypeNode, {"loc": None, "type": of})
        return of

    def named_type(self) -> NamedTypeNode:
        return _node(NamedTypeNode, {"loc": None, "name": self.name()})

    def directives(self) -> tuple[DirectiveNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "@":
            return None
        found = []
        while tokens[self.i] == "@":
            self.i += 1
            name = self.name()
            arguments = None
            if tokens[self.i] == "(":
                self.i += 1
                args = []
                while True:
                    arg_name = self.name()
                    self.expect(":")
                    args.append(_node(ArgumentNode, {"loc": None, "name": arg_name, "value": self.value()}))
                    if tokens[self.i] == ")":
                        break
                self.i += 1
                arguments = tuple(args)
            found.append(_node(DirectiveNode, {"loc": None, "name": name, "arguments": arguments}))
        return tuple(found)

    # -- definitions --------------------------------------------------------------------------------------

    def input_value(self) -> InputValueDefinitionNode:
        description = self.description()
        name = self.name()
        self.expect(":")
        type_ = self.type_reference()
        default = None
        if self.tokens[self.i] == "=":
            self.i += 1
            default = self.value()
        return _node(
            InputValueDefinitionNode,
            {
                "loc": None,
                "name": name,
                "type": type_,
                "description": description,
                "default_value": default,
                "directives": self.directives(),
            },
        )

    def input_values(self, open_: str, close: str) -> tuple[InputValueDefinitionNode, ...] | None:
        if self.tokens[self.i] != open_:
            return None
        self.i += 1
        values = [self.input_value()]
        while self.tokens[self.i] != close:
            values.append(self.input_value())
        self.i += 1
        return tuple(values)

    def fields(self) -> tuple[FieldDefinitionNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "{":
            return None
        self.i += 1
        found = []
        while True:
            description = self.description()
            name = self.name()
            arguments = self.input_values("(", ")")
            self.expect(":")
            type_ = self.type_reference()
            found.append(
                _node(
                    FieldDefinitionNode,
                    {
                        "loc": None,
                        "name": name,
                        "type": type_,
                        "description": description,
                        "arguments": arguments,
                        "directives": self.directives(),
                    },
                )
            )
            if tokens[self.i] == "}":
                break
        self.i += 1
        return tuple(found)

    def interfaces(self) -> tuple[NamedTypeNode, ...] | None:
        if self.tokens[self.i] != "implements":
            return None
        self.i += 1
        return self.delimited("&")

    def delimited(self, delimiter: str) -> tuple[NamedTypeNode, ...]:
        tokens = self.tokens
        if tokens[self.i] == delimiter:
            self.i += 1
        found = [self.named_type()]
        while tokens[self.i] == delimiter:
            self.i += 1
            found.append(self.named_type())
        return tuple(found)

    def enum_values(self) -> tuple[EnumValueDefinitionNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "{":
            return None
        self.i += 1
        found = []
        while True:
            description = self.description()
            if tokens[self.i] in ("true", "false", "null"):
                raise _Fallback
            name = self.name()
            found.append(
                _node(
                    EnumValueDefinitionNode,
                    {"loc": None, "name": name, "description": description, "directives": self.directives()},
                )
            )
            if tokens[self.i] == "}":
                break
        self.i += 1
        return tuple(found)

    def operation_types(self) -> tuple[OperationTypeDefinitionNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "{":
            return None
        self.i += 1
        found = []
        while True:
            operation = _OPERATIONS.get(tokens[self.i])
            if operation is None:
                raise _Fallback
            self.i += 1
            self.expect(":")
            found.append(
                _node(
                    OperationTypeDefinitionNode,
                    {"loc": None, "operation": operation, "type": self.named_type()},
                )
            )
            if tokens[self.i] == "}":
                break
        self.i += 1
        return tuple(found)

    def definition(self) -> Any:
        description = self.description()
        keyword = self.tokens[self.i]
        self.i += 1
        if keyword == "type" or keyword == "interface":
            name = self.name()
            interfaces = self.interfaces()
            directives = self.directives()
            cls = ObjectTypeDefinitionNode if keyword == "type" else InterfaceTypeDefinitionNode
            return _node(
                cls,
                {
                    "loc": None,
                    "name": name,
                    "description": description,
                    "directives": directives,
                    "interfaces": interfaces,
                    "fields": self.fields(),
                },
            )
        if keyword == "extend" and description is None:
            return self.extension()
        if keyword == "scalar":
            name = self.name()
            return _node(
                ScalarTypeDefinitionNode,
                {"loc": None, "name": name, "description": description, "directives": self.directives()},
            )
        if keyword == "enum":
            name = self.name()
            directives = self.directives()
            return _node(
                EnumTypeDefinitionNode,
                {
                    "loc": None,
                    "name": name,
                    "description": description,
                    "directives": directives,
                    "values": self.enum_values(),
                },
            )
        if keyword == "input":
            name = self.name()
            directives = self.directives()
            return _node(
                InputObjectTypeDefinitionNode,
                {
                    "loc": None,
                    "name": name,
                    "description": description,
                    "directives": directives,
                    "fields": self.input_values("{", "}"),
                },
            )
        if keyword == "union":
            name = self.name()
            directives = self.directives()
            types = None
            if self.tokens[self.i] == "=":
                self.i += 1
                types = self.delimited("|")
            return _node(
                UnionTypeDefinitionNode,
                {
                    "loc": None,
                    "name": name,
                    "description": description,
                    "directives": directives,
                    "types": types,
                },
            )
        if keyword == "directive":
            self.expect("@")
            name = self.name()
            arguments = self.input_values("(", ")")
            directives = self.directives()
            repeatable = self.tokens[self.i] == "repeatable"
            if repeatable:
                self.i += 1
            self.expect("on")
            if self.tokens[self.i] == "|":
                self.i += 1
            locations = [self.location()]
            while self.tokens[self.i] == "|":
                self.i += 1
                locations.append(self.location())
            return _node(
                DirectiveDefinitionNode,
                {
                    "loc": None,
                    "name": name,
                    "locations": tuple(locations),
                    "description": description,
                    "arguments": arguments,
                    "directives": directives,
                    "repeatable": repeatable,
                },
            )
        if keyword == "schema":
            directives = self.directives()
            operation_types = self.operation_types()
            if operation_types is None:
                raise _Fallback
            return _node(
                SchemaDefinitionNode,
                {
                    "loc": None,
                    "description": description,
                    "directives": directives,
                    "operation_types": operation_types,
                },
            )
        raise _Fallback

    def location(self) -> NameNode:
        name = self.name()
        if name.value not in _LOCATIONS:
            raise _Fallback
        return name

    def extension(self) -> Any:
        keyword = self.tokens[self.i]
        self.i += 1
        if keyword == "schema":
            directives = self.directives()
            operation_types = self.operation_types()
            if not directives and not operation_types:
                raise _Fallback
            return _node(
                SchemaExtensionNode,
                {"loc": None, "directives": directives, "operation_types": operation_types},
            )
        name = self.name()
        if keyword == "type" or keyword == "interface":
            interfaces = self.interfaces()
            directives = self.directives()
            fields = self.fields()
            if not (interfaces or directives or fields):
                raise _Fallback
            cls = ObjectTypeExtensionNode if keyword == "type" else InterfaceTypeExtensionNode
            return _node(
                cls,
                {
                    "loc": None,
                    "name": name,
                    "directives": directives,
                    "interfaces": interfaces,
                    "fields": fields,
                },
            )
        directives = self.directives()
        if keyword == "scalar":
            if not directives:
                raise _Fallback
            return _node(ScalarTypeExtensionNode, {"loc": None, "name": name, "directives": directives})
        if keyword == "enum":
            values = self.enum_values()
            if not (directives or values):
                raise _Fallback
            return _node(
                EnumTypeExtensionNode, {"loc": None, "name": name, "directives": directives, "values": values}
            )
        if keyword == "input":
            input_fields = self.input_values("{", "}")
            if not (directives or input_fields):
                raise _Fallback
            return _node(
                InputObjectTypeExtensionNode,
                {"loc": None, "name": name, "directives": directives, "fields": input_fields},
            )
        if keyword == "union":
            types = None
            if self.tokens[self.i] == "=":
                self.i += 1
                types = self.delimited("|")
            if not (directives or types):
                raise _Fallback
            return _node(
                UnionTypeExtensionNode, {"loc": None, "name": name, "directives": directives, "types": types}
            )
        raise _Fallback

    def document(self) -> DocumentNode:
        definitions = []
        tokens = self.tokens
        while tokens[self.i] is not _END:
            definitions.append(self.definition())
        document: DocumentNode = _node(DocumentNode, {"loc": None, "definitions": tuple(definitions)})
        object.__setattr__(document, "token_count", len(tokens) - 1)
        return document


def parse_sdl(sdl: str) -> DocumentNode:
    """``graphql.parse(sdl, no_location=True)`` for a type system document, the same nodes, faster."""
    tokens: list[str] = _TOKEN.findall(sdl)
    if tokens:
        tokens.append(_END)
        try:
            return _Parser(tokens).document()
        except (_Fallback, IndexError, RecursionError):
            pass
    return parse(sdl, no_location=True)
