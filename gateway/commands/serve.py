"""``fedgw serve``: run the gateway (GraphQL over HTTP, GraphiQL, /health, /ready) with uvicorn.

The supergraph comes from ``--supergraph PATH`` (supergraph SDL) or from the gateway config (``--config``,
composing the subgraphs at start-up). Host and port come from flags or ``GATEWAY_HOST``/``GATEWAY_PORT``.
uvicorn runs with uvloop and httptools in the foreground; SIGTERM/SIGINT stop accepting connections and
finish in-flight requests (up to ``--graceful-timeout`` seconds) before the subgraph clients close. SIGHUP
reloads the supergraph from the same source without dropping requests. With ``--registry [BUCKET]``
(``GATEWAY_REGISTRY_BUCKET``, or a ``registry:`` section in the config) the subgraphs come from the services'
registry instead and the supergraph follows it (``gateway.registry``). Query plans are exposed to requests
that ask (``X-Query-Plan: true``) by default only when serving on a loopback address. ``--workers N``
(``GATEWAY_WORKERS``, ``workers:`` in the config; ``auto``: one per core) serves from N processes sharing the
port under a supervisor (``gateway.commands._workers``); 1, the default, is this one process alone.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.composition.supergraph import Supergraph
from gateway.server.loading import compose_supergraph, load_supergraph_file
from gateway.server.settings import ServerSettings

__all__ = [
    "SupergraphSource",
    "add_parser",
    "build_app",
    "masking_for",
    "resolve_source",
    "run",
    "settings_for",
    "workers_for",
]

logger = logging.getLogger("gateway.serve")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the gateway",
        description="run the gateway: GraphQL over HTTP, GraphiQL, /health and /ready. Every setting: "
        "flags > GATEWAY_* environment variables > gateway.yaml > defaults (docs/config.md).",
    )
    add_source_arguments(parser)
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "4000")))
    parser.add_argument(
        "--expose-query-plan",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let requests ask for their plan (header X-Query-Plan: true; GraphiQL's plan panel); default: "
        "GATEWAY_EXPOSE_QUERY_PLAN, else gateway.yaml's expose_query_plan, else on only when serving on a "
        "loopback address",
    )
    parser.add_argument("--no-graphiql", action="store_true", help="do not serve GraphiQL")
    parser.add_argument(
        "--introspection",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer __schema/__type queries (default: GATEWAY_INTROSPECTION, else gateway.yaml's "
        "introspection, else on; off with --production)",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        default=None,
        help="no introspection, GraphiQL or query plans, every operation limit on, whatever else says "
        "(also GATEWAY_PRODUCTION or gateway.yaml's production)",
    )
    parser.add_argument(
        "--subgraph-timeout",
        type=float,
        default=None,
        help="seconds per subgraph request, for every subgraph (default: GATEWAY_SUBGRAPH_TIMEOUT, else "
        "gateway.yaml's traffic_shaping, else 30)",
    )
    parser.add_argument(
        "--forward-header",
        action="append",
        default=[],
        metavar="NAME",
        help="client request header forwarded to subgraphs (repeatable; none by default)",
    )
    parser.add_argument("--graceful-timeout", type=float, default=30.0, help="seconds to finish requests")
    parser.add_argument(
        "--workers",
        type=_workers_flag,
        default=None,
        metavar="N",
        help="gateway processes serving the port, at least 1, or 'auto' for one per core (default: "
        "GATEWAY_WORKERS, else gateway.yaml's workers, else 1: this process alone)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="browser origin allowed to call the gateway (repeatable; '*' for any); "
        "default: GATEWAY_CORS_ORIGINS, else gateway.yaml's cors.origins, else none",
    )
    parser.add_argument(
        "--registry",
        nargs="?",
        const="",
        default=None,
        metavar="BUCKET",
        help="follow the services' registry (NATS KV bucket; default: GATEWAY_REGISTRY_BUCKET, else the "
        "config's registry.bucket, else fedgw_registry) instead of composing the config's subgraphs",
    )
    parser.add_argument("--nats-url", default=None, help="NATS server of the registry (default NATS_URL)")
    parser.add_argument("--log-level", default=os.environ.get("GATEWAY_LOG_LEVEL", "info"))
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="log lines as text or one JSON object each (default: GATEWAY_LOG_FORMAT, else gateway.yaml's "
        "telemetry.log_format, else text)",
    )
    parser.add_argument(
        "--otlp-endpoint",
        metavar="URL",
        default=None,
        help="export traces over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318); default: "
        "GATEWAY_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT, else gateway.yaml's telemetry.otlp_endpoint, "
        "else off",
    )
    parser.add_argument(
        "--trace-sampling-ratio",
        type=float,
        default=None,
        metavar="RATIO",
        help="share of new traces kept, 0 to 1 (default: GATEWAY_TRACE_SAMPLING_RATIO, else "
        "gateway.yaml's telemetry.sampling_ratio, else 1)",
    )
    return parser


def _workers_flag(text: str) -> int | str:
    from pydantic import TypeAdapter, ValidationError

    from gateway.config_schema import Workers

    try:
        value: int | str = TypeAdapter(Workers).validate_python(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(
            str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        ) from None
    return value


def workers_for(
    args: argparse.Namespace, config: Any = None, environ: Mapping[str, str] | None = None
) -> int:
    """How many worker processes to serve from: ``--workers`` > ``GATEWAY_WORKERS`` > the config's
    ``workers`` > 1; ``auto`` is one per core. A bad ``GATEWAY_WORKERS`` is a ``ValueError`` naming it."""
    from gateway.commands._workers import worker_count
    from gateway.config_schema import GatewayFile, read_env

    env = os.environ if environ is None else environ
    value = getattr(args, "workers", None)
    if value is None:
        value = read_env(GatewayFile, {k: v for k, v in env.items() if k == "GATEWAY_WORKERS"}).get("workers")
    if value is None and config is not None:
        value = (getattr(config, "server", None) or {}).get("workers")
    return worker_count(1 if value is None else value)


def registry_settings_for(
    args: argparse.Namespace, config: Any = None, environ: Mapping[str, str] | None = None
) -> Any:
    """The ``RegistrySettings`` to follow, or None for a static supergraph: defaults < the config's
    ``registry`` < ``GATEWAY_REGISTRY_*`` < flags. The registry is on with ``--registry``,
    ``GATEWAY_REGISTRY_BUCKET`` or a ``registry`` section."""
    from gateway.registry.store import RegistrySettings

    env = os.environ if environ is None else environ
    section = getattr(config, "registry", None)
    flag = getattr(args, "registry", None)
    if flag is None and section is None and not env.get("GATEWAY_REGISTRY_BUCKET"):
        return None
    settings = RegistrySettings(**(section or {})).with_env(env)
    if flag:
        settings = replace(settings, bucket=flag)
    if getattr(args, "nats_url", None):
        settings = replace(settings, nats_url=args.nats_url)
    return settings


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--supergraph PATH`` or ``--config PATH`` (+ ``--from``); shared with ``explain``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--supergraph", metavar="PATH", help="supergraph SDL file (join spec)")
    group.add_argument(
        "--config", metavar="PATH", help="gateway config to compose from (default gateway.yaml)"
    )
    parser.add_argument(
        "--from",
        dest="sdl_from",
        choices=("url", "file", "code"),
        default="url",
        help="with --config: where subgraph SDLs come from (running services, snapshot files, code)",
    )


@dataclass
class SupergraphSource:
    """Where the served supergraph comes from, so SIGHUP can load it again."""

    description: str
    load: Callable[[], Supergraph]
    config: Any = None
    # The supergraph SDL, unread: what a parent of several workers loads once for all of them.
    load_sdl: Callable[[], str] | None = None


def resolve_source(args: argparse.Namespace) -> SupergraphSource:
    """The supergraph source the flags name (``--supergraph`` wins; else the config file)."""
    from gateway.server.loading import compose_supergraph_sdl, read_supergraph_file

    if args.supergraph:
        path = args.supergraph
        return SupergraphSource(
            f"supergraph file {path}",
            lambda: load_supergraph_file(path),
            load_sdl=lambda: read_supergraph_file(path),
        )
    from gateway.config import load_config

    config_path = args.config or "gateway.yaml"
    config = load_config(config_path)
    source = args.sdl_from
    return SupergraphSource(
        f"{config_path} (subgraph SDLs from {source})",
        lambda: compose_supergraph(config.subgraphs, source),
        config,
        lambda: compose_supergraph_sdl(config.subgraphs, source),
    )


@dataclass
class _Clients:
    """Every subgraph client built so far; all are closed when the server stops."""

    open: list[Any] = field(default_factory=list)
    retiring: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        clients, self.open, self.retiring = self.open + self.retiring, [], []
        for client in clients:
            await client.aclose()

    async def retire_old(self, after: float) -> None:
        """Close every client but the newest once requests that started before a reload are done."""
        old, self.open = self.open[:-1], self.open[-1:]
        self.retiring.extend(old)
        await asyncio.sleep(after)
        for client in old:
            if client in self.retiring:  # not already closed by a shutdown
                self.retiring.remove(client)
                await client.aclose()


def build_app(
    supergraph: Supergraph | None,
    settings: ServerSettings,
    *,
    subgraph_timeout: float | None = None,
    forward_headers: list[str] | None = None,
    reload_source: Callable[[], Supergraph] | None = None,
    traffic: Any = None,
    masking: Any = None,
    environ: Mapping[str, str] | None = None,
    registry: Any = None,
    registry_fixed: Sequence[Any] = (),
) -> Any:
    """The production app: real planner, aiohttp subgraph clients, an executor per supergraph, behind the
    operation controls ``environ`` (default ``os.environ``) asks for (``operation_control_from_env``: JWT
    authentication, rate limits, persisted queries).

    ``traffic`` (a ``TrafficShaping``; default: from ``GATEWAY_SUBGRAPH_*``) sets subgraph timeouts, circuit
    breakers and retries; ``subgraph_timeout``, when given, overrides every request timeout. ``masking``
    (``gateway.execution.ErrorMasking``, default: mask every subgraph) decides what clients see of errors.
    Subscriptions read subgraphs over graphql-transport-ws and event-driven fields from NATS
    (``GATEWAY_NATS_URL``, else ``NATS_URL``, else the local server) for the ``default`` provider.
    ``registry`` (``gateway.registry.RegistrySettings``) makes the gateway follow the services' registry:
    ``supergraph`` may then be None (served once the registry composes); the watcher is
    ``app.state.registry`` of the inner app (the returned one when ``environ`` asks for no operation
    control)."""
    from gateway.config import parse_traffic_shaping
    from gateway.execution import AiohttpSubgraphClient, Executor, HeaderPolicy
    from gateway.execution.client import traffic_with_timeouts
    from gateway.execution.nats_events import NatsEventSource
    from gateway.execution.replicas import ReplicaPool
    from gateway.execution.subscriptions import SubscriptionSources
    from gateway.server import Gateway, create_app
    from gateway.server.auth import AuthSettings
    from gateway.server.operation_control import operation_control_from_env

    env = os.environ if environ is None else environ
    auth = AuthSettings.from_env(env)
    allow = list(forward_headers or [])
    if auth is not None:
        # Only the gateway writes this header (operation_control drops a client's own), so it may travel.
        allow.append(auth.claims_header)
        settings = replace(settings, claims_header=auth.claims_header)
    clients = _Clients()
    header_policy = HeaderPolicy(allow=allow)
    traffic = traffic if traffic is not None else parse_traffic_shaping(None)
    # In-flight requests of a replaced client may run for the longest request timeout.
    longest = max(t.request_timeout for t in (traffic.all, *traffic.subgraphs.values()))
    grace = (subgraph_timeout if subgraph_timeout is not None else longest) + 1.0
    # Every subgraph's replicas, with their circuits and health, shared by the clients of successive
    # supergraphs (gateway.execution.replicas); a registry keeps it up to date.
    pool = ReplicaPool(traffic_with_timeouts(traffic, [], subgraph_timeout))

    # Subscription transports outlive supergraph reloads: a subscription that still plans the same keeps its
    # upstream stream (gateway.server.subscription_stream).
    nats_url = env.get("GATEWAY_NATS_URL") or env.get("NATS_URL") or "nats://127.0.0.1:4222"
    sources = SubscriptionSources(
        events=NatsEventSource({"default": nats_url}),
        share=settings.subscriptions.share_upstream,
        max_pending=settings.subscriptions.max_pending,
    )

    def executor_for(new: Supergraph) -> Any:
        client = AiohttpSubgraphClient(
            {s.name: s.url for s in new.subgraphs.values() if s.url},
            traffic=traffic,
            timeouts=subgraph_timeout,
            deduplicate_inflight=settings.deduplicate_inflight,
            replicas=pool,
        )
        clients.open.append(client)
        return Executor(new, client, header_policy=header_policy, masking=masking, subscriptions=sources)

    gateway = Gateway(supergraph, executor_factory=executor_for, settings=settings)
    retiring: set[asyncio.Task[None]] = set()

    async def swap(new: Supergraph) -> None:
        """Serve ``new`` from the next request on; the previous client closes once its requests are done."""
        gateway.reload(new)
        task = asyncio.get_running_loop().create_task(clients.retire_old(grace))
        retiring.add(task)
        task.add_done_callback(retiring.discard)

    watcher: Any = None
    if registry is not None:
        from gateway.registry.watcher import RegistryWatcher

        watcher = RegistryWatcher(gateway, pool, registry, swap=swap, fixed=registry_fixed)

    async def watch_sighup() -> None:
        if reload_source is None:
            return
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[None]] = set()

        def on_sighup() -> None:
            task = loop.create_task(_reload(gateway, reload_source, clients, grace))
            pending.add(task)  # keep a reference until done, or the task may be collected mid-reload
            task.add_done_callback(pending.discard)

        try:
            loop.add_signal_handler(signal.SIGHUP, on_sighup)
        except (NotImplementedError, RuntimeError):  # not on this platform / not the main thread
            pass

    controls: list[Any] = []

    async def close_controls() -> None:
        for control in controls:
            await control.aclose()

    startup: list[Callable[[], Any]] = [watch_sighup]
    shutdown: list[Callable[[], Any]] = []
    details = None
    probe = None
    if watcher is not None:
        startup.append(watcher.start)
        shutdown.append(watcher.stop)
        details = watcher.status

        async def replica_probe(subgraph: Any, time_limit: float) -> str | None:
            """Ready while a replica of the subgraph is in rotation (the health checks probe each one)."""
            replicas = pool.get(subgraph.name)
            statuses = replicas.statuses() if replicas is not None else []
            if not statuses:
                return "no live replica in the registry"
            if any(s.in_rotation for s in statuses):
                return None
            return "no replica in rotation: " + "; ".join(f"{s.id} {s.reason or s.circuit}" for s in statuses)

        probe = replica_probe
    app = create_app(
        gateway,
        settings,
        probe=probe,
        details=details,
        on_startup=startup,
        on_shutdown=[*shutdown, clients.aclose, close_controls, sources.aclose],
    )
    app.state.registry = watcher
    served = operation_control_from_env(app, env)
    if served is not app:
        controls.append(served)
        # Outermost again, so requests the controls refuse (401, 429) are logged and counted too.
        from gateway.server.request_telemetry import RequestTelemetry

        metrics = gateway.metrics if settings.metrics else None
        return RequestTelemetry(served, metrics=metrics, access_log=settings.access_log)
    return served


async def _reload(gateway: Any, load: Callable[[], Supergraph], clients: _Clients, grace: float) -> None:
    try:
        supergraph = await asyncio.to_thread(load)
    except Exception as error:  # SupergraphLoadError or a config error: keep serving what we have
        logger.error("supergraph reload failed, still serving the previous one: %s", error)
        return
    gateway.reload(supergraph)
    logger.info("supergraph reloaded (%d subgraphs)", len(supergraph.subgraphs))
    # In-flight requests still hold the previous executor; its client closes once they must have finished.
    await clients.retire_old(grace)


def _registry_of(args: argparse.Namespace) -> Any:
    """The registry settings when the flags, environment or config ask for one (the config is read once)."""
    config = None
    if getattr(args, "supergraph", None) is None:
        from pathlib import Path

        from gateway.config import load_config

        path = args.config or "gateway.yaml"
        if args.config or Path(path).exists():
            config = load_config(path)
    return registry_settings_for(args, config)


def _registry_source(args: argparse.Namespace, registry: Any) -> SupergraphSource:
    """The supergraph source of a gateway following the registry: the config (for its other sections)."""
    from pathlib import Path

    from gateway.config import load_config

    config = None
    path = args.config or "gateway.yaml"
    if args.config or Path(path).exists():
        config = load_config(path)

    def unavailable() -> Supergraph:
        raise RuntimeError("a gateway following the registry composes from it, not from a source")

    return SupergraphSource(f"registry '{registry.bucket}' at {registry.nats_url}", unavailable, config)


def _event_driven_sources(config: Any) -> list[Any]:
    """The config's event-driven subgraphs, which no process registers: a gateway following the registry
    composes them with what the services registered (their SDL from code or the snapshot)."""
    from gateway.composition import SubgraphSource
    from gateway.server.loading import subgraph_sdl

    if config is None:
        return []
    return [
        SubgraphSource(s.name, s.url, subgraph_sdl(s, "code"))
        for s in config.subgraphs
        if getattr(s, "events", None) is not None
    ]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def settings_for(args: argparse.Namespace, config: Any = None, environ: Any = None) -> ServerSettings:
    """Server settings from, in increasing precedence: defaults, the config, ``GATEWAY_*`` env, flags; then
    ``production`` from any of them, last, so nothing turns its switches back on."""
    from gateway.server.settings import production_from_env

    env = os.environ if environ is None else environ
    # Plans are a development aid: exposed by default only to a gateway on this machine alone.
    settings = ServerSettings(expose_query_plan=_is_loopback(args.host))
    server = (getattr(config, "server", None) or {}) if config is not None else {}
    if config is not None:
        settings = _from_config(settings, config).with_file(server)
    settings = settings.with_env(env)
    if args.expose_query_plan is not None:
        settings = replace(settings, expose_query_plan=args.expose_query_plan)
    if args.no_graphiql:
        settings = replace(settings, graphiql=False)
    if getattr(args, "introspection", None) is not None:
        settings = replace(settings, introspection=args.introspection)
    tracing = settings.tracing
    if getattr(args, "otlp_endpoint", None):
        tracing = replace(tracing, otlp_endpoint=args.otlp_endpoint)
    if getattr(args, "trace_sampling_ratio", None) is not None:
        tracing = replace(tracing, sampling_ratio=args.trace_sampling_ratio)
    settings = replace(settings, tracing=tracing)
    if getattr(args, "log_format", None):
        settings = replace(settings, log_format=args.log_format)
    if getattr(args, "cors_origin", None):
        from gateway.server.cors import CorsPolicy

        settings = replace(settings, cors=(settings.cors or CorsPolicy()).with_origins(args.cors_origin))
    if getattr(args, "production", None) or server.get("production") or production_from_env(env):
        settings = settings.production()  # last: no flag, variable or key turns its switches back on
    return settings


def masking_for(config: Any = None, environ: Any = None) -> Any:
    """Error masking from the config's ``include_subgraph_errors`` and ``GATEWAY_INCLUDE_SUBGRAPH_ERRORS``."""
    from gateway.execution import ErrorMasking

    if config is not None:
        return config.error_masking(environ)
    return ErrorMasking.from_env(os.environ if environ is None else environ)


_PLAN_CACHE_SETTINGS = {
    "size": "plan_cache_size",
    "bytes": "plan_cache_bytes",
    "max_document_bytes": "plan_cache_max_document_bytes",
    "failures": "plan_cache_failures",
}


def _from_config(settings: ServerSettings, config: Any) -> ServerSettings:
    """gateway.yaml's ``limits``, ``cors``, ``plan_cache``, ``demand_control`` and ``subscriptions`` sections over
    the defaults."""
    from gateway.server.cors import CorsPolicy

    limits = getattr(config, "limits", None) or {}
    if limits:
        settings = replace(settings, limits=replace(settings.limits, **limits))
    cors = getattr(config, "cors", None)
    if cors is not None:
        settings = replace(settings, cors=CorsPolicy.from_mapping(cors))
    demand = getattr(config, "demand_control", None) or {}
    if demand:
        settings = replace(settings, demand_control=replace(settings.demand_control, **demand))
    subscriptions = getattr(config, "subscriptions", None) or {}
    if subscriptions:
        settings = replace(settings, subscriptions=replace(settings.subscriptions, **subscriptions))
    telemetry = getattr(config, "telemetry", None) or {}
    if telemetry:
        tracing_keys = {"otlp_endpoint", "sampling_ratio", "service_name"}
        tracing = {k: v for k, v in telemetry.items() if k in tracing_keys}
        settings = replace(
            settings,
            tracing=replace(settings.tracing, **tracing),
            metrics=telemetry.get("metrics", settings.metrics),
            metrics_max_operation_names=telemetry.get(
                "max_operation_names", settings.metrics_max_operation_names
            ),
            access_log=telemetry.get("access_log", settings.access_log),
            log_format=telemetry.get("log_format", settings.log_format),
        )
    plan_cache = getattr(config, "plan_cache", None) or {}
    changes = {_PLAN_CACHE_SETTINGS[key]: value for key, value in plan_cache.items()}
    return replace(settings, **changes) if changes else settings


def run(args: argparse.Namespace) -> int:
    from gateway.execution.masking import current_request_id
    from gateway.telemetry import configure_logging

    log_format = args.log_format or os.environ.get("GATEWAY_LOG_FORMAT", "text").strip().lower()
    try:
        configure_logging(args.log_level, log_format, current_request_id=current_request_id)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per SDL fetch is noise
    try:
        registry = _registry_of(args)
        source = resolve_source(args) if registry is None else _registry_source(args, registry)
    except Exception as error:  # a config error with its own message
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        workers = workers_for(args, source.config)
    except ValueError as error:  # GATEWAY_WORKERS with a bad value: its name and what it expects
        print(f"error: {error}", file=sys.stderr)
        return 2
    supergraph_file = None
    supergraph: Supergraph | None = None
    try:
        if registry is None and workers > 1 and source.load_sdl is not None:
            from gateway.commands._workers import SupergraphFile

            # Loaded once, here: the workers fork with it and reload from the file the parent keeps.
            supergraph_file = SupergraphFile(source.load_sdl)
            supergraph = supergraph_file.refresh()
        else:
            supergraph = source.load() if registry is None else None
        fixed = _event_driven_sources(source.config) if registry is not None else []
        from gateway.config import parse_traffic_shaping

        traffic = source.config.traffic if source.config is not None else parse_traffic_shaping(None)
    except Exception as error:  # SupergraphLoadError, or a config error with its own message
        if supergraph_file is not None:
            supergraph_file.remove()
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        # Serving: cached plans kept out of the collector's full passes (gateway.server.runtime).
        settings = replace(settings_for(args, source.config), freeze_cached_plans=True)
    except ValueError as error:  # a GATEWAY_* variable with a bad value: its name and what it expects
        print(f"error: {error}", file=sys.stderr)
        return 2
    if settings.log_format != log_format:  # the config file or the environment chose another format
        configure_logging(args.log_level, settings.log_format, current_request_id=current_request_id)
    served = _Served(args, source, settings, supergraph, registry, fixed, traffic)
    if workers == 1:
        return served.serve(reload_source=source.load if registry is None else None)
    return _serve_workers(args, served, workers, supergraph_file)


def _serve_workers(args: argparse.Namespace, served: _Served, workers: int, supergraph_file: Any) -> int:
    """``workers`` processes on the port, under a supervisor in this one (``gateway.commands._workers``)."""
    from gateway.commands._workers import WorkerSupervisor

    def reload() -> bool:
        try:
            supergraph = supergraph_file.refresh()
        except Exception as error:  # SupergraphLoadError or a config error: the workers keep theirs
            logger.error("supergraph reload failed, still serving the previous one: %s", error)
            return False
        served.supergraph = supergraph  # what a worker started from now on forks with
        logger.info("supergraph reloaded (%d subgraphs); reloading the workers", len(supergraph.subgraphs))
        return True

    def serve_worker(sock: Any, number: int) -> int:
        reload_source = supergraph_file.load if supergraph_file is not None else None
        return served.serve(reload_source=reload_source, sockets=[sock], worker=number)

    supervisor = WorkerSupervisor(
        workers,
        args.host,
        args.port,
        serve_worker,
        reload=reload if supergraph_file is not None else None,
        graceful_timeout=args.graceful_timeout,
        cleanup=supergraph_file.remove if supergraph_file is not None else lambda: None,
    )
    try:
        supervisor.check_address()
    except OSError as error:
        supervisor.cleanup()
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    served.announce(f"http://{args.host}:{supervisor.port}/graphql ({workers} workers)")
    # Imported before the workers fork, so none of them imports the server again.
    import uvicorn  # noqa: F401

    import gateway.server  # noqa: F401

    return supervisor.run()


@dataclass
class _Served:
    """What ``run`` loaded and checked, and how to serve it: this process alone, or a forked worker."""

    args: argparse.Namespace
    source: SupergraphSource
    settings: ServerSettings
    supergraph: Supergraph | None
    registry: Any
    fixed: list[Any]
    traffic: Any

    def announce(self, address: str) -> None:
        names = (
            ", ".join(sorted(self.supergraph.subgraphs)) if self.supergraph is not None else "as registered"
        )
        print(f"gateway: {self.source.description}; subgraphs: {names}", flush=True)
        print(f"gateway: {address}", flush=True)

    def serve(
        self,
        *,
        reload_source: Callable[[], Supergraph] | None,
        sockets: list[Any] | None = None,
        worker: int | None = None,
    ) -> int:
        """Serve until stopped: on ``host:port`` (``sockets=None``) or on the sockets a supervisor bound."""
        import uvicorn

        from gateway.telemetry import configure_tracing

        args = self.args
        tracer_provider = configure_tracing(self.settings.tracing)
        app = build_app(
            self.supergraph,
            self.settings,
            subgraph_timeout=args.subgraph_timeout,
            forward_headers=args.forward_header,
            reload_source=reload_source,
            traffic=self.traffic,
            masking=masking_for(self.source.config),
            registry=self.registry,
            registry_fixed=self.fixed,
        )
        config_ = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level=args.log_level.lower(),
            log_config=None,  # uvicorn's own lines go through the root handler, in the chosen format
            access_log=False,  # the gateway writes its own access line (gateway.telemetry.access_log)
            timeout_graceful_shutdown=args.graceful_timeout,
        )
        if worker is None:
            self.announce(f"http://{args.host}:{args.port}/graphql")
        from gateway.server.memory import keep_large_blocks_apart
        from gateway.server.runtime import tune_gc_for_serving

        # After loading: the supergraph and plans-to-be stay out of the collector's way (see runtime.py).
        tune_gc_for_serving()
        # Large documents and bodies give their memory back when freed (see memory.py).
        keep_large_blocks_apart()
        server = uvicorn.Server(config_)
        stop_signals: list[int] = []
        # uvicorn handles SIGTERM/SIGINT itself (graceful shutdown), then re-raises the signal under the
        # handler that was installed before it; recording it here makes a requested stop exit with status 0.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda signum, frame: stop_signals.append(signum))
        server.run(sockets=sockets)
        if tracer_provider is not None:
            tracer_provider.shutdown()  # the spans still in the batch go out before the process ends
        if stop_signals and worker is None:
            print(f"gateway: stopped ({signal.Signals(stop_signals[0]).name})", flush=True)
        return 0 if server.started or stop_signals else 1
