"""The FastAPI app every service is: ``/graphql`` (Strawberry federation subgraph), ``/health``, ``/ready`` and
``/metrics``.

``/health`` says the process is alive and reaches its database (a liveness probe); ``/ready`` says it can
serve its code's queries: the database reachable and at the code's migration revision (a readiness probe,
red with the reason while the database is behind). ``/metrics`` is Prometheus' text (``subgraphs.common.telemetry``,
which also traces the app while tracing is on).

With ``REGISTRY_BUCKET`` set, the app registers itself in the registry once its database is ready and
deregisters when it stops (``subgraphs.common.registration``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData

from .db import Database
from .literals import decode_request_json
from .live import LiveEvents
from .migrations import Migrations, migrate_on_start
from .registration import Registration, registration_from_env
from .request_id import RequestIdMiddleware
from .telemetry import CONTENT_TYPE_LATEST, MetricsMiddleware, ServiceMetrics, instrument_app

__all__ = ["create_subgraph_app"]

log = logging.getLogger("subgraphs")


class SubgraphRouter(GraphQLRouter[Any, Any]):
    """Strawberry's FastAPI router, reading request bodies with the number and nesting limits."""

    metrics: ServiceMetrics | None = None

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Strawberry's, counting each operation by name and outcome (``service_graphql_operations_total``)."""
        result = await super().execute_operation(*args, **kwargs)
        data = kwargs.get("request_data")
        if self.metrics is not None and isinstance(data, GraphQLRequestData):
            outcome = getattr(result, "data", None) is not None, bool(getattr(result, "errors", None))
            self.metrics.operation(data.operation_name, data.query, *outcome)
        return result


def create_subgraph_app(
    *,
    name: str,
    schema: strawberry.federation.Schema,
    database: Database,
    context: Callable[[Database], dict[str, Any]],
    migrations: Migrations | None,
    seed: Callable[[Database], Awaitable[None]] | None = None,
    migrate: bool | None = None,
    registration: Registration | None = None,
    consumers: Sequence[str] = (),
    live: LiveEvents | None = None,
) -> FastAPI:
    """A service app; its database is migrated to the code's revision (unless ``migrate`` is false, by default
    ``MIGRATE_ON_START``) and seed data loaded when empty at start-up, then the service registers
    (``registration``, default: as the environment asks, see ``registration_from_env``). ``migrations`` None:
    a service that keeps no tables (``/ready`` then asks only that its database answers). ``consumers`` names
    the service's durable event consumers, whose lag ``/metrics`` reads from JetStream.

    ``live`` feeds the service's subscriptions (served over graphql-transport-ws on ``/graphql``); ``/health``
    then also says how many subscriptions this process has open.
    """
    metrics = ServiceMetrics(name, consumers=consumers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrations is None:
            pass
        elif migrate_on_start() if migrate is None else migrate:
            state = await migrations.upgrade(database)
            log.info("database of %s at revision %s", name, ", ".join(state.current))
        elif (state := await migrations.state(database)).reason:
            # Not ours to upgrade: serve /health, keep /ready red until `fedgw migrate` has run.
            log.warning("%s", state.reason)
            _app.state.registration = None
            yield
            await metrics.aclose()
            if live is not None:
                await live.close()
            await database.dispose()
            return
        if seed is not None:
            await seed(database)
        registered = registration
        if registered is None:
            from strawberry.printer import print_schema

            registered = registration_from_env(name, print_schema(schema))
        if registered is not None:
            await registered.start()
        _app.state.registration = registered
        try:
            yield
        finally:
            if registered is not None:
                await registered.stop()
            await metrics.aclose()
            if live is not None:
                await live.close()
            await database.dispose()

    async def get_context() -> dict[str, Any]:
        return context(database)

    app = FastAPI(title=f"{name} subgraph", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.database = database
    app.state.schema = schema
    app.state.migrations = migrations
    app.state.metrics = metrics
    app.state.live = live
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=("/graphql", "/health", "/metrics"))
    router = SubgraphRouter(schema, context_getter=get_context, graphql_ide=None)
    router.metrics = metrics
    app.include_router(router, prefix="/graphql")

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    async def health() -> JSONResponse:
        try:
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down: say so, don't crash
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "service": name}, status_code=503)
        body: dict[str, Any] = {"status": "ok", "service": name}
        if live is not None:
            body["subscriptions"] = live.open
        return JSONResponse(body)

    @app.get("/ready")
    async def ready() -> JSONResponse:
        try:
            if migrations is None:
                async with database.session() as session:
                    await session.execute(text("SELECT 1"))
                return JSONResponse({"status": "ok", "service": name})
            state = await migrations.state(database)
        except Exception as exc:  # the database is down: not ready, and the operator learns why
            log.warning("readiness check failed: %s", exc)
            body = {"status": "unavailable", "service": name, "reason": "database not reachable"}
            return JSONResponse(body, status_code=503)
        if state.reason is not None:
            body = {"status": "unavailable", "service": name, "reason": state.reason}
            return JSONResponse({**body, "revision": list(state.current), "expected": list(state.heads)}, 503)
        return JSONResponse({"status": "ok", "service": name, "revision": list(state.current)})

    instrument_app(app, database.engine)
    return app
