"""The shape of ``gateway.yaml`` as pydantic models: every key, its type, default, meaning, and the environment
variable and ``fedgw serve`` flag that override it.

``gateway.config`` validates a file with ``GatewayFile`` and turns the result into the values the gateway
runs on; ``gateway.config_reference`` prints ``docs/config.md`` from these models. A new key is a field here
(with a ``description``, and ``env``/``flag`` in ``setting(...)`` when it has them); the reference follows.
Values that come from text (environment variables) are read with the same validators as the file's.

Precedence, for every setting that several sources give: ``fedgw serve`` flags > environment variables >
``gateway.yaml`` > defaults. ``production`` is the exception by design: from any source it turns
introspection, GraphiQL and plan exposure off and every lifted limit back on, whatever the others say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "CorsSection",
    "Count",
    "DemandControlSection",
    "Duration",
    "Flag",
    "GatewayFile",
    "LimitsSection",
    "OptionalCount",
    "PlanCacheSection",
    "SubgraphEntry",
    "SubscriptionsSection",
    "TrafficEntry",
    "TrafficShapingSection",
    "Workers",
    "describe_errors",
    "read_env",
    "setting",
]

EVENT_PROVIDERS = frozenset({"nats"})
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_UNLIMITED = {"", "none", "null", "off", "unlimited"}


def setting(
    default: Any = None, description: str = "", *, env: str | None = None, flag: str | None = None, **kw: Any
) -> Any:
    """A field of the file with what the reference says of it: its meaning, its variable and its flag."""
    extra: dict[str, Any] = {k: v for k, v in (("env", env), ("flag", flag)) if v}
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


# -- value types, with messages that say what was expected and what came ---------------------------------


def _count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value


def _optional_count(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _UNLIMITED):
        return None
    try:
        return _count(value)
    except ValueError:
        raise ValueError(f"expected a non-negative integer or null, got {value!r}") from None


def _whole(value: Any) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _duration(value: Any) -> float:
    """Seconds from a number or a string like ``500ms``, ``2s``, ``1.5m``."""
    if not isinstance(value, bool) and isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration (seconds, or like '500ms', '2s'), got {value!r}")
    return float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match.group(2) or "s"]


def _workers(value: Any) -> int | str:
    """A number of worker processes, at least 1, or ``auto`` (one per core this process may run on)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    number = int(value) if isinstance(value, str) and value.strip().lstrip("-").isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"expected a number of worker processes (1 or more) or 'auto', got {value!r}")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value.strip()


def _names(value: Any) -> list[str]:
    """A list of strings, or one comma-separated string (as environment variables give them)."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    return list(value)


Count = Annotated[int, BeforeValidator(_count)]
OptionalCount = Annotated[int | None, BeforeValidator(_optional_count)]
Whole = Annotated[int, BeforeValidator(_whole)]
Number = Annotated[float, BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Duration = Annotated[float, BeforeValidator(_duration)]
Text = Annotated[str, BeforeValidator(_text)]
Workers = Annotated[int | str, BeforeValidator(_workers)]
Names = Annotated[list[str], BeforeValidator(_names)]


class Section(BaseModel):
    """A mapping of the file: unknown keys are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def given(self) -> dict[str, Any]:
        """The keys the file set, with their validated values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# -- the sections ------------------------------------------------------------------------------------------


class SubgraphEntry(Section):
    """One subgraph the gateway composes and calls."""

    name: Text = setting(..., "Its name in the supergraph: a letter, then letters, digits, '_' or '-'.")
    url: Text | None = setting(
        None,
        "The URL the gateway sends its GraphQL requests to (http or https); required unless 'events' is set.",
        env="SUBGRAPH_<NAME>_URL",
    )
    schema_: Text | None = setting(
        None, "Its committed SDL snapshot file (relative to gateway.yaml).", alias="schema"
    )
    module: Text | None = setting(None, "Code that prints its SDL, as 'package.module:callable'.")
    include_subgraph_errors: Flag = setting(
        False,
        "Let its errors reach clients unmasked (development only).",
        env="GATEWAY_INCLUDE_SUBGRAPH_ERRORS",
    )
    events: Text | None = setting(
        None,
        "An event-driven subgraph: its fields read the broker named here (nats), it has no url, and its SDL "
        "comes from 'schema' or 'module'.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> SubgraphEntry:
        if not _NAME.match(self.name):
            raise ValueError("a name starts with a letter and has only letters, digits, '_' and '-'")
        if self.module is not None and not _MODULE.match(self.module):
            raise ValueError(f"'module' must look like 'package.module:callable', got {self.module!r}")
        if self.events is not None and self.events not in EVENT_PROVIDERS:
            raise ValueError(
                f"'events' must be one of {', '.join(sorted(EVENT_PROVIDERS))}, got {self.events!r}"
            )
        if self.events is not None and self.schema_ is None and self.module is None:
            raise ValueError("an event-driven subgraph needs 'schema' or 'module' for its SDL")
        if self.events is None and self.url is None:
            raise ValueError("missing 'url'")
        return self


class BreakerEntry(Section):
    """The circuit breaker in front of a subgraph."""

    enabled: Flag = setting(True, "Whether the breaker opens at all.")
    failure_threshold: Whole = setting(
        5, "Consecutive failures that open it.", env="GATEWAY_SUBGRAPH_BREAKER_FAILURES"
    )
    cool_down: Duration = setting(
        10.0, "How long it stays open before one trial request.", env="GATEWAY_SUBGRAPH_BREAKER_COOL_DOWN"
    )


class RetryEntry(Section):
    """Retries of idempotent subgraph requests, within a budget."""

    max_retries: Whole = setting(2, "Retries of one request.", env="GATEWAY_SUBGRAPH_RETRIES")
    base_delay: Duration = setting(0.05, "The first backoff delay.")
    max_delay: Duration = setting(1.0, "The longest backoff delay.")
    ttl: Duration = setting(10.0, "The window the retry budget counts requests over.")
    min_per_sec: Whole = setting(10, "Retries always allowed per second, whatever the budget.")
    retry_percent: Number = setting(0.2, "Retries allowed as a share of requests.")


class TrafficEntry(Section):
    """How the gateway talks to subgraphs (all, or one)."""

    timeout: Duration = setting(
        30.0, "Per request.", env="GATEWAY_SUBGRAPH_TIMEOUT", flag="--subgraph-timeout"
    )
    connect_timeout: Duration = setting(2.0, "To connect.", env="GATEWAY_SUBGRAPH_CONNECT_TIMEOUT")
    circuit_breaker: BreakerEntry | None = setting(None, "The circuit breaker.")
    retry: RetryEntry | None = setting(None, "Retries.")


class TrafficShapingSection(Section):
    """Subgraph timeouts, circuit breakers and retries: ``all``, and per subgraph what differs."""

    all: TrafficEntry | None = setting(None, "Every subgraph.")
    subgraphs: dict[str, TrafficEntry] | None = setting(
        None, "By subgraph name: what differs from 'all' (the environment does not override these)."
    )


_LIMIT_HELP = {
    "max_depth": "Deepest selection nesting of an operation.",
    "max_height": "Fields in an operation, counted once per response key.",
    "max_aliases": "Aliases in an operation.",
    "max_root_fields": "Root fields of an operation.",
    "max_fragment_spreads": "Fragment spreads in a document.",
    "max_directives": "Directives on one selection.",
    "max_operations": "Operations in one document.",
    "max_tokens": "Tokens in a document (the parser's limit).",
    "max_recursion": "Nesting the parser follows.",
    "http_max_request_bytes": "Largest request body, in bytes (never unlimited).",
    "planning_budget": "Units of planning work per operation (about one per selection per stage).",
}


def _limits_fields() -> dict[str, Any]:
    from gateway.server.limits import Limits

    defaults = Limits()
    fields: dict[str, Any] = {}
    for name in Limits.names():
        env = f"GATEWAY_LIMITS_{name.upper()}"
        kind = Count if name == "http_max_request_bytes" else OptionalCount
        fields[name] = (kind, setting(getattr(defaults, name), _LIMIT_HELP.get(name, ""), env=env))
    return fields


def _limits_section() -> type[Section]:
    from pydantic import create_model

    model: type[Section] = create_model(
        "LimitsSection",
        __base__=Section,
        __doc__="Operation, parser and body limits (null lifts a limit); refused with coded 4xx errors.",
        **_limits_fields(),
    )
    return model


LimitsSection = _limits_section()


class CorsSection(Section):
    """Browser origins allowed to call the gateway (no CORS headers at all without this section)."""

    origins: Names = setting(
        [],
        'Exact origins (https://app.example), or "*" for any.',
        env="GATEWAY_CORS_ORIGINS",
        flag="--cors-origin",
    )
    allow_credentials: Flag = setting(
        False,
        "Let browsers send cookies and credentials (needs explicit origins).",
        env="GATEWAY_CORS_ALLOW_CREDENTIALS",
    )
    allow_methods: Names = setting(["GET", "POST", "OPTIONS"], "Methods a preflight may ask for.")
    allow_headers: Names = setting(
        ["content-type", "accept", "authorization", "x-query-plan"],
        'Request headers a preflight may ask for ("*": any).',
    )
    expose_headers: Names = setting([], "Response headers scripts may read.")
    max_age: Count = setting(600, "Seconds a browser may keep a preflight's answer.")

    @model_validator(mode="after")
    def _check(self) -> CorsSection:
        if "*" in self.origins and self.allow_credentials:
            # Browsers refuse credentials with a wildcard; echoing any origin with credentials opens every session.
            raise ValueError('allow_credentials needs explicit origins, not "*"')
        return self


class PlanCacheSection(Section):
    """The query-plan cache (per supergraph generation)."""

    size: Count = setting(1024, "Plans kept.", env="GATEWAY_PLAN_CACHE_SIZE")
    bytes: Count = setting(
        24 * 1024 * 1024, "Estimated bytes the plans may take.", env="GATEWAY_PLAN_CACHE_BYTES"
    )
    max_document_bytes: Count = setting(
        256 * 1024,
        "Longer documents are planned every time, never cached.",
        env="GATEWAY_PLAN_CACHE_MAX_DOCUMENT_BYTES",
    )
    failures: Count = setting(128, "Failed documents remembered apart.")


class DemandControlSection(Section):
    """Static cost estimate of operations (IBM's cost specification) and its maximum."""

    max: OptionalCount = setting(
        None, "Largest estimated cost accepted; null: no maximum.", env="GATEWAY_DEMAND_CONTROL_MAX"
    )
    list_size: Count = setting(
        10, "Assumed length of a list field without @listSize.", env="GATEWAY_DEMAND_CONTROL_LIST_SIZE"
    )
    mode: Literal["enforce", "measure"] = setting(
        "enforce",
        "enforce: refuse above max; measure: estimate, never refuse.",
        env="GATEWAY_DEMAND_CONTROL_MODE",
    )
    include_in_extensions: Flag = setting(
        False, "Every response carries extensions.cost.", env="GATEWAY_DEMAND_CONTROL_INCLUDE_IN_EXTENSIONS"
    )


class SubscriptionsSection(Section):
    """Subscriptions over WebSocket, SSE and multipart: how many, and their pace."""

    max_per_connection: OptionalCount = setting(
        100,
        "Subscriptions on one WebSocket (null: no limit).",
        env="GATEWAY_SUBSCRIPTIONS_MAX_PER_CONNECTION",
    )
    max_total: OptionalCount = setting(
        10_000, "Subscriptions in the process (null: no limit).", env="GATEWAY_SUBSCRIPTIONS_MAX_TOTAL"
    )
    connection_init_timeout: Duration = setting(
        10.0,
        "Time a WebSocket client has to send connection_init (then close 4408).",
        env="GATEWAY_SUBSCRIPTIONS_CONNECTION_INIT_TIMEOUT",
    )
    keep_alive: Duration = setting(
        12.0,
        "Between heartbeats (WebSocket ping, SSE comment, multipart {}); 0 turns them off.",
        env="GATEWAY_SUBSCRIPTIONS_KEEP_ALIVE",
    )
    share_upstream: Flag = setting(
        True,
        "Identical subscriptions share one upstream subscription.",
        env="GATEWAY_SUBSCRIPTIONS_SHARE_UPSTREAM",
    )
    max_pending: Count = setting(
        1000,
        "Events a subscriber may fall behind before it ends with SUBSCRIPTION_OVERFLOW.",
        env="GATEWAY_SUBSCRIPTIONS_MAX_PENDING",
    )


class TelemetrySection(Section):
    """Traces (OpenTelemetry over OTLP/HTTP), Prometheus metrics at /metrics and the access log
    (``gateway.telemetry``)."""

    otlp_endpoint: Text | None = setting(
        None,
        "OTLP/HTTP collector that spans are exported to (e.g. http://collector:4318); null: no tracing. "
        "OTEL_EXPORTER_OTLP_ENDPOINT is read when GATEWAY_OTLP_ENDPOINT is not set; none turns it off.",
        env="GATEWAY_OTLP_ENDPOINT",
        flag="--otlp-endpoint",
    )
    sampling_ratio: Annotated[float, Field(ge=0, le=1)] = setting(
        1.0,
        "Share of the traces starting here that are kept (a sampled traceparent is followed); "
        "OTEL_TRACES_SAMPLER_ARG when GATEWAY_TRACE_SAMPLING_RATIO is not set.",
        env="GATEWAY_TRACE_SAMPLING_RATIO",
        flag="--trace-sampling-ratio",
    )
    service_name: Text = setting("gateway", "The service.name of the spans (also OTEL_SERVICE_NAME).")
    metrics: Flag = setting(True, "Serve Prometheus metrics at /metrics.", env="GATEWAY_METRICS")
    max_operation_names: Count = setting(
        100,
        "Distinct operation_name label values; later names are counted as 'other'.",
        env="GATEWAY_METRICS_MAX_OPERATION_NAMES",
    )
    access_log: Flag = setting(
        True, "One line per request on the gateway.access logger.", env="GATEWAY_ACCESS_LOG"
    )
    log_format: Literal["text", "json"] = setting(
        "text", "Log lines as text or one JSON object each.", env="GATEWAY_LOG_FORMAT", flag="--log-format"
    )

    @model_validator(mode="after")
    def _check(self) -> TelemetrySection:
        if self.otlp_endpoint is not None and not re.match(r"^https?://", self.otlp_endpoint):
            raise ValueError(f"otlp_endpoint must be an http(s) URL, got {self.otlp_endpoint!r}")
        return self


class RegistrySection(Section):
    """Follow the services' registry (NATS JetStream KV, ``gateway.registry``) instead of 'subgraphs'."""

    bucket: Text = setting(
        "fedgw_registry", "The NATS KV bucket services register in.", env="GATEWAY_REGISTRY_BUCKET"
    )
    nats_url: Text = setting(
        "nats://127.0.0.1:4222", "The NATS server of the registry.", env="GATEWAY_REGISTRY_NATS_URL, NATS_URL"
    )
    ttl: Duration = setting(
        15.0, "An entry without a heartbeat for this long is gone.", env="GATEWAY_REGISTRY_TTL"
    )
    debounce: Duration = setting(
        0.5, "Changes are composed once this long passed without another.", env="GATEWAY_REGISTRY_DEBOUNCE"
    )
    max_delay: Duration = setting(
        5.0, "At most this long after the first change of a burst.", env="GATEWAY_REGISTRY_MAX_DELAY"
    )
    breaking_policy: Text = setting(
        "refuse_breaking",
        "What a new composition may change: refuse_breaking, refuse_dangerous or allow.",
        env="GATEWAY_REGISTRY_BREAKING_POLICY",
    )
    health_interval: Duration = setting(
        2.0, "Between active health checks of each replica.", env="GATEWAY_REGISTRY_HEALTH_INTERVAL"
    )
    health_timeout: Duration = setting(
        1.0, "Bound of one health check.", env="GATEWAY_REGISTRY_HEALTH_TIMEOUT"
    )
    unhealthy_after: Count = setting(
        2, "Failed checks in a row that eject a replica.", env="GATEWAY_REGISTRY_UNHEALTHY_AFTER"
    )
    healthy_after: Count = setting(
        1, "Passed checks in a row that take it back.", env="GATEWAY_REGISTRY_HEALTHY_AFTER"
    )

    @model_validator(mode="after")
    def _check(self) -> RegistrySection:
        from gateway.registry.store import RegistrySettings

        RegistrySettings(**self.given())  # its own checks: the policy's name, ttl > 0, debounce <= max_delay
        return self


class GatewayFile(Section):
    """``gateway.yaml``: the subgraphs, where the supergraph snapshot lives, and how the gateway serves."""

    supergraph: Text = setting(
        "schema/supergraph.graphql", "The committed supergraph snapshot (relative to gateway.yaml)."
    )
    subgraphs: list[SubgraphEntry] = setting(
        [], "The subgraphs, at least one (none when 'registry' says which exist)."
    )
    expose_query_plan: Flag | None = setting(
        None,
        "Let a request ask for its plan (header X-Query-Plan: true; GraphiQL's plan panel). "
        "Default: on only when serving on a loopback address.",
        env="GATEWAY_EXPOSE_QUERY_PLAN",
        flag="--expose-query-plan / --no-expose-query-plan",
    )
    graphiql: Flag = setting(
        True, "Serve GraphiQL at /graphql to browsers.", env="GATEWAY_GRAPHIQL", flag="--no-graphiql"
    )
    introspection: Flag = setting(
        True,
        "Answer __schema and __type queries.",
        env="GATEWAY_INTROSPECTION",
        flag="--introspection / --no-introspection",
    )
    production: Flag = setting(
        False,
        "No introspection, GraphiQL or query plans, and every operation limit on, whatever else says.",
        env="GATEWAY_PRODUCTION",
        flag="--production",
    )
    workers: Workers = setting(
        1,
        "Gateway processes serving the same port (1: the gateway is one process; 'auto': one per core). "
        "The parent loads the supergraph once, restarts a worker that dies and passes SIGTERM and SIGHUP on.",
        env="GATEWAY_WORKERS",
        flag="--workers",
    )
    ready_timeout: Duration = setting(
        2.0, "Bound of each subgraph probe of /ready.", env="GATEWAY_READY_TIMEOUT"
    )
    deduplicate_inflight: Flag = setting(
        True,
        "Run identical concurrent queries once and share the answer.",
        env="GATEWAY_DEDUPLICATE_INFLIGHT",
    )
    authorization_policy: Text | None = setting(
        None, "The 'module:callable' that decides @policy.", env="GATEWAY_AUTHORIZATION_POLICY"
    )
    reject_unauthorized: Flag = setting(
        False,
        "Refuse (403) a request that selects anything it may not see, instead of answering those parts null.",
        env="GATEWAY_REJECT_UNAUTHORIZED",
    )
    traffic_shaping: TrafficShapingSection | None = setting(None, TrafficShapingSection.__doc__ or "")
    limits: LimitsSection | None = setting(None, LimitsSection.__doc__ or "")  # type: ignore[valid-type]
    cors: CorsSection | None = setting(None, CorsSection.__doc__ or "")
    plan_cache: PlanCacheSection | None = setting(None, PlanCacheSection.__doc__ or "")
    demand_control: DemandControlSection | None = setting(None, DemandControlSection.__doc__ or "")
    subscriptions: SubscriptionsSection | None = setting(None, SubscriptionsSection.__doc__ or "")
    telemetry: TelemetrySection | None = setting(None, TelemetrySection.__doc__ or "")
    registry: RegistrySection | None = setting(None, RegistrySection.__doc__ or "")

    @model_validator(mode="before")
    @classmethod
    def _subgraphs_listed(cls, data: Any) -> Any:
        # Without the key and with unknown ones, "missing" and "unknown key(s)" together say more (a typo).
        listed = isinstance(data, dict) and ("subgraphs" in data or set(data) <= set(cls.model_fields))
        if isinstance(data, dict) and data.get("registry") is not None and data.get("subgraphs") is None:
            return {key: value for key, value in data.items() if key != "subgraphs"}  # the registry's
        if listed and (not isinstance(data.get("subgraphs"), list) or not data["subgraphs"]):
            raise ValueError("'subgraphs' must be a non-empty list of {name, url, schema, module}")
        return data

    @model_validator(mode="after")
    def _check(self) -> GatewayFile:
        if not self.subgraphs and self.registry is None:
            raise ValueError("'subgraphs' must be a non-empty list of {name, url, schema, module}")
        names = [s.name for s in self.subgraphs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"subgraph {', '.join(repr(n) for n in twice)} listed twice; names must be unique"
            )
        shaped = set((self.traffic_shaping.subgraphs or {}) if self.traffic_shaping else {})
        if unknown := shaped - set(names):
            raise ValueError(
                f"traffic_shaping.subgraphs names no listed subgraph: {', '.join(sorted(unknown))}"
            )
        return self


# -- errors in an operator's words -------------------------------------------------------------------------


def _model_at(model: type[BaseModel] | None, loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` (for naming the keys it expects)."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None  # a dict key (a subgraph's name under traffic_shaping.subgraphs)
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _where(loc: Sequence[str | int], data: Any) -> str:
    """``subgraph 'users'`` for an entry with a name, ``subgraphs[2]`` without, ``limits.max_depth`` ..."""
    parts: list[str] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
            if i == 1 and loc[0] == "subgraphs" and isinstance(name, str):
                parts = [f"subgraph '{name}'"]
            else:
                parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    out = ".".join(parts)
    return out.replace("'.", "': ", 1) if out.startswith("subgraph '") else out


def describe_errors(error: ValidationError, source: str, data: Any, root: type[BaseModel]) -> str:
    """One line per problem, each starting with ``source`` and naming the key: what was wrong, what came."""
    lines: list[str] = []
    unknown: dict[tuple[str | int, ...], list[str]] = {}
    for e in error.errors():
        loc = tuple(e["loc"])
        kind, message = e["type"], str(e["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            unknown.setdefault(loc[:-1], []).append(str(loc[-1]))
            continue
        where = _where(loc, data)
        prefix = f"{source}: {where}" if where else source
        if kind == "missing":
            parent = _where(loc[:-1], data)
            lines.append(f"{source}: {parent + ': ' if parent else ''}missing '{loc[-1]}'")
        elif kind in ("value_error", "assertion_error") or "got" in message:
            lines.append(f"{prefix}: {message}")
        else:
            lines.append(f"{prefix}: {message}, got {e.get('input')!r}")
    for loc, keys in unknown.items():
        model = _model_at(root, loc)
        expected = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        where = _where(loc, data)
        lines.append(
            f"{source}: {where + ': ' if where else ''}unknown key(s) {', '.join(sorted(keys))}"
            + (f"; expected {', '.join(expected)}" if expected else "")
        )
    return "\n".join(lines)


def read_env(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """The fields of ``model`` that their ``env`` variable sets in ``environ``, validated as the file's values
    are; a bad value is a ``ValueError`` naming the variable."""
    from pydantic import TypeAdapter

    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        variable = extra.get("env")
        if not isinstance(variable, str) or "<" in variable or variable not in environ:
            continue
        kind: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        try:
            out[name] = TypeAdapter(kind).validate_python(environ[variable])
        except ValidationError as error:
            message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
            if "got" not in message:
                message = f"{message}, got {environ[variable]!r}"
            raise ValueError(f"{variable}: {message}") from None
    return out
