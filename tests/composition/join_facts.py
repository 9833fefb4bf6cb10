"""The join-spec facts of a supergraph SDL, normalised so two composers' outputs compare by meaning.

Per type: the set of ``@join__type`` argument tuples, ``@join__implements``, ``@join__unionMember``; per field
(and input field) the set of ``@join__field`` argument tuples; per enum value the set of ``@join__enumValue``
graphs. Normalised: graphs by subgraph name (not the enum value), default arguments filled in, field sets
reprinted compactly, and a field without ``@join__field`` expanded to one application per graph of its type
(that is what the join spec says the absence means). https://specs.apollo.dev/join/v0.5
"""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NullValueNode,
    ObjectTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    ValueNode,
    parse,
    print_ast,
)

__all__ = ["JoinFacts", "diff_join_facts", "join_facts"]

JoinFacts = dict[str, frozenset[tuple[tuple[str, Any], ...]]]

_TYPE_DEFAULTS = {"key": None, "extension": False, "resolvable": True, "isInterfaceObject": False}
_FIELD_DEFAULTS = {
    "requires": None,
    "provides": None,
    "external": False,
    "override": None,
    "usedOverridden": False,
    "overrideLabel": None,
    "contextArguments": None,
}


def _field_set(text: str) -> str:
    selection = parse("{" + text + "}").definitions[0]
    return " ".join(print_ast(selection).split())


def _value(node: ValueNode) -> Any:
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, ListValueNode):
        return tuple(_value(v) for v in node.values)
    return print_ast(node)


def _args(
    d: ConstDirectiveNode, graphs: dict[str, str], defaults: dict[str, Any]
) -> tuple[tuple[str, Any], ...]:
    out: dict[str, Any] = dict(defaults)
    for a in d.arguments or ():
        v = _value(a.value)
        if a.name.value == "graph":
            v = graphs.get(v, v)
        elif a.name.value in ("key", "requires", "provides") and isinstance(v, str):
            v = _field_set(v)
        out[a.name.value] = v
    return tuple(sorted(out.items()))


def _directives(node: Any, name: str) -> list[ConstDirectiveNode]:
    return [d for d in node.directives or () if d.name.value == name]


def join_facts(supergraph_sdl: str) -> JoinFacts:
    """``{"Type": facts, "Type.field": facts, "Enum.VALUE": facts}`` of the supergraph's join directives."""
    document = parse(supergraph_sdl)
    graphs: dict[str, str] = {}
    for d in document.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == "join__Graph":
            for v in d.values or ():
                for g in _directives(v, "join__graph"):
                    name = next(a.value for a in g.arguments if a.name.value == "name")
                    assert isinstance(name, StringValueNode)
                    graphs[v.name.value] = name.value
    facts: dict[str, frozenset[tuple[tuple[str, Any], ...]]] = {}
    for d in document.definitions:
        if not isinstance(d, TypeDefinitionNode):
            continue
        tn = d.name.value
        if tn.startswith(("join__", "link__")):
            continue
        type_apps = [_args(x, graphs, _TYPE_DEFAULTS) for x in _directives(d, "join__type")]
        type_graphs = sorted({dict(a)["graph"] for a in type_apps})
        extra: list[tuple[tuple[str, Any], ...]] = []
        for directive in ("join__implements", "join__unionMember"):
            for x in _directives(d, directive):
                extra.append(tuple(sorted({"directive": directive, **dict(_args(x, graphs, {}))}.items())))
        facts[tn] = frozenset(type_apps + extra)
        if isinstance(d, EnumTypeDefinitionNode):
            for v in d.values or ():
                facts[f"{tn}.{v.name.value}"] = frozenset(
                    _args(x, graphs, {}) for x in _directives(v, "join__enumValue")
                )
        if isinstance(
            d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode
        ):
            for f in d.fields or ():
                apps = [_args(x, graphs, _FIELD_DEFAULTS) for x in _directives(f, "join__field")]
                field_type = print_ast(f.type)
                if not apps:
                    apps = [_args_for(g, field_type) for g in type_graphs]
                facts[f"{tn}.{f.name.value}"] = frozenset(
                    tuple(sorted({"type": field_type, **dict(a)}.items())) if dict(a).get("graph") else a
                    for a in apps
                )
    return facts


def _args_for(graph: str, field_type: str) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted({**_FIELD_DEFAULTS, "graph": graph, "type": field_type}.items()))


def diff_join_facts(ours: str, reference: str) -> list[str]:
    """One line per element whose join facts differ: what we wrote and what the reference wrote."""
    a, b = join_facts(ours), join_facts(reference)
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            only_ours = sorted(map(_show, (a.get(k) or frozenset()) - (b.get(k) or frozenset())))
            only_ref = sorted(map(_show, (b.get(k) or frozenset()) - (a.get(k) or frozenset())))
            lines.append(f"{k}: ours only {only_ours}; reference only {only_ref}")
    return lines


def _show(app: tuple[tuple[str, Any], ...]) -> str:
    return "(" + ", ".join(f"{k}: {v}" for k, v in app if v is not None and v is not False) + ")"
