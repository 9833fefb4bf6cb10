"""Event-driven subscription fields: ``@edfs__natsSubscribe`` in a subgraph SDL, ``@join__directive`` in the
supergraph.

Follows Cosmo's event-driven federated subscriptions (EDFS): a subgraph without a URL declares
``Subscription`` fields fed by NATS subjects,

```graphql
directive @edfs__natsSubscribe(subjects: [String!]!, providerId: String! = "default",
  streamConfiguration: edfs__NatsStreamConfiguration) on FIELD_DEFINITION
input edfs__NatsStreamConfiguration { consumerName: String! streamName: String!
  consumerInactiveThreshold: Int! = 30 }
type Subscription { stockLow(threshold: Int!): Product! @edfs__natsSubscribe(subjects: ["stock.low"]) }
type Product @key(fields: "id", resolvable: false) { id: ID! @external }
```

and each message is an entity's ``__typename`` and key (``{"__typename": "Product", "id": "7"}``). The
``edfs__`` definitions are the directive's own machinery: they never reach the supergraph's types. The fact
travels in the supergraph as join v0.5's ``@join__directive(graphs: [EVENTS], name: "edfs__natsSubscribe",
args: {...})`` on the field (https://specs.apollo.dev/join/v0.5), which Apollo's tools keep as an opaque
directive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql.language.print_string import print_string

from gateway.composition.supergraph import EventSource

__all__ = [
    "EDFS_PREFIX",
    "NATS_SUBSCRIBE",
    "event_source_from_args",
    "print_join_directive",
]

EDFS_PREFIX = "edfs__"
NATS_SUBSCRIBE = "edfs__natsSubscribe"


def event_source_from_args(graph: str, args: Mapping[str, Any]) -> EventSource | str:
    """The event source an ``@edfs__natsSubscribe`` application names, or why it names none."""
    subjects = args.get("subjects")
    if isinstance(subjects, str):
        subjects = [subjects]
    if not isinstance(subjects, list) or not subjects or not all(isinstance(s, str) and s for s in subjects):
        return "subjects must be a non-empty list of subject strings"
    provider_id = args.get("providerId", "default")
    if not isinstance(provider_id, str) or not provider_id:
        return "providerId must be a non-empty string"
    stream = consumer = None
    threshold = 30
    config = args.get("streamConfiguration")
    if config is not None:
        if not isinstance(config, dict):
            return "streamConfiguration must be an input object"
        stream, consumer = config.get("streamName"), config.get("consumerName")
        if not isinstance(stream, str) or not isinstance(consumer, str) or not stream or not consumer:
            return "streamConfiguration needs streamName and consumerName strings"
        raw = config.get("consumerInactiveThreshold", 30)
        if not isinstance(raw, int) or raw < 0:
            return "consumerInactiveThreshold must be a non-negative integer"
        threshold = raw
    return EventSource(graph, tuple(subjects), provider_id, "nats", stream, consumer, threshold)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return print_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"


def print_join_directive(source: EventSource, enum_value: str) -> str:
    """``@join__directive(graphs: [EVENTS], name: "edfs__natsSubscribe", args: {...})`` for ``source``."""
    args: dict[str, Any] = {"subjects": list(source.subjects), "providerId": source.provider_id}
    if source.stream is not None:
        args["streamConfiguration"] = {
            "consumerName": source.consumer,
            "streamName": source.stream,
            "consumerInactiveThreshold": source.consumer_inactive_threshold,
        }
    return f"@join__directive(graphs: [{enum_value}], name: {print_string(NATS_SUBSCRIBE)}, args: {_value(args)})"
