"""Query plan nodes: the planner's output and the executor's input.

A plan is a value: frozen, shared by every request that runs it (the plan cache), never changed by running it.
The executor keeps what it derives from a plan in its own caches.

The tree and its JSON form follow the shape Apollo's tooling prints (``QueryPlan``, ``Sequence``, ``Parallel``,
``Fetch``, ``Flatten``), so plans can be compared with other gateways' and snapshot-tested as JSON.

Conventions the executor relies on:

* A root ``Fetch`` (``requires is None``) sends ``operation`` as-is with the variables named in
  ``variable_usages`` and merges ``data`` into the response root.
* An entity ``Fetch`` (``requires`` set) always stands under a ``Flatten``. For every object found at the
  ``Flatten``'s path whose ``__typename`` matches one of the ``requires`` inline fragments, it builds a
  representation from that fragment's selection (``__typename`` plus key and ``@requires`` fields, read by
  field name), de-duplicates them, sends one ``_entities(representations: $representations)`` request, and
  merges each answer back into the object it came from.
* ``Flatten.path`` is a list of response keys; ``"@"`` stands for every element of a list. A segment
  ``"key|[A,B]"`` keeps only objects whose ``__typename`` is A or B (Apollo's type-conditioned path).
* Operations name every field they need by response key; the plan adds ``__typename`` and key/required fields
  where it needs them, and the executor shapes the final response to the client's operation, so extra fields
  never reach the client.
* Fields the plan adds use their own name as response key, except where the client's operation uses that
  response key at the same place for a different field (or other arguments): there the plan aliases its field
  ``__fk_<name>`` and the ``requires`` ``FieldSelection`` carries ``response_key="__fk_<name>"``: read the value
  from the object's ``response_key``, put it in the representation under ``name``. A field the plan adds with
  arguments (``@requires(fields: "weight(unit: \"kg\")")``) has one alias for those arguments throughout the plan
  (``__fk_weight__1``) unless the client selects that very field at that place.
* A field whose type in the subgraph differs from the supergraph's (nullability, a smaller union) is aliased
  ``<key>__alias_<n>`` under abstract positions, so sibling fragments never conflict in the subgraph's schema
  (GraphQL spec 5.3.2); merged data keeps the alias, later ``Flatten`` paths name it, and the response is shaped
  from it (``QueryPlan.response_aliases``; Apollo un-aliases with ``outputRewrites`` instead).
* A subscription's plan is one ``SubscriptionNode`` (Apollo's ``Subscription`` node): ``primary`` opens the
  event stream, the root ``Fetch`` of a ``subscription`` operation to the subgraph that owns the root field, or
  an ``EventSourceNode`` for a field fed by a broker (its events are entity representations, the ``Fetch`` it
  stands for names the fields each carries); ``rest`` runs once per event with that event's ``data`` as the
  response root, as a query's plan after its root fetch would.
* ``FetchNode.input_rewrites`` (Apollo's ``inputRewrites``): after building a representation from the requires
  fragment on ``type_condition``, set its ``__typename`` to ``set_typename_to``. Used when the target subgraph
  knows the entity only as an ``@interfaceObject`` (it expects the interface's name, not the object type's). Such
  fetches never select ``__typename``, so merging their answers keeps the object's real type name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, parse

__all__ = [
    "ConditionNode",
    "EntityKey",
    "EventSourceNode",
    "FetchNode",
    "FieldSelection",
    "FlattenNode",
    "InlineFragmentSelection",
    "InputRewrite",
    "ParallelNode",
    "PlanNode",
    "QueryPlan",
    "RequiresSelection",
    "SequenceNode",
    "SubscriptionNode",
]


@dataclass(frozen=True)
class FieldSelection:
    """A field in a representation selection (no aliases or arguments: representations use field names).

    ``response_key`` is where the fetched data holds the field when the plan had to alias it (say
    ``__fk_id: id``, because the client aliased another field as ``id``); the representation still uses ``name``.
    """

    name: str
    selections: tuple[RequiresSelection, ...] = ()
    response_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Field", "name": self.name}
        if self.response_key is not None:
            out["alias"] = self.response_key
        if self.selections:
            out["selections"] = [s.to_json() for s in self.selections]
        return out


@dataclass(frozen=True)
class InlineFragmentSelection:
    type_condition: str
    selections: tuple[RequiresSelection, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "InlineFragment",
            "typeCondition": self.type_condition,
            "selections": [s.to_json() for s in self.selections],
        }


RequiresSelection = FieldSelection | InlineFragmentSelection


@dataclass(frozen=True)
class InputRewrite:
    """Set ``__typename`` of representations built from the ``type_condition`` fragment (Apollo's ValueSetter)."""

    type_condition: str
    set_typename_to: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "ValueSetter",
            "path": [f"... on {self.type_condition}", "__typename"],
            "setValueTo": self.set_typename_to,
        }


@dataclass(frozen=True)
class EntityKey:
    """A resolvable ``@key`` of ``type_name`` in the fetch's subgraph, as a representation selection.

    An ``_entities`` fetch sends a representation only when it holds one of its type's keys without a null in
    it (Apollo Federation spec, ``@key``): an object whose key is null cannot be resolved, it stays null.
    Not part of the plan's JSON (Apollo's plans leave it to the subgraph).
    """

    type_name: str
    selections: tuple[RequiresSelection, ...]


@dataclass(frozen=True)
class FetchNode:
    """One request to one subgraph."""

    service_name: str
    operation: str
    variable_usages: tuple[str, ...] = ()
    requires: tuple[InlineFragmentSelection, ...] | None = None
    operation_kind: str = "query"
    operation_name: str | None = None
    input_rewrites: tuple[InputRewrite, ...] = ()
    # For an entity fetch: the keys representations must hold, by type (types not listed are sent as they are).
    entity_keys: tuple[EntityKey, ...] = ()
    # ``operation`` parsed (graphql-core AST without locations): the planner builds it with the text; a fetch
    # written by hand gets it parsed from the text.
    document: DocumentNode = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Fetch",
            "serviceName": self.service_name,
            "variableUsages": list(self.variable_usages),
            "operation": self.operation,
            "operationKind": self.operation_kind,
        }
        if self.operation_name:
            out["operationName"] = self.operation_name
        if self.requires is not None:
            out["requires"] = [r.to_json() for r in self.requires]
        if self.input_rewrites:
            out["inputRewrites"] = [r.to_json() for r in self.input_rewrites]
        return out

    def __post_init__(self) -> None:
        if self.document is None:
            object.__setattr__(self, "document", parse(self.operation, no_location=True))


@dataclass(frozen=True)
class FlattenNode:
    path: tuple[str, ...]
    node: FetchNode

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Flatten", "path": list(self.path), "node": self.node.to_json()}


@dataclass(frozen=True)
class SequenceNode:
    nodes: tuple[PlanNode, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))  # a list given by hand becomes a tuple

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Sequence", "nodes": [n.to_json() for n in self.nodes]}


@dataclass(frozen=True)
class ParallelNode:
    nodes: tuple[PlanNode, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))  # a list given by hand becomes a tuple

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Parallel", "nodes": [n.to_json() for n in self.nodes]}


@dataclass(frozen=True)
class ConditionNode:
    """Run ``if_clause`` when the boolean variable ``condition`` is true, else ``else_clause``.

    Lets ``@skip``/``@include`` with a variable cut whole fetches instead of fetching and discarding.
    """

    condition: str
    if_clause: PlanNode | None = None
    else_clause: PlanNode | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Condition", "condition": self.condition}
        if self.if_clause is not None:
            out["ifClause"] = self.if_clause.to_json()
        if self.else_clause is not None:
            out["elseClause"] = self.else_clause.to_json()
        return out


@dataclass(frozen=True)
class EventSourceNode:
    """The events of a broker-fed ``Subscription`` field (``gateway.composition.events``, Cosmo's EDFS).

    ``subjects`` are templates (``"stock.{{ args.sku }}"``) filled from the root field's arguments, which
    ``fetch`` (the operation the event subgraph would answer, never sent) carries with the variables it uses;
    ``response_key`` is where each message, an entity representation, goes in the event's data.
    """

    fetch: FetchNode
    response_key: str
    field_name: str
    subjects: tuple[str, ...]
    provider: str = "nats"
    provider_id: str = "default"
    stream: str | None = None
    consumer: str | None = None

    @property
    def service_name(self) -> str:
        return self.fetch.service_name

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "EventSource",
            "serviceName": self.fetch.service_name,
            "provider": self.provider,
            "providerId": self.provider_id,
            "subjects": list(self.subjects),
            "field": self.field_name,
            "variableUsages": list(self.fetch.variable_usages),
            "operation": self.fetch.operation,
        }
        if self.stream is not None:
            out["streamConfiguration"] = {"streamName": self.stream, "consumerName": self.consumer}
        return out


@dataclass(frozen=True)
class SubscriptionNode:
    """A subscription: ``primary`` opens the event stream, ``rest`` hydrates each event (None: nothing to add)."""

    primary: FetchNode | EventSourceNode
    rest: PlanNode | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Subscription", "primary": self.primary.to_json()}
        if self.rest is not None:
            out["rest"] = self.rest.to_json()
        return out


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode | SubscriptionNode


@dataclass(frozen=True)
class QueryPlan:
    """The plan for one operation. ``node`` is None when the gateway answers alone (introspection only)."""

    node: PlanNode | None
    # The client's document and the operation's name in it (None: its only operation), for response shaping.
    document: DocumentNode | None = field(default=None, compare=False, repr=False)
    operation_name: str | None = None
    # (client response key, the aliases fetches gave that field where its subgraph type differs from the
    # supergraph's, ``id__alias_0``): merged data may hold the value under one of them instead.
    response_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (client response path, type condition) of fragments that contribute nothing there: a member the
    # field's subgraphs cannot all return (planning/members.py, Apollo's rule), so shaping skips them too.
    dropped_fragments: frozenset[tuple[tuple[str, ...], str]] = frozenset()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "QueryPlan"}
        if self.node is not None:
            out["node"] = self.node.to_json()
        return out
