"""GraphQL over WebSocket at ``/graphql``: the ``graphql-transport-ws`` subprotocol (the graphql-ws library's).

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. The client sends
``connection_init`` within ``subscriptions.connection_init_timeout`` (else close ``4408``); its payload
carries the credentials, ``{"Authorization": "Bearer ..."}`` or ``{"headers": {"authorization": ...}}``, checked
with the same JWT rules and rate limit as an HTTP request (``gateway.server.operation_control``; refused:
close ``4403``). ``connection_ack`` follows. Each ``subscribe`` then runs through the same pipeline as an HTTP
request (``Gateway.start``: limits, authorization, demand control): an operation refused before it ran gets
one ``error`` message, a query or mutation one ``next`` and ``complete``, a subscription a ``next`` per event
and ``complete`` at its end. ``complete`` from the client ends its subscription, and leaving (or any close)
ends all of them, so nothing stays open upstream.

Other close codes, as the protocol names them: ``4400`` a message that is not a valid protocol message,
``4401`` ``subscribe`` before ``connection_ack``, ``4406`` a client that did not offer the subprotocol,
``4409`` a ``subscribe`` whose id is in use, ``4429`` a second ``connection_init``. Over
``subscriptions.max_per_connection`` a ``subscribe`` gets an ``error`` with code ``TOO_MANY_SUBSCRIPTIONS`` and
the connection stays. Each ``subscribe`` passes the operation controls again (the token, which may have
expired, the rate limit, persisted queries and safelisting): refused, it gets an ``error`` message with the
HTTP refusal's errors. The server sends ``ping`` every ``subscriptions.keep_alive`` seconds and answers each
``ping`` with ``pong``.

Written here rather than taken from a library: Strawberry's graphql-transport-ws handler (the one Python server
of this protocol we know well-kept) executes a Strawberry schema, while the gateway runs query plans through its
own pipeline; the protocol itself is this module's small state machine over Starlette's WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gateway.server.errors import TOO_MANY_SUBSCRIPTIONS, error_dict
from gateway.server.request import GraphQLRequest, RequestParamsError, request_from_params
from gateway.server.settings import SubscriptionSettings

__all__ = ["ADMISSION_SCOPE_KEY", "GRAPHQL_TRANSPORT_WS", "Admission", "AdmissionRefused", "serve_graphql_ws"]

logger = logging.getLogger("gateway.server")

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
# Where the operation controls put their ``Admission`` in a WebSocket's ASGI scope.
ADMISSION_SCOPE_KEY = "gateway.admission"


class AdmissionRefused(Exception):
    """The credentials of a connection or request were refused (``status`` as HTTP would answer)."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0].get("message") if errors else "refused")
        self.status = status
        self.errors = errors


class Admission(Protocol):
    """What the operation controls check (``gateway.server.operation_control.OperationControl``)."""

    async def admit(self, headers: Mapping[str, str], client: str | None) -> dict[str, str]:
        """On ``connection_init``: the headers the pipeline sees (verified claims written in), or
        ``AdmissionRefused``."""
        ...

    async def admit_operation(
        self, params: Mapping[str, Any], headers: Mapping[str, str], client: str | None
    ) -> dict[str, Any]:
        """On each ``subscribe``: the request parameters to run (a persisted query resolved), or
        ``AdmissionRefused``."""
        ...


class _Open:
    """No operation controls: everyone is admitted as they are."""

    async def admit(self, headers: Mapping[str, str], client: str | None) -> dict[str, str]:
        return dict(headers)

    async def admit_operation(
        self, params: Mapping[str, Any], headers: Mapping[str, str], client: str | None
    ) -> dict[str, Any]:
        return dict(params)


def _init_headers(upgrade: Mapping[str, str], payload: Any) -> dict[str, str]:
    """The upgrade request's headers with the ``connection_init`` payload's credentials over them."""
    headers = {k.lower(): v for k, v in upgrade.items()}
    if isinstance(payload, dict):
        nested = payload.get("headers")
        if isinstance(nested, dict):
            headers.update({str(k).lower(): v for k, v in nested.items() if isinstance(v, str)})
        for key, value in payload.items():
            if key.lower() == "authorization" and isinstance(value, str):
                headers["authorization"] = value
    return headers


class _Connection:
    def __init__(
        self, websocket: WebSocket, gateway: Any, settings: SubscriptionSettings, admission: Admission
    ):
        self.websocket = websocket
        self.gateway = gateway
        self.settings = settings
        self.admission = admission
        self.acknowledged = False
        self.initialised = False
        self.headers: dict[str, str] = {}
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.send_lock = asyncio.Lock()
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        async with self.send_lock:
            try:
                await self.websocket.send_text(orjson.dumps(message).decode())
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)

    async def run(self) -> None:
        init_timer = asyncio.get_running_loop().call_later(
            self.settings.connection_init_timeout,
            lambda: asyncio.ensure_future(self._init_timeout()),
        )
        keep_alive: asyncio.Task[None] | None = None
        try:
            while not self.closed:
                try:
                    frame = await self.websocket.receive()
                except (WebSocketDisconnect, RuntimeError):
                    break
                if frame["type"] == "websocket.disconnect":
                    break
                raw = frame.get("text")
                if raw is None:  # the protocol's messages are text frames
                    await self.close(4400, "Invalid message received")
                    break
                try:
                    message = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    await self.close(4400, "Invalid message received")
                    break
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    await self.close(4400, "Invalid message received")
                    break
                kind = message["type"]
                if kind == "connection_init":
                    if self.initialised:
                        await self.close(4429, "Too many initialisation requests")
                        break
                    self.initialised = True
                    init_timer.cancel()
                    if await self._init(message.get("payload")):
                        if self.settings.keep_alive > 0:
                            keep_alive = asyncio.ensure_future(self._keep_alive())
                elif kind == "ping":
                    await self.send({"type": "pong"})
                elif kind == "pong":
                    pass
                elif kind == "subscribe":
                    await self._subscribe(message)
                elif kind == "complete":
                    operation_id = message.get("id")
                    task = self.operations.pop(operation_id, None) if isinstance(operation_id, str) else None
                    if task is not None:
                        task.cancel()
                else:
                    await self.close(4400, f"Unexpected message of type {kind[:40]}")
                    break
        finally:
            init_timer.cancel()
            if keep_alive is not None:
                keep_alive.cancel()
            tasks = list(self.operations.values())
            self.operations.clear()
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _init_timeout(self) -> None:
        if not self.initialised:
            await self.close(4408, "Connection initialisation timeout")

    async def _keep_alive(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.settings.keep_alive)
            await self.send({"type": "ping"})

    async def _init(self, payload: Any) -> bool:
        if payload is not None and not isinstance(payload, dict):
            await self.close(4400, "Invalid connection_init payload")
            return False
        client = self.websocket.client
        try:
            self.headers = await self.admission.admit(
                _init_headers(self.websocket.headers, payload), client.host if client else None
            )
        except AdmissionRefused:
            await self.close(4403, "Forbidden")
            return False
        self.acknowledged = True
        await self.send({"type": "connection_ack"})
        return True

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            await self.close(4401, "Unauthorized")
            return
        operation_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            await self.close(4400, "Invalid subscribe message")
            return
        if operation_id in self.operations:
            await self.close(4409, f"Subscriber for {operation_id[:64]} already exists")
            return
        client = self.websocket.client
        try:
            params = await self.admission.admit_operation(
                payload, self.headers, client.host if client else None
            )
        except AdmissionRefused as refusal:
            await self.send({"id": operation_id, "type": "error", "payload": refusal.errors})
            return
        try:
            request = request_from_params(params)
        except RequestParamsError as refused:
            await self.send(
                {"id": operation_id, "type": "error", "payload": [error_dict(refused.message, refused.code)]}
            )
            return
        limit = self.settings.max_per_connection
        if limit is not None and len(self.operations) >= limit:
            message_text = f"A connection may hold at most {limit} operations at once."
            error = error_dict(message_text, TOO_MANY_SUBSCRIPTIONS, limit="max_per_connection")
            await self.send({"id": operation_id, "type": "error", "payload": [error]})
            return
        self.operations[operation_id] = asyncio.ensure_future(self._operation(operation_id, request))

    async def _operation(self, operation_id: str, request: GraphQLRequest) -> None:
        stream = None
        completed = True
        try:
            outcome = await self.gateway.start(request, headers=self.headers)
            result = getattr(outcome, "result", None)
            if isinstance(result, dict):
                if outcome.error_kind is not None and "data" not in result:
                    errors = result.get("errors") or [
                        error_dict("The operation failed.", "INTERNAL_SERVER_ERROR")
                    ]
                    await self.send({"id": operation_id, "type": "error", "payload": errors})
                    completed = False  # an error message ends the operation; no complete follows
                    return
                await self.send({"id": operation_id, "type": "next", "payload": result})
                return
            stream = outcome
            async for result in stream:
                await self.send({"id": operation_id, "type": "next", "payload": result})
        except asyncio.CancelledError:
            completed = False  # the client completed it, or left
            raise
        except Exception:
            logger.exception("subscription over WebSocket crashed")
            error = error_dict("Internal server error.", "INTERNAL_SERVER_ERROR")
            await self.send(
                {"id": operation_id, "type": "next", "payload": {"data": None, "errors": [error]}}
            )
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.aclose()
            if self.operations.get(operation_id) is asyncio.current_task():
                del self.operations[operation_id]
            if completed:
                await self.send({"id": operation_id, "type": "complete"})


async def serve_graphql_ws(
    websocket: WebSocket,
    gateway: Any,
    settings: SubscriptionSettings,
    admission: Admission | None = None,
) -> None:
    """Serve one WebSocket connection (see the module docstring)."""
    offered = websocket.scope.get("subprotocols") or []
    if GRAPHQL_TRANSPORT_WS not in offered:
        await websocket.accept()
        await websocket.close(4406, "Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS)
    connection = _Connection(websocket, gateway, settings, admission or _Open())
    try:
        await connection.run()
    finally:
        if websocket.client_state is WebSocketState.CONNECTED and not connection.closed:
            with contextlib.suppress(Exception):
                await websocket.close(1000)
