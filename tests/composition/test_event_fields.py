"""Event-driven subscription fields (``@edfs__natsSubscribe``): composed, printed as ``@join__directive`` (join
v0.5), read back, and accepted by Apollo's supergraph loader."""

from __future__ import annotations

from graphql import print_schema

from gateway.composition.compose import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import EventSource

from .support import Oracle, apollo_load

PRODUCTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { product(id: ID!): Product }
type Product @key(fields: "id") { id: ID! name: String! }
"""

DIRECTIVE = """
directive @edfs__natsSubscribe(
  subjects: [String!]!, providerId: String! = "default", streamConfiguration: edfs__NatsStreamConfiguration
) on FIELD_DEFINITION
input edfs__NatsStreamConfiguration {
  consumerName: String!
  streamName: String!
  consumerInactiveThreshold: Int! = 30
}
"""

EVENTS = (
    """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external"])
"""
    + DIRECTIVE
    + """
type Subscription {
  stockLow(threshold: Int!): Product! @edfs__natsSubscribe(subjects: ["stock.low.{{ args.threshold }}"])
  restocked: Product! @edfs__natsSubscribe(
    subjects: ["stock.restocked", "stock.returned"], providerId: "inventory"
    streamConfiguration: {consumerName: "gw", streamName: "STOCK"}
  )
}
type Product @key(fields: "id", resolvable: false) { id: ID! @external }
"""
)


def composed(events: str = EVENTS) -> tuple[str | None, list[str]]:
    result = compose(
        [
            SubgraphSource("products", "http://products/graphql", PRODUCTS),
            SubgraphSource("events", "", events),
        ]
    )
    return result.supergraph_sdl, [f"{e.code}: {e.message}" for e in result.errors]


def test_event_fields_compose_into_join_directives() -> None:
    sdl, errors = composed()
    assert errors == []
    assert sdl is not None
    assert '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)' in sdl
    assert (
        '@join__directive(graphs: [EVENTS], name: "edfs__natsSubscribe", args: '
        '{subjects: ["stock.low.{{ args.threshold }}"], providerId: "default"})'
    ) in sdl
    assert "edfs__NatsStreamConfiguration" not in sdl  # the directive's machinery stays in the subgraph
    assert 'EVENTS @join__graph(name: "events", url: "")' in sdl


def test_the_supergraph_reads_back_with_its_event_sources() -> None:
    sdl, _ = composed()
    assert sdl is not None
    supergraph = read_supergraph(sdl)
    assert supergraph.field("Subscription", "stockLow").event_source == EventSource(
        "events", ("stock.low.{{ args.threshold }}",)
    )
    assert supergraph.field("Subscription", "restocked").event_source == EventSource(
        "events", ("stock.restocked", "stock.returned"), "inventory", "nats", "STOCK", "gw", 30
    )
    api = print_schema(supergraph.api_schema)
    assert "stockLow(threshold: Int!): Product!" in api
    assert "edfs" not in api and "join__" not in api


def test_apollo_loads_the_supergraph(apollo: Oracle) -> None:
    sdl, _ = composed()
    assert sdl is not None
    loaded = apollo_load(sdl)
    assert loaded["ok"], loaded["error"]
    assert "stockLow(threshold: Int!): Product!" in loaded["apiSchema"]
    assert sorted(loaded["subgraphs"]) == ["events", "products"]


def test_a_directive_without_subjects_is_refused() -> None:
    bad = EVENTS.replace('subjects: ["stock.low.{{ args.threshold }}"]', "subjects: []")
    _, errors = composed(bad)
    assert any(e.startswith("INVALID_EVENT_DIRECTIVE") and "stockLow" in e for e in errors)


def test_an_event_directive_belongs_on_a_subscription_field() -> None:
    bad = (
        """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external"])
"""
        + DIRECTIVE
        + """
type Query { low: Product @edfs__natsSubscribe(subjects: ["x"]) }
type Product @key(fields: "id", resolvable: false) { id: ID! @external }
"""
    )
    _, errors = composed(bad)
    assert any(e.startswith("INVALID_EVENT_DIRECTIVE") and "Query.low" in e for e in errors)
