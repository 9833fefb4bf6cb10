"""Read one subgraph SDL into a normalised model: federation directives resolved through ``@link`` imports.

Federation 2 subgraphs name their spec with ``@link(url: "https://specs.apollo.dev/federation/v2.x", import:)``
(https://specs.apollo.dev/link/v1.0: imported names, ``as:`` renames, ``federation__`` prefixes otherwise);
Federation 1 subgraphs have no ``@link`` and use the bare names. Either way the model below speaks canonical
directive names, so the merge never sees a rename. Root types are renamed to ``Query``/``Mutation``/
``Subscription`` as in the supergraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    Visitor,
    build_ast_schema,
    parse,
    print_ast,
    validate_schema,
    value_from_ast_untyped,
    visit,
)
from graphql.language import Node

from gateway.composition.demands import DEMAND_DIRECTIVES, read_demand
from gateway.composition.errors import CompositionError
from gateway.composition.events import EDFS_PREFIX, NATS_SUBSCRIBE, event_source_from_args
from gateway.composition.parse_sdl import parse_sdl
from gateway.composition.schema_shape import KIND_OF_NODE, SchemaShape
from gateway.composition.schema_validity import schema_surely_valid
from gateway.composition.sdl_validity import sdl_surely_valid
from gateway.composition.supergraph import Demands, EventSource, Key, TypeKind
from gateway.composition.types import type_text, value_text

__all__ = [
    "FEDERATION_DIRECTIVES",
    "LinkedSpec",
    "SubgraphArgument",
    "SubgraphEnumValue",
    "SubgraphField",
    "SubgraphSchema",
    "SubgraphType",
    "read_subgraph",
    "upgrade_fed1_extensions",
]

FEDERATION_SPEC = "https://specs.apollo.dev/federation/"

# Canonical federation directive -> definition (after the name), FieldSet etc. typed as the private scalar.
_FS = "federation__FieldSet"
FEDERATION_DIRECTIVES: dict[str, str] = {
    "key": f"(fields: {_FS}!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE",
    "requires": f"(fields: {_FS}!) on FIELD_DEFINITION",
    "provides": f"(fields: {_FS}!) on FIELD_DEFINITION",
    "external": "(reason: String) on OBJECT | FIELD_DEFINITION",
    "shareable": " repeatable on OBJECT | FIELD_DEFINITION",
    "extends": " on OBJECT | INTERFACE",
    "override": "(from: String!, label: String) on FIELD_DEFINITION",
    "inaccessible": " on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION",
    "tag": "(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION"
    " | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA",
    "interfaceObject": " on OBJECT",
    "composeDirective": "(name: String!) repeatable on SCHEMA",
    "authenticated": " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": f"(scopes: [[{_FS}!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": f"(policies: [[{_FS}!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "context": "(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "fromContext": f"(field: {_FS}) on ARGUMENT_DEFINITION",
    "cost": "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT"
    " | SCALAR",
    "listSize": "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],"
    " requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
}
# Directives that a Federation 1 subgraph may use without any @link.
_FED1_DIRECTIVES = ("key", "requires", "provides", "external", "extends", "tag", "inaccessible", "shareable")
# Other specs whose directive is named after the spec (``@inaccessible`` from .../inaccessible/v0.2).
_NAMED_SPECS = ("inaccessible", "tag")
# Machinery a subgraph may print but which never reaches the supergraph.
_FEDERATION_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose", _FS}
)
_FEDERATION_ROOT_FIELDS = frozenset({"_service", "_entities"})
_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_SPEC_URL = re.compile(r"^(?P<base>.*?)/(?P<name>[A-Za-z_][\w-]*)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")

_DEFINITION_OF: dict[type[Node], type[TypeDefinitionNode]] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}


@dataclass(frozen=True)
class LinkedSpec:
    """One ``@link`` of a subgraph: the spec url, its name and version, and its local names."""

    url: str
    name: str
    version: tuple[int, int]
    namespace: str
    imports: dict[str, str]  # canonical element name ("@key", "FieldSet") -> local name

    def local(self, element: str) -> str:
        """Local name of ``@directive`` or ``Type`` of this spec (imported, renamed, or ``ns__name``)."""
        if element in self.imports:
            return self.imports[element]
        bare = element.lstrip("@")
        if bare == self.name:
            return "@" * element.startswith("@") + self.namespace
        return "@" * element.startswith("@") + f"{self.namespace}__{bare}"


@dataclass
class SubgraphArgument:
    name: str
    type: str
    default: str | None = None
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    cost: int | None = None  # @cost(weight:) on the argument or input field definition


@dataclass
class SubgraphField:
    """A field (or input field) of a type in one subgraph with its federation facts."""

    name: str
    type: str
    args: dict[str, SubgraphArgument] = field(default_factory=dict)
    description: str | None = None
    deprecated: str | None = None
    default: str | None = None
    external: bool = False
    # ``@external`` on a key field of an entity extension: the subgraph resolves it all the same (Apollo's
    # "fake external"), so it is not external, yet a @requires/@provides may not name it.
    fake_external: bool = False
    requires: str | None = None
    provides: str | None = None
    shareable: bool = False
    override: str | None = None
    override_label: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    demands: Demands = field(default_factory=Demands)
    # ``@edfs__natsSubscribe``: the field's events come from NATS (gateway.composition.events).
    event_source: EventSource | None = None

    @property
    def named_type(self) -> str:
        return self.type.strip("[]!")


@dataclass
class SubgraphEnumValue:
    name: str
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


@dataclass
class SubgraphType:
    name: str
    kind: TypeKind
    description: str | None = None
    keys: list[Key] = field(default_factory=list)
    extension: bool = False  # only extended here (``extend type``) or marked ``@extends``
    extends: bool = False  # marked ``@extends``
    shareable: bool = False
    external: bool = False
    interface_object: bool = False
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    fields: dict[str, SubgraphField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, SubgraphEnumValue] = field(default_factory=dict)
    specified_by: str | None = None
    one_of: bool = False
    demands: Demands = field(default_factory=Demands)


@dataclass
class SubgraphSchema:
    """One subgraph, normalised. ``shape`` is its types and fields (federation machinery added) for field sets;
    ``schema`` the same as a graphql-core schema, built when first asked for."""

    name: str
    url: str
    fed2: bool
    types: dict[str, SubgraphType]
    shape: SchemaShape
    root_names: dict[str, str]  # "query" -> the subgraph's own root type name
    links: list[LinkedSpec] = field(default_factory=list)
    composed: dict[str, tuple[LinkedSpec, DirectiveDefinitionNode]] = field(default_factory=dict)
    directive_definitions: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    # The normalised SDL ``schema`` is built from.
    document: DocumentNode | None = field(default=None, repr=False)
    built: GraphQLSchema | None = field(default=None, repr=False)

    @property
    def schema(self) -> GraphQLSchema:
        if self.built is None:
            assert self.document is not None
            self.built = build_ast_schema(self.document, assume_valid_sdl=True)
        return self.built


class _Reader:
    def __init__(self, name: str, url: str, sdl: str) -> None:
        self.name = name
        self.url = url
        self.sdl = sdl
        self.errors: list[CompositionError] = []
        self.canonical: dict[str, str] = {}  # local directive name -> canonical federation name
        self.links: list[LinkedSpec] = []
        self.fed2 = False

    def error(
        self, code: str, message: str, type_name: str | None = None, field_name: str | None = None
    ) -> None:
        self.errors.append(CompositionError.of(code, message, [self.name], type_name, field_name))

    # -- @link (https://specs.apollo.dev/link/v1.0) --------------------------------------------------------

    def read_links(self, schema_nodes: list[SchemaDefinitionNode | SchemaExtensionNode]) -> None:
        link_name = "link"
        directives = [d for n in schema_nodes for d in n.directives or ()]
        for d in directives:
            args = _args(d)
            url = args.get("url")
            if isinstance(url, str) and "/link/v" in url and d.name.value == (args.get("as") or "link"):
                link_name = str(args.get("as") or "link")
        for d in directives:
            if d.name.value != link_name:
                continue
            args = _args(d)
            url = args.get("url")
            m = _SPEC_URL.match(url) if isinstance(url, str) else None
            if m is None:
                self.error(
                    "INVALID_LINK_IDENTIFIER",
                    f'Invalid @link url "{url}": expected <base>/<name>/v<major>.<minor>.',
                )
                continue
            imports: dict[str, str] = {}
            raw_imports = args.get("import") or []
            if isinstance(raw_imports, str):
                raw_imports = [raw_imports]  # GraphQL input coercion: a single item stands for a list of one
            if not isinstance(raw_imports, list):
                self.error(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'Invalid @link import {raw_imports!r} in subgraph "{self.name}": expected a list of names or {{name, as}} objects.',
                )
                raw_imports = []
            for item in raw_imports:
                if isinstance(item, str):
                    imports[item] = item
                elif isinstance(item, dict) and isinstance(item.get("name"), str):
                    element, alias = item["name"], item.get("as") or item["name"]
                    if element.startswith("@") != str(alias).startswith("@"):
                        self.error(
                            "INVALID_LINK_DIRECTIVE_USAGE",
                            f'Invalid @link import renaming "{element}" to "{alias}": a directive must be renamed to a directive (with "@") and a type to a type.',
                        )
                        continue
                    imports[element] = str(alias)
                else:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f"Invalid @link import {item!r}: expected a name or {{name, as}}.",
                    )
            spec = LinkedSpec(
                url=str(url),
                name=m["name"],
                version=(int(m["major"]), int(m["minor"])),
                namespace=str(args.get("as") or m["name"]),
                imports=imports,
            )
            self.links.append(spec)
            if str(url).startswith(FEDERATION_SPEC):
                self.fed2 = True
                if spec.version[0] != 2:
                    self.error(
                        "UNKNOWN_FEDERATION_LINK_VERSION",
                        f"Invalid version {m['major']}.{m['minor']} for the federation feature in @link direction on schema: only 2.x is supported.",
                    )
                for canonical in FEDERATION_DIRECTIVES:
                    # An imported directive keeps its namespaced name too (link v1.0).
                    self.canonical[f"{spec.namespace}__{canonical}"] = canonical
                    self.canonical[spec.local("@" + canonical)[1:]] = canonical
            elif spec.name in _NAMED_SPECS:
                self.canonical[spec.local("@" + spec.name)[1:]] = spec.name
        if not self.fed2:
            for canonical in _FED1_DIRECTIVES:
                self.canonical.setdefault(canonical, canonical)

    # -- the document ---------------------------------------------------------------------------------------

    def read(self) -> SubgraphSchema | None:
        try:
            document = parse_sdl(self.sdl)
        except GraphQLError as e:
            self.error(
                "INVALID_GRAPHQL", f'Subgraph "{self.name}" is not valid GraphQL: {e.message} ({_where(e)}).'
            )
            return None
        schema_nodes: list[SchemaDefinitionNode | SchemaExtensionNode] = [
            d for d in document.definitions if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        self.read_links(schema_nodes)
        root_names = dict(_ROOTS)
        for node in schema_nodes:
            for op in node.operation_types or ():
                root_names[op.operation.value] = op.type.name.value
        rename = {own: _ROOTS[op] for op, own in root_names.items() if own != _ROOTS[op]}

        groups: dict[str, list[TypeDefinitionNode | TypeExtensionNode]] = {}
        directive_defs: dict[str, DirectiveDefinitionNode] = {}
        machinery: dict[str, TypeDefinitionNode] = {}  # federation scalars a subgraph may print itself
        for d in document.definitions:
            if isinstance(d, TypeDefinitionNode | TypeExtensionNode):
                if d.name.value in _FEDERATION_TYPES:
                    if isinstance(d, ScalarTypeDefinitionNode | EnumTypeDefinitionNode):
                        machinery[d.name.value] = d
                    continue
                groups.setdefault(d.name.value, []).append(d)
            elif isinstance(d, DirectiveDefinitionNode):
                directive_defs[d.name.value] = d
            elif not isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
                self.error(
                    "INVALID_GRAPHQL",
                    f'Subgraph "{self.name}" contains an executable definition; a subgraph SDL only has type system definitions.',
                )
                return None

        definitions: list[DefinitionNode] = []
        extension_only: set[str] = set()
        for type_name, nodes in groups.items():
            kinds = {KIND_OF_NODE[type(n)] for n in nodes}
            if len(kinds) > 1:
                self.error(
                    "INVALID_GRAPHQL",
                    f'Type "{type_name}" is defined and extended as different kinds ({", ".join(sorted(k.value for k in kinds))}) in subgraph "{self.name}".',
                    type_name,
                )
                return None
            bases = [n for n in nodes if isinstance(n, TypeDefinitionNode)]
            if len(bases) > 1:
                self.error(
                    "INVALID_GRAPHQL",
                    f'There can be only one type named "{type_name}" in subgraph "{self.name}".',
                    type_name,
                )
                return None
            nodes = [_without_federation_fields(n, root_names["query"]) for n in nodes]
            if not bases:
                extension_only.add(type_name)
                first = nodes[0]
                nodes[0] = _DEFINITION_OF[type(first)](
                    **{k: getattr(first, k) for k in first.keys if k != "loc"}
                )
            definitions.extend(nodes)
        used = {_directive_name(n) for n in _all_directives(definitions)}
        added: list[str] = [] if _FS in machinery else [f"scalar {_FS}"]
        for local, canonical in self.canonical.items():
            if local not in directive_defs and local in used:
                added.append(f"directive @{local}{FEDERATION_DIRECTIVES[canonical]}")
        normalised = DocumentNode(
            definitions=(
                *definitions,
                *machinery.values(),
                *directive_defs.values(),
                *(_machinery_definitions("\n".join(added)) if added else ()),
            )
        )
        if rename:
            normalised = _rename_types(normalised, rename)
        schema: GraphQLSchema | None = None
        if sdl_surely_valid(normalised) and schema_surely_valid(normalised, require_query=False):
            shape = SchemaShape.of_document(normalised)
        else:
            try:
                schema = build_ast_schema(normalised, assume_valid_sdl=sdl_surely_valid(normalised))
            except (TypeError, GraphQLError) as e:
                for message in str(e).split("\n\n"):
                    self.error("INVALID_GRAPHQL", f"[{self.name}] {self.explain(message)}")
                return None
            for err in validate_schema(schema):
                if "root type must be provided" in err.message:
                    continue
                self.error("INVALID_GRAPHQL", f"[{self.name}] {err.message}")
            if self.errors:
                return None
            shape = SchemaShape.of_schema(schema)

        types: dict[str, SubgraphType] = {}
        for d in normalised.definitions:
            if (
                isinstance(d, TypeDefinitionNode | TypeExtensionNode)
                and d.name.value not in _FEDERATION_TYPES
                and not d.name.value.startswith(EDFS_PREFIX)
            ):
                self.add_type_node(types, d, d.name.value in {rename.get(n, n) for n in extension_only})
        self.fed1_adjustments(types)
        self.external_adjustments(types)
        result = SubgraphSchema(
            name=self.name,
            url=self.url,
            fed2=self.fed2,
            types=types,
            shape=shape,
            root_names=root_names,
            links=self.links,
            directive_definitions={
                n: d
                for n, d in directive_defs.items()
                if n not in self.canonical
                and n not in ("link", "composeDirective")
                and not n.startswith(EDFS_PREFIX)
            },
            document=normalised,
            built=schema,
        )
        self.read_compose_directives(schema_nodes, result)
        return result

    def explain(self, message: str) -> str:
        """Add the fix to graphql-core's "Unknown directive '@key'." when it names a federation directive."""
        m = re.match(r"^Unknown directive '@(\w+)'", message)
        if m is None or m[1] not in FEDERATION_DIRECTIVES:
            return message
        name = m[1]
        if not self.fed2:
            return (
                f'{message} "@{name}" is a Federation 2 directive: add extend schema @link(url: '
                f'"https://specs.apollo.dev/federation/v2.3", import: ["@{name}"]) to this subgraph.'
            )
        return (
            f'{message} If you meant the "@{name}" federation directive, you should use the fully-qualified '
            f'name "@federation__{name}" or add "@{name}" to the import argument of the @link to the '
            "federation specification."
        )

    def add_type_node(self, types: dict[str, SubgraphType], node: Node, extension_only: bool) -> None:
        assert isinstance(node, TypeDefinitionNode | TypeExtensionNode)
        name = node.name.value
        t = types.get(name)
        if t is None:
            t = types[name] = SubgraphType(name, KIND_OF_NODE[type(node)], extension=extension_only)
        if isinstance(node, TypeDefinitionNode) and node.description is not None:
            t.description = node.description.value
        for d in node.directives or ():
            canonical = self.canonical.get(d.name.value)
            args = _args(d)
            if canonical == "key":
                t.keys.append(Key(str(args.get("fields", "")), args.get("resolvable", True) is not False))
            elif canonical == "shareable":
                t.shareable = True
            elif canonical == "external":
                t.external = True
            elif canonical == "extends":
                t.extension = t.extends = True
            elif canonical == "interfaceObject":
                t.interface_object = True
            elif canonical == "inaccessible":
                t.inaccessible = True
            elif canonical == "tag":
                t.tags.append(str(args.get("name")))
            elif d.name.value == "specifiedBy":
                t.specified_by = str(args.get("url"))
            elif d.name.value == "oneOf":
                t.one_of = True
            elif canonical in DEMAND_DIRECTIVES:
                read_demand(t.demands, canonical, args)
            elif canonical is None:
                t.applied.append(print_ast(d))
        for i in getattr(node, "interfaces", None) or ():
            t.interfaces.append(i.name.value)
        if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            t.members.extend(m.name.value for m in node.types or ())
        if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            for v in node.values or ():
                t.values[v.name.value] = self.enum_value(v)
        if isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            type_external = any(self.canonical.get(d.name.value) == "external" for d in node.directives or ())
            type_shareable = any(
                self.canonical.get(d.name.value) == "shareable" for d in node.directives or ()
            )
            for f in node.fields or ():
                sf = self.field(f)
                sf.external = sf.external or type_external
                sf.shareable = sf.shareable or type_shareable
                t.fields[sf.name] = sf
        if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            for input_field in node.fields or ():
                a = self.argument(input_field)
                t.fields[a.name] = SubgraphField(
                    a.name,
                    a.type,
                    description=a.description,
                    deprecated=a.deprecated,
                    default=a.default,
                    inaccessible=a.inaccessible,
                    tags=a.tags,
                    applied=a.applied,
                    demands=Demands(cost=a.cost),
                )

    def field(self, node: FieldDefinitionNode) -> SubgraphField:
        f = SubgraphField(node.name.value, type_text(node.type))
        f.description = node.description.value if node.description else None
        f.args = {a.name.value: self.argument(a) for a in node.arguments or ()}
        for d in node.directives or ():
            canonical = self.canonical.get(d.name.value)
            args = _args(d)
            if canonical == "external":
                f.external = True
            elif canonical == "requires":
                f.requires = str(args.get("fields", ""))
            elif canonical == "provides":
                f.provides = str(args.get("fields", ""))
            elif canonical == "shareable":
                f.shareable = True
            elif canonical == "override":
                f.override = str(args.get("from"))
                label = args.get("label")
                f.override_label = str(label) if label is not None else None
            elif canonical == "inaccessible":
                f.inaccessible = True
            elif canonical == "tag":
                f.tags.append(str(args.get("name")))
            elif d.name.value == "deprecated":
                f.deprecated = str(args.get("reason", "No longer supported"))
            elif canonical in DEMAND_DIRECTIVES:
                read_demand(f.demands, canonical, args)
            elif d.name.value == NATS_SUBSCRIBE:
                source = event_source_from_args(self.name, args)
                if isinstance(source, str):
                    self.error(
                        "INVALID_EVENT_DIRECTIVE",
                        f'[{self.name}] @{NATS_SUBSCRIBE} on field "{node.name.value}": {source}.',
                    )
                else:
                    f.event_source = source
            elif canonical is None:
                f.applied.append(print_ast(d))
        return f

    def argument(self, node: InputValueDefinitionNode) -> SubgraphArgument:
        a = SubgraphArgument(node.name.value, type_text(node.type))
        a.description = node.description.value if node.description else None
        a.default = value_text(node.default_value) if node.default_value is not None else None
        for d in node.directives or ():
            canonical = self.canonical.get(d.name.value)
            if canonical == "inaccessible":
                a.inaccessible = True
            elif canonical == "tag":
                a.tags.append(str(_args(d).get("name")))
            elif d.name.value == "deprecated":
                a.deprecated = str(_args(d).get("reason", "No longer supported"))
            elif canonical == "cost":
                weight = _args(d).get("weight")
                a.cost = weight if isinstance(weight, int) else None
            elif canonical is None:
                a.applied.append(print_ast(d))
        return a

    def enum_value(self, node: EnumValueDefinitionNode) -> SubgraphEnumValue:
        v = SubgraphEnumValue(node.name.value, node.description.value if node.description else None)
        for d in node.directives or ():
            canonical = self.canonical.get(d.name.value)
            if canonical == "inaccessible":
                v.inaccessible = True
            elif canonical == "tag":
                v.tags.append(str(_args(d).get("name")))
            elif d.name.value == "deprecated":
                v.deprecated = str(_args(d).get("reason", "No longer supported"))
            elif canonical is None:
                v.applied.append(print_ast(d))
        return v

    def fed1_adjustments(self, types: dict[str, SubgraphType]) -> None:
        """Federation 1 semantics, as Apollo's schema upgrader applies them.

        Every field is shareable; ``@external`` on the key fields of a type extension only restated the key and
        is dropped (the extension resolves its own key fields). Extensions without a key of their own are
        upgraded with the other subgraphs' keys in ``upgrade_fed1_extensions``.
        """
        if self.fed2:
            return
        for t in types.values():
            for f in t.fields.values():
                f.shareable = True
            if t.extension and t.keys:
                key_fields = {n for k in t.keys for n in _top_level_names(k.fields)}
                for n in key_fields:
                    if n in t.fields:
                        t.fields[n].external = False

    def external_adjustments(self, types: dict[str, SubgraphType]) -> None:
        """Federation 2: a type-level ``@external`` covers the fields of its extensions too, and the ``@external``
        key fields of an entity extension are resolved by the subgraph (federation-internals' ExternalTester)."""
        if not self.fed2:
            return
        for t in types.values():
            if t.external and t.kind is TypeKind.OBJECT:
                for f in t.fields.values():
                    f.external = True
            if t.extension and t.keys:
                for n in {n for k in t.keys for n in _top_level_names(k.fields)}:
                    key_field = t.fields.get(n)
                    if key_field is not None and key_field.external:
                        key_field.external, key_field.fake_external = False, True

    def read_compose_directives(
        self, schema_nodes: list[SchemaDefinitionNode | SchemaExtensionNode], result: SubgraphSchema
    ) -> None:
        """``@composeDirective(name:)``: a custom directive of a linked spec kept in the supergraph (fed 2.1)."""
        for node in schema_nodes:
            for d in node.directives or ():
                if self.canonical.get(d.name.value) != "composeDirective":
                    continue
                raw = str(_args(d).get("name", ""))
                if not raw.startswith("@"):
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Argument to @composeDirective "{raw}" in subgraph "{self.name}" must have a leading "@".',
                    )
                    continue
                local = raw[1:]
                spec = next(
                    (
                        s
                        for s in self.links
                        if s.local("@" + local.split("__")[-1]) == raw or raw in s.imports.values()
                    ),
                    None,
                )
                definition = result.directive_definitions.get(local)
                if (
                    spec is None
                    or spec.url.startswith(FEDERATION_SPEC)
                    or spec.name in ("link", *_NAMED_SPECS)
                ):
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Directive "{raw}" in subgraph "{self.name}" cannot be composed because it is not a member of a core feature: import it with @link from its own spec url.',
                    )
                    continue
                if definition is None:
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Could not find matching directive definition for argument to @composeDirective "{raw}" in subgraph "{self.name}".',
                    )
                    continue
                result.composed[local] = (spec, definition)


@lru_cache(maxsize=256)
def _machinery_definitions(sdl: str) -> tuple[DefinitionNode, ...]:
    """The federation definitions a subgraph leaves out; most subgraphs leave out the same ones."""
    return tuple(parse_sdl(sdl).definitions)


def _args(d: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def _where(e: GraphQLError) -> str:
    if e.locations:
        loc = e.locations[0]
        return f"line {loc.line}, column {loc.column}"
    return "unknown location"


def _directive_name(d: DirectiveNode) -> str:
    return d.name.value


def _all_directives(definitions: list[DefinitionNode]) -> list[DirectiveNode]:
    """Every directive applied in type definitions (types, fields, arguments, enum values, input fields)."""
    found: list[DirectiveNode] = []
    for d in definitions:
        found.extend(getattr(d, "directives", None) or ())
        for member in (getattr(d, "fields", None) or ()) + (getattr(d, "values", None) or ()):
            found.extend(member.directives or ())
            for arg in getattr(member, "arguments", None) or ():
                found.extend(arg.directives or ())
    return found


def _without_federation_fields(node: Any, query_root: str) -> Any:
    fields = getattr(node, "fields", None)
    if (
        node.name.value == query_root
        and fields
        and any(f.name.value in _FEDERATION_ROOT_FIELDS for f in fields)
    ):
        kept = tuple(f for f in fields if f.name.value not in _FEDERATION_ROOT_FIELDS)
        return type(node)(**{**{k: getattr(node, k) for k in node.keys if k != "loc"}, "fields": kept})
    return node


def _rename_types(document: DocumentNode, rename: dict[str, str]) -> DocumentNode:
    class Rename(Visitor):
        def enter_named_type(self, node: NamedTypeNode, *_: Any) -> NamedTypeNode | None:
            new = rename.get(node.name.value)
            return NamedTypeNode(name=NameNode(value=new)) if new else None

    renamed = visit(document, Rename())
    definitions = []
    for d in renamed.definitions:
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode) and d.name.value in rename:
            d = type(d)(
                **{
                    **{k: getattr(d, k) for k in d.keys if k != "loc"},
                    "name": NameNode(value=rename[d.name.value]),
                }
            )
        definitions.append(d)
    return DocumentNode(definitions=tuple(definitions))


@lru_cache(maxsize=4096)
def _top_level_names(field_set: str) -> tuple[str, ...]:
    try:
        doc = parse("{" + field_set + "}", no_location=True)
    except GraphQLError:
        return ()
    op = doc.definitions[0]
    return tuple(s.name.value for s in op.selection_set.selections if hasattr(s, "name"))  # type: ignore[attr-defined]


def upgrade_fed1_extensions(subgraphs: list[SubgraphSchema]) -> None:
    """A Federation 1 type extension without ``@key`` still resolves the key fields of the entity it extends.

    Apollo's schema upgrader drops ``@external`` from the fields that are key fields of the type in other
    subgraphs, so that the extension can be left for the owner with one of its keys.
    """
    key_fields: dict[str, set[str]] = {}
    for sub in subgraphs:
        for t in sub.types.values():
            for k in t.keys:
                key_fields.setdefault(t.name, set()).update(_top_level_names(k.fields))
    for sub in subgraphs:
        if sub.fed2:
            continue
        for t in sub.types.values():
            if t.extension and not t.keys:
                for name in key_fields.get(t.name, ()):
                    if name in t.fields:
                        t.fields[name].external = False


def read_subgraph(name: str, url: str, sdl: str) -> tuple[SubgraphSchema | None, list[CompositionError]]:
    """Parse and validate one subgraph SDL (https://www.apollographql.com/docs/federation/subgraph-spec)."""
    reader = _Reader(name, url, sdl)
    result = reader.read()
    return (result if not reader.errors else None), reader.errors
