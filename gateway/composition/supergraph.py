"""The supergraph model: the client-facing API schema plus the join-spec facts that planning needs.

This is the contract between composition (which builds it from subgraph SDLs, or reads it from a supergraph
SDL in the Apollo join-spec format) and planning (which only ever reads it). Every fact is explicit here: where
the join spec leaves something implicit (a field without ``@join__field`` is resolvable by every subgraph that
declares its type), the builders fill it in, so the planner never needs to know the SDL conventions.

See https://specs.apollo.dev/join/v0.5 for the directive each class mirrors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from graphql import GraphQLSchema

__all__ = [
    "Demands",
    "EventSource",
    "FieldInSubgraph",
    "Key",
    "ListSize",
    "Subgraph",
    "Supergraph",
    "SupergraphField",
    "SupergraphType",
    "TypeInSubgraph",
    "TypeKind",
]


class TypeKind(StrEnum):
    OBJECT = "object"
    INTERFACE = "interface"
    UNION = "union"
    ENUM = "enum"
    INPUT_OBJECT = "input_object"
    SCALAR = "scalar"


@dataclass(frozen=True)
class Subgraph:
    """One ``join__Graph`` enum value: ``USERS @join__graph(name: "users", url: "http://...")``."""

    name: str
    url: str
    enum_value: str


@dataclass(frozen=True)
class Key:
    """One ``@key`` of an entity in one subgraph (``@join__type(graph:, key:, resolvable:)``).

    ``fields`` is the field-set text exactly as the subgraph wrote it, e.g. ``"id"`` or
    ``"id organization { id }"``.
    """

    fields: str
    resolvable: bool = True


@dataclass(frozen=True)
class ListSize:
    """``@listSize`` (cost spec v0.1): how big a list field's result is assumed to be for demand control."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


@dataclass
class Demands:
    """Authorization and cost facts of a type or field, merged over the subgraphs as composition merges them.

    ``requires_scopes`` and ``policies`` are ``[[...]]`` lists: the outer list is OR, each inner list AND
    (https://specs.apollo.dev/requiresScopes/v0.1, https://specs.apollo.dev/policy/v0.1). ``cost`` is
    ``@cost(weight:)`` and ``list_size`` ``@listSize`` (https://specs.apollo.dev/cost/v0.1).
    """

    authenticated: bool = False
    requires_scopes: tuple[tuple[str, ...], ...] = ()
    policies: tuple[tuple[str, ...], ...] = ()
    cost: int | None = None
    list_size: ListSize | None = None


@dataclass
class TypeInSubgraph:
    """What one subgraph declares about a type (the ``@join__type`` applications for that graph)."""

    graph: str
    keys: list[Key] = field(default_factory=list)
    extension: bool = False
    is_interface_object: bool = False


@dataclass(frozen=True)
class EventSource:
    """A ``Subscription`` field fed by a message broker instead of a subgraph (Cosmo's event-driven federated
    subscriptions: ``@edfs__natsSubscribe(subjects:, providerId:, streamConfiguration:)`` in an SDL whose
    subgraph has no URL). Each message is an entity's ``__typename`` and key, which the gateway hydrates.

    ``subjects`` may hold ``{{ args.name }}`` templates filled from the field's arguments. ``stream`` and
    ``consumer`` are the JetStream stream and durable consumer name (``streamConfiguration``); without them the
    gateway reads the subjects from whichever stream captures them (or from core NATS when none does).
    """

    graph: str
    subjects: tuple[str, ...]
    provider_id: str = "default"
    provider: str = "nats"
    stream: str | None = None
    consumer: str | None = None
    consumer_inactive_threshold: int = 30


@dataclass
class FieldInSubgraph:
    """What one subgraph declares about a field (one ``@join__field`` application, made explicit).

    ``type`` is the field's type in that subgraph as SDL text (``"String!"``), which may differ from the
    supergraph's in nullability. ``external`` means the subgraph mentions the field but does not resolve it
    (except where a ``@provides`` on the path says it comes along). ``requires``/``provides`` are field-set
    texts. ``override`` names the subgraph this one took the field from; with ``override_label`` the
    takeover is progressive (``"percent(25)"`` or a custom label). ``used_overridden`` marks the losing side of
    an override that is still needed for keys or requires. ``shareable`` is kept for printing and checks.
    """

    graph: str
    type: str
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    shareable: bool = False


class _DemandFacts:
    """The authorization and cost facts of a type or field, read from its ``demands``."""

    demands: Demands

    @property
    def authenticated(self) -> bool:
        return self.demands.authenticated

    @property
    def requires_scopes(self) -> tuple[tuple[str, ...], ...]:
        return self.demands.requires_scopes

    @property
    def policies(self) -> tuple[tuple[str, ...], ...]:
        return self.demands.policies

    @property
    def cost(self) -> int | None:
        return self.demands.cost


@dataclass
class SupergraphField(_DemandFacts):
    """A field of a composite type, with every subgraph that declares it (resolving or external)."""

    name: str
    type: str
    subgraphs: dict[str, FieldInSubgraph] = field(default_factory=dict)
    inaccessible: bool = False
    demands: Demands = field(default_factory=Demands)
    # Set on a Subscription field whose events come from a broker (``@edfs__natsSubscribe``).
    event_source: EventSource | None = None

    @property
    def list_size(self) -> ListSize | None:
        return self.demands.list_size

    def resolvable_in(self) -> list[str]:
        """The subgraphs that resolve this field themselves, wherever it is selected from."""
        return [g for g, f in self.subgraphs.items() if not f.external and not f.used_overridden]


@dataclass
class SupergraphType(_DemandFacts):
    """A named type of the supergraph and the subgraphs that know it.

    For object types and interfaces ``fields`` lists every field; ``implements`` maps each interface to the
    subgraphs where this type implements it (``@join__implements``); for unions ``union_members`` maps each
    member to the subgraphs that include it (``@join__unionMember``); for enums ``enum_values`` maps each value
    to the subgraphs that know it (``@join__enumValue``). Input types keep their fields in ``fields`` too.
    """

    name: str
    kind: TypeKind
    subgraphs: dict[str, TypeInSubgraph] = field(default_factory=dict)
    fields: dict[str, SupergraphField] = field(default_factory=dict)
    implements: dict[str, set[str]] = field(default_factory=dict)
    union_members: dict[str, set[str]] = field(default_factory=dict)
    enum_values: dict[str, set[str]] = field(default_factory=dict)
    inaccessible: bool = False
    demands: Demands = field(default_factory=Demands)

    def keys(self, graph: str) -> list[Key]:
        t = self.subgraphs.get(graph)
        return t.keys if t else []

    def is_entity(self) -> bool:
        return any(t.keys for t in self.subgraphs.values())


@dataclass
class Supergraph:
    """The composed supergraph.

    ``schema`` is the full supergraph schema without the join/link machinery (``@inaccessible`` elements still
    present), ``api_schema`` is what clients see and validate against (``@inaccessible`` elements removed).
    ``root_types`` maps ``"query"``/``"mutation"``/``"subscription"`` to the supergraph's root type names;
    ``subgraph_root_types`` gives, per subgraph, the same map in the subgraph's own names (a subgraph may
    call its query root ``RootQuery``; the supergraph normalises it to ``Query``).
    """

    subgraphs: dict[str, Subgraph]
    types: dict[str, SupergraphType]
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    root_types: dict[str, str] = field(default_factory=dict)
    subgraph_root_types: dict[str, dict[str, str]] = field(default_factory=dict)

    def type(self, name: str) -> SupergraphType:
        return self.types[name]

    def field(self, type_name: str, field_name: str) -> SupergraphField:
        return self.types[type_name].fields[field_name]

    def subgraph_by_enum(self, enum_value: str) -> Subgraph:
        for s in self.subgraphs.values():
            if s.enum_value == enum_value:
                return s
        raise KeyError(enum_value)
