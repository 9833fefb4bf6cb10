"""Differential runs over the demo system: our gateway and Hive Gateway in front of the same seeded services.

``demo_system`` starts ``python -m gateway up`` (users, products, orders and our gateway, each its own process,
on free ports and fresh SQLite files) and Hive Gateway over a supergraph composed from the committed subgraph
schemas with the same service URLs. ``compare`` says how two responses differ: data exactly (field order too), errors by
path and presence (messages are each gateway's own words).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    REMOVE,
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from tests.local_system import local_system

from .generator import GeneratedOperation
from .hive import NO_ANSWER, HiveGateway

__all__ = [
    "KNOWN_DIFFERENCES",
    "OURS_EMPTY_SELECTION",
    "REFERENCE_CONDITIONS",
    "REFERENCE_NO_ANSWER",
    "DemoSystem",
    "Difference",
    "compare",
    "demo_system",
    "explain",
    "explain_with",
    "resolve_conditions",
    "run_operation",
]


@dataclass
class DemoSystem:
    """The running demo: our gateway's URL, Hive Gateway, and the API schema both serve."""

    url: str
    hive: HiveGateway
    supergraph_sdl: str
    client: httpx.Client

    @property
    def api_schema(self) -> Any:
        return read_supergraph(self.supergraph_sdl).api_schema

    def ours(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            self.url,
            json={"query": query, "variables": dict(variables or {})},
            headers={"accept": "application/graphql-response+json, application/json"},
        )
        body: dict[str, Any] = response.json()
        return body

    def reference(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.hive.post("demo", query, variables)


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
                yield DemoSystem(local.url, hive, composed.supergraph_sdl, client)
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


# Documented differences: what explains a difference, and whose bug it is.
OURS_EMPTY_SELECTION = "ours: empty subgraph selection"
REFERENCE_NO_ANSWER = "reference: no answer"
REFERENCE_CONDITIONS = "reference: @skip/@include"
KNOWN_DIFFERENCES = {
    REFERENCE_NO_ANSWER: (
        "Hive Gateway gave no GraphQL response (connection reset or process gone), seen on very wide and deep "
        "operations; nothing to compare."
    ),
    OURS_EMPTY_SELECTION: (
        "Our planner sends a subgraph a field with an empty selection when literal @skip/@include removes every "
        "subfield (tests/conformance/test_variables_directives.py, literal-conditions-remove-every-subfield)."
    ),
    REFERENCE_CONDITIONS: (
        "Hive Gateway answers differently only because of @skip/@include: with the conditions applied to the "
        "document beforehand (GraphQL spec 6.3.2 CollectFields), it answers like us. Seen: one copy of a field "
        "excluded drops the other copy, and an excluded key field breaks the entity jump "
        "(test_variables_directives.py, excluded-key-field-next-to-an-entity-field)."
    ),
}


class _ConditionResolver(Visitor):
    """Drops selections that ``@skip``/``@include`` exclude under ``variables``; removes the directives."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = dict(variables)
        self.empty_fragments: set[str] = set()

    def _condition(self, node: Any, name: str) -> bool | None:
        for directive in node.directives or ():
            if directive.name.value == name:
                (argument,) = directive.arguments
                value = argument.value
                if isinstance(value, VariableNode):
                    return bool(self.variables[value.name.value])
                assert isinstance(value, BooleanValueNode)
                return value.value
        return None

    def _resolve(self, node: Any) -> Any:
        skip = self._condition(node, "skip")
        include = self._condition(node, "include")
        if skip is True or include is False:
            return REMOVE
        if skip is None and include is None:
            return None
        kept = tuple(d for d in node.directives or () if d.name.value not in ("skip", "include"))
        return _replace(node, directives=kept)

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        return self._resolve(node)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> Any:
        return self._resolve(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> Any:
        if node.name.value in self.empty_fragments:
            return REMOVE
        return self._resolve(node)

    def leave_field(self, node: FieldNode, *_: Any) -> Any:
        # A field left with no subfields answers {}; a document cannot say so, so it asks for a placeholder
        # that ``strip_placeholders`` removes from the answer again.
        if node.selection_set is not None and not node.selection_set.selections:
            placeholder = FieldNode(alias=NameNode(value=PLACEHOLDER), name=NameNode(value="__typename"))
            return _replace(node, selection_set=SelectionSetNode(selections=(placeholder,)))
        return None

    def leave_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> Any:
        # A fragment left with nothing in it contributes nothing: drop it (a field cannot be dropped so).
        return REMOVE if not node.selection_set.selections else None

    def leave_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> Any:
        if not node.selection_set.selections:
            self.empty_fragments.add(node.name.value)
            return REMOVE
        return None


PLACEHOLDER = "_emptied"


def strip_placeholders(value: Any) -> Any:
    """``value`` without the ``PLACEHOLDER`` keys ``resolve_conditions`` put where a selection became empty."""
    if isinstance(value, dict):
        return {k: strip_placeholders(v) for k, v in value.items() if k != PLACEHOLDER}
    if isinstance(value, list):
        return [strip_placeholders(v) for v in value]
    return value


def resolve_conditions(query: str, variables: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The operation with ``@skip``/``@include`` applied, and the variables it still uses.

    A field left without subfields gets a ``PLACEHOLDER`` field (strip it from the answer). None when the
    operation itself would be left empty.
    """
    resolver = _ConditionResolver(variables)
    document = visit(parse(query), resolver)
    while True:  # spreads of fragments that turned out empty go too, which may empty more fragments
        known = set(resolver.empty_fragments)
        document = visit(document, resolver)
        if resolver.empty_fragments == known:
            break
    empty = False
    variables_of: dict[str | None, set[str]] = {}
    spreads_of: dict[str | None, set[str]] = {}

    class Scan(Visitor):
        def __init__(self, owner: str | None) -> None:
            super().__init__()
            self.variables: set[str] = set()
            self.spreads: set[str] = set()
            variables_of[owner] = self.variables
            spreads_of[owner] = self.spreads

        def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> None:
            nonlocal empty
            empty = empty or not node.selections

        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            self.variables.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            self.spreads.add(node.name.value)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            visit(definition.selection_set, Scan(None))
        elif isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set, Scan(definition.name.value))
    if empty:
        return None
    # Fragments still spread (transitively) from the operation, and the variables they and it use.
    reached: set[str | None] = {None}
    pending: list[str | None] = [None]
    while pending:
        for name in spreads_of.get(pending.pop(), ()):
            if name not in reached:
                reached.add(name)
                pending.append(name)
    used = set().union(*(variables_of.get(name, set()) for name in reached))
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode) and definition.name.value not in reached:
            continue
        if isinstance(definition, OperationDefinitionNode):
            kept = tuple(v for v in definition.variable_definitions or () if v.variable.name.value in used)
            definition = _replace(definition, variable_definitions=kept)
        definitions.append(definition)
    document = _replace(document, definitions=tuple(definitions))
    return print_ast(document), {k: v for k, v in variables.items() if k in used}


def _replace(node: Any, **changes: Any) -> Any:
    """A copy of a (frozen) AST node with some attributes changed."""
    return node.__class__(**{**{k: getattr(node, k) for k in node.keys}, **changes})


def explain(system: DemoSystem, difference: Difference) -> str | None:
    """Which documented difference explains ``difference`` (a key of ``KNOWN_DIFFERENCES``), or None."""
    return explain_with(system.reference, difference)


def explain_with(
    reference_gateway: Callable[[str, dict[str, Any]], dict[str, Any]], difference: Difference
) -> str | None:
    """``explain``, asking ``reference_gateway(query, variables)`` where it must ask the reference again."""
    for error in difference.reference.get("errors") or []:
        if str(error.get("message", "")).startswith(NO_ANSWER):
            return REFERENCE_NO_ANSWER
    for error in difference.ours.get("errors") or []:
        if "must have a selection of subfields" in str(error.get("message")):
            return OURS_EMPTY_SELECTION
    resolved = resolve_conditions(difference.operation.query, difference.operation.variables)
    if resolved is not None and resolved[0] != print_ast(parse(difference.operation.query)):
        query, variables = resolved
        reference = reference_gateway(query, variables)
        reference["data"] = strip_placeholders(reference.get("data"))
        if compare(difference.operation, difference.ours, reference) is None:
            return REFERENCE_CONDITIONS
    return None
