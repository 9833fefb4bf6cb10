"""Authorization and cost directives through composition: read from subgraphs, merged, printed in the supergraph.

``@authenticated``, ``@requiresScopes(scopes:)``, ``@policy(policies:)`` (https://specs.apollo.dev/authenticated/v0.1,
.../requiresScopes/v0.1, .../policy/v0.1) and ``@cost(weight:)``, ``@listSize(...)`` (.../cost/v0.1) are carried
to the supergraph the way Apollo's composition carries them: each argument merges by the spec's composition
strategy (federation-internals ``argumentCompositionStrategies``): scopes and policies by the union of their
alternatives, ``weight`` and ``assumedSize`` by the maximum, ``slicingArguments``/``sizedFields`` by union,
``requireOneSlicingArgument`` by AND.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql.language.print_string import print_string

from gateway.composition.supergraph import Demands, ListSize

__all__ = [
    "DEMAND_DIRECTIVES",
    "demand_definitions",
    "demand_links",
    "merge_demands",
    "print_demands",
    "read_demand",
]

DEMAND_DIRECTIVES = frozenset({"authenticated", "requiresScopes", "policy", "cost", "listSize"})

_DEFINITIONS = {
    "authenticated": "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION"
    " | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE"
    " | SCALAR | ENUM",
    "cost": "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
    " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],"
    " requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
}
_SCALARS = {"requiresScopes": "scalar requiresScopes__Scope", "policy": "scalar policy__Policy"}


def _alternatives(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(tuple(str(x) for x in inner) for inner in value if isinstance(inner, list))


def _union(lists: Iterable[Sequence[Any]]) -> tuple[Any, ...]:
    out: list[Any] = []
    for values in lists:
        for v in values:
            if v not in out:
                out.append(v)
    return tuple(out)


def read_demand(demands: Demands, directive: str, args: dict[str, Any]) -> None:
    """Record one application of ``directive`` (its canonical name) with ``args`` on ``demands``."""
    if directive == "authenticated":
        demands.authenticated = True
    elif directive == "requiresScopes":
        demands.requires_scopes = _union([demands.requires_scopes, _alternatives(args.get("scopes"))])
    elif directive == "policy":
        demands.policies = _union([demands.policies, _alternatives(args.get("policies"))])
    elif directive == "cost" and isinstance(args.get("weight"), int):
        demands.cost = args["weight"]
    elif directive == "listSize":
        size = args.get("assumedSize")
        demands.list_size = ListSize(
            assumed_size=size if isinstance(size, int) else None,
            slicing_arguments=tuple(str(a) for a in args.get("slicingArguments") or ()),
            sized_fields=tuple(str(a) for a in args.get("sizedFields") or ()),
            require_one_slicing_argument=args.get("requireOneSlicingArgument", True) is not False,
        )


def merge_demands(all_demands: Iterable[Demands]) -> Demands:
    """The supergraph's demands from each subgraph's, in subgraph order."""
    given = list(all_demands)
    if not any(
        d.authenticated or d.requires_scopes or d.policies or d.cost is not None or d.list_size for d in given
    ):
        return Demands()  # what the merge below gives when no subgraph demands anything (most fields)
    costs = [d.cost for d in given if d.cost is not None]
    sizes = [d.list_size for d in given if d.list_size is not None]
    list_size = None
    if sizes:
        assumed = [s.assumed_size for s in sizes if s.assumed_size is not None]
        list_size = ListSize(
            assumed_size=max(assumed) if assumed else None,
            slicing_arguments=_union(s.slicing_arguments for s in sizes),
            sized_fields=_union(s.sized_fields for s in sizes),
            require_one_slicing_argument=all(s.require_one_slicing_argument for s in sizes),
        )
    return Demands(
        authenticated=any(d.authenticated for d in given),
        requires_scopes=_union(d.requires_scopes for d in given),
        policies=_union(d.policies for d in given),
        cost=max(costs) if costs else None,
        list_size=list_size,
    )


def _lists(alternatives: tuple[tuple[str, ...], ...]) -> str:
    return (
        "[" + ", ".join("[" + ", ".join(print_string(x) for x in inner) + "]" for inner in alternatives) + "]"
    )


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(print_string(v) for v in values) + "]"


def print_demands(d: Demands) -> str:
    """The directives for ``d`` as Apollo's supergraph writes them (after the join directives)."""
    out: list[str] = []
    if d.list_size is not None:
        s = d.list_size
        args = []
        if s.assumed_size is not None:
            args.append(f"assumedSize: {s.assumed_size}")
        if s.slicing_arguments:
            args.append(f"slicingArguments: {_strings(s.slicing_arguments)}")
        if s.sized_fields:
            args.append(f"sizedFields: {_strings(s.sized_fields)}")
        if not s.require_one_slicing_argument:
            args.append("requireOneSlicingArgument: false")
        out.append("@listSize" + (f"({', '.join(args)})" if args else ""))
    if d.requires_scopes:
        out.append(f"@requiresScopes(scopes: {_lists(d.requires_scopes)})")
    if d.policies:
        out.append(f"@policy(policies: {_lists(d.policies)})")
    if d.cost is not None:
        out.append(f"@cost(weight: {d.cost})")
    if d.authenticated:
        out.append("@authenticated")
    return "".join(" " + x for x in out)


def _used(all_demands: Iterable[Demands]) -> set[str]:
    used: set[str] = set()
    for d in all_demands:
        if d.authenticated:
            used.add("authenticated")
        if d.requires_scopes:
            used.add("requiresScopes")
        if d.policies:
            used.add("policy")
        if d.cost is not None:
            used.add("cost")
        if d.list_size is not None:
            used.add("listSize")
    return used


def demand_links(all_demands: Iterable[Demands]) -> list[str]:
    """The ``@link`` applications on the schema for the specs ``all_demands`` use."""
    used = _used(all_demands)
    links = [
        f'@link(url: "https://specs.apollo.dev/{spec}/v0.1", for: SECURITY)'
        for spec in ("authenticated", "requiresScopes", "policy")
        if spec in used
    ]
    if "cost" in used or "listSize" in used:
        imports = ', import: ["@listSize"]' if "listSize" in used else ""
        links.append(f'@link(url: "https://specs.apollo.dev/cost/v0.1"{imports})')
    return links


def demand_definitions(all_demands: Iterable[Demands]) -> list[str]:
    """Directive and scalar definitions for the specs ``all_demands`` use (the cost spec defines both)."""
    used = _used(all_demands)
    if used & {"cost", "listSize"}:
        used |= {"cost", "listSize"}
    return [_DEFINITIONS[n] for n in sorted(used)] + [_SCALARS[n] for n in sorted(used) if n in _SCALARS]
