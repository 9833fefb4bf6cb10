"""Telemetry of a service: OpenTelemetry traces (HTTP, SQL, calls to other services, NATS), Prometheus metrics.

Tracing is off until :func:`use_tracer_provider` (tests) or :func:`configure_tracing` (``python -m
subgraphs.<name>`` and the workers, from ``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``OTEL_TRACES_SAMPLER_ARG``) gives a
provider; apps made after that are instrumented with the FastAPI instrumentation (a server span per request,
continuing the caller's ``traceparent``) and the SQLAlchemy one (a span per statement) on their own engine
(its ``EngineTracer``, so nothing is patched process-wide), and calls to other services with the httpx one.

NATS has no well-kept instrumentation for nats-py, so the few lines it needs are here: the outbox stores the
trace context of the transaction that wrote an event (:func:`trace_context_now`), the relay publishes it in the
message headers under a ``publish`` producer span, and the consumer handles the message in a ``process``
consumer span continuing it. One order's saga is therefore one trace across the services.

Metrics (one registry per app, served at ``/metrics``): ``service_http_requests_total{service, method, route,
status}`` and ``service_http_request_duration_seconds{service, route}``; ``service_graphql_operations_total
{service, operation_name, operation_type, outcome}`` (names bounded as the gateway bounds them); and, read from
JetStream when scraped, ``service_event_consumer_pending_messages{service, consumer}`` (published, not yet
delivered: the lag) and ``service_event_consumer_unacknowledged_messages{service, consumer}`` of the service's
durable consumers, with ``service_event_consumer_lag_up`` saying whether JetStream answered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = [
    "CONTENT_TYPE_LATEST",
    "MetricsMiddleware",
    "ServiceMetrics",
    "configure_tracing",
    "consume_span",
    "instrument_app",
    "instrument_engine",
    "instrument_http_client",
    "publish_headers",
    "trace_context_now",
    "tracer_provider",
    "use_tracer_provider",
]

log = logging.getLogger("subgraphs.telemetry")

_provider: trace.TracerProvider | None = None
_tracer: trace.Tracer | None = None


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (None: stop)."""
    global _provider, _tracer
    _provider = provider
    _tracer = provider.get_tracer("subgraphs") if provider is not None else None


def tracer_provider() -> trace.TracerProvider | None:
    return _provider


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> Any:
    """An OTLP/HTTP exporting provider for ``service`` when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (sampling
    ``OTEL_TRACES_SAMPLER_ARG`` of new traces, following a caller's decision); None otherwise."""
    env = os.environ if environ is None else environ
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if not endpoint or endpoint.lower() in ("none", "off"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    ratio = float(env.get("OTEL_TRACES_SAMPLER_ARG", "1") or "1")
    url = endpoint.rstrip("/")
    if not url.endswith("/v1/traces"):
        url += "/v1/traces"
    provider = TracerProvider(
        resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", service)}),
        sampler=ParentBased(TraceIdRatioBased(ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    # Not the process's global provider: recent FastAPI versions would then trace each request a second time.
    use_tracer_provider(provider)
    return provider


def instrument_app(app: Any, engine: Any) -> None:
    """Server spans for ``app``'s requests and statement spans for ``engine`` (async or sync), while tracing."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_provider, excluded_urls="health,metrics", exclude_spans=["receive", "send"]
    )
    instrument_engine(engine)


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement run on ``engine`` (async or sync), while tracing; this engine only."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    sync_engine = getattr(engine, "sync_engine", engine)
    connections = NoOpMeter("subgraphs").create_up_down_counter("db.client.connections.usage")
    EngineTracer(_provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), sync_engine, connections)


def instrument_http_client(client: Any) -> None:
    """Client spans and ``traceparent`` for one httpx client (calls to another service), while tracing."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=_provider)


def trace_context_now() -> str | None:
    """The current trace context as JSON (``{"traceparent": ...}``) for an outbox row; None outside a trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return orjson.dumps(carrier).decode() if carrier else None


def _stored_context(stored: str | None) -> Context | None:
    if not stored:
        return None
    try:
        carrier = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return None
    return propagate.extract(carrier) if isinstance(carrier, dict) else None


class _Publishing:
    """The headers of one outgoing message: the stored context, or a ``publish`` span's while tracing."""

    def __init__(self, subject: str, stored: str | None, headers: dict[str, str]) -> None:
        self.subject = subject
        self.stored = stored
        self.headers = headers
        self._span: AbstractContextManager[Any] = nullcontext()

    def __enter__(self) -> dict[str, str]:
        parent = _stored_context(self.stored)
        if _tracer is not None and parent is not None:
            self._span = _tracer.start_as_current_span(
                f"publish {self.subject}",
                context=parent,
                kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.system": "nats", "messaging.destination.name": self.subject},
            )
            self._span.__enter__()
            propagate.inject(self.headers)
        elif self.stored:
            # Not tracing here, but the trace goes on: pass the writer's context along as it was.
            carrier = orjson.loads(self.stored)
            if isinstance(carrier, dict):
                self.headers.update({str(k): str(v) for k, v in carrier.items()})
        return self.headers

    def __exit__(self, *exc: object) -> None:
        self._span.__exit__(*exc)  # type: ignore[arg-type]


def publish_headers(subject: str, stored: str | None, headers: dict[str, str]) -> _Publishing:
    """``with publish_headers(subject, row.trace_context, {"Nats-Msg-Id": ...}) as headers: publish(...)``."""
    return _Publishing(subject, stored, headers)


def consume_span(
    subject: str, headers: Mapping[str, str] | None, consumer: str
) -> AbstractContextManager[Any]:
    """A ``process`` consumer span continuing the context in a message's headers (nothing while not tracing)."""
    if _tracer is None:
        return nullcontext()
    parent = propagate.extract(dict(headers or {}))
    return _tracer.start_as_current_span(
        f"process {subject}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.consumer.group.name": consumer,
        },
    )


_ANONYMOUS, _OTHER = "anonymous", "other"
_KEYWORDS = ("query", "mutation", "subscription")


def _operation_type(query: str | None) -> str:
    text = (query or "").lstrip(" \t\r\n,\ufeff")
    if text.startswith("{"):
        return "query"
    return next((k for k in _KEYWORDS if text.startswith(k)), "unknown")


class ServiceMetrics:
    """One service app's instruments, in their own registry; consumer lag is read from JetStream per scrape."""

    def __init__(
        self,
        service: str,
        *,
        consumers: Sequence[str] = (),
        nats_url: str | None = None,
        stream: str | None = None,
        max_operation_names: int = 100,
    ) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.consumers = tuple(consumers)
        self.nats_url = nats_url or os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
        self.stream = stream or os.environ.get("EVENTS_STREAM", "EVENTS")
        self._max_names = max_operation_names
        self._names: set[str] = set()
        self.http_requests = Counter(
            "service_http_requests",
            "HTTP requests by route and status",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "service_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "route"],
            registry=self.registry,
        )
        self.operations = Counter(
            "service_graphql_operations",
            "GraphQL operations by name and outcome (success, partial, error)",
            ["service", "operation_name", "operation_type", "outcome"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "service_event_consumer_pending_messages",
            "Messages on the stream that the durable consumer has not been delivered yet",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.unacknowledged = Gauge(
            "service_event_consumer_unacknowledged_messages",
            "Messages delivered to the durable consumer and not acknowledged yet",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.lag_up = Gauge(
            "service_event_consumer_lag_up",
            "1 when JetStream answered the last consumer lag read, else 0",
            ["service"],
            registry=self.registry,
        )
        self._nc: Any = None

    def operation_label(self, name: str | None) -> str:
        if name is None:
            return _ANONYMOUS
        if name in self._names:
            return name
        if len(self._names) >= self._max_names:
            return _OTHER
        self._names.add(name)
        return name

    def operation(self, name: str | None, query: str | None, data: bool, errors: bool) -> None:
        outcome = "success" if not errors else "partial" if data else "error"
        self.operations.labels(
            self.service, self.operation_label(name), _operation_type(query), outcome
        ).inc()

    async def read_lag(self, within: float = 1.0) -> None:
        """Ask JetStream for each durable consumer's pending and unacknowledged counts."""
        if not self.consumers:
            return
        try:
            async with asyncio.timeout(within):
                if self._nc is None or self._nc.is_closed:
                    import nats

                    self._nc = await nats.connect(
                        self.nats_url,
                        name=f"{self.service}-metrics",
                        connect_timeout=within,
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                    )
                js = self._nc.jetstream()
                for consumer in self.consumers:
                    info = await js.consumer_info(self.stream, consumer)
                    self.pending.labels(self.service, consumer).set(info.num_pending or 0)
                    self.unacknowledged.labels(self.service, consumer).set(info.num_ack_pending or 0)
        except Exception as exc:  # NATS away or the consumer not made yet: say so, keep serving
            log.debug("consumer lag of %s: %s: %s", self.service, type(exc).__name__, exc)
            self.lag_up.labels(self.service).set(0)
            return
        self.lag_up.labels(self.service).set(1)

    async def exposition(self) -> bytes:
        await self.read_lag()
        return generate_latest(self.registry)

    async def aclose(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = None


class MetricsMiddleware:
    """ASGI middleware: counts and times every HTTP request by route (known routes only; else ``other``)."""

    def __init__(self, app: Any, metrics: ServiceMetrics, routes: Sequence[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = frozenset(routes)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in self.routes else "other"
        status = [500]

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics = self.metrics
            metrics.http_requests.labels(
                metrics.service, scope.get("method", ""), route, str(status[0])
            ).inc()
            metrics.http_duration.labels(metrics.service, route).observe(time.perf_counter() - started)
