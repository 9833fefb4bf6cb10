"""Settings of the gateway's HTTP server and request pipeline, validated (pydantic) whatever sets them.

The values come from, in increasing precedence: defaults, ``gateway.yaml``, ``GATEWAY_*`` environment
variables (``with_env``), ``fedgw serve`` flags (``gateway.commands.serve.settings_for``). The variables are
read with the file's validators (``gateway.config_schema``): a bad value is a ``ValueError`` naming the
variable and what it expected, not a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field, replace
from typing import Annotated, Any

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from gateway.server.cors import CorsPolicy
from gateway.server.demand_control import DemandControl
from gateway.server.limits import Limits
from gateway.telemetry.tracing import TracingSettings

__all__ = [
    "ServerSettings",
    "SubscriptionSettings",
    "demand_control_from_env",
    "limits_from_env",
    "production_from_env",
    "subscriptions_from_env",
    "tracing_from_env",
]

Count = Annotated[int, Field(ge=0)]

# ServerSettings fields that a GATEWAY_* variable of GatewayFile sets (production is applied apart, last).
_SWITCHES = (
    "expose_query_plan",
    "graphiql",
    "introspection",
    "ready_timeout",
    "deduplicate_inflight",
    "authorization_policy",
    "reject_unauthorized",
)
_PLAN_CACHE = {
    "size": "plan_cache_size",
    "bytes": "plan_cache_bytes",
    "max_document_bytes": "plan_cache_max_document_bytes",
}


def limits_from_env(limits: Limits, environ: Mapping[str, str]) -> Limits:
    """``GATEWAY_LIMITS_<NAME>`` (``GATEWAY_LIMITS_MAX_DEPTH=50``; ``none`` lifts a limit) over ``limits``."""
    from gateway.config_schema import LimitsSection, read_env

    changes = read_env(LimitsSection, environ)
    return replace(limits, **changes) if changes else limits


def demand_control_from_env(demand: DemandControl, environ: Mapping[str, str]) -> DemandControl:
    """``GATEWAY_DEMAND_CONTROL_MAX`` (``none`` lifts it), ``_LIST_SIZE``, ``_MODE`` (``enforce``/``measure``) and
    ``_INCLUDE_IN_EXTENSIONS`` over ``demand``."""
    from gateway.config_schema import DemandControlSection, read_env

    changes = read_env(DemandControlSection, environ)
    return replace(demand, **changes) if changes else demand


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

    max_per_connection: Annotated[int, Field(ge=0)] | None = 100
    max_total: Annotated[int, Field(ge=0)] | None = 10_000
    connection_init_timeout: Annotated[float, Field(gt=0)] = 10.0
    keep_alive: Annotated[float, Field(ge=0)] = 12.0
    share_upstream: bool = True
    max_pending: Annotated[int, Field(ge=1)] = 1000

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


def subscriptions_from_env(
    settings: SubscriptionSettings, environ: Mapping[str, str]
) -> SubscriptionSettings:
    """``GATEWAY_SUBSCRIPTIONS_MAX_PER_CONNECTION``, ``_MAX_TOTAL`` (``none`` lifts them),
    ``_CONNECTION_INIT_TIMEOUT``, ``_KEEP_ALIVE``, ``_SHARE_UPSTREAM`` and ``_MAX_PENDING`` over ``settings``."""
    from gateway.config_schema import SubscriptionsSection, read_env

    changes = read_env(SubscriptionsSection, environ)
    return replace(settings, **changes) if changes else settings


def tracing_from_env(tracing: TracingSettings, environ: Mapping[str, str]) -> TracingSettings:
    """``GATEWAY_OTLP_ENDPOINT`` (else OpenTelemetry's ``OTEL_EXPORTER_OTLP_ENDPOINT``; ``none`` turns tracing
    off), ``GATEWAY_TRACE_SAMPLING_RATIO`` (else ``OTEL_TRACES_SAMPLER_ARG``) and ``OTEL_SERVICE_NAME``."""
    from gateway.config_schema import TelemetrySection, read_env

    env = dict(environ)
    for ours, theirs in (
        ("GATEWAY_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ("GATEWAY_TRACE_SAMPLING_RATIO", "OTEL_TRACES_SAMPLER_ARG"),
    ):
        if ours not in env and theirs in env:
            env[ours] = env[theirs]
    endpoint = env.get("GATEWAY_OTLP_ENDPOINT")
    if endpoint is not None and endpoint.strip().lower() in ("", "none", "off"):
        tracing = replace(tracing, otlp_endpoint=None)
        env.pop("GATEWAY_OTLP_ENDPOINT")
    changes = {
        k: v for k, v in read_env(TelemetrySection, env).items() if k in ("otlp_endpoint", "sampling_ratio")
    }
    if environ.get("OTEL_SERVICE_NAME"):
        changes["service_name"] = environ["OTEL_SERVICE_NAME"]
    return replace(tracing, **changes) if changes else tracing


def production_from_env(environ: Mapping[str, str]) -> bool:
    """``GATEWAY_PRODUCTION``: true turns the production switches on (``ServerSettings.production``)."""
    from gateway.config_schema import GatewayFile, read_env

    return bool(read_env(GatewayFile, environ).get("production", False))


@dataclass(frozen=True, config=ConfigDict(arbitrary_types_allowed=True))
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
    plan_cache_size: Count = 1024
    plan_cache_bytes: Count = 24 * 1024 * 1024
    plan_cache_max_document_bytes: Count = 256 * 1024
    plan_cache_failures: Count = 128
    ready_timeout: Annotated[float, Field(gt=0)] = 2.0
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
    metrics_max_operation_names: Count = 100
    access_log: bool = True
    log_format: str = "text"
    tracing: TracingSettings = field(default_factory=TracingSettings)
    # Cached plans moved to the collector's permanent generation (gateway.server.runtime); set when serving.
    freeze_cached_plans: bool = False

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

    def with_file(self, server: Mapping[str, Any]) -> ServerSettings:
        """gateway.yaml's server switches (``GatewayConfig.server``: expose_query_plan, graphiql, ...); its
        ``production`` is left to the caller, who applies it last."""
        changes = {k: v for k, v in server.items() if k in _SWITCHES}
        return replace(self, **changes) if changes else self

    def with_env(self, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Override fields from ``GATEWAY_*`` environment variables (for containers); ``GATEWAY_PRODUCTION``
        last, so no other variable turns its switches back on."""
        # Imported here: the schema knows the server's Limits, and the server package imports these settings.
        from gateway.config_schema import (
            CorsSection,
            GatewayFile,
            PlanCacheSection,
            TelemetrySection,
            read_env,
        )

        env = os.environ if environ is None else environ
        switches = read_env(GatewayFile, env)
        out = replace(self, **{k: v for k, v in switches.items() if k in _SWITCHES})
        plan_cache = read_env(PlanCacheSection, env)
        if plan_cache:
            out = replace(out, **{_PLAN_CACHE[k]: v for k, v in plan_cache.items()})
        out = replace(
            out,
            limits=limits_from_env(out.limits, env),
            demand_control=demand_control_from_env(out.demand_control, env),
            subscriptions=subscriptions_from_env(out.subscriptions, env),
        )
        telemetry = read_env(
            TelemetrySection, {k: v for k, v in env.items() if "OTLP" not in k and "SAMPLING" not in k}
        )
        out = replace(
            out,
            metrics=telemetry.get("metrics", out.metrics),
            metrics_max_operation_names=telemetry.get("max_operation_names", out.metrics_max_operation_names),
            access_log=telemetry.get("access_log", out.access_log),
            log_format=telemetry.get("log_format", out.log_format),
            tracing=tracing_from_env(out.tracing, env),
        )
        cors = read_env(CorsSection, env)
        if "origins" in cors:
            out = replace(out, cors=(out.cors or CorsPolicy()).with_origins(cors["origins"]))
        if "allow_credentials" in cors and out.cors is not None:
            out = replace(out, cors=replace(out.cors, allow_credentials=cors["allow_credentials"]))
        if switches.get("production"):
            out = out.production()
        return out
