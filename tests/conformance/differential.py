"""Differential runs over the demo system: our gateway and Hive Gateway in front of the same seeded services.

``demo_system`` starts ``python -m gateway up`` (users, products, orders and our gateway, each its own process,
on free ports and fresh SQLite files) and Hive Gateway over a supergraph composed from the committed subgraph
schemas with the same service URLs. ``compare`` says how two responses differ: data exactly (field order too), errors by
path and presence (messages are each gateway's own words).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLError, GraphQLSchema, is_abstract_type, parse, print_ast

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.server import GraphQLRequest
from gateway.server.auth.dev_key import ensure_dev_key
from tests.local_system import local_system

from .generator import GeneratedOperation
from .hive import NO_ANSWER, HiveGateway
from .normal_form import merge_fields, resolve_conditions, strip_placeholders
from .response_shape import differing_fields, field_at, propagate_nulls
from .support import Federation

__all__ = [
    "KNOWN_DIFFERENCES",
    "NO_PERCENT",
    "OURS_EMPTY_SELECTION",
    "OURS_OPERATION_LIMIT",
    "REFERENCE_ABSTRACT_REQUIRES",
    "REFERENCE_CONDITIONS",
    "REFERENCE_CONFLICTING_REQUIRES",
    "REFERENCE_DATA_DROPPED",
    "REFERENCE_EMPTY_RESPONSE",
    "REFERENCE_ENUM_ERROR",
    "REFERENCE_EXCLUDED_FIELD_ERRORS",
    "REFERENCE_FIELD_MERGING",
    "REFERENCE_MISSING_FIELDS",
    "REFERENCE_NO_ANSWER",
    "REFERENCE_NULL_PROPAGATION",
    "REFERENCE_PLANNING_FAILED",
    "REFERENCE_SHAREABLE_LISTS_JOINED",
    "REFERENCE_UNALIASED_CONFLICTS",
    "SET_SHAREABLE_SOURCES_DIFFER",
    "DemoSystem",
    "Difference",
    "abstract_requirements",
    "compare",
    "conflicting_requirements",
    "demo_system",
    "explain",
    "explain_with",
    "reasons",
    "run_operation",
    "set_differences",
]


@dataclass
class DemoSystem:
    """The running demo: our gateway's URL, Hive Gateway, and the API schema both serve."""

    url: str
    hive: HiveGateway
    supergraph_sdl: str
    client: httpx.Client
    # Both gateways speak as staff, so the services' ownership checks pass the same way on both: ours verifies
    # a development token and forwards its claims; the reference, which has no JWT set-up here, is given the
    # claims header itself and propagates it to the subgraphs (reference/serve.mjs).
    token: str = ""

    @cached_property
    def supergraph(self) -> Supergraph:
        return read_supergraph(self.supergraph_sdl)

    @property
    def api_schema(self) -> GraphQLSchema:
        return self.supergraph.api_schema

    def ours(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.client.post(
                self.url,
                json={"query": query, "variables": dict(variables or {})},
                headers={
                    "accept": "application/graphql-response+json, application/json",
                    "authorization": f"Bearer {self.token}",
                },
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Unexplained by design: our gateway must always answer, so the run reports it and goes on.
            return {"errors": [{"message": f"our gateway gave no answer: {type(exc).__name__}: {exc}"}]}
        return body

    def reference(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.hive.post("demo", query, variables, headers={"x-claims": json.dumps(STAFF_CLAIMS)})


STAFF_CLAIMS: dict[str, Any] = {"sub": "User:staff", "scope": "orders:manage products:manage users:manage"}


@contextmanager
def demo_system(workdir: Path, *, timeout: float = 180) -> Iterator[DemoSystem]:
    """Start the demo services and both gateways; stop them all on exit."""
    with local_system(workdir, timeout=timeout) as local:
        sources = [
            SubgraphSource(name, local.subgraph_urls[name], path.read_text())
            for name, path in local.schema_files.items()
        ]
        composed = compose(sources)
        if composed.supergraph_sdl is None:
            raise RuntimeError(
                "the demo subgraphs do not compose: " + "; ".join(str(e) for e in composed.errors)
            )
        hive = HiveGateway({"demo": composed.supergraph_sdl}, workdir / "hive")
        try:
            with httpx.Client(timeout=120) as client:
                token = ensure_dev_key(workdir / "data").sign(
                    str(STAFF_CLAIMS["sub"]), str(STAFF_CLAIMS["scope"]).split(), 3600
                )
                yield DemoSystem(local.url, hive, composed.supergraph_sdl, client, token)
        finally:
            hive.close()


@dataclass
class Difference:
    """How the two gateways answered one operation differently."""

    kind: str  # "data", "field order" or "errors"
    operation: GeneratedOperation
    ours: dict[str, Any]
    reference: dict[str, Any]

    def describe(self, limit: int = 1500) -> str:
        text = (
            f"[{self.kind}] operation #{self.operation.index}\n{self.operation.query}\n"
            f"variables: {json.dumps(self.operation.variables)}\n"
            f"ours:      {json.dumps(self.ours)[:limit]}\nreference: {json.dumps(self.reference)[:limit]}"
        )
        return text


def _error_paths(response: Mapping[str, Any]) -> list[str]:
    return sorted({json.dumps(e.get("path")) for e in response.get("errors") or []})


def compare(
    operation: GeneratedOperation, ours: dict[str, Any], reference: dict[str, Any]
) -> Difference | None:
    """None when both answered alike: same ``data``, errors at the same paths (or both without errors)."""
    if ours.get("data") != reference.get("data"):
        return Difference("data", operation, ours, reference)
    if json.dumps(ours.get("data")) != json.dumps(reference.get("data")):
        return Difference("field order", operation, ours, reference)
    if _error_paths(ours) != _error_paths(reference):
        return Difference("errors", operation, ours, reference)
    return None


def run_operation(system: DemoSystem, operation: GeneratedOperation) -> Difference | None:
    return compare(
        operation,
        system.ours(operation.query, operation.variables),
        system.reference(operation.query, operation.variables),
    )


# Documented differences: what explains a difference, and whose bug it is. A difference that needs several
# (the reference answers like us only with the operation rewritten and then its nulls propagated) is named by
# their keys joined by " + ".
OURS_EMPTY_SELECTION = "ours: empty subgraph selection"
OURS_OPERATION_LIMIT = "ours: operation limit"
REFERENCE_NO_ANSWER = "reference: no answer"
REFERENCE_PLANNING_FAILED = "reference: planning failed"
REFERENCE_EMPTY_RESPONSE = "reference: empty response"
REFERENCE_DATA_DROPPED = "reference: data dropped"
REFERENCE_CONFLICTING_REQUIRES = "reference: conflicting @requires arguments"
REFERENCE_CONDITIONS = "reference: @skip/@include"
REFERENCE_FIELD_MERGING = "reference: field merging"
REFERENCE_NULL_PROPAGATION = "reference: null propagation"
REFERENCE_ENUM_ERROR = "reference: no enum error"
REFERENCE_EXCLUDED_FIELD_ERRORS = "reference: errors of excluded fields"
REFERENCE_MISSING_FIELDS = "reference: fields missing"
REFERENCE_ABSTRACT_REQUIRES = "reference: abstract @requires"
REFERENCE_SHAREABLE_LISTS_JOINED = "reference: @shareable lists joined"
REFERENCE_UNALIASED_CONFLICTS = "reference: conflicting fields unaliased"
SET_SHAREABLE_SOURCES_DIFFER = "set: @shareable sources differ"
REFERENCE_DROPPED_MEMBERS = "reference: dropped member fragments completed"
DOCUMENTED_CASE = "documented case"
KNOWN_DIFFERENCES = {
    REFERENCE_NO_ANSWER: (
        "Hive Gateway gave no GraphQL response (connection reset or process gone), seen on very wide and deep "
        "operations; nothing to compare."
    ),
    REFERENCE_PLANNING_FAILED: (
        "Hive Router's planner fails on a valid operation and Hive Gateway answers no data: 'Failed to plan "
        "query: failed to build fetch graph: Missing FetchStep ...', or 'failed to build plan: Failed to build "
        "a plan' when literal @skip/@include excludes every root field (ours: data {}, GraphQL spec 6.3.2 "
        "CollectFields and 7.1.2). Any other planning failure of the reference (an unsatisfiable field: 'No "
        "paths found for selection item') is not explained by this."
    ),
    REFERENCE_EMPTY_RESPONSE: (
        "Hive Gateway with the Rust planner answers {} (neither data nor errors) when @skip/@include leaves "
        "the operation no root field; GraphQL spec 7.1.2 wants data, here {} (ExecuteSelectionSet of nothing)."
    ),
    REFERENCE_DATA_DROPPED: (
        "Hive Gateway with the Rust planner answers execution errors and no data at all when a root fetch "
        "fails (a subgraph answer that is not GraphQL: HTTP 502, a body that is not JSON; a subgraph's data "
        "null), dropping the root fields that resolved; GraphQL spec 7.1.2: once execution started, data is "
        "present, the failed field null (test_errors.py, subgraph-answers-a-body-that-is-not-graphql)."
    ),
    REFERENCE_CONFLICTING_REQUIRES: (
        "Hive Router's planner fetches a field once for two @requires that select it with different arguments "
        '(costPerKg @requires(weight(unit: "kg")), costPerGram @requires(weight(unit: "g"))) when other '
        "fields stand between them, so one of the two gets a value computed from the other's argument (only "
        "those fields differ), or sends the subgraph both under one name (\"Fields 'weight' conflict\")."
    ),
    OURS_EMPTY_SELECTION: (
        "Our planner sends a subgraph a field with an empty selection when literal @skip/@include removes every "
        "subfield (tests/conformance/test_variables_directives.py, literal-conditions-remove-every-subfield)."
    ),
    OURS_OPERATION_LIMIT: (
        "Our gateway refuses, before planning, an operation over its configured operation limits (the demo "
        "gateway's defaults, e.g. max_aliases 30: extensions.code MAX_ALIASES_LIMIT), which the reference does "
        "not enforce; a deliberate setting, not a federation difference (the conformance sets run unlimited)."
    ),
    REFERENCE_CONDITIONS: (
        "Hive Gateway answers differently only because of @skip/@include: with the conditions applied to the "
        "document beforehand (GraphQL spec 6.3.2 CollectFields), it answers like us. Seen: one copy of a field "
        "excluded drops the other copy."
    ),
    REFERENCE_FIELD_MERGING: (
        "Hive Gateway answers differently only because one response key is selected more than once: with the "
        "fields merged beforehand (GraphQL spec 6.3.2 CollectFields, 6.4.3 MergeSelectionSets), it answers "
        "like us. Seen with the Rust planner: a list selected twice comes back as the two lists one after the "
        "other, each item holding one copy's fields."
    ),
    REFERENCE_NULL_PROPAGATION: (
        "Hive Gateway with the Rust planner leaves null in a non-null position (an entity field a subgraph did "
        "not resolve), without an error, instead of nulling the nearest nullable parent (GraphQL spec 6.4.4 "
        "Handling Field Errors; graphql-hive/router#1110), or leaves the field out: with the nulls propagated, "
        "its data is ours (errors of its other fetches under a null that propagation reaches go with it)."
    ),
    REFERENCE_ENUM_ERROR: (
        "Hive Gateway nulls an enum value that is not in the API schema (@inaccessible) without an error; "
        "GraphQL spec 6.4.3 (enum result coercion) makes it a field error (test_abstract_types.py, "
        "inaccessible-enum-value-in-a-response-is-a-field-error)."
    ),
    REFERENCE_EXCLUDED_FIELD_ERRORS: (
        "Hive Gateway with the Rust planner runs the fetch of a root field that a variable @skip/@include "
        "excludes and reports its error at that field's path, though the field is not in the response (data "
        "{} where ours is {}); GraphQL spec 6.3.2 (CollectFields leaves the field out, so it is not executed) and "
        "7.1.2 (an error's path names a field of the response)."
    ),
    REFERENCE_MISSING_FIELDS: (
        "Hive Gateway with the Rust planner leaves selected fields out of an object: its data is ours with "
        "keys missing. Seen: the fields of `... on Org` under a field typed as an entity interface that the "
        "resolving subgraph has as @interfaceObject (sometimes with __typename answered as the interface), "
        "which test_interface_object.py checks on our side."
    ),
    REFERENCE_ABSTRACT_REQUIRES: (
        "Hive Router's planner sends a @requires through an interface- or union-typed field without the "
        "__typename of the abstract values (and, with several such @requires in one fetch, without some of the "
        "required fields), so the subgraph fails those fields: its data is ours with them null (nulls "
        "propagated). Federation spec @requires: the representation carries the required selection, abstract "
        "values with their __typename as Apollo's planner sends them (test_requires_abstract.py)."
    ),
    REFERENCE_SHAREABLE_LISTS_JOINED: (
        "Hive Router's planner, asked for member fields of a @shareable union-typed list that different "
        "subgraphs resolve, fetches the list from several subgraphs and answers their lists one after the "
        "other, every item an empty object (or holding only the nulls of a member's fields that Apollo's rule "
        "leaves unfetched); GraphQL spec 6.4.3 (CompleteValue): a field has one list, each item completed with "
        "its selections (test_subgraph_union_members.py, member-fields-from-two-subgraphs)."
    ),
    REFERENCE_UNALIASED_CONFLICTS: (
        "Hive Router's planner sends a subgraph fields of one response key that do not merge in the subgraph's "
        "schema (list or subfield types differ between members) unaliased; the subgraph refuses the operation "
        "(GraphQL spec 5.3.2 SameResponseShape) and the reference answers data null; Apollo's planner aliases "
        "them (test_conflicting_fields.py)."
    ),
    REFERENCE_DROPPED_MEMBERS: (
        "A fragment on a union member that one of a @shareable field's subgraphs cannot return contributes "
        "nothing (Apollo's planner, query_planning_traversal.rs handle_open_branch, no_followups: 'the "
        "operation element should return no result'; planning/members.py): ours answers the member's objects "
        "without that fragment's fields, Hive Router completes its nullable fields as null (and answers {} "
        "where one is non-null). The reference's answer without the keys only such fragments select is ours."
    ),
    DOCUMENTED_CASE: (
        "The operation is a conformance case of its own whose reference= note says how the reference's answer "
        "differs and why ours is right (tests/conformance, checked there against both gateways): an operation "
        "the rules do not explain, examined and written down."
    ),
    SET_SHAREABLE_SOURCES_DIFFER: (
        "The set's @shareable union list returns more members in one subgraph than in another (breaking the "
        "@shareable contract on purpose, test_subgraph_union_members.py): the reference answered from the "
        "other subgraph, its list ours without the members that subgraph does not return; or we did, and its "
        "list is ours with those members as empty objects (joined lists after it, if any, empty too)."
    ),
}


def reasons(why: str) -> list[str]:
    """The keys of ``KNOWN_DIFFERENCES`` an explanation joins."""
    return why.split(" + ")


def explain(system: DemoSystem, difference: Difference) -> str | None:
    """Which documented differences explain ``difference`` (keys of ``KNOWN_DIFFERENCES``), or None."""
    return explain_with(system.reference, system.supergraph, difference)


def _error_free(response: Mapping[str, Any], drop: Callable[[Mapping[str, Any]], bool]) -> dict[str, Any]:
    return {**response, "errors": [e for e in response.get("errors") or [] if not drop(e)]}


def _non_null_error(error: Mapping[str, Any]) -> bool:
    return str(error.get("message", "")).startswith("Cannot return null for non-nullable field")


def _enum_error(error: Mapping[str, Any]) -> bool:
    code = (error.get("extensions") or {}).get("code")
    return code == "INVALID_SUBGRAPH_DATA" and "enum" in str(error.get("message", ""))


def _under_null(data: Any, path: list[Any]) -> bool:
    """Whether ``path`` in ``data`` passes through a null before its last step."""
    for step in path[:-1]:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return False
        if data is None:
            return True
    return False


def _null_at(data: Any, path: list[Any]) -> None:
    """Put null at ``path`` in ``data`` where the object there lacks the key (or has null already)."""
    for step in path[:-1]:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return
    if isinstance(data, dict) and data.get(path[-1]) is None:
        data[path[-1]] = None


def _contained(theirs: Any, ours: Any, schema: GraphQLSchema) -> bool:
    """Whether ``theirs`` is ``ours`` with object keys left out (and ``__typename`` answered as an interface)."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        if [k for k in ours if k in theirs] != list(theirs):
            return False
        for key, value in theirs.items():
            if key == "__typename" and value != ours[key] and is_abstract_type(schema.get_type(str(value))):
                continue
            if not _contained(value, ours[key], schema):
                return False
        return True
    if isinstance(theirs, list) and isinstance(ours, list):
        return len(theirs) == len(ours) and all(
            _contained(a, b, schema) for a, b in zip(theirs, ours, strict=True)
        )
    return bool(theirs == ours)


def _joined_lists(theirs: Any, ours: Any) -> bool:
    """Whether ``theirs`` is ``ours`` where some lists of objects stand as longer lists of empty objects (which
    may hold ``__typename`` and the nulls of fields no subgraph was asked for)."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return list(theirs) == list(ours) and all(_joined_lists(theirs[k], ours[k]) for k in theirs)
    if isinstance(theirs, list) and isinstance(ours, list):
        if (
            len(theirs) > len(ours)
            and all(
                isinstance(t, dict) and all(k == "__typename" or v is None for k, v in t.items())
                for t in theirs
            )
            and all(isinstance(o, dict) for o in ours)
        ):
            return True
        return len(theirs) == len(ours) and all(
            _joined_lists(a, b) for a, b in zip(theirs, ours, strict=True)
        )
    return bool(theirs == ours)


def _dropped_member_keys(supergraph: Supergraph, query: str) -> dict[tuple[str, ...], set[str]]:
    """Response path -> the keys that only member fragments our plan drops there select (planning/members.py)."""
    from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode

    from gateway.planning import plan_operation
    from gateway.planning.errors import PlanningError

    document = parse(query)
    try:
        dropped = plan_operation(supergraph, document, None).dropped_fragments
    except PlanningError:
        return {}
    if not dropped:
        return {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    inside: dict[tuple[str, ...], set[str]] = {}
    outside: dict[tuple[str, ...], set[str]] = {}

    def visit(selection_set: Any, path: tuple[str, ...], under: bool, seen: frozenset[str]) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                (inside if under else outside).setdefault(path, set()).add(key)
                if sel.selection_set is not None:
                    visit(sel.selection_set, (*path, key), False, seen)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                visit(sel.selection_set, path, under or (path, cond) in dropped, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    cond = frag.type_condition.name.value
                    visit(frag.selection_set, path, under or (path, cond) in dropped, seen | {sel.name.value})

    operation = next(d for d in document.definitions if not isinstance(d, FragmentDefinitionNode))
    visit(operation.selection_set, (), False, frozenset())
    out = {path: keys - outside.get(path, set()) for path, keys in inside.items()}
    return {path: keys for path, keys in out.items() if keys}


def _without_keys(data: Any, keys: Mapping[tuple[str, ...], set[str]]) -> Any:
    """``data`` without ``keys[path]`` where they are null, in the objects at each response path (list items
    included): a value the reference fetched for such a key stays, and with it the difference."""

    def strip(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, list):
            for item in value:
                strip(item, path)
        elif isinstance(value, dict):
            for key in keys.get(path, ()):
                if key in value and value[key] is None:
                    del value[key]
            for key, inner in value.items():
                strip(inner, (*path, key))

    strip(data, ())
    return data


def _subsequence(theirs: Any, ours: Any) -> bool:
    """Whether ``theirs`` is ``ours`` where some lists lack some of their items (order kept)."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return list(theirs) == list(ours) and all(_subsequence(theirs[k], ours[k]) for k in theirs)
    if isinstance(theirs, list) and isinstance(ours, list):
        if len(theirs) < len(ours):
            remaining = iter(ours)
            return all(any(t == o for o in remaining) for t in theirs)
        return len(theirs) == len(ours) and all(_subsequence(a, b) for a, b in zip(theirs, ours, strict=True))
    return bool(theirs == ours)


def _with_empty_items(theirs: Any, ours: Any) -> bool:
    """Whether ``theirs`` is ``ours`` where some lists hold more items, each extra one empty (``__typename`` and
    nulls at most): the other subgraph's longer list, its members ours does not return empty, and lists the
    reference joined after it."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return list(theirs) == list(ours) and all(_with_empty_items(theirs[k], ours[k]) for k in theirs)
    if isinstance(theirs, list) and isinstance(ours, list):
        if len(theirs) > len(ours):
            mine = iter(ours)
            want = next(mine, _END)
            for item in theirs:
                if want is not _END and _with_empty_items(item, want):
                    want = next(mine, _END)
                elif not (
                    isinstance(item, dict) and all(k == "__typename" or v is None for k, v in item.items())
                ):
                    return False
            return want is _END
        return len(theirs) == len(ours) and all(
            _with_empty_items(a, b) for a, b in zip(theirs, ours, strict=True)
        )
    return bool(theirs == ours)


_END = object()


def abstract_requirements(supergraph: Supergraph) -> set[tuple[str, str]]:
    """The (type, field) of every ``@requires`` whose field set selects into an abstract-typed field (its
    fragments are what make it so: a field set has type conditions only below an interface or a union)."""
    return {
        (type_.name, field.name)
        for type_ in supergraph.types.values()
        for field in type_.fields.values()
        if any("... on" in (s.requires or "") for s in field.subgraphs.values())
    }


def _nulled_at(data: Any, paths: Sequence[Sequence[Any]]) -> Any:
    """A copy of ``data`` with null at each of ``paths`` that leads to a value."""
    data = copy.deepcopy(data)
    for path in paths:
        parent = data
        for step in path[:-1]:
            if isinstance(parent, (dict, list)) and _has(parent, step):
                parent = parent[step]
            else:
                break
        else:
            if _has(parent, path[-1]):
                parent[path[-1]] = None
    return data


def _has_path(data: Any, path: Sequence[Any]) -> bool:
    """Whether ``path`` leads to a field of ``data`` (a null on the way counts: the field was there)."""
    for step in path:
        if data is None:
            return True
        if not (isinstance(data, (dict, list)) and _has(data, step)):
            return False
        data = data[step]
    return True


def _has(value: Any, step: Any) -> bool:
    if isinstance(value, dict):
        return step in value
    return isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value)


def conflicting_requirements(supergraph: Supergraph, *, required: bool = False) -> set[tuple[str, str]]:
    """The (type, field) of every ``@requires`` whose field set selects a field with arguments that another
    ``@requires`` of the same type selects with other arguments (``required``: of the fields they select)."""
    by_field: dict[tuple[str, str], dict[str, set[str]]] = {}
    for type_ in supergraph.types.values():
        for field in type_.fields.values():
            for in_subgraph in field.subgraphs.values():
                for name, arguments in re.findall(r"(\w+)\s*\(([^)]*)\)", in_subgraph.requires or ""):
                    by_arguments = by_field.setdefault((type_.name, name), {})
                    by_arguments.setdefault(" ".join(arguments.split()), set()).add(field.name)
    if required:
        return {key for key, by_arguments in by_field.items() if len(by_arguments) > 1}
    return {
        (type_name, requiring)
        for (type_name, _), by_arguments in by_field.items()
        if len(by_arguments) > 1
        for requiring in set().union(*by_arguments.values())
    }


def explain_with(
    reference_gateway: Callable[[str, dict[str, Any]], dict[str, Any]],
    supergraph: Supergraph,
    difference: Difference,
    *,
    errors_by_path: bool = True,
) -> str | None:
    """``explain``, asking ``reference_gateway(query, variables)`` where it must ask the reference again.

    First the reference's defects seen in one answer (no answer, planning failed, an empty or data-less
    response, conflicting requirements). Then the reference's answer, and its answers to equivalent rewrites
    of the operation (conditions applied, then fields merged), each tried as is and adjusted for its known
    defects (nulls propagated, enum errors missing, fields missing). The first that agrees with ours names
    what explains the difference. ``errors_by_path=False`` takes answers with errors anywhere as agreeing.
    """
    schema = supergraph.api_schema
    operation = difference.operation
    ours, reference = difference.ours, difference.reference
    for error in reference.get("errors") or []:
        if str(error.get("message", "")).startswith(NO_ANSWER):
            return REFERENCE_NO_ANSWER
        message = str(error.get("message", ""))
        if reference.get("data") is None and message.startswith("Failed to plan query"):
            if "Missing FetchStep" in message or (
                "Failed to build a plan" in message and ours.get("data") == {} and not ours.get("errors")
            ):
                return REFERENCE_PLANNING_FAILED
    for error in ours.get("errors") or []:
        if "must have a selection of subfields" in str(error.get("message")):
            return OURS_EMPTY_SELECTION
    limits = [(e.get("extensions") or {}).get("limit") for e in ours.get("errors") or []]
    if "data" not in ours and limits and all(limits):
        return OURS_OPERATION_LIMIT
    if not reference and ours.get("data") == {}:
        return REFERENCE_EMPTY_RESPONSE
    reference_errors = reference.get("errors") or []
    if (
        reference_errors
        and not ours.get("errors")
        and ours.get("data") == reference.get("data")
        and all(e.get("path") and not _has_path(reference.get("data"), e["path"]) for e in reference_errors)
    ):
        return REFERENCE_EXCLUDED_FIELD_ERRORS
    # Errors with a path come from execution (request errors have none), and once execution started a response
    # has data (GraphQL spec 7.1.2): a reference answer with such errors and no data dropped it.
    errors = reference.get("errors") or []
    if (
        "data" not in reference
        and errors
        and all(e.get("path") for e in errors)
        and ours.get("data") is not None
    ):
        return REFERENCE_DATA_DROPPED
    conflicting = conflicting_requirements(supergraph)
    abstract = abstract_requirements(supergraph)
    # A field more than one subgraph resolves (@shareable: the read supergraph keeps no such flag itself).
    shareable = any(len(f.subgraphs) > 1 for t in supergraph.types.values() for f in t.fields.values())
    conflicting_arguments = {name for _, name in conflicting_requirements(supergraph, required=True)}
    for error in reference.get("errors") or []:
        # The reference sent a subgraph both requirements' fields under one name (GraphQL spec 5.3.2 refuses it).
        found = re.match(
            r"Fields '(\w+)' conflict because they have differing arguments", str(error.get("message"))
        )
        if found and found.group(1) in conflicting_arguments:
            return REFERENCE_CONFLICTING_REQUIRES
        if (
            reference.get("data") is None
            and ours.get("data") is not None
            and re.match(r"Fields '\w+' conflict because", str(error.get("message")))
        ):
            return REFERENCE_UNALIASED_CONFLICTS

    def same(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
        if errors_by_path:
            return compare(operation, dict(mine), dict(theirs)) is None
        return json.dumps(mine.get("data")) == json.dumps(theirs.get("data")) and bool(
            mine.get("errors")
        ) == bool(theirs.get("errors"))

    def agrees(query: str, answer: dict[str, Any], rewrite: str | None) -> str | None:
        dropped: list[str] = []
        stripped = _dropped_member_keys(supergraph, query)
        if stripped:
            data = _without_keys(copy.deepcopy(answer.get("data")), stripped)
            if data != answer.get("data"):
                answer, dropped = {**answer, "data": data}, [REFERENCE_DROPPED_MEMBERS]
        # Where our non-null error stands, the reference may have null or (as Hive Router does for a field it
        # could not resolve) no key at all: a missing selected field is null too (GraphQL spec 6.3.2).
        data = copy.deepcopy(answer.get("data"))
        for error in ours.get("errors") or []:
            if _non_null_error(error) and error.get("path"):
                _null_at(data, error["path"])
        propagated_data = propagate_nulls(schema, query, data)
        # The reference went on fetching below what propagation nulls; errors of those fetches go with it. Where
        # propagation nulls data itself and ours has no error but the non-null ones, every field error does.
        # The fields the reference failed for want of a complete abstract @requires selection: ours with them
        # null (and the nulls propagated) is what the reference could answer.
        failed = [
            e
            for e in answer.get("errors") or []
            if e.get("path") and field_at(schema, query, e["path"]) in abstract
        ]
        paths = set(_error_paths(ours))
        whole = propagated_data is None and all(_non_null_error(e) for e in ours.get("errors") or [])
        propagated = {
            **answer,
            "data": propagated_data,
            "errors": [
                e
                for e in answer.get("errors") or []
                if json.dumps(e.get("path")) in paths
                or e in failed  # they stand in the abstract @requires adjustment, on both sides
                or not (_under_null(propagated_data, e.get("path") or []) or (whole and e.get("path")))
            ],
        }
        for adjustments in (
            [],
            [REFERENCE_NULL_PROPAGATION],
            [REFERENCE_ENUM_ERROR],
            [REFERENCE_NULL_PROPAGATION, REFERENCE_ENUM_ERROR],
            *(
                [[REFERENCE_ABSTRACT_REQUIRES], [REFERENCE_NULL_PROPAGATION, REFERENCE_ABSTRACT_REQUIRES]]
                if failed
                else []
            ),
        ):
            mine, theirs = ours, answer
            if REFERENCE_NULL_PROPAGATION in adjustments:
                mine, theirs = _error_free(mine, _non_null_error), _error_free(propagated, _non_null_error)
            if REFERENCE_ENUM_ERROR in adjustments:
                mine = _error_free(mine, _enum_error)
            if REFERENCE_ABSTRACT_REQUIRES in adjustments:
                nulled = _nulled_at(mine.get("data"), [e["path"] for e in failed])
                mine = {
                    **_error_free(mine, _non_null_error),
                    "data": propagate_nulls(schema, query, nulled),
                    "errors": [*(_error_free(mine, _non_null_error)["errors"]), *failed],
                }
            theirs = {**theirs, "data": strip_placeholders(theirs.get("data"))}
            used = [*([rewrite] if rewrite else []), *dropped, *adjustments]
            if used and same(mine, theirs):  # (neither: that is the difference itself)
                return " + ".join(used)
            if same(mine, {**theirs, "data": mine.get("data")}):
                fields = differing_fields(schema, query, mine.get("data"), theirs.get("data"))
                if fields and fields <= conflicting:
                    return " + ".join([*used, REFERENCE_CONFLICTING_REQUIRES])
            if _contained(theirs.get("data"), mine.get("data"), schema) and same(
                mine, {**theirs, "data": mine.get("data")}
            ):
                return " + ".join([*used, REFERENCE_MISSING_FIELDS])
            if _joined_lists(theirs.get("data"), mine.get("data")) and same(
                mine, {**theirs, "data": mine.get("data")}
            ):
                return " + ".join([*used, REFERENCE_SHAREABLE_LISTS_JOINED])
            if (
                shareable
                and _subsequence(theirs.get("data"), mine.get("data"))
                and same(mine, {**theirs, "data": mine.get("data")})
            ):
                return " + ".join([*used, SET_SHAREABLE_SOURCES_DIFFER])
            if (
                shareable
                and _with_empty_items(theirs.get("data"), mine.get("data"))
                and same(mine, {**theirs, "data": mine.get("data")})
            ):
                return " + ".join([*used, REFERENCE_SHAREABLE_LISTS_JOINED, SET_SHAREABLE_SOURCES_DIFFER])
        return None

    why = agrees(operation.query, reference, None)
    if why is not None:
        return why
    resolved = resolve_conditions(operation.query, operation.variables)
    if resolved is None:
        return None
    query, variables = resolved
    rewrites: list[tuple[str, str]] = []
    if query != print_ast(parse(operation.query)):
        rewrites.append((REFERENCE_CONDITIONS, query))
    merged = merge_fields(schema, query)
    if merged != query:
        rewrites.append((REFERENCE_FIELD_MERGING, merged))
    # Each rewrite includes the ones before it (fields merge only once conditions are applied); the one that
    # made the reference agree names the difference.
    for reason, rewritten in rewrites:
        why = agrees(rewritten, reference_gateway(rewritten, variables), reason)
        if why is not None:
            return why
    return None


# The conformance sets' data is not complete for every random path (a subgraph may answer null for a non-null
# field); where it is not, gateways place the error differently, so only data and the presence of errors must
# agree there.
NO_PERCENT = {"x-override-rng": "0.999999"}  # as our gateway in the sets: percent(N) labels never roll


def documented_case(federation: Federation, operation: GeneratedOperation) -> str | None:
    """``DOCUMENTED_CASE`` where ``operation`` is a conformance case of ``federation`` with a
    ``reference=`` note (the same document, compared by its printed form, and the same variables)."""
    from .test_reference import CASES

    try:
        printed = print_ast(parse(operation.query))
    except GraphQLError:
        return None
    for case in CASES:
        if (
            case.reference
            and case.federation.name == federation.name
            and (case.variables or {}) == (operation.variables or {})
            and print_ast(parse(case.query)) == printed
        ):
            return DOCUMENTED_CASE
    return None


async def set_differences(
    federation: Federation, hive: HiveGateway, operations: Sequence[GeneratedOperation]
) -> list[tuple[Difference, str | None]]:
    """Each operation through our gateway (in process) and the reference over one conformance set; every
    difference beyond error placement, with its explanation (None where none fits)."""
    gateway, client = federation.gateway()
    found: list[tuple[Difference, str | None]] = []

    def reference(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return hive.post(federation.name, query, variables, NO_PERCENT)

    try:
        for operation in operations:
            ours = await gateway.execute(GraphQLRequest(operation.query, operation.variables))
            difference = compare(operation, ours, reference(operation.query, operation.variables))
            if difference is None or (
                difference.kind == "errors"
                and bool(ours.get("errors")) == bool(difference.reference.get("errors"))
            ):
                continue
            why = documented_case(federation, operation) or explain_with(
                reference, federation.supergraph, difference, errors_by_path=False
            )
            found.append((difference, why))
    finally:
        await client.aclose()
    return found
