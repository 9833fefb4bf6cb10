"""The gateway config file (``gateway.yaml``): where the supergraph snapshot lives and which subgraphs exist.

```yaml
supergraph: schema/supergraph.graphql
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
  service_name: gateway
  metrics: true                           # Prometheus text at /metrics
  max_operation_names: 100                # distinct operation_name label values, then "other"
  access_log: true                        # one line per request on the gateway.access logger
  log_format: text                        # or json: one JSON object per log line
```

``SUBGRAPH_<NAME>_URL`` environment variables override the urls (containers), ``GATEWAY_LIMITS_<NAME>`` the
limits; ``GATEWAY_SUBGRAPH_TIMEOUT``,
``GATEWAY_SUBGRAPH_CONNECT_TIMEOUT``, ``GATEWAY_SUBGRAPH_BREAKER_FAILURES``, ``GATEWAY_SUBGRAPH_BREAKER_COOL_DOWN``
and ``GATEWAY_SUBGRAPH_RETRIES`` override ``traffic_shaping.all``; ``GATEWAY_INCLUDE_SUBGRAPH_ERRORS`` overrides
``include_subgraph_errors`` (``gateway.execution.masking``). Relative paths are resolved against the config
file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from gateway.execution.masking import ErrorMasking
from gateway.execution.traffic import SubgraphTraffic, TrafficShaping

__all__ = [
    "ConfigError",
    "GatewayConfig",
    "SubgraphConfig",
    "load_config",
    "parse_config",
    "parse_traffic_shaping",
]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SUBGRAPH_KEYS = {"name", "url", "schema", "module", "include_subgraph_errors", "events"}
_TOP_KEYS = {
    "supergraph",
    "subgraphs",
    "traffic_shaping",
    "limits",
    "cors",
    "plan_cache",
    "demand_control",
    "subscriptions",
    "telemetry",
}
_TELEMETRY_KEYS = {
    "otlp_endpoint",
    "sampling_ratio",
    "service_name",
    "metrics",
    "max_operation_names",
    "access_log",
    "log_format",
}
_EVENT_PROVIDERS = {"nats"}
_CORS_KEYS = {"origins", "allow_credentials", "allow_methods", "allow_headers", "expose_headers", "max_age"}
_PLAN_CACHE_KEYS = {"size", "bytes", "max_document_bytes", "failures"}


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
    # The telemetry section's keys, checked (gateway.telemetry).
    telemetry: dict[str, Any] = field(default_factory=dict)

    def subgraph(self, name: str) -> SubgraphConfig:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise KeyError(name)

    def error_masking(self, environ: Mapping[str, str] | None = None) -> ErrorMasking:
        """Whose subgraph errors reach clients unmasked: the config's choice, then the environment's."""
        chosen = ErrorMasking(include={s.name: True for s in self.subgraphs if s.include_subgraph_errors})
        return ErrorMasking.from_env(os.environ if environ is None else environ, chosen)


def _string(entry: Mapping[str, Any], key: str, where: str, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


def _integer(value: Any, where: str, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        expected = "a non-negative integer" + (" or null" if nullable else "")
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return value


def _section(
    data: Mapping[str, Any], key: str, known: set[str] | tuple[str, ...], source: str
) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: '{key}' must be a mapping, got {value!r}")
    unknown = set(value) - set(known)
    if unknown:
        raise ConfigError(
            f"{source}: {key}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}"
        )
    return value


def _limits(data: Mapping[str, Any], source: str) -> dict[str, int | None]:
    from gateway.server.limits import Limits

    section = _section(data, "limits", Limits.names(), source)
    return {
        name: _integer(value, f"{source}: limits.{name}", nullable=name != "http_max_request_bytes")
        for name, value in section.items()
    }


def _demand_control(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    from gateway.server.demand_control import DemandControl

    section = _section(data, "demand_control", DemandControl.names(), source)
    out: dict[str, Any] = {}
    for name, value in section.items():
        where = f"{source}: demand_control.{name}"
        if name == "mode":
            if value not in ("enforce", "measure"):
                raise ConfigError(f"{where}: expected 'enforce' or 'measure', got {value!r}")
            out[name] = value
        elif name == "include_in_extensions":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            out[name] = value
        else:
            out[name] = _integer(value, where, nullable=name == "max")
    return out


def _telemetry(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    section = _section(data, "telemetry", _TELEMETRY_KEYS, source)
    out: dict[str, Any] = {}
    for name, value in section.items():
        where = f"{source}: telemetry.{name}"
        if name in ("metrics", "access_log"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
        elif name == "sampling_ratio":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ConfigError(f"{where}: expected a number from 0 to 1, got {value!r}")
            value = float(value)
        elif name == "max_operation_names":
            value = _integer(value, where, nullable=False)
        elif name == "log_format":
            if value not in ("text", "json"):
                raise ConfigError(f"{where}: expected 'text' or 'json', got {value!r}")
        elif name == "otlp_endpoint":
            if value is not None and (not isinstance(value, str) or not re.match(r"^https?://", value)):
                raise ConfigError(f"{where}: expected an http(s) URL or null, got {value!r}")
        elif not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
        out[name] = value
    return out


def _cors(data: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    if data.get("cors") is None:
        return None
    section = _section(data, "cors", _CORS_KEYS, source)
    origins = section.get("origins", [])
    if isinstance(origins, str):
        origins = [origins]
    if not isinstance(origins, list) or not all(isinstance(o, str) and o for o in origins):
        raise ConfigError(f'{source}: cors.origins must be a list of origins (or "*"), got {origins!r}')
    if "*" in origins and section.get("allow_credentials"):
        # Browsers refuse credentials with a wildcard; echoing any origin with credentials opens every session.
        raise ConfigError(f'{source}: cors.allow_credentials needs explicit origins, not "*"')
    if "max_age" in section:
        _integer(section["max_age"], f"{source}: cors.max_age", nullable=False)
    return {**section, "origins": origins}


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> GatewayConfig:
    """Parse config text; paths are made absolute against ``base_dir`` when given."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'subgraphs' (and optionally 'supergraph')")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_TOP_KEYS))}"
        )
    entries = data.get("subgraphs")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: 'subgraphs' must be a non-empty list of {{name, url, schema, module}}")
    env = os.environ if environ is None else environ

    def path(value: str | None) -> str | None:
        if value is None or base_dir is None or Path(value).is_absolute():
            return value
        resolved = os.path.relpath(base_dir / value)  # relative to the working directory when that is shorter
        return resolved if not resolved.startswith("..") else str(base_dir / value)

    subgraphs: list[SubgraphConfig] = []
    for i, entry in enumerate(entries):
        where = f"{source}: subgraphs[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with name and url, got {entry!r}")
        unknown = set(entry) - _SUBGRAPH_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_SUBGRAPH_KEYS))}"
            )
        name = _string(entry, "name", where, True)
        assert name is not None
        where = f"{source}: subgraph '{name}'"
        if not _NAME.match(name):
            raise ConfigError(
                f"{where}: a name starts with a letter and has only letters, digits, '_' and '-'"
            )
        if any(s.name == name for s in subgraphs):
            raise ConfigError(f"{where}: listed twice; subgraph names must be unique")
        events = _string(entry, "events", where, False)
        if events is not None and events not in _EVENT_PROVIDERS:
            raise ConfigError(
                f"{where}: 'events' must be one of {', '.join(sorted(_EVENT_PROVIDERS))}, got {events!r}"
            )
        url = _string(entry, "url", where, events is None) or ""
        if events is not None and not (entry.get("schema") or entry.get("module")):
            raise ConfigError(f"{where}: an event-driven subgraph needs 'schema' or 'module' for its SDL")
        module = _string(entry, "module", where, False)
        if module is not None and not _MODULE.match(module):
            raise ConfigError(f"{where}: 'module' must look like 'package.module:callable', got {module!r}")
        include = entry.get("include_subgraph_errors", False)
        if not isinstance(include, bool):
            raise ConfigError(f"{where}: 'include_subgraph_errors' must be true or false, got {include!r}")
        sub = SubgraphConfig(name, url, path(_string(entry, "schema", where, False)), module, include, events)
        override = env.get(sub.env_var)
        if override:
            sub = replace(sub, url=override)
        if not (events is not None and not sub.url) and not re.match(r"^https?://", sub.url):
            raise ConfigError(f"{where}: 'url' must be an http(s) URL, got {sub.url!r}")
        subgraphs.append(sub)
    supergraph = _string(data, "supergraph", source, False) or "schema/supergraph.graphql"
    traffic = parse_traffic_shaping(data.get("traffic_shaping"), source=source, environ=env)
    unknown = set(traffic.subgraphs) - {s.name for s in subgraphs}
    if unknown:
        raise ConfigError(
            f"{source}: traffic_shaping.subgraphs names no listed subgraph: {', '.join(sorted(unknown))}"
        )
    plan_cache = {
        key: _integer(value, f"{source}: plan_cache.{key}", nullable=False) or 0
        for key, value in _section(data, "plan_cache", _PLAN_CACHE_KEYS, source).items()
    }
    return GatewayConfig(
        subgraphs,
        path(supergraph) or supergraph,
        limits=_limits(data, source),
        cors=_cors(data, source),
        plan_cache=plan_cache,
        traffic=traffic,
        demand_control=_demand_control(data, source),
        subscriptions=_subscriptions(data, source),
        telemetry=_telemetry(data, source),
    )


def _subscriptions(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    from gateway.server.settings import SubscriptionSettings

    section = _section(data, "subscriptions", SubscriptionSettings.names(), source)
    out: dict[str, Any] = {}
    for name, value in section.items():
        where = f"{source}: subscriptions.{name}"
        if name == "share_upstream":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            out[name] = value
        elif name in ("connection_init_timeout", "keep_alive"):
            out[name] = _duration(value, where)
        elif name == "max_pending":
            out[name] = _integer(value, where, nullable=False)
        else:
            out[name] = _integer(value, where, nullable=True)
    return out


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_TRAFFIC_KEYS = {"timeout", "connect_timeout", "circuit_breaker", "retry"}
_BREAKER_KEYS = {"enabled", "failure_threshold", "cool_down"}
_RETRY_KEYS = {"max_retries", "base_delay", "max_delay", "ttl", "min_per_sec", "retry_percent"}
_DURATION_KEYS = {"timeout", "connect_timeout", "cool_down", "base_delay", "max_delay", "ttl"}
_TRAFFIC_ENV = {
    "GATEWAY_SUBGRAPH_TIMEOUT": ("timeout",),
    "GATEWAY_SUBGRAPH_CONNECT_TIMEOUT": ("connect_timeout",),
    "GATEWAY_SUBGRAPH_BREAKER_FAILURES": ("circuit_breaker", "failure_threshold"),
    "GATEWAY_SUBGRAPH_BREAKER_COOL_DOWN": ("circuit_breaker", "cool_down"),
    "GATEWAY_SUBGRAPH_RETRIES": ("retry", "max_retries"),
}


def _duration(value: Any, where: str) -> float:
    """Seconds from a number or a string like ``500ms``, ``2s``, ``1.5m``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a duration (seconds, or like '500ms', '2s'), got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"{where}: expected a duration (seconds, or like '500ms', '2s'), got {value!r}")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def _settings(entry: Any, keys: set[str], where: str) -> dict[str, Any]:
    """A mapping's entries checked against ``keys``, durations turned into seconds."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(sorted(keys))}, got {entry!r}")
    unknown = set(entry) - keys
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(keys))}"
        )
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key in _DURATION_KEYS:
            out[key] = _duration(value, f"{where}.{key}")
        elif key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.enabled: expected true or false, got {value!r}")
            out[key] = value
        elif key in ("failure_threshold", "max_retries", "min_per_sec"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{where}.{key}: expected a whole number, got {value!r}")
            out[key] = value
        elif key == "retry_percent":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
            out[key] = float(value)
        else:
            out[key] = value
    return out


def _traffic(base: SubgraphTraffic, entry: Any, where: str) -> SubgraphTraffic:
    """``base`` with the settings of one ``traffic_shaping`` entry (``all`` or a subgraph's)."""
    fields = _settings(entry, _TRAFFIC_KEYS, where)
    try:
        out = base
        if "timeout" in fields:
            out = replace(out, request_timeout=fields["timeout"])
        if "connect_timeout" in fields:
            out = replace(out, connect_timeout=fields["connect_timeout"])
        if "circuit_breaker" in fields:
            breaker = _settings(fields["circuit_breaker"], _BREAKER_KEYS, f"{where}.circuit_breaker")
            out = replace(out, breaker=replace(out.breaker, **breaker))
        if "retry" in fields:
            retry = _settings(fields["retry"], _RETRY_KEYS, f"{where}.retry")
            out = replace(out, retry=replace(out.retry, **retry))
    except ValueError as error:  # a setting out of range, said by the settings' own checks
        raise ConfigError(f"{where}: {error}") from None
    return out


def parse_traffic_shaping(
    data: Any, *, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> TrafficShaping:
    """``traffic_shaping`` (``all`` and ``subgraphs``; None for none) with the ``GATEWAY_SUBGRAPH_*`` env
    overriding ``all``: defaults < ``all`` < environment < a subgraph's own entry."""
    where = f"{source}: traffic_shaping"
    data = {} if data is None else data
    if not isinstance(data, dict) or set(data) - {"all", "subgraphs"}:
        raise ConfigError(f"{where}: expected a mapping with 'all' and/or 'subgraphs'")
    every = _traffic(SubgraphTraffic(), data.get("all") or {}, f"{where}.all")
    env = os.environ if environ is None else environ
    from_env: dict[str, Any] = {}
    for name, (key, *inner) in _TRAFFIC_ENV.items():
        raw = env.get(name, "").strip()
        if not raw:
            continue
        # Counts are whole numbers; anything else stays text for the checks to name.
        value: Any = int(raw) if inner and raw.isdigit() else raw
        if inner:
            from_env.setdefault(key, {})[inner[0]] = value
        else:
            from_env[key] = value
    if from_env:
        every = _traffic(every, from_env, "environment (GATEWAY_SUBGRAPH_*)")
    per_subgraph = data.get("subgraphs") or {}
    if not isinstance(per_subgraph, dict):
        raise ConfigError(f"{where}.subgraphs: expected a mapping from subgraph name to settings")
    subgraphs = {
        str(name): _traffic(every, entry, f"{where}.subgraphs.{name}") for name, entry in per_subgraph.items()
    }
    return TrafficShaping(every, subgraphs)


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
