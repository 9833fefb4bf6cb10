"""GraphQL over Server-Sent Events at ``/graphql`` (graphql-sse's distinct connections mode), and Apollo's
multipart subscriptions.

SSE (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md, "Distinct connections mode"): a GET or
POST whose ``Accept`` names ``text/event-stream`` gets a ``text/event-stream`` response with one
``event: next`` per result and ``event: complete`` at the end; the client closing the connection ends the
subscription. A comment line (``:``) every ``subscriptions.keep_alive`` seconds keeps proxies from timing the
stream out. Queries and mutations get one ``next`` then ``complete``. A request refused before it ran is
answered as GraphQL over HTTP answers it (a JSON body with its 4xx status), as graphql-sse's own server does.

Multipart (https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol):
``Accept: multipart/mixed; subscriptionSpec="1.0"`` gets ``multipart/mixed; boundary="graphql";
subscriptionSpec="1.0"`` parts, each ``{"payload": <result>}``, heartbeats ``{}`` every keep-alive interval,
closed by ``--graphql--``.

Written on Starlette's ``StreamingResponse``: no Python library serves these protocols for an engine other than
its own schema, and both are a framing of results (``event: next``, multipart parts) over one response.

Authentication, rate limits and persisted queries apply as to any HTTP request to ``/graphql``
(``gateway.server.operation_control`` wraps this route).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.server.errors import INTERNAL_SERVER_ERROR, error_dict
from gateway.server.request import GraphQLRequest
from gateway.server.settings import SubscriptionSettings
from gateway.server.subscription_stream import stop_reading

__all__ = ["EVENT_STREAM", "MULTIPART_MIXED", "streaming_kind", "streaming_response"]

logger = logging.getLogger("gateway.server")

EVENT_STREAM = "text/event-stream"
MULTIPART_MIXED = "multipart/mixed"
_BOUNDARY = "graphql"


def streaming_kind(accept: str | None) -> str | None:
    """``"sse"`` or ``"multipart"`` when the ``Accept`` header asks for a stream, else None."""
    if not accept:
        return None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if media == EVENT_STREAM:
            return "sse"
        if media == MULTIPART_MIXED and "subscriptionspec" in params.replace(" ", "").lower():
            return "multipart"
    return None


def _sse_event(result: dict[str, Any]) -> bytes:
    return b"event: next\ndata: " + orjson.dumps(result) + b"\n\n"


def _multipart_part(body: dict[str, Any]) -> bytes:
    return (
        b"\r\n--"
        + _BOUNDARY.encode()
        + b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
        + orjson.dumps(body)
    )


async def _results(outcome: Any) -> AsyncIterator[dict[str, Any]]:
    result = getattr(outcome, "result", None)
    if isinstance(result, dict):
        yield result
        return
    try:
        async for item in outcome:
            yield item
    finally:
        with contextlib.suppress(Exception):
            await outcome.aclose()


async def _with_heartbeats(
    results: AsyncIterator[dict[str, Any]], interval: float
) -> AsyncIterator[dict[str, Any] | None]:
    """``results`` with a None whenever ``interval`` seconds pass without one (0: never)."""
    iterator = aiter(results)
    upcoming: asyncio.Future[dict[str, Any]] | None = None
    try:
        while True:
            if upcoming is None:
                upcoming = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({upcoming}, timeout=interval if interval > 0 else None)
            if not done:
                yield None
                continue
            try:
                item = upcoming.result()
            except StopAsyncIteration:
                return
            upcoming = None
            yield item
    finally:
        await stop_reading(upcoming, iterator)


async def streaming_response(
    request: Request,
    gateway: Any,
    graphql_request: GraphQLRequest,
    kind: str,
    settings: SubscriptionSettings,
    refused: Any,
) -> Response:
    """Run ``graphql_request`` and stream its results as SSE or multipart; ``refused(outcome)`` builds the
    HTTP answer of a request refused before it ran."""
    outcome = await gateway.start(graphql_request, headers=request.headers, http_method=request.method)
    result = getattr(outcome, "result", None)
    if isinstance(result, dict) and outcome.error_kind is not None and "data" not in result:
        response: Response = refused(outcome)
        return response
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    request_id = getattr(outcome, "request_id", None)
    if request_id:
        headers["X-Request-Id"] = request_id

    async def sse() -> AsyncIterator[bytes]:
        try:
            async for item in _with_heartbeats(_results(outcome), settings.keep_alive):
                yield b":\n\n" if item is None else _sse_event(item)
        except Exception:
            logger.exception("subscription over SSE crashed")
            yield _sse_event(
                {"data": None, "errors": [error_dict("Internal server error.", INTERNAL_SERVER_ERROR)]}
            )
        yield b"event: complete\ndata:\n\n"

    async def multipart() -> AsyncIterator[bytes]:
        try:
            async for item in _with_heartbeats(_results(outcome), settings.keep_alive):
                yield _multipart_part({} if item is None else {"payload": item})
        except Exception:
            logger.exception("subscription over multipart crashed")
            yield _multipart_part(
                {"payload": {"errors": [error_dict("Internal server error.", INTERNAL_SERVER_ERROR)]}}
            )
        yield b"\r\n--" + _BOUNDARY.encode() + b"--\r\n"

    if kind == "sse":
        return StreamingResponse(sse(), media_type=EVENT_STREAM + "; charset=utf-8", headers=headers)
    media = f'{MULTIPART_MIXED}; boundary="{_BOUNDARY}"; subscriptionSpec="1.0"'
    return StreamingResponse(multipart(), media_type=media, headers=headers)
