"""Settings of the gateway's HTTP server and request pipeline."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from gateway.server.cors import CorsPolicy
from gateway.server.demand_control import DemandControl
from gateway.server.limits import Limits
from gateway.telemetry.tracing import TracingSettings

__all__ = [
    "ServerSettings",
    "SubscriptionSettings",
    "demand_control_from_env",
    "limits_from_env",
    "tracing_from_env",
]

_TRUE = {"1", "true", "yes", "on"}
_UNLIMITED = {"", "none", "off", "unlimited"}


def _limit_value(name: str, raw: str) -> int | None:
    if raw.strip().lower() in _UNLIMITED and name != "http_max_request_bytes":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"GATEWAY_LIMITS_{name.upper()} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"GATEWAY_LIMITS_{name.upper()} must not be negative, got {value}")
    return value


def limits_from_env(limits: Limits, environ: Mapping[str, str]) -> Limits:
    """``GATEWAY_LIMITS_<NAME>`` (``GATEWAY_LIMITS_MAX_DEPTH=50``; ``none`` lifts a limit) over ``limits``."""
    changes: dict[str, int | None] = {}
    for name in Limits.names():
        raw = environ.get(f"GATEWAY_LIMITS_{name.upper()}")
        if raw is not None:
            changes[name] = _limit_value(name, raw)
    return replace(limits, **changes) if changes else limits  # type: ignore[arg-type]


def _count(variable: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{variable} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{variable} must not be negative, got {value}")
    return value


def demand_control_from_env(demand: DemandControl, environ: Mapping[str, str]) -> DemandControl:
    """``GATEWAY_DEMAND_CONTROL_MAX`` (``none`` lifts it), ``_LIST_SIZE``, ``_MODE`` (``enforce``/``measure``) and
    ``_INCLUDE_IN_EXTENSIONS`` over ``demand``."""
    prefix = "GATEWAY_DEMAND_CONTROL_"
    if prefix + "MAX" in environ:
        raw = environ[prefix + "MAX"]
        maximum = None if raw.strip().lower() in _UNLIMITED else _count(prefix + "MAX", raw)
        demand = replace(demand, max=maximum)
    if prefix + "LIST_SIZE" in environ:
        demand = replace(demand, list_size=_count(prefix + "LIST_SIZE", environ[prefix + "LIST_SIZE"]))
    if prefix + "MODE" in environ:
        mode = environ[prefix + "MODE"].strip().lower()
        if mode not in ("enforce", "measure"):
            raise ValueError(f"{prefix}MODE must be 'enforce' or 'measure', got {mode!r}")
        demand = replace(demand, mode=mode)  # type: ignore[arg-type]
    if prefix + "INCLUDE_IN_EXTENSIONS" in environ:
        include = environ[prefix + "INCLUDE_IN_EXTENSIONS"].lower() in _TRUE
        demand = replace(demand, include_in_extensions=include)
    return demand


def tracing_from_env(tracing: TracingSettings, environ: Mapping[str, str]) -> TracingSettings:
    """``GATEWAY_OTLP_ENDPOINT`` (else OpenTelemetry's ``OTEL_EXPORTER_OTLP_ENDPOINT``; ``none`` turns tracing
    off), ``GATEWAY_TRACE_SAMPLING_RATIO`` (else ``OTEL_TRACES_SAMPLER_ARG``) and ``OTEL_SERVICE_NAME``."""
    endpoint = environ.get("GATEWAY_OTLP_ENDPOINT", environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    if endpoint is not None:
        tracing = replace(tracing, otlp_endpoint=None if endpoint.strip().lower() in _UNLIMITED else endpoint)
    raw = environ.get("GATEWAY_TRACE_SAMPLING_RATIO", environ.get("OTEL_TRACES_SAMPLER_ARG"))
    if raw is not None:
        try:
            ratio = float(raw)
        except ValueError:
            raise ValueError(f"GATEWAY_TRACE_SAMPLING_RATIO must be a number, got {raw!r}") from None
        tracing = replace(tracing, sampling_ratio=ratio)
    if environ.get("OTEL_SERVICE_NAME"):
        tracing = replace(tracing, service_name=environ["OTEL_SERVICE_NAME"])
    return tracing


@dataclass(frozen=True)
class SubscriptionSettings:
    """Subscriptions over WebSocket, SSE and multipart (``gateway.server.websocket``, ``gateway.server.sse``).

    ``max_per_connection`` subscriptions on one WebSocket and ``max_total`` in the process (None: no limit)
    are refused beyond with ``TOO_MANY_SUBSCRIPTIONS``; ``connection_init_timeout`` seconds for a WebSocket
    client's ``connection_init`` (then close 4408); ``keep_alive`` seconds between heartbeats (WebSocket
    ``ping`` messages, SSE comments, multipart ``{}`` parts; 0 turns them off). ``share_upstream`` lets
    identical subscriptions share one upstream subscription (``gateway.execution.sharing``); a subscriber more
    than ``max_pending`` events behind its upstream ends with ``SUBSCRIPTION_OVERFLOW``.
    """

    max_per_connection: int | None = 100
    max_total: int | None = 10_000
    connection_init_timeout: float = 10.0
    keep_alive: float = 12.0
    share_upstream: bool = True
    max_pending: int = 1000

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


def subscriptions_from_env(
    settings: SubscriptionSettings, environ: Mapping[str, str]
) -> SubscriptionSettings:
    """``GATEWAY_SUBSCRIPTIONS_MAX_PER_CONNECTION``, ``_MAX_TOTAL`` (``none`` lifts them),
    ``_CONNECTION_INIT_TIMEOUT``, ``_KEEP_ALIVE``, ``_SHARE_UPSTREAM`` and ``_MAX_PENDING`` over ``settings``."""
    prefix = "GATEWAY_SUBSCRIPTIONS_"
    changes: dict[str, object] = {}
    for name in ("max_per_connection", "max_total"):
        raw = environ.get(prefix + name.upper())
        if raw is not None:
            changes[name] = None if raw.strip().lower() in _UNLIMITED else _count(prefix + name.upper(), raw)
    for name in ("connection_init_timeout", "keep_alive"):
        raw = environ.get(prefix + name.upper())
        if raw is not None:
            try:
                changes[name] = float(raw)
            except ValueError:
                raise ValueError(f"{prefix}{name.upper()} must be a number of seconds, got {raw!r}") from None
    if prefix + "MAX_PENDING" in environ:
        changes["max_pending"] = _count(prefix + "MAX_PENDING", environ[prefix + "MAX_PENDING"])
    if prefix + "SHARE_UPSTREAM" in environ:
        changes["share_upstream"] = environ[prefix + "SHARE_UPSTREAM"].lower() in _TRUE
    return replace(settings, **changes) if changes else settings  # type: ignore[arg-type]


@dataclass(frozen=True)
class ServerSettings:
    """What the pipeline and the HTTP layer may do.

    ``introspection`` answers ``__schema``/``__type``; ``production()`` turns introspection, GraphiQL and
    plan exposure off and every limit on (``fedgw serve --production``, ``GATEWAY_PRODUCTION=true``).

    ``expose_query_plan`` lets a request ask for its plan (header ``query_plan_header: true``); the plan then
    comes back in ``extensions.queryPlan``. ``override_labels_header`` names the request header that enables
    custom progressive-override labels (comma-separated; ``None`` disables it). ``ready_timeout`` bounds each
    subgraph probe of ``/ready``. ``limits`` are the operation, parser and body limits and the planning budget
    (``gateway.server.limits``). The plan cache holds ``plan_cache_size`` plans within ``plan_cache_bytes``
    (estimated), never caches documents longer than ``plan_cache_max_document_bytes`` and remembers
    ``plan_cache_failures`` failed documents apart. ``prepare_in_worker`` parses, validates and plans cold
    documents on a worker thread (``gateway.server.workers``), so the event loop keeps answering.
    ``deduplicate_inflight`` runs identical concurrent queries (same document, operation name, variables and
    auth context) once and gives every caller that answer (``gateway.server.inflight``). ``cors`` answers
    cross-origin requests (``gateway.server.cors``; None: no CORS headers at all). ``claims_header`` names
    the header carrying the claims the gateway verified (set only when authentication is on: without it no
    request is authenticated, whatever headers it sends). ``authorization_policy`` (``module:callable``)
    decides ``@policy``; ``reject_unauthorized`` refuses a whole request (403) that selects anything it may not
    see, instead of answering those selections null (``gateway.server.authorization``). ``demand_control`` is the
    static cost estimate and its maximum (``gateway.server.demand_control``). ``subscriptions`` limits and
    paces subscriptions (``SubscriptionSettings``).

    Telemetry (``gateway.telemetry``): ``metrics`` serves Prometheus metrics at ``/metrics``, labelling at most
    ``metrics_max_operation_names`` distinct operation names; ``access_log`` logs one line per request;
    ``log_format`` is ``text`` or ``json``; ``tracing`` says where OpenTelemetry spans are exported (off
    without an endpoint).
    """

    expose_query_plan: bool = False
    query_plan_header: str = "x-query-plan"
    override_labels_header: str | None = "x-override-labels"
    graphiql: bool = True
    introspection: bool = True
    plan_cache_size: int = 1024
    plan_cache_bytes: int = 32 * 1024 * 1024
    plan_cache_max_document_bytes: int = 256 * 1024
    plan_cache_failures: int = 128
    ready_timeout: float = 2.0
    limits: Limits = field(default_factory=Limits)
    prepare_in_worker: bool = True
    deduplicate_inflight: bool = True
    cors: CorsPolicy | None = None
    demand_control: DemandControl = field(default_factory=DemandControl)
    claims_header: str | None = None
    authorization_policy: str | None = None
    reject_unauthorized: bool = False
    subscriptions: SubscriptionSettings = field(default_factory=SubscriptionSettings)
    metrics: bool = True
    metrics_max_operation_names: int = 100
    access_log: bool = True
    log_format: str = "text"
    tracing: TracingSettings = field(default_factory=TracingSettings)

    def production(self) -> ServerSettings:
        """No introspection, no GraphiQL, no query plans to clients, and every operation limit on (a limit
        lifted with ``none`` gets its default back)."""
        defaults = Limits()
        lifted = {n: getattr(defaults, n) for n in Limits.names() if getattr(self.limits, n) is None}
        limits = replace(self.limits, **lifted) if lifted else self.limits
        return replace(self, introspection=False, graphiql=False, expose_query_plan=False, limits=limits)

    @property
    def max_body_bytes(self) -> int:
        return self.limits.http_max_request_bytes

    def with_env(self, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Override fields from ``GATEWAY_*`` environment variables (for containers)."""
        env = os.environ if environ is None else environ
        out = self
        if "GATEWAY_EXPOSE_QUERY_PLAN" in env:
            out = replace(out, expose_query_plan=env["GATEWAY_EXPOSE_QUERY_PLAN"].lower() in _TRUE)
        if "GATEWAY_GRAPHIQL" in env:
            out = replace(out, graphiql=env["GATEWAY_GRAPHIQL"].lower() in _TRUE)
        if "GATEWAY_INTROSPECTION" in env:
            out = replace(out, introspection=env["GATEWAY_INTROSPECTION"].lower() in _TRUE)
        if "GATEWAY_PLAN_CACHE_SIZE" in env:
            out = replace(out, plan_cache_size=int(env["GATEWAY_PLAN_CACHE_SIZE"]))
        if "GATEWAY_PLAN_CACHE_BYTES" in env:
            out = replace(out, plan_cache_bytes=int(env["GATEWAY_PLAN_CACHE_BYTES"]))
        if "GATEWAY_PLAN_CACHE_MAX_DOCUMENT_BYTES" in env:
            out = replace(
                out, plan_cache_max_document_bytes=int(env["GATEWAY_PLAN_CACHE_MAX_DOCUMENT_BYTES"])
            )
        if "GATEWAY_DEDUPLICATE_INFLIGHT" in env:
            out = replace(out, deduplicate_inflight=env["GATEWAY_DEDUPLICATE_INFLIGHT"].lower() in _TRUE)
        if "GATEWAY_AUTHORIZATION_POLICY" in env:
            out = replace(out, authorization_policy=env["GATEWAY_AUTHORIZATION_POLICY"] or None)
        if "GATEWAY_REJECT_UNAUTHORIZED" in env:
            out = replace(out, reject_unauthorized=env["GATEWAY_REJECT_UNAUTHORIZED"].lower() in _TRUE)
        if "GATEWAY_READY_TIMEOUT" in env:
            out = replace(out, ready_timeout=float(env["GATEWAY_READY_TIMEOUT"]))
        if "GATEWAY_METRICS" in env:
            out = replace(out, metrics=env["GATEWAY_METRICS"].lower() in _TRUE)
        if "GATEWAY_METRICS_MAX_OPERATION_NAMES" in env:
            variable = "GATEWAY_METRICS_MAX_OPERATION_NAMES"
            out = replace(out, metrics_max_operation_names=_count(variable, env[variable]))
        if "GATEWAY_ACCESS_LOG" in env:
            out = replace(out, access_log=env["GATEWAY_ACCESS_LOG"].lower() in _TRUE)
        if "GATEWAY_LOG_FORMAT" in env:
            log_format = env["GATEWAY_LOG_FORMAT"].strip().lower()
            if log_format not in ("text", "json"):
                raise ValueError(f"GATEWAY_LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
            out = replace(out, log_format=log_format)
        out = replace(out, tracing=tracing_from_env(out.tracing, env))
        out = replace(out, limits=limits_from_env(out.limits, env))
        out = replace(out, demand_control=demand_control_from_env(out.demand_control, env))
        out = replace(out, subscriptions=subscriptions_from_env(out.subscriptions, env))
        if "GATEWAY_CORS_ORIGINS" in env:
            base = out.cors or CorsPolicy()
            out = replace(out, cors=base.with_origins(env["GATEWAY_CORS_ORIGINS"]))
        if "GATEWAY_CORS_ALLOW_CREDENTIALS" in env and out.cors is not None:
            allow = env["GATEWAY_CORS_ALLOW_CREDENTIALS"].lower() in _TRUE
            out = replace(out, cors=replace(out.cors, allow_credentials=allow))
        if env.get("GATEWAY_PRODUCTION", "").lower() in _TRUE:
            out = out.production()  # last: no other variable turns its switches back on
        return out
