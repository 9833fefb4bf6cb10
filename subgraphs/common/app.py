"""The FastAPI app every service is: ``/graphql`` (Strawberry federation subgraph) and ``/health``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from sqlalchemy import text
from strawberry.extensions import MaskErrors
from strawberry.fastapi import GraphQLRouter

from .db import Database

__all__ = ["create_subgraph_app", "mask_unexpected_errors"]

log = logging.getLogger("subgraphs")


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def mask_unexpected_errors() -> MaskErrors:
    """Errors we raised on purpose reach the client; anything else becomes a generic message (and a log line)."""
    return MaskErrors(should_mask_error=_is_unexpected, error_message="Internal server error.")


def create_subgraph_app(
    *,
    name: str,
    schema: strawberry.federation.Schema,
    database: Database,
    context: Callable[[Database], dict[str, Any]],
    seed: Callable[[Database], Awaitable[None]] | None = None,
) -> FastAPI:
    """A service app; tables are created (and seed data loaded when empty) at start-up."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await database.create_tables()
        if seed is not None:
            await seed(database)
        yield
        await database.dispose()

    async def get_context() -> dict[str, Any]:
        return context(database)

    app = FastAPI(title=f"{name} subgraph", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.database = database
    app.state.schema = schema
    app.include_router(GraphQLRouter(schema, context_getter=get_context, graphql_ide=None), prefix="/graphql")

    @app.get("/health")
    async def health() -> JSONResponse:
        try:
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down: say so, don't crash
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "service": name}, status_code=503)
        return JSONResponse({"status": "ok", "service": name})

    return app
