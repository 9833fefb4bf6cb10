"""A small GraphQL over WebSocket client (the graphql-transport-ws protocol) on aiohttp, for tests and benchmarks.

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. The npm ``graphql-ws`` client is the
reference and is what the end-to-end tests use; this one exists because a benchmark must hold a thousand
connections from one process, and service tests want to look at each message (``error`` versus ``next``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["Message", "Operation", "TransportWs", "connect"]

PROTOCOL = "graphql-transport-ws"


@dataclass
class Message:
    """One server message of an operation, with the client's monotonic receipt time."""

    type: str  # next | error | complete
    payload: Any
    received: float


@dataclass
class Operation:
    id: str
    messages: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)

    async def next(self, within: float = 30.0) -> Message:
        return await asyncio.wait_for(self.messages.get(), within)

    async def collect(self, until: str = "complete", within: float = 30.0) -> list[Message]:
        """Messages up to and including the first of type ``until`` (or an ``error``)."""
        found = []
        while True:
            message = await self.next(within)
            found.append(message)
            if message.type in (until, "error"):
                return found


class TransportWs:
    """One open connection, acknowledged; operations are multiplexed on it by id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.operations: dict[str, Operation] = {}
        self.closed: tuple[int | None, str] | None = None
        self._ids = 0
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, extensions: dict[str, Any] | None = None
    ) -> Operation:
        self._ids += 1
        operation = Operation(str(self._ids))
        self.operations[operation.id] = operation
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if extensions:
            payload["extensions"] = extensions
        await self.ws.send_str(json.dumps({"id": operation.id, "type": "subscribe", "payload": payload}))
        return operation

    async def complete(self, operation: Operation) -> None:
        await self.ws.send_str(json.dumps({"id": operation.id, "type": "complete"}))
        self.operations.pop(operation.id, None)

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        async for raw in self.ws:
            if raw.type is not aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(raw.data)
            kind = message.get("type")
            if kind == "ping":
                await self.ws.send_str(json.dumps({"type": "pong"}))
                continue
            operation = self.operations.get(message.get("id", ""))
            if operation is not None and kind in ("next", "error", "complete"):
                operation.messages.put_nowait(Message(kind, message.get("payload"), time.monotonic()))
        self.closed = (self.ws.close_code, str(self.ws.exception() or ""))
        for operation in self.operations.values():
            operation.messages.put_nowait(Message("closed", self.closed, time.monotonic()))


@asynccontextmanager
async def connect(
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
    within: float = 10.0,
) -> AsyncIterator[TransportWs]:
    """An acknowledged connection to ``url`` (``http://`` or ``ws://``); closed when the block ends."""
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        ws = await session.ws_connect(
            url.replace("http://", "ws://", 1).replace("https://", "wss://", 1),
            protocols=(PROTOCOL,),
            headers=headers,
            timeout=aiohttp.ClientWSTimeout(ws_close=within),
            heartbeat=None,
        )
        await ws.send_str(json.dumps({"type": "connection_init", "payload": payload or {}}))
        ack = await ws.receive(timeout=within)
        if ack.type is not aiohttp.WSMsgType.TEXT or json.loads(ack.data).get("type") != "connection_ack":
            raise ConnectionError(f"no connection_ack: {ack.type} {ack.data!r} {ws.close_code}")
        client = TransportWs(ws)
        client.start()
        try:
            yield client
        finally:
            await client.close()
    finally:
        if own:
            await session.close()
