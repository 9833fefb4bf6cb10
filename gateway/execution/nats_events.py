"""Events of event-driven subscription fields, read by the gateway straight from NATS (nats-py).

As in Cosmo's event-driven federated subscriptions: a field declared ``@edfs__natsSubscribe(subjects:,
providerId:)`` (``gateway.composition.events``) streams the messages published on its subjects, each a JSON
entity representation (``{"__typename": "Product", "id": "7"}``) that the executor hydrates through
``_entities``. Subjects may be templated with the field's arguments: ``"stock.{{ args.sku }}"``.

Where the messages come from: with ``streamConfiguration`` the named JetStream stream; otherwise the stream
that captures the subject, if any (``find_stream_name_by_subject``); otherwise core NATS. JetStream is read
through an ordered ephemeral consumer that starts at the next message (``DeliverPolicy.NEW``): like every
subscription here, a subscriber gets the events published after it subscribed, never a replay; the consumer
goes away with the subscription, so nothing is left on the server. A message that is not a JSON object is
logged and skipped; it does not end the subscription.

``providers`` maps each ``providerId`` to its NATS servers (``"default"`` -> ``NATS_URL``); one connection per
provider, opened on first use and closed by :meth:`NatsEventSource.aclose`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from .graphql_over_http import SubgraphFetchError

__all__ = ["NatsEventSource", "render_subject"]

logger = logging.getLogger(__name__)

_TEMPLATE = re.compile(r"\{\{\s*args\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Characters a NATS subject token may not hold (whitespace, wildcards, the separator).
_UNSAFE = re.compile(r"[\s.*>]")


def render_subject(template: str, arguments: Mapping[str, Any]) -> str:
    """``template`` with every ``{{ args.name }}`` replaced by that argument's value.

    A value that would change the subject's shape (a ``.``, ``*``, ``>`` or whitespace) is refused with
    ``ValueError``: a client must not widen its subscription to other subjects."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in arguments or arguments[name] is None:
            raise ValueError(f"the subject needs argument '{name}'")
        raw = arguments[name]
        text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
        if not text or _UNSAFE.search(text):
            raise ValueError(f"argument '{name}' cannot be used in a subject")
        return text

    return _TEMPLATE.sub(value, template)


class NatsEventSource:
    """Subscribes to NATS subjects for event-driven fields; ``subscribe`` yields each message as a dict."""

    def __init__(self, providers: Mapping[str, str | Sequence[str]] | None = None) -> None:
        self.providers = dict(providers or {"default": "nats://127.0.0.1:4222"})
        self._connections: dict[str, NATS] = {}
        self._connecting: dict[str, asyncio.Lock] = {}
        self.open = 0  # NATS subscriptions open now (for tests and metrics)

    async def _connection(self, service: str, provider_id: str) -> NATS:
        connection = self._connections.get(provider_id)
        if connection is not None and connection.is_connected:
            return connection
        lock = self._connecting.setdefault(provider_id, asyncio.Lock())
        async with lock:
            connection = self._connections.get(provider_id)
            if connection is not None and connection.is_connected:
                return connection
            servers = self.providers.get(provider_id)
            if servers is None:
                raise SubgraphFetchError(
                    service, "SUBGRAPH_UNKNOWN", f'No event provider "{provider_id}" is configured'
                )
            connection = NATS()
            try:
                await connection.connect(
                    servers=[servers] if isinstance(servers, str) else list(servers),
                    connect_timeout=3,
                    max_reconnect_attempts=-1,
                    allow_reconnect=True,
                    name="gateway-events",
                )
            except Exception:
                raise SubgraphFetchError(
                    service, "SUBGRAPH_UNREACHABLE", f'The event provider of "{service}" is unreachable'
                ) from None
            self._connections[provider_id] = connection
            return connection

    async def subscribe(
        self,
        service: str,
        provider_id: str,
        subjects: Sequence[str],
        stream: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The messages published on ``subjects`` from now on, decoded."""
        nc = await self._connection(service, provider_id)
        js = nc.jetstream()
        queue: asyncio.Queue[Msg] = asyncio.Queue()

        async def deliver(msg: Msg) -> None:
            queue.put_nowait(msg)

        subscriptions: list[Any] = []
        try:
            for subject in subjects:
                name = stream
                if name is None:
                    try:
                        name = await js.find_stream_name_by_subject(subject)
                    except NotFoundError:
                        name = None
                    except Exception:  # JetStream off on this server: core NATS still delivers
                        name = None
                if name is None:
                    subscriptions.append(await nc.subscribe(subject, cb=deliver))
                else:
                    subscriptions.append(
                        await js.subscribe(
                            subject,
                            stream=name,
                            cb=deliver,
                            ordered_consumer=True,
                            deliver_policy=DeliverPolicy.NEW,
                        )
                    )
            self.open += len(subscriptions)
            while True:
                msg = await queue.get()
                try:
                    event = orjson.loads(msg.data)
                except orjson.JSONDecodeError:
                    event = None
                if not isinstance(event, dict):
                    logger.warning("skipped an event on %s that is not a JSON object", msg.subject)
                    continue
                yield event
        finally:
            self.open -= len(subscriptions)
            for subscription in subscriptions:
                consumer = None
                if hasattr(subscription, "consumer_info"):
                    try:
                        consumer = await subscription.consumer_info()
                    except Exception:
                        consumer = None
                try:
                    await subscription.unsubscribe()
                    if consumer is not None:
                        # An ephemeral consumer would linger until its inactivity threshold: delete it now.
                        await js.delete_consumer(consumer.stream_name, consumer.name)
                except Exception:  # the connection is gone: nothing is left to unsubscribe
                    pass

    async def aclose(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            try:
                await connection.drain()
            except Exception:
                await connection.close()
