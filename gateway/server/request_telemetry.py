"""Telemetry of each ``/graphql`` request, as ASGI middleware: its record, its ``router`` span, its access line
and its metrics (``gateway.telemetry``).

It stands outermost, so a request refused before the GraphQL route (authentication 401, rate limit 429,
persisted-query errors: ``gateway.server.operation_control``) is logged and counted like any other. The app
adds it to itself (``create_app``); ``fedgw serve`` adds it again around the operation controls, and the inner
one then steps aside (the request already has its record in the scope). The GraphiQL page, CORS preflights
and event streams (SSE, multipart: one request, many answers, ``gateway.server.sse``) are not requests of this
kind and pass through untouched.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from gateway.server.media import prefers_html
from gateway.server.sse import streaming_kind
from gateway.telemetry.access_log import ACCESS_LOGGER, log_access
from gateway.telemetry.metrics import UNKNOWN, GatewayMetrics
from gateway.telemetry.request import RequestRecord, bind_record, unbind_record
from gateway.telemetry.tracing import ACTIVE, extract_context, incoming_trace_headers, inject_context

__all__ = ["RECORD_KEY", "RequestTelemetry"]

RECORD_KEY = "gateway.request_record"
"""Where the request's ``RequestRecord`` stands in the ASGI scope."""

Scope = dict[str, Any]


class RequestTelemetry:
    """Records, traces, logs and counts each request to ``path``."""

    def __init__(
        self, app: Any, *, metrics: GatewayMetrics | None, access_log: bool, path: str = "/graphql"
    ) -> None:
        self._app = app
        self.metrics = metrics
        self.access_log = access_log
        self.path = path

    def __getattr__(self, name: str) -> Any:
        # It stands in for the app it wraps (the operation controls' settings and inner app, aclose...).
        if name == "_app":
            raise AttributeError(name)
        return getattr(self._app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != self.path
            or RECORD_KEY in scope
            or scope["method"] == "OPTIONS"  # a CORS preflight, not a GraphQL request
        ):
            await self._app(scope, receive, send)
            return
        headers = _wanted_headers(scope["headers"])
        accept = headers.get("accept")
        if (scope["method"] == "GET" and prefers_html(accept)) or streaming_kind(accept) is not None:
            await self._app(scope, receive, send)  # the GraphiQL page, or an event stream (not one answer)
            return
        record = RequestRecord(self.metrics)
        scope = {**scope, RECORD_KEY: record}
        status = [500]

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if record.request_id is None:
                    record.request_id = _header(message.get("headers", ()), b"x-request-id")
            await send(message)

        started = time.perf_counter()
        token = bind_record(record)
        try:
            if ACTIVE.on:
                await self._traced(scope, receive, send_status, headers, record, status)
            else:
                traceparent = headers.get("traceparent")
                if traceparent is not None:
                    record.trace_headers = incoming_trace_headers(traceparent, headers.get("tracestate"))
                await self._app(scope, receive, send_status)
        finally:
            unbind_record(token)
            if self.metrics is not None or self.access_log:
                self._finished(scope, headers, record, status[0], time.perf_counter() - started)

    async def _traced(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        headers: dict[str, str],
        record: RequestRecord,
        status: list[int],
    ) -> None:
        attributes = {"http.request.method": scope["method"], "http.route": self.path}
        with ACTIVE.tracer.start_as_current_span(
            "router", context=extract_context(headers), kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            context = span.get_span_context()
            if context.is_valid:
                record.trace_id = format(context.trace_id, "032x")
            if not span.is_recording():
                # Not sampled: no spans below this one, but the decision travels on to the subgraphs.
                record.traced = False
                record.trace_headers = {}
                inject_context(record.trace_headers)
                await self._app(scope, receive, send)
                return
            await self._app(scope, receive, send)
            span.set_attribute("http.response.status_code", status[0])
            if record.request_id is not None:
                span.set_attribute("request.id", record.request_id)
            if status[0] >= 500:
                span.set_status(Status(StatusCode.ERROR))

    def _finished(
        self, scope: Scope, headers: dict[str, str], record: RequestRecord, status: int, seconds: float
    ) -> None:
        outcome = record.outcome or ("error" if status >= 500 else "rejected")
        if self.metrics is not None:
            name = self.metrics.operation_names.label(record.operation_name) if record.prepared else UNKNOWN
            self.metrics.request(name, record.operation_type or UNKNOWN, outcome, seconds)
        if self.access_log and ACCESS_LOGGER.isEnabledFor(logging.INFO):
            log_access(
                {
                    "request_id": record.request_id or "-",
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "operation_name": record.operation_name if record.prepared else None,
                    "operation_type": record.operation_type,
                    "outcome": outcome,
                    "fetches": record.fetches,
                    "fetch_errors": record.fetch_errors or None,
                    "cache_hit": record.cache_hit if record.prepared else None,
                    "client_name": headers.get("apollographql-client-name"),
                    "client_version": headers.get("apollographql-client-version"),
                    "trace_id": record.trace_id,
                }
            )


# The request headers this middleware reads; the others are not decoded.
_WANTED = frozenset(
    {
        b"accept",
        b"traceparent",
        b"tracestate",
        b"baggage",
        b"apollographql-client-name",
        b"apollographql-client-version",
    }
)


def _wanted_headers(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw:
        key = key.lower()
        if key in _WANTED:
            out[key.decode("latin-1")] = value.decode("latin-1")
    return out


def _header(headers: Any, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
