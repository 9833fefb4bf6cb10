"""Subgraph subscriptions over GraphQL over WebSocket (``graphql-transport-ws``), the gateway's upstream client.

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md (``connection_init`` ->
``connection_ack``, ``subscribe``, then ``next``/``error``/``complete``; ``ping`` is answered with ``pong``).
Strawberry serves it on the subgraph's GraphQL path.

The transport is the ``websockets`` library rather than aiohttp's WebSocket client: it is the asyncio
reference implementation of RFC 6455 (tested against the Autobahn suite), answers pings and bounds the closing
handshake itself, and is already installed as uvicorn's WebSocket server. One connection carries one
subscription: identical subscriptions share it (``gateway.execution.sharing``), so connections grow with
distinct upstream operations, not with clients.

The protocol is written here rather than taken from ``gql``'s WebSocket transport: gql parses and prints every
document with graphql-core and manages connections by its own rules (reconnects, one shared connection), while
the gateway already holds the operation text and must close each upstream exactly when its last subscriber
leaves; the client side of the protocol is one handshake and one message loop.

The request's headers (the header policy's choice, the verified claims among them) travel on the upgrade
request, as on an HTTP fetch, and again in ``connection_init``'s ``payload.headers`` for servers that read
them there. A subgraph that cannot be reached, refuses the handshake or breaks the protocol ends the stream
with :class:`SubgraphFetchError` (a safe message and a code, like an HTTP fetch).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from .graphql_over_http import SubgraphFetchError, SubgraphRequest, SubgraphResponse

__all__ = ["GRAPHQL_TRANSPORT_WS", "WebSocketSubgraphSubscriber", "websocket_url"]

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
_HOP_HEADERS = frozenset({"content-type", "accept", "content-length", "host", "connection", "upgrade"})


def websocket_url(url: str) -> str:
    """``http(s)://`` -> ``ws(s)://`` (a subgraph is configured by its HTTP URL)."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


class WebSocketSubgraphSubscriber:
    """Opens subgraph subscriptions: ``subscribe(subgraph, url, request)`` yields each ``next`` payload.

    ``connect_timeout`` bounds the TCP connect, the upgrade and the wait for ``connection_ack``;
    ``ping_interval`` keeps idle connections alive through proxies (WebSocket pings, answered by the server).
    """

    def __init__(self, *, connect_timeout: float = 5.0, ping_interval: float | None = 20.0) -> None:
        self.connect_timeout = connect_timeout
        self.ping_interval = ping_interval
        self._ids = itertools.count(1)
        self.opened = 0  # upstream subscriptions opened so far (for tests and metrics)
        self.open = 0  # upstream subscriptions open now

    async def subscribe(
        self, subgraph: str, url: str, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]:
        headers = {k: v for k, v in (request.headers or {}).items() if k.lower() not in _HOP_HEADERS}
        try:
            connection = await asyncio.wait_for(
                connect(
                    websocket_url(url),
                    subprotocols=[Subprotocol(GRAPHQL_TRANSPORT_WS)],
                    additional_headers=headers,
                    open_timeout=None,
                    ping_interval=self.ping_interval,
                    max_size=16 * 1024 * 1024,
                ),
                self.connect_timeout,
            )
        except TimeoutError:
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_TIMEOUT", f'Subgraph "{subgraph}" did not accept a WebSocket in time'
            ) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_UNREACHABLE",
                f'Subgraph "{subgraph}" refused a subscription connection: {type(exc).__name__}',
            ) from None
        self.opened += 1
        self.open += 1
        try:
            async for response in self._run(subgraph, connection, request, headers):
                yield response
        finally:
            self.open -= 1
            await connection.close()

    async def _run(
        self,
        subgraph: str,
        ws: ClientConnection,
        request: SubgraphRequest,
        headers: Mapping[str, str],
    ) -> AsyncIterator[SubgraphResponse]:
        if ws.subprotocol != GRAPHQL_TRANSPORT_WS:
            raise _protocol_error(subgraph, "did not accept the graphql-transport-ws subprotocol")
        try:
            await ws.send(_encode({"type": "connection_init", "payload": {"headers": dict(headers)}}))
            async with asyncio.timeout(self.connect_timeout):
                while True:
                    message = _decode(subgraph, await ws.recv())
                    if message.get("type") == "connection_ack":
                        break
                    if message.get("type") == "ping":
                        await ws.send(_encode({"type": "pong"}))
                    elif message.get("type") != "pong":
                        raise _protocol_error(subgraph, f"sent {message.get('type')!r} before connection_ack")
        except TimeoutError:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_TIMEOUT",
                f'Subgraph "{subgraph}" did not acknowledge the connection in time',
            ) from None
        except ConnectionClosed as closed:
            raise _closed(subgraph, closed) from None
        operation_id = str(next(self._ids))
        payload: dict[str, Any] = {"query": request.query}
        if request.variables:
            payload["variables"] = dict(request.variables)
        if request.operation_name:
            payload["operationName"] = request.operation_name
        completed = False
        try:
            await ws.send(_encode({"id": operation_id, "type": "subscribe", "payload": payload}))
            while True:
                message = _decode(subgraph, await ws.recv())
                kind = message.get("type")
                if kind == "ping":
                    await ws.send(_encode({"type": "pong"}))
                    continue
                if kind == "pong" or message.get("id") != operation_id:
                    continue
                if kind == "next":
                    body = message.get("payload")
                    if not isinstance(body, dict):
                        raise _protocol_error(subgraph, "sent a next message without a result")
                    data, errors = body.get("data"), body.get("errors")
                    yield SubgraphResponse(
                        data if isinstance(data, dict) else None,
                        [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else None,
                    )
                elif kind == "error":
                    completed = True
                    errors = message.get("payload")
                    items = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
                    yield SubgraphResponse(None, items or [{"message": "Subscription refused"}])
                    return
                elif kind == "complete":
                    completed = True
                    return
        except ConnectionClosed as closed:
            completed = True
            raise _closed(subgraph, closed) from None
        finally:
            if not completed:
                # The client went away (or the gateway stops): tell the subgraph before closing.
                try:
                    await asyncio.wait_for(ws.send(_encode({"id": operation_id, "type": "complete"})), 1.0)
                except (ConnectionClosed, TimeoutError, OSError):
                    pass


def _encode(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def _decode(subgraph: str, raw: str | bytes) -> dict[str, Any]:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _protocol_error(subgraph, "sent a message that is not JSON") from None
    if not isinstance(message, dict):
        raise _protocol_error(subgraph, "sent a message that is not a JSON object")
    return message


def _protocol_error(subgraph: str, what: str) -> SubgraphFetchError:
    return SubgraphFetchError(
        subgraph, "SUBGRAPH_INVALID_RESPONSE", f'Subgraph "{subgraph}" {what} (graphql-transport-ws)'
    )


def _closed(subgraph: str, closed: ConnectionClosed) -> SubgraphFetchError:
    code = closed.rcvd.code if closed.rcvd is not None else None
    return SubgraphFetchError(
        subgraph,
        "SUBGRAPH_UNREACHABLE",
        f'Subgraph "{subgraph}" closed the subscription connection'
        + (f" (close code {code})" if code is not None else ""),
    )
