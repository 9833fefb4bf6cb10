"""The gateway config file (``gateway.yaml``): where the supergraph snapshot lives and which subgraphs exist.

```yaml
supergraph: schema/supergraph.graphql
expose_query_plan: true                   # optional: requests may ask for their plan (GraphiQL's plan panel)
subgraphs:
  - name: users
    url: http://127.0.0.1:4001/graphql
    schema: schema/users.graphql          # the committed SDL snapshot
    module: subgraphs.users.schema:print_sdl   # callable returning the SDL from code
    include_subgraph_errors: false        # true: its errors reach clients unmasked (development only)
  - name: inventory-events                # an event-driven subgraph: no url, its fields read NATS subjects
    events: nats
    schema: schema/inventory-events.graphql
traffic_shaping:                          # optional: how the gateway talks to subgraphs (gateway.execution.traffic)
  all:
    timeout: 30s                          # per request (a number is seconds; also "500ms", "1m")
    connect_timeout: 2s
    circuit_breaker: {failure_threshold: 5, cool_down: 10s}
    retry: {max_retries: 2, min_per_sec: 10, ttl: 10s, retry_percent: 0.2}
  subgraphs:
    users: {timeout: 5s}                  # overrides 'all' for one subgraph
limits:                                   # optional: operation, parser and body limits (gateway.server.limits)
  max_depth: 100                          # null lifts a limit
cors:                                     # optional: browser origins allowed to call the gateway
  origins: [https://app.example]
  allow_credentials: true
plan_cache:                               # optional: size (plans), bytes, max_document_bytes, failures
  size: 1024
subscriptions:                            # optional: gateway.server.settings.SubscriptionSettings
  max_per_connection: 100                 # null lifts a limit
  max_total: 10000
  keep_alive: 12s                         # heartbeats (WebSocket ping, SSE comment, multipart {})
demand_control:                           # optional: static cost estimate (gateway.server.demand_control)
  max: 5000                               # null: no maximum
  list_size: 10                           # a list field without @listSize is assumed this long
  mode: enforce                           # or measure: estimate, never refuse
  include_in_extensions: false            # true: every response carries extensions.cost
telemetry:                                # optional: traces, metrics, logs (gateway.telemetry)
  otlp_endpoint: http://collector:4318    # OTLP/HTTP collector; absent or null: no tracing
  sampling_ratio: 0.1                     # share of new traces kept (a sampled traceparent is followed)
  metrics: true                           # Prometheus text at /metrics
  access_log: true                        # one line per request on the gateway.access logger
  log_format: text                        # or json: one JSON object per log line
registry:                                 # optional: follow the services' registry instead of 'subgraphs'
  bucket: fedgw_registry                  # NATS KV bucket (gateway.registry); nats_url: default NATS_URL
  breaking_policy: refuse_breaking        # or refuse_dangerous, allow
  ttl: 15                                 # seconds an entry lives without a heartbeat; also debounce, health_*
```

Every key, its default, and the environment variable and flag that override it: ``docs/config.md``, printed
from the models of ``gateway.config_schema``, which validate the file (an unknown key or a bad value is a
``ConfigError`` naming the key, what was expected and what came). Precedence: ``fedgw serve`` flags >
environment > this file > defaults. ``SUBGRAPH_<NAME>_URL`` overrides a url (containers); the
``GATEWAY_SUBGRAPH_*`` variables override ``traffic_shaping.all`` (a subgraph's own entry still wins);
``GATEWAY_INCLUDE_SUBGRAPH_ERRORS`` overrides ``include_subgraph_errors`` (``gateway.execution.masking``).
Relative paths are resolved against the config file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.config_schema import (
    BreakerEntry,
    GatewayFile,
    RetryEntry,
    Section,
    TrafficEntry,
    TrafficShapingSection,
    describe_errors,
    read_env,
)
from gateway.execution.masking import ErrorMasking
from gateway.execution.traffic import SubgraphTraffic, TrafficShaping

__all__ = [
    "SERVER_KEYS",
    "ConfigError",
    "GatewayConfig",
    "SubgraphConfig",
    "load_config",
    "parse_config",
    "parse_traffic_shaping",
]

# GatewayFile's keys for how the gateway serves: ServerSettings fields of the same name, and ``workers``, the
# number of processes ``fedgw serve`` starts (gateway.commands._workers).
SERVER_KEYS = (
    "expose_query_plan",
    "graphiql",
    "introspection",
    "production",
    "ready_timeout",
    "deduplicate_inflight",
    "authorization_policy",
    "reject_unauthorized",
    "workers",
)


class ConfigError(Exception):
    """The config file is missing or invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class SubgraphConfig:
    """One subgraph: its name, the URL the gateway calls, its SDL snapshot file and the code that prints it."""

    name: str
    url: str
    schema: str | None = None
    module: str | None = None
    include_subgraph_errors: bool = False
    # "nats": an event-driven subgraph (``@edfs__natsSubscribe`` fields, gateway.composition.events); it has no
    # URL, the gateway reads its events from the broker and its SDL from ``schema`` or ``module``.
    events: str | None = None

    @property
    def env_var(self) -> str:
        """The environment variable that overrides ``url``: ``SUBGRAPH_<NAME>_URL``."""
        return "SUBGRAPH_" + re.sub(r"[^A-Za-z0-9]", "_", self.name).upper() + "_URL"


@dataclass(frozen=True)
class GatewayConfig:
    """The whole config; ``path`` is the file it was read from (None when parsed from text)."""

    subgraphs: list[SubgraphConfig] = field(default_factory=list)
    supergraph: str = "schema/supergraph.graphql"
    path: Path | None = None
    traffic: TrafficShaping = field(default_factory=TrafficShaping)
    # Limit name -> maximum (None: no limit), as gateway.server.limits.Limits names them.
    limits: dict[str, int | None] = field(default_factory=dict)
    cors: dict[str, Any] | None = None
    plan_cache: dict[str, int] = field(default_factory=dict)
    # gateway.server.demand_control.DemandControl's fields, as given.
    demand_control: dict[str, Any] = field(default_factory=dict)
    # gateway.server.settings.SubscriptionSettings' fields, as given.
    subscriptions: dict[str, Any] = field(default_factory=dict)
    # gateway.config_schema.TelemetrySection's keys, as given (gateway.telemetry).
    telemetry: dict[str, Any] = field(default_factory=dict)
    # The server switches the file sets (expose_query_plan, graphiql, ...: ServerSettings' fields, and
    # workers), as given.
    server: dict[str, Any] = field(default_factory=dict)
    # gateway.registry.RegistrySettings' fields, as given; None: no registry (the static 'subgraphs').
    registry: dict[str, Any] | None = None

    def subgraph(self, name: str) -> SubgraphConfig:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise KeyError(name)

    def error_masking(self, environ: Mapping[str, str] | None = None) -> ErrorMasking:
        """Whose subgraph errors reach clients unmasked: the config's choice, then the environment's."""
        chosen = ErrorMasking(include={s.name: True for s in self.subgraphs if s.include_subgraph_errors})
        return ErrorMasking.from_env(os.environ if environ is None else environ, chosen)


class _TrafficShapingOnly(Section):
    """``traffic_shaping`` alone, so its errors are named as in the file."""

    traffic_shaping: TrafficShapingSection | None = None


def _validate(model: type[Section], data: Any, source: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_errors(error, source, data, model)) from None


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> GatewayConfig:
    """Parse and validate config text; paths are made absolute against ``base_dir`` when given."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'subgraphs' (and optionally 'supergraph')")
    file: GatewayFile = _validate(GatewayFile, data, source)
    env = os.environ if environ is None else environ

    def path(value: str | None) -> str | None:
        if value is None or base_dir is None or Path(value).is_absolute():
            return value
        resolved = os.path.relpath(base_dir / value)  # relative to the working directory when that is shorter
        return resolved if not resolved.startswith("..") else str(base_dir / value)

    subgraphs: list[SubgraphConfig] = []
    for entry in file.subgraphs:
        sub = SubgraphConfig(
            entry.name,
            entry.url or "",
            path(entry.schema_),
            entry.module,
            entry.include_subgraph_errors,
            entry.events,
        )
        override = env.get(sub.env_var)
        if override:
            sub = replace(sub, url=override)
        if not (sub.events is not None and not sub.url) and not re.match(r"^https?://", sub.url):
            origin = f" (from {sub.env_var})" if override else ""
            raise ConfigError(
                f"{source}: subgraph '{sub.name}': 'url' must be an http(s) URL, got {sub.url!r}{origin}"
            )
        subgraphs.append(sub)
    return GatewayConfig(
        subgraphs,
        path(file.supergraph) or file.supergraph,
        limits=file.limits.given() if file.limits is not None else {},
        cors=file.cors.given() if file.cors is not None else None,
        plan_cache=file.plan_cache.given() if file.plan_cache is not None else {},
        traffic=_traffic_shaping(file.traffic_shaping, source, env),
        demand_control=file.demand_control.given() if file.demand_control is not None else {},
        subscriptions=file.subscriptions.given() if file.subscriptions is not None else {},
        telemetry=file.telemetry.given() if file.telemetry is not None else {},
        server={key: getattr(file, key) for key in SERVER_KEYS if key in file.model_fields_set},
        registry=file.registry.given() if file.registry is not None else None,
    )


def _traffic(base: SubgraphTraffic, entry: TrafficEntry | None, where: str) -> SubgraphTraffic:
    """``base`` with the settings one ``traffic_shaping`` entry (``all`` or a subgraph's) gives."""
    if entry is None:
        return base
    given = entry.given()
    try:
        out = base
        if "timeout" in given:
            out = replace(out, request_timeout=given["timeout"])
        if "connect_timeout" in given:
            out = replace(out, connect_timeout=given["connect_timeout"])
        if entry.circuit_breaker is not None:
            out = replace(out, breaker=replace(out.breaker, **entry.circuit_breaker.given()))
        if entry.retry is not None:
            out = replace(out, retry=replace(out.retry, **entry.retry.given()))
    except ValueError as error:  # a setting out of range, said by the settings' own checks
        raise ConfigError(f"{where}: {error}") from None
    return out


def _traffic_from_env(environ: Mapping[str, str]) -> TrafficEntry | None:
    """The entry ``GATEWAY_SUBGRAPH_*`` make (None when none is set)."""
    try:
        top = read_env(TrafficEntry, environ)
        breaker = read_env(BreakerEntry, environ)
        retry = read_env(RetryEntry, environ)
    except ValueError as error:
        raise ConfigError(f"environment (GATEWAY_SUBGRAPH_*): {error}") from None
    if not (top or breaker or retry):
        return None
    entry = TrafficEntry.model_construct(**top)
    if breaker:
        entry = TrafficEntry.model_construct(**top, circuit_breaker=BreakerEntry.model_construct(**breaker))
    if retry:
        retries = RetryEntry.model_construct(**retry)
        entry = TrafficEntry.model_construct(**entry.given(), retry=retries)
    return entry


def _traffic_shaping(
    section: TrafficShapingSection | None, source: str, environ: Mapping[str, str]
) -> TrafficShaping:
    where = f"{source}: traffic_shaping"
    every = _traffic(SubgraphTraffic(), section.all if section else None, f"{where}.all")
    every = _traffic(every, _traffic_from_env(environ), "environment (GATEWAY_SUBGRAPH_*)")
    per_subgraph = (section.subgraphs if section else None) or {}
    shaped = {
        name: _traffic(every, entry, f"{where}.subgraphs.{name}") for name, entry in per_subgraph.items()
    }
    return TrafficShaping(every, shaped)


def parse_traffic_shaping(
    data: Any, *, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> TrafficShaping:
    """``traffic_shaping`` (``all`` and ``subgraphs``; None for none) with the ``GATEWAY_SUBGRAPH_*`` env
    overriding ``all``: defaults < ``all`` < environment < a subgraph's own entry."""
    section = None
    if data is not None:
        wrapped = {"traffic_shaping": data}
        section = _validate(_TrafficShapingOnly, wrapped, source).traffic_shaping
    return _traffic_shaping(section, source, os.environ if environ is None else environ)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read ``gateway.yaml``; relative paths in it are resolved against its directory."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (create it, or pass --config PATH)") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the config file: {e.strerror}") from None
    config = parse_config(text, source=str(p), base_dir=p.resolve().parent, environ=environ)
    return replace(config, path=p)
