"""Tracing of the gateway: OpenTelemetry spans named as Apollo Router names its own, W3C trace context out.

One request makes ``router`` (the HTTP request, a server span continuing the client's ``traceparent``) >
``supergraph`` (``graphql.operation.name``/``graphql.operation.type``) > ``parse_query`` and ``query_planning``
(only when the plan cache misses) and ``execution`` > one ``subgraph`` client span per subgraph request
(``subgraph.name``, ``subgraph.graphql.operation.name``, ``http.response.status_code``), whose context goes to
the subgraph in ``traceparent`` (https://www.w3.org/TR/trace-context/).

The spans are made by hand rather than by the ASGI and aiohttp instrumentations: those would name them after
HTTP routes, and they cost on every request even with a no-op tracer. Here every call site first reads
``ACTIVE.on`` (one attribute load) and does nothing else while tracing is off, which is the default. Tracing
is on once :func:`use_tracer_provider` (tests, with an in-memory exporter) or :func:`configure_tracing`
(``fedgw serve`` with an OTLP endpoint) ran. A request whose trace is not sampled gets its ``router`` span
only (non-recording): nothing below it is made, and its context (sampled flag off) still goes to the subgraphs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context

__all__ = [
    "ACTIVE",
    "TracingSettings",
    "configure_tracing",
    "extract_context",
    "incoming_trace_headers",
    "inject_context",
    "span",
    "tracer",
    "use_tracer_provider",
]

logger = logging.getLogger("gateway.telemetry")

INSTRUMENTATION_NAME = "gateway"


@dataclass(frozen=True)
class TracingSettings:
    """Where spans go: OTLP over HTTP/protobuf to ``otlp_endpoint`` (the collector's base URL, e.g.
    ``http://collector:4318``; ``/v1/traces`` is added), keeping ``sampling_ratio`` of the traces that start
    here (a request that comes with a sampled ``traceparent`` follows its caller's decision). No endpoint: off.
    """

    otlp_endpoint: str | None = None
    sampling_ratio: float = 1.0
    service_name: str = "gateway"

    def __post_init__(self) -> None:
        if not 0.0 <= self.sampling_ratio <= 1.0:
            raise ValueError(f"sampling_ratio must be between 0 and 1, got {self.sampling_ratio}")

    @property
    def enabled(self) -> bool:
        return bool(self.otlp_endpoint)


class _Active:
    """Whether the gateway makes spans, and with which tracer (read on the hot path: keep it one load)."""

    __slots__ = ("on", "tracer")

    def __init__(self) -> None:
        self.on = False
        self.tracer: trace.Tracer = trace.NoOpTracer()


ACTIVE = _Active()


def tracer() -> trace.Tracer:
    return ACTIVE.tracer


_NO_SPAN: AbstractContextManager[None] = nullcontext()


def span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    context: Context | None = None,
) -> AbstractContextManager[trace.Span | None]:
    """A current span ``name`` while the request is traced; a shared do-nothing context manager otherwise
    (tracing off, or the request's trace not sampled: see ``gateway.telemetry.request.traced``)."""
    from .request import traced

    if not ACTIVE.on or not traced():
        return _NO_SPAN
    return ACTIVE.tracer.start_as_current_span(name, context=context, kind=kind, attributes=attributes)


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """Make the gateway's spans with ``provider`` (None: stop making spans)."""
    if provider is None:
        ACTIVE.on, ACTIVE.tracer = False, trace.NoOpTracer()
        return
    ACTIVE.tracer = provider.get_tracer(INSTRUMENTATION_NAME)
    ACTIVE.on = True


def configure_tracing(settings: TracingSettings) -> Any:
    """An SDK tracer provider exporting to ``settings.otlp_endpoint`` in batches, made the gateway's; None when
    the settings turn tracing off. Shut it down on exit. It is not made the process's global provider: recent
    FastAPI versions trace every request on their own once one is set, which would add a second server span
    (and spans for ``/health`` and ``/metrics``) to each request."""
    if not settings.enabled:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    endpoint = str(settings.otlp_endpoint).rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sampling_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    use_tracer_provider(provider)
    logger.info("tracing: OTLP to %s, sampling ratio %g", endpoint, settings.sampling_ratio)
    return provider


def extract_context(headers: Mapping[str, str]) -> Context:
    """The trace context a request came with (``traceparent``/``tracestate``), for the server span's parent."""
    return propagate.extract(headers)


# W3C Trace Context, "traceparent Header Field Values": version-traceid-parentid-flags, lower-case hex.
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def incoming_trace_headers(traceparent: str | None, tracestate: str | None) -> dict[str, str] | None:
    """The trace headers to pass on unchanged, when ``traceparent`` is well formed (else None)."""
    if traceparent is None or not _TRACEPARENT.fullmatch(traceparent.strip()):
        return None
    out = {"traceparent": traceparent.strip()}
    if tracestate and len(tracestate) <= 512:  # the spec's limit for a tracestate a vendor must keep
        out["tracestate"] = tracestate
    return out


def inject_context(headers: MutableMapping[str, str], context: Context | None = None) -> None:
    """Write the current span's context (``traceparent``, ``tracestate``) into outgoing ``headers``."""
    propagate.inject(headers, context=context)
