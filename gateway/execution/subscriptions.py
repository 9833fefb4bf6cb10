"""Where subscription events come from: subgraph subscriptions and broker subjects, shared between clients.

Like the subgraph client for fetches, this is I/O the executor only calls: ``subgraph_stream`` opens (or
joins) a subgraph's own subscription over graphql-transport-ws (``gateway.execution.graphql_ws_client``),
``event_stream`` the subjects of an event-driven field (``gateway.execution.nats_events``). Identical
streams are read once (``gateway.execution.sharing``: same subgraph, URL, operation, variables and forwarded
headers, which carry the auth context; or same provider, subjects and stream); a late subscriber gets the
events from when it joins, with no replay. Tests give any object with the same ``subscribe`` methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import orjson

from .graphql_over_http import SubgraphFetchError, SubgraphRequest, SubgraphResponse
from .graphql_ws_client import WebSocketSubgraphSubscriber
from .sharing import SharedStreams

__all__ = ["EventSubscriber", "SubgraphSubscriber", "SubscriptionSources"]


class SubgraphSubscriber(Protocol):
    """Opens one subscription on a subgraph (``WebSocketSubgraphSubscriber``)."""

    def subscribe(
        self, subgraph: str, url: str, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]: ...


class EventSubscriber(Protocol):
    """Reads broker subjects (``NatsEventSource``)."""

    def subscribe(
        self, service: str, provider_id: str, subjects: Sequence[str], stream: str | None = None
    ) -> AsyncIterator[dict[str, Any]]: ...


class SubscriptionSources:
    """The process's subscription transports, with upstream sharing (``share=False`` opens one per client)."""

    def __init__(
        self,
        subscriber: SubgraphSubscriber | None = None,
        events: EventSubscriber | None = None,
        *,
        share: bool = True,
        max_pending: int = 1000,
    ) -> None:
        self.subscriber: SubgraphSubscriber = subscriber or WebSocketSubgraphSubscriber()
        self.events = events
        self.share = share
        self.shared: SharedStreams[tuple[Any, ...], Any] = SharedStreams(max_pending=max_pending)

    def __len__(self) -> int:
        """Shared upstream streams open now."""
        return len(self.shared)

    def subgraph_stream(
        self, subgraph: str, url: str, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]:
        if not url:
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_UNKNOWN", f'No URL is configured for subgraph "{subgraph}"'
            )
        if not self.share:
            return self.subscriber.subscribe(subgraph, url, request)
        key = (
            "subgraph",
            subgraph,
            url,
            request.query,
            request.operation_name,
            orjson.dumps(request.variables or {}, option=orjson.OPT_SORT_KEYS),
            tuple(sorted((request.headers or {}).items())),
        )
        return self.shared.stream(key, lambda: self.subscriber.subscribe(subgraph, url, request))

    def event_stream(
        self, service: str, provider_id: str, subjects: Sequence[str], stream: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        events = self.events
        if events is None:
            raise SubgraphFetchError(service, "SUBGRAPH_UNKNOWN", "No event provider is configured")
        if not self.share:
            return events.subscribe(service, provider_id, subjects, stream)
        key = ("events", provider_id, tuple(subjects), stream)
        return self.shared.stream(key, lambda: events.subscribe(service, provider_id, subjects, stream))

    async def aclose(self) -> None:
        close = getattr(self.events, "aclose", None)
        if close is not None:
            await close()
