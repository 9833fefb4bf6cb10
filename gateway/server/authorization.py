"""Authorization directives at the gateway: ``@authenticated``, ``@requiresScopes`` and ``@policy``.

Apollo's semantics (https://www.apollographql.com/docs/graphos/routing/security/authorization): before planning,
the selections of fields (and of fields returning types, and fragments on types) a request may not see are
removed from the operation; each comes back ``null`` with an ``UNAUTHORIZED_FIELD_OR_TYPE`` error at its path
(``"@"`` stands for list items) and the rest of the answer is served. A removed non-null field nulls its parent
by the usual rules (GraphQL spec 6.4.4 "Handling Field Errors"); a field left with no selections is removed
with its children. ``__typename`` and introspection are always allowed. A field of an interface selected on
the interface needs what the same field needs on every implementation.

``@requiresScopes(scopes: [[...]])`` and ``@policy(policies: [[...]])`` are OR of AND lists; scopes come from
the token's ``scope`` claim (space-separated) or ``scp`` list; policies are decided by a policy function
(``module:callable``), called with the claims (``None`` when anonymous) and the policy names the operation
meets, returning the names it grants. The walk of one document (its ``AuthorizationGuard`` list) is done once
and kept with its plan; per request only the guards' demands are checked, and the filtered document is planned
once per set of failing guards (the plan cache key holds that set, never the token).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)

from gateway.composition.supergraph import Demands, Supergraph

__all__ = [
    "UNAUTHORIZED_FIELD_OR_TYPE",
    "AuthorizationGuard",
    "Filtering",
    "PolicyFunction",
    "Principal",
    "authorization_guards",
    "failing_guards",
    "filter_operation",
    "load_policy_function",
    "restore_unauthorized",
    "unauthorized_errors",
]

UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
# Added where a removed selection applies to some object types only, so its null goes to those; never shown.
TYPENAME_ALIAS = "__authorization_typename"
_MESSAGE = "Unauthorized field or type"

PolicyFunction = Callable[[Mapping[str, Any] | None, frozenset[str]], Iterable[str]]


def load_policy_function(reference: str) -> PolicyFunction:
    """The callable ``module:name`` names (the gateway config's ``authorization.policy``)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"A policy function is named 'module:callable', not {reference!r}.")
    function = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(function):
        raise ValueError(f"{reference!r} does not name a callable.")
    return cast(PolicyFunction, function)


@dataclass(frozen=True)
class Principal:
    """Who sends a request, as far as authorization directives care: signed in or not, scopes, claims."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] | None = None
    policy: PolicyFunction | None = None

    @classmethod
    def from_claims_header(cls, value: str | None, policy: PolicyFunction | None = None) -> Principal:
        """From the JSON claims header the gateway itself wrote (``gateway.server.auth.forwarding``)."""
        claims = orjson.loads(value) if value else None
        if not isinstance(claims, dict):
            return cls(policy=policy)
        raw = claims.get("scope", claims.get("scp"))
        if isinstance(raw, str):
            scopes = frozenset(raw.split())
        elif isinstance(raw, list):
            scopes = frozenset(s for s in raw if isinstance(s, str))
        else:
            scopes = frozenset()
        return cls(True, scopes, claims, policy)

    def granted_policies(self, names: frozenset[str]) -> frozenset[str]:
        if not names or self.policy is None:
            return frozenset()  # no policy function: no policy is granted (closed by default)
        return frozenset(self.policy(self.claims, names)) & names

    def satisfies(self, demands: Demands, granted: frozenset[str]) -> bool:
        if demands.authenticated and not self.authenticated:
            return False
        if demands.requires_scopes and not any(
            set(group) <= self.scopes for group in demands.requires_scopes
        ):
            return False
        return not demands.policies or any(set(group) <= granted for group in demands.policies)


@dataclass(frozen=True)
class _Step:
    """One field on the way from the response root: its response key, type, and the object types it applies
    to (``None``: every object at that level)."""

    key: str
    type: GraphQLOutputType
    typenames: frozenset[str] | None


@dataclass(frozen=True)
class AuthorizationGuard:
    """A selection (a field, or a fragment on a type) with demands: ``selection`` indexes it from the
    operation's selection set (through fragment spreads), ``path`` is its response path."""

    selection: tuple[int, ...]
    path: tuple[str, ...]
    demands: tuple[Demands, ...]


def _has_demands(demands: Demands | None) -> bool:
    return demands is not None and bool(demands.authenticated or demands.requires_scopes or demands.policies)


def _error_path(steps: Iterable[_Step]) -> list[str]:
    path: list[str] = []
    for step in steps:
        path.append(step.key)
        kind: Any = step.type
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            if isinstance(kind, GraphQLList):
                path.append("@")
            kind = kind.of_type
    return path


@dataclass
class _Walk:
    """What walking one operation needs: the model, the schema, the fragments."""

    supergraph: Supergraph
    fragments: dict[str, FragmentDefinitionNode]

    @property
    def schema(self) -> GraphQLSchema:
        return self.supergraph.api_schema

    def type_demands(self, name: str) -> Demands | None:
        found = self.supergraph.types.get(name)
        return found.demands if found is not None else None

    def field_demands(self, parent: GraphQLCompositeType, name: str, returns: str) -> list[Demands]:
        owners = [parent]
        if isinstance(parent, GraphQLInterfaceType):
            owners += list(self.schema.get_possible_types(parent))
        out = []
        for owner in owners:
            model = self.supergraph.types.get(owner.name)
            found = model.fields.get(name) if model is not None else None
            if found is not None and _has_demands(found.demands):
                out.append(found.demands)
        returned = self.type_demands(returns)
        if returned is not None and _has_demands(returned):
            out.append(returned)
        return out

    def condition(
        self, node: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLCompositeType
    ) -> Any:
        if node.type_condition is None:
            return parent
        return self.schema.get_type(node.type_condition.name.value)

    def narrowed(
        self, condition: GraphQLCompositeType, parent: GraphQLCompositeType, typenames: frozenset[str] | None
    ) -> frozenset[str] | None:
        if condition is parent:
            return typenames
        if is_abstract_type(condition):
            names = frozenset(t.name for t in self.schema.get_possible_types(cast(Any, condition)))
        else:
            names = frozenset({condition.name})
        return names if typenames is None else names & typenames


def _fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType:
    root = schema.get_root_type(operation.operation)
    assert root is not None  # the document validated
    return root


class _GuardWalk:
    """The selections of one operation that some request may not see. A class, not a closure calling itself:
    that is a reference cycle, holding the walk until the collector's next pass."""

    __slots__ = ("guards", "walk")

    def __init__(self, walk: _Walk) -> None:
        self.walk = walk
        self.guards: list[AuthorizationGuard] = []

    def visit(
        self,
        selections: SelectionSetNode,
        parent: GraphQLCompositeType,
        at: tuple[int, ...],
        path: tuple[str, ...],
    ) -> None:
        for index, selection in enumerate(selections.selections):
            here = (*at, index)
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                definition = cast(Any, parent).fields[name]
                named = get_named_type(definition.type)
                demands = self.walk.field_demands(parent, name, named.name)
                key = selection.alias.value if selection.alias else name
                if demands:
                    self.guards.append(AuthorizationGuard(here, (*path, key), tuple(demands)))
                if selection.selection_set is not None and is_composite_type(named):
                    inner = (*path, *_error_path([_Step(key, definition.type, None)]))
                    self.visit(selection.selection_set, cast(Any, named), here, inner)
                continue
            node = (
                selection
                if isinstance(selection, InlineFragmentNode)
                else self.walk.fragments[cast(FragmentSpreadNode, selection).name.value]
            )
            condition = self.walk.condition(node, parent)
            demands_of_type = self.walk.type_demands(condition.name)
            if condition is not parent and _has_demands(demands_of_type):
                assert demands_of_type is not None
                self.guards.append(AuthorizationGuard(here, path, (demands_of_type,)))
            self.visit(node.selection_set, condition, here, path)


def authorization_guards(
    supergraph: Supergraph, document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[AuthorizationGuard, ...]:
    """Every selection of ``operation`` that some request may not see (empty: no check needed)."""
    walk = _Walk(supergraph, _fragments_of(document))
    found = _GuardWalk(walk)
    found.visit(operation.selection_set, _root_type(walk.schema, operation), (), ())
    return tuple(found.guards)


def failing_guards(
    guards: tuple[AuthorizationGuard, ...], principal: Principal
) -> frozenset[tuple[int, ...]]:
    """The selections ``principal`` may not see."""
    names = frozenset(p for g in guards for d in g.demands for group in d.policies for p in group)
    granted = principal.granted_policies(names)
    return frozenset(
        g.selection for g in guards if not all(principal.satisfies(d, granted) for d in g.demands)
    )


def unauthorized_errors(
    guards: tuple[AuthorizationGuard, ...], failing: frozenset[tuple[int, ...]]
) -> list[dict[str, Any]]:
    """One error per response path of a failing selection that is not inside another failing one (a field
    selected several times, directly or through fragments, is one path and gets one error)."""
    out = []
    paths: set[tuple[str, ...]] = set()
    for guard in guards:
        if guard.path in paths:
            continue
        if guard.selection in failing and not any(
            guard.selection[:n] in failing for n in range(len(guard.selection))
        ):
            paths.add(guard.path)
            out.append(
                {
                    "message": _MESSAGE,
                    "path": list(guard.path),
                    "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
                }
            )
    return out


@dataclass(frozen=True)
class Filtering:
    """What filtering did to one operation: the document to plan (``None``: nothing left to run), where nulls
    go in the response, and the errors to add."""

    document: DocumentNode | None
    removed: tuple[tuple[_Step, ...], ...]
    errors: tuple[dict[str, Any], ...] = field(default=())


class _Rebuild:
    """An operation rebuilt without its failing selections. A class, not closures calling themselves: those
    are reference cycles, holding the walk until the collector's next pass."""

    __slots__ = ("failing", "removed", "walk")

    def __init__(self, walk: _Walk, failing: frozenset[tuple[int, ...]]) -> None:
        self.walk = walk
        self.failing = failing
        self.removed: list[tuple[_Step, ...]] = []

    def fields_of(
        self, node: SelectionSetNode, parent: GraphQLCompositeType
    ) -> Iterable[tuple[FieldNode, Any]]:
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            else:
                fragment = (
                    selection
                    if isinstance(selection, InlineFragmentNode)
                    else self.walk.fragments[cast(FragmentSpreadNode, selection).name.value]
                )
                yield from self.fields_of(fragment.selection_set, self.walk.condition(fragment, parent))

    def rebuild(
        self,
        selections: SelectionSetNode,
        parent: GraphQLCompositeType,
        at: tuple[int, ...],
        steps: tuple[_Step, ...],
        typenames: frozenset[str] | None,
    ) -> tuple[list[SelectionNode], bool]:
        """The kept selections, and whether a removal here applies to some object types only."""
        kept: list[SelectionNode] = []
        narrow = False
        for index, selection in enumerate(selections.selections):
            here = (*at, index)
            if isinstance(selection, FieldNode):
                name = selection.name.value
                key = selection.alias.value if selection.alias else name
                if name.startswith("__"):
                    kept.append(selection)
                    continue
                definition = cast(Any, parent).fields[name]
                step = _Step(key, definition.type, typenames)
                if here in self.failing:
                    self.removed.append((*steps, step))
                    narrow = narrow or typenames is not None
                    continue
                if selection.selection_set is None:
                    kept.append(selection)
                    continue
                named = cast(Any, get_named_type(definition.type))
                children, child_narrow = self.rebuild(
                    selection.selection_set, named, here, (*steps, step), None
                )
                if not any(not _is_alias(c) for c in children):
                    self.removed.append((*steps, step))  # nothing left to select: the field goes too
                    narrow = narrow or typenames is not None
                    continue
                if child_narrow:
                    children.append(_typename_alias())
                kept.append(_with_selections(selection, children))
                continue
            node = (
                selection
                if isinstance(selection, InlineFragmentNode)
                else self.walk.fragments[cast(FragmentSpreadNode, selection).name.value]
            )
            condition = self.walk.condition(node, parent)
            inner = self.walk.narrowed(condition, parent, typenames)
            if here in self.failing:
                for child, owner in self.fields_of(node.selection_set, condition):
                    if not child.name.value.startswith("__"):
                        child_type = owner.fields[child.name.value].type
                        key = child.alias.value if child.alias else child.name.value
                        self.removed.append((*steps, _Step(key, child_type, inner)))
                narrow = narrow or inner is not None
                continue
            children, child_narrow = self.rebuild(node.selection_set, condition, here, steps, inner)
            narrow = narrow or child_narrow
            if children:
                kept.append(
                    InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=condition.name)),
                        directives=selection.directives,
                        selection_set=SelectionSetNode(selections=tuple(children)),
                    )
                )
        return kept, narrow


def filter_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    guards: tuple[AuthorizationGuard, ...],
    failing: frozenset[tuple[int, ...]],
) -> Filtering:
    """``operation`` without the ``failing`` selections (fragments inlined), as a one-operation document."""
    walk = _Walk(supergraph, _fragments_of(document))
    rebuilt = _Rebuild(walk, failing)
    root = _root_type(walk.schema, operation)
    kept, _ = rebuilt.rebuild(operation.selection_set, root, (), (), None)
    removed = rebuilt.removed
    errors = tuple(unauthorized_errors(guards, failing))
    if not kept:
        return Filtering(None, tuple(removed), errors)
    filtered = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(kept)),
    )
    return Filtering(DocumentNode(definitions=(filtered,)), tuple(removed), errors)


def _is_alias(selection: SelectionNode) -> bool:
    return (
        isinstance(selection, FieldNode)
        and selection.alias is not None
        and selection.alias.value == TYPENAME_ALIAS
    )


def _typename_alias() -> FieldNode:
    return FieldNode(alias=NameNode(value=TYPENAME_ALIAS), name=NameNode(value="__typename"))


def _with_selections(node: FieldNode, children: list[SelectionNode]) -> FieldNode:
    return FieldNode(
        alias=node.alias,
        name=node.name,
        arguments=node.arguments,
        directives=node.directives,
        selection_set=SelectionSetNode(selections=tuple(children)),
    )


def restore_unauthorized(result: dict[str, Any], filtering: Filtering) -> dict[str, Any]:
    """The response with the removed selections back as ``null`` (propagated past non-null fields), the
    gateway's own ``__typename`` aliases gone, and the authorization errors added."""
    data = result.get("data", {}) if filtering.document is not None else {}
    if isinstance(data, dict):
        for steps in filtering.removed:
            if _null_at(data, steps, 0):
                data = None
                break
    if data is not None:
        _strip_aliases(data)
    out = {**result, "data": data}
    out["errors"] = [*result.get("errors", ()), *filtering.errors]
    return out


def _null_at(value: dict[str, Any], steps: tuple[_Step, ...], index: int) -> bool:
    """Put null at ``steps[index:]`` under the object ``value``; True when ``value`` itself must become null."""
    step = steps[index]
    if step.typenames is not None and value.get(TYPENAME_ALIAS) not in step.typenames:
        return False
    if index == len(steps) - 1:
        value[step.key] = None
        return isinstance(step.type, GraphQLNonNull)
    if step.key not in value:
        return False
    if _null_in(value[step.key], step.type, steps, index + 1):
        value[step.key] = None
        return isinstance(step.type, GraphQLNonNull)
    return False


def _null_in(value: Any, kind: Any, steps: tuple[_Step, ...], index: int) -> bool:
    if value is None:
        return False
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    if isinstance(inner, GraphQLList):
        item_type = inner.of_type
        for position, item in enumerate(value):
            if _null_in(item, item_type, steps, index):
                if isinstance(item_type, GraphQLNonNull):
                    return True
                value[position] = None
        return False
    return isinstance(value, dict) and _null_at(value, steps, index)


def _strip_aliases(value: Any) -> None:
    if isinstance(value, dict):
        value.pop(TYPENAME_ALIAS, None)
        for child in value.values():
            _strip_aliases(child)
    elif isinstance(value, list):
        for child in value:
            _strip_aliases(child)
