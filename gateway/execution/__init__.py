"""Execution: query plan -> GraphQL response, through the subgraph client (the gateway's only I/O); a
subscription's events through its subscription sources (subgraph WebSockets, NATS)."""

from __future__ import annotations

from .client import (
    AiohttpSubgraphClient,
    HeaderPolicy,
    HttpxSubgraphClient,
    SubgraphClient,
    SubgraphFetchError,
    SubgraphRequest,
    SubgraphResponse,
)
from .executor import SUBGRAPH_REQUEST_FAILED, Executor
from .graphql_ws_client import WebSocketSubgraphSubscriber
from .masking import ErrorMasking
from .nats_events import NatsEventSource
from .subscriptions import SubscriptionSources

__all__ = [
    "SUBGRAPH_REQUEST_FAILED",
    "AiohttpSubgraphClient",
    "ErrorMasking",
    "Executor",
    "HeaderPolicy",
    "HttpxSubgraphClient",
    "NatsEventSource",
    "SubgraphClient",
    "SubgraphFetchError",
    "SubgraphRequest",
    "SubgraphResponse",
    "SubscriptionSources",
    "WebSocketSubgraphSubscriber",
]
