"""Print the merged model as supergraph SDL (join spec) or as the client-facing API schema SDL.

Join spec: https://specs.apollo.dev/join/v0.3 (v0.4 when an ``@override`` has a ``label``, v0.5 when an
event-driven field needs ``@join__directive``, ``gateway.composition.events``). The output is
deterministic: types sorted by name, fields in first-declared order over the subgraphs sorted by name.
"""

from __future__ import annotations

from graphql import DirectiveDefinitionNode, print_ast
from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

from gateway.composition.demands import demand_definitions, demand_links, print_demands
from gateway.composition.events import print_join_directive
from gateway.composition.merge import MergedArgument, MergedField, MergedSupergraph, MergedType
from gateway.composition.supergraph import Demands, TypeKind

__all__ = ["print_api_schema", "print_supergraph"]

_EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
_INACCESSIBLE_DEF = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR"
    " | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_TAG_DEF = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
    " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA"
)


def _join_defs(version: str) -> list[str]:
    label = "\n  overrideLabel: String" if version != "0.3" else ""
    v05 = version == "0.5"
    if v05:
        label += "\n  contextArguments: [join__ContextArgument!]"
    directive = (
        [
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments)"
            " repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        ]
        if v05
        else []
    )
    v05_types = (
        [
            "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
            "  selection: join__FieldValue!\n}",
            "scalar join__DirectiveArguments",
            "scalar join__FieldValue",
        ]
        if v05
        else []
    )
    return [
        *directive,
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        "directive @join__field(\n  graph: join__Graph\n  requires: join__FieldSet\n  provides: join__FieldSet\n"
        f"  type: String\n  external: Boolean\n  override: String\n  usedOverridden: Boolean{label}\n)"
        " repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE",
        "directive @join__type(\n  graph: join__Graph!\n  key: join__FieldSet\n  extension: Boolean! = false\n"
        "  resolvable: Boolean! = true\n  isInterfaceObject: Boolean! = false\n)"
        " repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA",
        *v05_types,
        "scalar join__FieldSet",
        "scalar link__Import",
        'enum link__Purpose {\n  """\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n  """\n'
        '  SECURITY\n\n  """\n  `EXECUTION` features provide metadata necessary for operation execution.\n  """\n'
        "  EXECUTION\n}",
    ]


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    block = print_block_string(text) if "\n" in text or len(text) > 70 else print_string(text)
    return "\n".join(indent + line if line else line for line in block.split("\n")) + "\n"


class _Printer:
    def __init__(self, model: MergedSupergraph, api: bool) -> None:
        self.model = model
        self.api = api
        self.enum = model.graph_enum

    def hidden(self, inaccessible: bool) -> bool:
        return self.api and inaccessible

    def marks(self, inaccessible: bool, tags: list[str], applied: list[str]) -> str:
        if self.api:
            return ""
        out = " @inaccessible" if inaccessible else ""
        out += "".join(f" @tag(name: {print_string(t)})" for t in tags)
        out += "".join(" " + a for a in applied)
        return out

    def all_demands(self) -> list[Demands]:
        out: list[Demands] = []
        for t in self.model.types.values():
            out.append(t.demands)
            out.extend(f.demands for f in t.fields.values())
            out.extend(
                Demands(cost=a.cost) for f in t.fields.values() for a in f.args.values() if a.cost is not None
            )
        return out

    def demands(self, d: Demands) -> str:
        return "" if self.api else print_demands(d)

    def uses(self) -> tuple[bool, bool]:
        inaccessible = tagged = False
        for t in self.model.types.values():
            inaccessible |= t.inaccessible
            tagged |= bool(t.tags)
            for f in t.fields.values():
                inaccessible |= f.inaccessible or any(a.inaccessible for a in f.args.values())
                tagged |= bool(f.tags) or any(a.tags for a in f.args.values())
            for v in t.values.values():
                inaccessible |= v.inaccessible
                tagged |= bool(v.tags)
        return inaccessible, tagged

    def document(self) -> str:
        parts: list[str] = [self.schema_definition()]
        if not self.api:
            version = self.join_version()
            inaccessible, tagged = self.uses()
            parts.extend(_join_defs(version))
            if inaccessible:
                parts.append(_INACCESSIBLE_DEF)
            if tagged:
                parts.append(_TAG_DEF)
            parts.extend(demand_definitions(self.all_demands()))
        for _, definition in sorted(self.composed().items()):
            parts.append(print_ast(_without(definition, "description")))
        if not self.api:
            graphs = "\n".join(
                f"  {self.enum[s.name]} @join__graph(name: {print_string(s.name)}, url: {print_string(s.url)})"
                for s in self.model.subgraphs
            )
            parts.append("enum join__Graph {\n" + graphs + "\n}")
        parts.extend(self.executable_directives())
        for t in self.model.types.values():
            if not self.hidden(t.inaccessible):
                parts.append(self.type_definition(t))
        return "\n\n".join(p for p in parts if p) + "\n"

    def join_version(self) -> str:
        """v0.3; v0.4 for ``@override(label:)``; v0.5 for ``@join__directive`` (event-driven fields)."""
        if any(f.event_source is not None for t in self.model.types.values() for f in t.fields.values()):
            return "0.5"
        return "0.4" if self.model.uses_override_labels else "0.3"

    def composed(self) -> dict[str, DirectiveDefinitionNode]:
        out: dict[str, DirectiveDefinitionNode] = {}
        for s in self.model.subgraphs:
            for name, (_, definition) in s.composed.items():
                out.setdefault(name, definition)
        return out

    def composed_links(self) -> dict[str, list[str]]:
        by_url: dict[str, list[str]] = {}
        for s in self.model.subgraphs:
            for name, (spec, _) in s.composed.items():
                names = by_url.setdefault(spec.url, [])
                if "@" + name not in names:
                    names.append("@" + name)
        return by_url

    def schema_definition(self) -> str:
        roots = [
            f"  {op}: {name}"
            for op, name in (("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription"))
            if name in self.model.types and not self.hidden(self.model.types[name].inaccessible)
        ]
        if self.api:
            return ""
        version = self.join_version()
        links = [
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            f'@link(url: "https://specs.apollo.dev/join/v{version}", for: EXECUTION)',
        ]
        inaccessible, tagged = self.uses()
        if tagged:
            links.append('@link(url: "https://specs.apollo.dev/tag/v0.3")')
        if inaccessible:
            links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
        links.extend(demand_links(self.all_demands()))
        for url, names in sorted(self.composed_links().items()):
            imports = ", ".join(print_string(n) for n in sorted(names))
            links.append(f"@link(url: {print_string(url)}, import: [{imports}])")
        head = "schema\n" + "".join(f"  {link}\n" for link in links)
        return head + "{\n" + "\n".join(roots) + "\n}"

    def executable_directives(self) -> list[str]:
        """Executable directive definitions known to every subgraph, with their common locations."""
        subs = self.model.subgraphs
        if not subs:
            return []
        out: list[str] = []
        for name, definition in sorted(subs[0].directive_definitions.items()):
            if name in subs[0].composed or any(name not in s.directive_definitions for s in subs[1:]):
                continue
            locations = [loc.value for loc in definition.locations if loc.value in _EXECUTABLE_LOCATIONS]
            for s in subs[1:]:
                other = {loc.value for loc in s.directive_definitions[name].locations}
                locations = [loc for loc in locations if loc in other]
            if not locations:
                continue
            text = print_ast(_without(definition, "description"))
            head = text.split(" on ")[0]
            out.append(f"{head} on {' | '.join(locations)}")
        return out

    # -- types ---------------------------------------------------------------------------------------------

    def join_types(self, t: MergedType) -> str:
        if self.api:
            return ""
        out: list[str] = []
        for g, st in t.sources.items():
            base = f"graph: {self.enum[g]}"
            extras = ""
            # Federation 1 ``extend type``s are upgraded to definitions; ``@extends`` stays an extension.
            if st.extension and st.keys and (self.model.subgraph(g).fed2 or st.extends):
                extras += ", extension: true"
            if st.interface_object:
                extras += ", isInterfaceObject: true"
            if st.keys and t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
                for k in st.keys:
                    resolvable = "" if k.resolvable else ", resolvable: false"
                    out.append(f"@join__type({base}, key: {print_string(k.fields)}{extras}{resolvable})")
            else:
                out.append(f"@join__type({base}{extras})")
        for i, graphs in t.implements.items():
            out.extend(
                f"@join__implements(graph: {self.enum[g]}, interface: {print_string(i)})" for g in graphs
            )
        for m, graphs in t.members.items():
            out.extend(
                f"@join__unionMember(graph: {self.enum[g]}, member: {print_string(m)})" for g in graphs
            )
        return "".join(f"\n  {d}" for d in out)

    def type_definition(self, t: MergedType) -> str:
        head = _description(t.description, "")
        marks = self.marks(t.inaccessible, t.tags, t.applied)
        joins = self.join_types(t) + self.demands(t.demands)
        if t.kind is TypeKind.SCALAR:
            specified = f" @specifiedBy(url: {print_string(t.specified_by)})" if t.specified_by else ""
            return f"{head}scalar {t.name}{specified}{joins}{marks}"
        if t.kind is TypeKind.UNION:
            members = [
                m
                for m in t.members
                if m in self.model.types and not self.hidden(self.model.types[m].inaccessible)
            ]
            return f"{head}union {t.name}{joins}{marks} = {' | '.join(members)}"
        if t.kind is TypeKind.ENUM:
            values = []
            for v in t.values.values():
                if self.hidden(v.inaccessible):
                    continue
                dep = _deprecated(v.deprecated)
                joins_v = (
                    "" if self.api else "".join(f" @join__enumValue(graph: {self.enum[g]})" for g in v.graphs)
                )
                values.append(
                    f"{_description(v.description, '  ')}  {v.name}{joins_v}{dep}{self.marks(v.inaccessible, v.tags, v.applied)}"
                )
            return f"{head}enum {t.name}{joins}{marks} {{\n" + "\n".join(values) + "\n}"
        keyword = {TypeKind.OBJECT: "type", TypeKind.INTERFACE: "interface", TypeKind.INPUT_OBJECT: "input"}[
            t.kind
        ]
        interfaces = [
            i
            for i in t.implements
            if i in self.model.types and not self.hidden(self.model.types[i].inaccessible)
        ]
        implements = f" implements {' & '.join(interfaces)}" if interfaces else ""
        one_of = " @oneOf" if t.one_of else ""
        fields = [self.field(t, f) for f in t.fields.values() if not self.hidden(f.inaccessible)]
        return f"{head}{keyword} {t.name}{implements}{joins}{one_of}{marks} {{\n" + "\n".join(fields) + "\n}"

    def field(self, t: MergedType, f: MergedField) -> str:
        desc = _description(f.description, "  ")
        args = [self.argument(a) for a in f.args.values() if not self.hidden(a.inaccessible)]
        arg_text = ""
        if args:
            arg_text = (
                "(\n" + "\n".join(args) + "\n  )"
                if any("\n" in a or '"' in a for a in args)
                else "(" + ", ".join(a.strip() for a in args) + ")"
            )
        default = f" = {f.default}" if f.default is not None else ""
        joins = "" if self.api else self.join_fields(t, f)
        if f.event_source is not None and not self.api:
            joins += "\n    " + print_join_directive(f.event_source, self.enum[f.event_source.graph])
        marks = self.marks(f.inaccessible, f.tags, f.applied) + self.demands(f.demands)
        return f"{desc}  {f.name}{arg_text}: {f.type}{default}{joins}{_deprecated(f.deprecated)}{marks}"

    def argument(self, a: MergedArgument) -> str:
        desc = _description(a.description, "    ")
        default = f" = {a.default}" if a.default is not None else ""
        cost = "" if self.api or a.cost is None else f" @cost(weight: {a.cost})"
        return f"{desc}    {a.name}: {a.type}{default}{_deprecated(a.deprecated)}{self.marks(a.inaccessible, a.tags, a.applied)}{cost}"

    def join_fields(self, t: MergedType, f: MergedField) -> str:
        if f.via_interface_object:
            return " @join__field"
        sources = {g: s for g, s in f.sources.items() if f.overridden.get(g) != "dropped"}
        sources = {
            g: s for g, s in sources.items() if not (s.external and self.unused_fed1_external(g, t, f))
        }
        special = any(
            s.external or s.requires or s.provides or s.override or f.overridden.get(g)
            for g, s in f.sources.items()
        )
        if f.all_types_equal and not special and set(sources) == set(t.sources):
            return ""
        out = []
        for g, s in sources.items():
            args = [f"graph: {self.enum[g]}"]
            if s.requires is not None:
                args.append(f"requires: {print_string(s.requires)}")
            if s.provides is not None:
                args.append(f"provides: {print_string(s.provides)}")
            if not f.all_types_equal:
                args.append(f"type: {print_string(s.type)}")
            if s.external:
                args.append("external: true")
            if s.override is not None:
                args.append(f"override: {print_string(s.override)}")
            label = s.override_label if s.override is not None else f.progressive.get(g)
            if label is not None:
                args.append(f"overrideLabel: {print_string(label)}")
            if f.overridden.get(g) == "used":
                args.append("usedOverridden: true")
            out.append(f"@join__field({', '.join(args)})")
        return "".join(" " + d for d in out)

    def unused_fed1_external(self, graph: str, t: MergedType, f: MergedField) -> bool:
        sub = self.model.subgraph(graph)
        return not sub.fed2 and not self.model.usage[graph].uses(t.name, f.name)


def _without(definition: DirectiveDefinitionNode, attribute: str) -> DirectiveDefinitionNode:
    values = {k: getattr(definition, k) for k in definition.keys if k != "loc"}
    values[attribute] = None
    return DirectiveDefinitionNode(**values)


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    if reason == "No longer supported":
        return " @deprecated"
    return f" @deprecated(reason: {print_string(reason)})"


def print_supergraph(model: MergedSupergraph) -> str:
    """The supergraph SDL (join spec) of ``model``."""
    return _Printer(model, api=False).document()


def print_api_schema(model: MergedSupergraph) -> str:
    """The API schema SDL: no join/link machinery, no ``@inaccessible`` elements, no federation directives."""
    return _Printer(model, api=True).document()
