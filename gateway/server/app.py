"""The gateway's ASGI app: GraphQL over HTTP at ``/graphql``, GraphiQL, ``/health`` and ``/ready``.

``/graphql`` follows https://graphql.github.io/graphql-over-http/draft/: POST with an ``application/json``
body, GET with query parameters (queries only, else 405), ``Accept`` negotiation between
``application/graphql-response+json`` (request errors get 400) and ``application/json`` (GraphQL errors get
200), 415 for other content types, 400 for malformed requests, 406 when no JSON type is acceptable, 400 for a
document over an operation limit (as Apollo Router answers) and 413 for a body over ``http_max_request_bytes``,
refused by its ``Content-Length`` or as soon as that many bytes have arrived. It is a plain Starlette route (no
dependency injection, orjson bodies) because it is the hot path. CORS follows ``ServerSettings.cors``
(``gateway.server.cors``). The same path serves subscriptions (and any operation) over WebSocket
(``gateway.server.websocket``), SSE and multipart (``Accept: text/event-stream`` or
``multipart/mixed; subscriptionSpec="1.0"``, ``gateway.server.sse``).

Each ``/graphql`` request (streams apart) is recorded, traced, logged and counted by
``gateway.server.request_telemetry``; ``/metrics`` serves the counts in Prometheus' text format.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from gateway.server.cors import CorsMiddleware
from gateway.server.errors import INTERNAL_SERVER_ERROR, ErrorKind, error_dict
from gateway.server.graphiql import STATIC_DIR, graphiql_html
from gateway.server.media import GRAPHQL_RESPONSE_JSON, JSON, is_json_content_type, negotiate, prefers_html
from gateway.server.pipeline import Gateway, GatewayResponse
from gateway.server.readiness import HttpSubgraphProbe, SubgraphProbe, check_readiness, circuit_states
from gateway.server.request import (
    GraphQLRequest,
    RequestParamsError,
    request_from_body,
    request_from_query_params,
)
from gateway.server.request_telemetry import RECORD_KEY, RequestTelemetry
from gateway.server.settings import ServerSettings
from gateway.server.sse import streaming_kind, streaming_response
from gateway.server.websocket import ADMISSION_SCOPE_KEY, serve_graphql_ws
from gateway.telemetry.metrics import CONTENT_TYPE_LATEST
from gateway.telemetry.request import RequestRecord

__all__ = ["create_app"]

logger = logging.getLogger("gateway.server")

_CHARSET = "; charset=utf-8"


def _json(body: Any, status: int = 200, media: str = JSON, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type=media + _CHARSET)


def _errors(message: str, code: str, status: int, media: str | None, **headers: str) -> Response:
    return _json({"errors": [error_dict(message, code)]}, status, media or JSON, headers or None)


def _status(kind: ErrorKind | None, media: str) -> int:
    """GraphQL over HTTP "Status Codes": request errors are 400 only with ``graphql-response+json``."""
    if kind is None:
        return 200
    if kind is ErrorKind.LIMIT:
        return 400
    if kind is ErrorKind.REQUEST:
        return 400 if media == GRAPHQL_RESPONSE_JSON else 200
    if kind is ErrorKind.METHOD_NOT_ALLOWED:
        return 405
    if kind is ErrorKind.FORBIDDEN:
        return 403
    return 500


def _outcome(response: GatewayResponse) -> str:
    """The ``outcome`` label of a request the pipeline answered (``gateway.telemetry.metrics``)."""
    if response.error_kind is None:
        return "partial" if response.result.get("errors") else "success"
    return "error" if response.error_kind is ErrorKind.INTERNAL else "rejected"


def create_app(
    gateway: Gateway,
    settings: ServerSettings | None = None,
    *,
    probe: SubgraphProbe | None = None,
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    details: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """Build the app around ``gateway``; ``settings`` (default: the gateway's) rule GraphiQL, body size and
    ``/ready``. ``probe`` checks one subgraph for ``/ready`` (HTTP ``{ __typename }`` by default);
    ``on_startup`` callbacks run in the server's event loop before it serves, ``on_shutdown`` ones after the
    last request (close subgraph clients there). ``details`` adds the supergraph ``generation`` and a ``registry``
    section to ``/ready`` (the registry watcher's status, ``gateway.registry.watcher``)."""
    settings = settings or gateway.settings
    http_probe: HttpSubgraphProbe | None = None
    subgraph_probe: SubgraphProbe
    if probe is None:
        subgraph_probe = http_probe = HttpSubgraphProbe()
    else:
        subgraph_probe = probe
    # The pipeline decides whether plans are exposed, so the page follows the gateway's own settings.
    plan_settings = gateway.settings
    plan_header = plan_settings.query_plan_header if plan_settings.expose_query_plan else None
    page = graphiql_html(query_plan_header=plan_header)
    metrics = gateway.metrics if settings.metrics else None

    async def graphql_endpoint(request: Request) -> Response:
        if request.method == "GET" and settings.graphiql and prefers_html(request.headers.get("accept")):
            return HTMLResponse(page)
        # The record RequestTelemetry opened for this request (a bare one when the app runs without it).
        record = request.scope.get(RECORD_KEY) or RequestRecord()
        return await answer(request, record)

    async def answer(request: Request, record: RequestRecord) -> Response:
        method = request.method
        accept = request.headers.get("accept")
        streaming = streaming_kind(accept) if method in ("GET", "POST") else None
        if streaming is not None:
            return await _streaming(request, streaming)
        if method not in ("GET", "POST"):
            return _errors(
                f"The /graphql endpoint accepts GET and POST, not {method}.",
                "METHOD_NOT_ALLOWED",
                405,
                negotiate(accept),
                Allow="GET, POST",
            )
        media = negotiate(accept)
        if media is None:
            return _errors(
                f"None of the Accept header's media types is supported; use {GRAPHQL_RESPONSE_JSON} or {JSON}.",
                "NOT_ACCEPTABLE",
                406,
                JSON,
            )
        graphql_request = await _graphql_request(request, method, media)
        if isinstance(graphql_request, Response):
            return graphql_request
        try:
            outcome = await gateway.run(graphql_request, headers=request.headers, http_method=method)
        except Exception:  # the pipeline turns errors into values; this is the last guard against a trace
            logger.exception("request pipeline crashed")
            record.outcome = "error"
            return _errors("Internal server error.", INTERNAL_SERVER_ERROR, 500, media)
        record.outcome = _outcome(outcome)
        record.request_id = outcome.request_id
        status = _status(outcome.error_kind, media)
        headers = {"Allow": "POST"} if status == 405 else {}
        if outcome.request_id is not None:
            headers["X-Request-Id"] = outcome.request_id
        return _json(outcome.result, status, media, headers)

    async def _graphql_request(request: Request, method: str, media: str) -> GraphQLRequest | Response:
        """The GraphQL request a GET's query parameters or a POST's JSON body carries, or the response that
        refuses it (415 for another content type, 413 for a body over the limit, 400 for bad parameters)."""
        try:
            if method == "GET":
                return request_from_query_params(request.query_params)
            if not is_json_content_type(request.headers.get("content-type")):
                return _errors(
                    "POST requests must have Content-Type: application/json (UTF-8).",
                    "UNSUPPORTED_MEDIA_TYPE",
                    415,
                    media,
                )
            body = await _read_body(request, settings.max_body_bytes)
            if body is None:
                message = (
                    f"The request body is larger than http_max_request_bytes ({settings.max_body_bytes})."
                )
                return _errors(message, "PAYLOAD_TOO_LARGE", 413, media, Connection="close")
            return request_from_body(body)
        except RequestParamsError as error:
            return _errors(error.message, error.code, 400, media)

    async def _streaming(request: Request, kind: str) -> Response:
        """GraphQL over SSE or multipart (``gateway.server.sse``)."""
        media = JSON
        graphql_request = await _graphql_request(request, request.method, media)
        if isinstance(graphql_request, Response):
            return graphql_request

        def refused(outcome: Any) -> Response:
            headers = {"X-Request-Id": outcome.request_id} if outcome.request_id else {}
            return _json(outcome.result, _status(outcome.error_kind, GRAPHQL_RESPONSE_JSON), media, headers)

        try:
            return await streaming_response(
                request, gateway, graphql_request, kind, gateway.settings.subscriptions, refused
            )
        except Exception:
            logger.exception("streaming request crashed")
            return _errors("Internal server error.", INTERNAL_SERVER_ERROR, 500, media)

    async def graphql_websocket(websocket: WebSocket) -> None:
        """GraphQL over WebSocket (``gateway.server.websocket``); credentials come in ``connection_init``."""
        admission = websocket.scope.get(ADMISSION_SCOPE_KEY)
        await serve_graphql_ws(websocket, gateway, gateway.settings.subscriptions, admission)

    async def graphiql_page(request: Request) -> Response:
        if not settings.graphiql:
            return _json({"status": "not found"}, 404)
        return HTMLResponse(page)

    async def health(request: Request) -> Response:
        """Liveness: the process serves HTTP."""
        return _json({"status": "ok"})

    async def ready(request: Request) -> Response:
        """Readiness: a supergraph is loaded and every subgraph answers within ``ready_timeout``."""
        readiness = await check_readiness(
            gateway.supergraph, subgraph_probe, settings.ready_timeout, circuit_states(gateway.executor)
        )
        body = readiness.to_json()
        if details is not None:
            body["generation"] = gateway.generation
            try:
                body["registry"] = details()
            except Exception:  # the details must never take /ready down
                logger.exception("readiness details failed")
        return _json(body, 200 if readiness.ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus' text exposition of the gateway's metrics (``gateway.telemetry.metrics``)."""
        if metrics is None:
            return _json({"status": "not found"}, 404)
        return Response(metrics.exposition(), 200, media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for callback in on_startup:
            await callback()
        yield
        for callback in on_shutdown:
            try:
                await callback()
            except Exception:
                logger.exception("shutdown callback failed")
        if http_probe is not None:
            await http_probe.aclose()
        for stream in list(gateway.subscriptions):
            with contextlib.suppress(Exception):
                await stream.aclose()
        gateway.workers.shutdown()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.router.routes.extend(
        [
            Route("/graphql", graphql_endpoint, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            WebSocketRoute("/graphql", graphql_websocket),
            Route("/", graphiql_page, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ]
    )
    if settings.cors is not None:
        app.add_middleware(CorsMiddleware, policy=settings.cors)
    # Last added, so outermost: a CORS preflight is not a GraphQL request, but every POST and GET is.
    app.add_middleware(RequestTelemetry, metrics=metrics, access_log=settings.access_log)
    app.state.gateway = gateway
    app.state.settings = settings
    return app


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` bytes (declared or received)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
