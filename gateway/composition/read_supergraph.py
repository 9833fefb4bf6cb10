"""Read a supergraph SDL in Apollo's join-spec format (join v0.1 to v0.5) into the Supergraph model.

Specs: https://specs.apollo.dev/join/v0.5 (``@join__*``), https://specs.apollo.dev/link/v1.0 (``@link``,
imports and renames), https://specs.apollo.dev/core/v0.2 (``@core``, Federation 1 supergraphs) and
https://specs.apollo.dev/inaccessible/v0.2 (API schema derivation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputValueDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationType,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    build_ast_schema,
    parse,
    print_ast,
    validate_schema,
    value_from_ast_untyped,
)
from graphql.language import Node

from gateway.composition.demands import read_demand
from gateway.composition.events import NATS_SUBSCRIBE, event_source_from_args
from gateway.composition.schema_shape import BUILT_IN_SCALARS, KIND_OF_NODE
from gateway.composition.supergraph import (
    Demands,
    EventSource,
    FieldInSubgraph,
    Key,
    Subgraph,
    Supergraph,
    SupergraphField,
    SupergraphType,
    TypeInSubgraph,
    TypeKind,
)

__all__ = ["SupergraphError", "read_supergraph"]

_SPEC_URL = re.compile(r"^(?P<base>.*/(?P<name>[A-Za-z_][A-Za-z0-9_-]*))/v(?P<major>\d+)\.(?P<minor>\d+)/?$")
_MACHINERY = {"join", "link", "core"}
# Specs whose elements the gateway understands or may safely ignore; an unknown spec linked
# ``for: EXECUTION`` or ``for: SECURITY`` must be rejected (link v1.0, "Purpose").
_KNOWN_SPECS = {
    "join",
    "link",
    "core",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "cost",
    "federation",
    "kotlin_labs",
    "cacheTag",
}
_DEFAULT_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


_DEMAND_SPECS = {
    "authenticated": ("authenticated",),
    "requiresScopes": ("requiresScopes",),
    "policy": ("policy",),
    "cost": ("cost", "listSize"),
}


class SupergraphError(Exception):
    """An invalid supergraph SDL: ``code`` (e.g. ``UNKNOWN_GRAPH``), message and ``(line, column)``."""

    def __init__(self, code: str, message: str, location: tuple[int, int] | None = None) -> None:
        self.code = code
        self.message = message
        self.location = location
        where = f" (line {location[0]}, column {location[1]})" if location else ""
        super().__init__(f"[{code}] {message}{where}")


def _loc(node: Node | None) -> tuple[int, int] | None:
    if node is None or node.loc is None:
        return None
    token = node.loc.start_token
    return (token.line, token.column)


@dataclass
class _Link:
    """One ``@link``/``@core`` application: the spec it names and how its elements are named locally."""

    name: str
    base: str
    version: tuple[int, int]
    alias: str
    imports: dict[str, str] = field(default_factory=dict)  # spec element ("@key", "Foo") -> local name
    purpose: str | None = None
    node: Node | None = None

    def directive(self, element: str) -> str:
        """Local name of the spec's directive ``element`` (``"type"`` for join -> ``"join__type"``)."""
        if "@" + element in self.imports:
            return self.imports["@" + element][1:]
        if element == self.name:
            return self.alias
        return f"{self.alias}__{element}"

    def owns_directive(self, local: str) -> bool:
        if local == self.alias or local.startswith(self.alias + "__"):
            return True
        return "@" + local in {v for k, v in self.imports.items() if k.startswith("@")}

    def owns_type(self, local: str) -> bool:
        if local.startswith(self.alias + "__"):
            return True
        return local in {v for k, v in self.imports.items() if not k.startswith("@")}


def _args(directive: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _parse_link(directive: DirectiveNode, is_core: bool) -> _Link:
    args = _args(directive)
    url = args.get("feature" if is_core else "url")
    if not isinstance(url, str):
        raise SupergraphError(
            "INVALID_LINK",
            f"@{directive.name.value} needs a string {'feature' if is_core else 'url'} argument",
            _loc(directive),
        )
    match = _SPEC_URL.match(url)
    if not match:
        raise SupergraphError(
            "INVALID_LINK", f"cannot read spec name and version from {url!r}", _loc(directive)
        )
    name = match["name"]
    alias = args.get("as") or name
    imports: dict[str, str] = {}
    for item in args.get("import") or ():
        if isinstance(item, str):
            imports[item] = item
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            imported = item["name"]
            renamed = item.get("as") or imported
            if imported.startswith("@") != str(renamed).startswith("@"):
                raise SupergraphError(
                    "INVALID_LINK_IMPORT",
                    f"import {imported!r} renamed to {renamed!r}: directives and types cannot be swapped",
                    _loc(directive),
                )
            imports[imported] = str(renamed)
        else:
            raise SupergraphError("INVALID_LINK_IMPORT", f"cannot read import {item!r}", _loc(directive))
    purpose = args.get("for")
    return _Link(
        name=name,
        base=match["base"],
        version=(int(match["major"]), int(match["minor"])),
        alias=str(alias),
        imports=imports,
        purpose=str(purpose) if purpose is not None else None,
        node=directive,
    )


def _schema_directives(document: DocumentNode) -> list[DirectiveNode]:
    out: list[DirectiveNode] = []
    for d in document.definitions:
        if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
            out.extend(d.directives or ())
    return out


def _read_links(document: DocumentNode) -> dict[str, _Link]:
    """The linked specs by spec name. The link/core spec links itself first, under its own alias."""
    directives = _schema_directives(document)
    links: dict[str, _Link] = {}
    # The first @link or @core (by any alias) bootstraps: link v1.0 says the link spec links itself.
    for d in directives:
        args = _args(d)
        url = args.get("url") if "url" in args else args.get("feature")
        if not isinstance(url, str):
            continue
        m = _SPEC_URL.match(url)
        if m and m["name"] in ("link", "core"):
            boot = _parse_link(d, is_core="feature" in args)
            links[boot.name] = boot
            break
    if not links:
        raise SupergraphError(
            "MISSING_LINK_SPEC",
            "the schema definition has no @link(url: .../link/v1.0) or @core(feature: .../core/v0.x)",
            None,
        )
    boot = next(iter(links.values()))
    for d in directives:
        if d.name.value != boot.alias or d is boot.node:
            continue
        link = _parse_link(d, is_core=boot.name == "core")
        if link.name in links:
            raise SupergraphError("DUPLICATE_LINK", f"spec {link.name!r} is linked twice", _loc(d))
        links[link.name] = link
    for link in links.values():
        if link.name not in _KNOWN_SPECS and link.purpose in ("EXECUTION", "SECURITY"):
            raise SupergraphError(
                "UNSUPPORTED_LINKED_FEATURE",
                f"spec {link.base}/v{link.version[0]}.{link.version[1]} is linked for {link.purpose} "
                "and this gateway does not implement it",
                _loc(link.node),
            )
    join = links.get("join")
    if join is None:
        raise SupergraphError("MISSING_JOIN_SPEC", "the supergraph does not link the join spec", None)
    if join.version[0] != 0 or not 1 <= join.version[1] <= 5:
        raise SupergraphError(
            "UNSUPPORTED_JOIN_VERSION",
            f"join spec v{join.version[0]}.{join.version[1]} is not supported (v0.1 to v0.5 are)",
            _loc(join.node),
        )
    return links


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


@dataclass
class _TypeAst:
    """A type definition merged with its extensions (supergraph SDL rarely has them, but may)."""

    name: str
    kind: TypeKind
    nodes: list[Node]

    @property
    def directives(self) -> list[DirectiveNode]:
        return [d for n in self.nodes for d in getattr(n, "directives", None) or ()]

    def children(self, attr: str) -> list[Any]:
        return [c for n in self.nodes for c in getattr(n, attr, None) or ()]


class _Reader:
    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.links = _read_links(document)
        self.join = self.links["join"]
        self.join_minor = self.join.version[1]
        inaccessible = self.links.get("inaccessible")
        self.inaccessible_name = inaccessible.directive("inaccessible") if inaccessible else "inaccessible"
        self.d_type = self.join.directive("type")
        self.d_field = self.join.directive("field")
        self.d_owner = self.join.directive("owner")
        self.d_graph = self.join.directive("graph")
        self.d_implements = self.join.directive("implements")
        self.d_union_member = self.join.directive("unionMember")
        self.d_enum_value = self.join.directive("enumValue")
        self.d_directive = self.join.directive("directive")
        self.graph_enum = self.join.imports.get("Graph", f"{self.join.alias}__Graph")
        # Local directive name -> canonical name, for the authorization and cost specs the supergraph links.
        self.demand_names: dict[str, str] = {}
        for spec, elements in _DEMAND_SPECS.items():
            link = self.links.get(spec)
            if link is not None:
                for element in elements:
                    self.demand_names[link.directive(element)] = element
        self.types: dict[str, _TypeAst] = {}
        self.subgraphs: dict[str, Subgraph] = {}
        self.by_enum: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------------------------------

    def _is_machinery_type(self, name: str) -> bool:
        return any(self.links[n].owns_type(name) for n in _MACHINERY if n in self.links)

    def _is_spec_directive(self, name: str, machinery_only: bool) -> bool:
        for link in self.links.values():
            if machinery_only and link.name not in _MACHINERY:
                continue
            if link.owns_directive(name):
                return True
        return False

    def _graph(self, directive: DirectiveNode, value: Any) -> str:
        if not isinstance(value, str) or value not in self.by_enum:
            raise SupergraphError(
                "UNKNOWN_GRAPH",
                f"@{directive.name.value}(graph: {value}) names no value of enum {self.graph_enum}",
                _loc(directive),
            )
        return self.by_enum[value]

    def _apps(
        self, directives: Iterable[DirectiveNode], name: str
    ) -> list[tuple[DirectiveNode, dict[str, Any]]]:
        return [(d, _args(d)) for d in directives if d.name.value == name]

    def _demands(self, directives: Iterable[DirectiveNode] | None) -> Demands:
        demands = Demands()
        for d in directives or ():
            canonical = self.demand_names.get(d.name.value)
            if canonical is not None:
                read_demand(demands, canonical, _args(d))
        return demands

    def _has(self, directives: Iterable[DirectiveNode] | None, name: str) -> bool:
        return any(d.name.value == name for d in directives or ())

    # -- reading -------------------------------------------------------------------------------------------

    def collect_types(self) -> None:
        for d in self.document.definitions:
            if isinstance(d, TypeDefinitionNode | TypeExtensionNode):
                name = d.name.value
                kind = KIND_OF_NODE[type(d)]
                existing = self.types.get(name)
                if existing is None:
                    self.types[name] = _TypeAst(name, kind, [d])
                elif existing.kind != kind:
                    raise SupergraphError(
                        "INVALID_SUPERGRAPH", f"type {name} is defined as {existing.kind} and {kind}", _loc(d)
                    )
                else:
                    existing.nodes.append(d)

    def read_graphs(self) -> None:
        graph_type = self.types.get(self.graph_enum)
        if graph_type is None:
            raise SupergraphError("MISSING_GRAPH_ENUM", f"enum {self.graph_enum} is not defined", None)
        for value in graph_type.children("values"):
            assert isinstance(value, EnumValueDefinitionNode)
            apps = self._apps(value.directives or (), self.d_graph)
            if len(apps) != 1:
                raise SupergraphError(
                    "INVALID_GRAPH",
                    f"{self.graph_enum}.{value.name.value} needs exactly one @{self.d_graph}(name:, url:)",
                    _loc(value),
                )
            node, args = apps[0]
            name, url = args.get("name"), args.get("url")
            if not isinstance(name, str) or not isinstance(url, str):
                raise SupergraphError(
                    "INVALID_GRAPH", f"@{self.d_graph} needs string name and url", _loc(node)
                )
            if name in self.subgraphs:
                raise SupergraphError("DUPLICATE_GRAPH", f"subgraph name {name!r} is used twice", _loc(node))
            self.subgraphs[name] = Subgraph(name=name, url=url, enum_value=value.name.value)
            self.by_enum[value.name.value] = name

    def root_types(self) -> dict[str, str]:
        roots: dict[str, str] = {}
        for d in self.document.definitions:
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
                for op in d.operation_types or ():
                    roots[op.operation.value] = op.type.name.value
        if not any(isinstance(d, SchemaDefinitionNode) for d in self.document.definitions) or not roots:
            roots = {k: v for k, v in _DEFAULT_ROOTS.items() if v in self.types}
        for kind, name in roots.items():
            if name not in self.types:
                raise SupergraphError("INVALID_SUPERGRAPH", f"{kind} root type {name} is not defined", None)
        return roots

    def build_type(self, t: _TypeAst) -> SupergraphType:
        st = SupergraphType(name=t.name, kind=t.kind)
        st.inaccessible = self._has(t.directives, self.inaccessible_name)
        st.demands = self._demands(t.directives)
        owner: str | None = None
        for node, args in self._apps(t.directives, self.d_owner):
            owner = self._graph(node, args.get("graph"))
        for node, args in self._apps(t.directives, self.d_type):
            graph = self._graph(node, args.get("graph"))
            tis = st.subgraphs.setdefault(graph, TypeInSubgraph(graph=graph))
            key = args.get("key")
            if key is not None:
                if not isinstance(key, str) or not key.strip():
                    raise SupergraphError(
                        "INVALID_KEY", f"@{self.d_type} key must be a field set", _loc(node)
                    )
                self._check_field_set(key, node)
                tis.keys.append(Key(fields=key, resolvable=args.get("resolvable", True) is not False))
            if args.get("extension"):
                tis.extension = True
            if args.get("isInterfaceObject"):
                tis.is_interface_object = True
        if owner is not None and owner not in st.subgraphs:
            st.subgraphs[owner] = TypeInSubgraph(graph=owner)
        if not st.subgraphs:
            # No @join__type: the type (a value type, or any type in join v0.1) is in every subgraph.
            st.subgraphs = {g: TypeInSubgraph(graph=g) for g in self.subgraphs}
        type_graphs = list(st.subgraphs)

        if t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
            for f in t.children("fields"):
                st.fields[f.name.value] = self.build_field(t.name, f, type_graphs, owner)
            if self.join_minor == 1 and owner is not None:
                self._add_implicit_key_fields(st)
            implements = self._apps(t.directives, self.d_implements)
            explicit: dict[str, set[str]] = {}
            for node, args in implements:
                iface = args.get("interface")
                if not isinstance(iface, str):
                    raise SupergraphError(
                        "INVALID_IMPLEMENTS", f"@{self.d_implements} needs interface", _loc(node)
                    )
                explicit.setdefault(iface, set()).add(self._graph(node, args.get("graph")))
            for iface_node in t.children("interfaces"):
                iface = iface_node.name.value
                st.implements[iface] = explicit.get(iface, set(type_graphs))
            for iface in explicit:
                if iface not in st.implements:
                    raise SupergraphError(
                        "INVALID_IMPLEMENTS",
                        f"{t.name} does not implement {iface} in the supergraph",
                        _loc(t.nodes[0]),
                    )
        elif t.kind == TypeKind.UNION:
            members: dict[str, set[str]] = {}
            for node, args in self._apps(t.directives, self.d_union_member):
                member = args.get("member")
                if not isinstance(member, str):
                    raise SupergraphError(
                        "INVALID_UNION_MEMBER", f"@{self.d_union_member} needs member", _loc(node)
                    )
                members.setdefault(member, set()).add(self._graph(node, args.get("graph")))
            for m in t.children("types"):
                name = m.name.value
                if name in members:
                    st.union_members[name] = members[name]
                else:
                    member_type = self.types.get(name)
                    st.union_members[name] = set(type_graphs)
                    if member_type is not None and self.join_minor >= 3:
                        st.union_members[name] = set(type_graphs) & self._graphs_of(member_type)
        elif t.kind == TypeKind.ENUM:
            for v in t.children("values"):
                apps = self._apps(v.directives or (), self.d_enum_value)
                graphs = {self._graph(node, args.get("graph")) for node, args in apps}
                st.enum_values[v.name.value] = graphs or set(type_graphs)
        elif t.kind == TypeKind.INPUT_OBJECT:
            for f in t.children("fields"):
                st.fields[f.name.value] = self.build_input_field(f, type_graphs)
        return st

    def _graphs_of(self, t: _TypeAst) -> set[str]:
        graphs = {self._graph(n, a.get("graph")) for n, a in self._apps(t.directives, self.d_type)}
        return graphs or set(self.subgraphs)

    def _event_source(self, f: FieldDefinitionNode) -> EventSource | None:
        """``@join__directive(graphs:, name: "edfs__natsSubscribe", args:)`` (gateway.composition.events)."""
        for node, args in self._apps(f.directives or (), self.d_directive):
            if args.get("name") != NATS_SUBSCRIBE:
                continue
            graphs = args.get("graphs")
            if not isinstance(graphs, list) or len(graphs) != 1:
                raise SupergraphError(
                    "INVALID_EVENT_DIRECTIVE", f"@{self.d_directive} needs exactly one graph", _loc(node)
                )
            directive_args = args.get("args")
            source = event_source_from_args(
                self._graph(node, graphs[0]), directive_args if isinstance(directive_args, dict) else {}
            )
            if isinstance(source, str):
                raise SupergraphError("INVALID_EVENT_DIRECTIVE", source, _loc(node))
            return source
        return None

    def build_field(
        self, type_name: str, f: FieldDefinitionNode, type_graphs: list[str], owner: str | None
    ) -> SupergraphField:
        type_text = print_ast(f.type)
        sf = SupergraphField(name=f.name.value, type=type_text)
        sf.inaccessible = self._has(f.directives, self.inaccessible_name)
        sf.demands = self._demands(f.directives)
        sf.event_source = self._event_source(f)
        apps = self._apps(f.directives or (), self.d_field)
        if not apps:
            graphs = [owner] if owner is not None else type_graphs
            for g in graphs:
                sf.subgraphs[g] = FieldInSubgraph(graph=g, type=type_text)
            return sf
        for node, args in apps:
            if args.get("graph") is None:
                # ``@join__field`` without a graph: no subgraph resolves the field on this type itself
                # (e.g. interface fields answered by the implementations, join v0.3+).
                continue
            g = self._graph(node, args.get("graph"))
            for fs_arg in ("requires", "provides"):
                if args.get(fs_arg) is not None:
                    self._check_field_set(str(args[fs_arg]), node)
            sub_type = args.get("type")
            sf.subgraphs[g] = FieldInSubgraph(
                graph=g,
                type=str(sub_type) if isinstance(sub_type, str) else type_text,
                external=bool(args.get("external", False)),
                requires=args.get("requires"),
                provides=args.get("provides"),
                override=args.get("override"),
                override_label=args.get("overrideLabel"),
                used_overridden=bool(args.get("usedOverridden", False)),
                # Federation 1 fields are all shareable; v0.2+ does not record it in the supergraph.
                shareable=self.join_minor == 1,
            )
        return sf

    def build_input_field(self, f: InputValueDefinitionNode, type_graphs: list[str]) -> SupergraphField:
        type_text = print_ast(f.type)
        sf = SupergraphField(name=f.name.value, type=type_text)
        sf.inaccessible = self._has(f.directives, self.inaccessible_name)
        apps = self._apps(f.directives or (), self.d_field)
        graphs = [
            self._graph(n, a.get("graph")) for n, a in apps if a.get("graph") is not None
        ] or type_graphs
        for g in graphs:
            sf.subgraphs[g] = FieldInSubgraph(graph=g, type=type_text)
        return sf

    def _add_implicit_key_fields(self, st: SupergraphType) -> None:
        """Federation 1 subgraphs extending an entity resolve its key fields (they receive them)."""
        for graph, tis in st.subgraphs.items():
            for key in tis.keys:
                for name in _top_level_fields(key.fields):
                    sf = st.fields.get(name)
                    if sf is not None and graph not in sf.subgraphs:
                        sf.subgraphs[graph] = FieldInSubgraph(graph=graph, type=sf.type, shareable=True)

    def _check_field_set(self, text: str, node: Node) -> None:
        try:
            parse("{" + text + "}", no_location=True)
        except GraphQLError as e:
            raise SupergraphError(
                "INVALID_FIELD_SET", f"field set {text!r} is not valid: {e.message}", _loc(node)
            ) from e

    # -- schemas -------------------------------------------------------------------------------------------

    def strip(self, api: bool, inaccessible_types: set[str]) -> DocumentNode:
        """The SDL without machinery; with ``api``, also without spec directives and @inaccessible elements."""
        definitions: list[DefinitionNode] = []
        for d in self.document.definitions:
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
                if isinstance(d, SchemaExtensionNode) and not d.operation_types:
                    continue
                ops = tuple(o for o in d.operation_types or () if o.type.name.value not in inaccessible_types)
                definitions.append(replace(d, directives=(), operation_types=ops))
            elif isinstance(d, DirectiveDefinitionNode):
                if self._is_spec_directive(d.name.value, machinery_only=not api):
                    continue
                if api and d.name.value == self.inaccessible_name:
                    continue
                definitions.append(self._strip_node(d, api, inaccessible_types))
            elif isinstance(d, TypeDefinitionNode | TypeExtensionNode):
                name = d.name.value
                if self._is_machinery_type(name):
                    continue
                if api and (name in inaccessible_types or self._is_spec_type(name)):
                    continue
                definitions.append(self._strip_node(d, api, inaccessible_types))
            else:
                definitions.append(d)
        return DocumentNode(definitions=tuple(definitions))

    def _is_spec_type(self, name: str) -> bool:
        return any(link.owns_type(name) for link in self.links.values())

    def _keep_directives(
        self, directives: Sequence[DirectiveNode] | None, api: bool
    ) -> tuple[DirectiveNode, ...]:
        return tuple(
            d
            for d in directives or ()
            if not self._is_spec_directive(d.name.value, machinery_only=not api)
            and not (api and d.name.value == self.inaccessible_name)
        )

    def _strip_node(self, node: Any, api: bool, hidden_types: set[str]) -> Any:
        changes: dict[str, Any] = {}
        if hasattr(node, "directives"):
            changes["directives"] = self._keep_directives(node.directives, api)

        def visible(child: Any) -> bool:
            if not api:
                return True
            if self._has(getattr(child, "directives", None), self.inaccessible_name):
                return False
            child_type = getattr(child, "type", None)
            return not (isinstance(child_type, TypeNode) and _named(child_type) in hidden_types)

        for attr in ("fields", "arguments", "values"):
            children = getattr(node, attr, None)
            if children is None or isinstance(node, DirectiveNode):
                continue
            kept = [self._strip_node(c, api, hidden_types) for c in children if visible(c)]
            changes[attr] = tuple(kept)
        if api:
            if getattr(node, "interfaces", None):
                changes["interfaces"] = tuple(i for i in node.interfaces if i.name.value not in hidden_types)
            if getattr(node, "types", None):
                changes["types"] = tuple(m for m in node.types if m.name.value not in hidden_types)
        return replace(node, **changes)

    def build_schema(self, api: bool, hidden_types: set[str]) -> GraphQLSchema:
        doc = self.strip(api, hidden_types)
        try:
            schema = build_ast_schema(doc, assume_valid_sdl=True)
        except (GraphQLError, TypeError) as e:
            raise SupergraphError("INVALID_SUPERGRAPH", f"cannot build the schema: {e}", None) from e
        errors = validate_schema(schema)
        if errors:
            first = errors[0]
            loc = (first.locations[0].line, first.locations[0].column) if first.locations else None
            which = "API schema" if api else "supergraph schema"
            raise SupergraphError("INVALID_SUPERGRAPH", f"invalid {which}: {first.message}", loc)
        return schema


def _top_level_fields(field_set: str) -> list[str]:
    doc = parse("{" + field_set + "}", no_location=True)
    op = doc.definitions[0]
    return [s.name.value for s in op.selection_set.selections if hasattr(s, "name")]  # type: ignore[attr-defined]


def read_supergraph(sdl: str) -> Supergraph:
    """Build the Supergraph model from supergraph SDL (join spec v0.1 to v0.5, ``@link`` or ``@core``).

    Raises ``SupergraphError`` with a code, a message and the location of the offending element.
    """
    try:
        document = parse(sdl)
    except GraphQLError as e:
        loc = (e.locations[0].line, e.locations[0].column) if e.locations else None
        raise SupergraphError("INVALID_GRAPHQL", f"supergraph SDL does not parse: {e.message}", loc) from e
    reader = _Reader(document)
    reader.collect_types()
    reader.read_graphs()
    roots = reader.root_types()

    types: dict[str, SupergraphType] = {}
    for name, t in reader.types.items():
        if reader._is_machinery_type(name) or name in BUILT_IN_SCALARS:
            continue
        types[name] = reader.build_type(t)

    hidden = {n for n, t in types.items() if t.inaccessible}
    hidden |= {n for n in reader.types if reader._is_spec_type(n) and not reader._is_machinery_type(n)}
    schema = reader.build_schema(api=False, hidden_types=set())
    api_schema = reader.build_schema(api=True, hidden_types=hidden)
    if roots.get("query") in hidden:
        raise SupergraphError("INVALID_SUPERGRAPH", "the query root type is @inaccessible", None)
    roots = _with_operation_names(roots, schema)

    subgraph_roots: dict[str, dict[str, str]] = {}
    for kind, root in roots.items():
        for g in types[root].subgraphs:
            subgraph_roots.setdefault(g, {})[kind] = root
    return Supergraph(
        subgraphs=reader.subgraphs,
        types=types,
        schema=schema,
        api_schema=api_schema,
        root_types=roots,
        subgraph_root_types={g: subgraph_roots.get(g, {}) for g in reader.subgraphs},
    )


def _with_operation_names(roots: dict[str, str], schema: GraphQLSchema) -> dict[str, str]:
    found = {
        OperationType.QUERY.value: schema.query_type,
        OperationType.MUTATION.value: schema.mutation_type,
        OperationType.SUBSCRIPTION.value: schema.subscription_type,
    }
    return {kind: t.name for kind, t in found.items() if t is not None} or roots
