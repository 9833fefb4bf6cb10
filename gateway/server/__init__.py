"""The gateway's HTTP server: request pipeline, GraphQL over HTTP, WebSocket and SSE, GraphiQL, health and
readiness."""

from __future__ import annotations

from gateway.server.app import create_app
from gateway.server.cors import CorsPolicy
from gateway.server.errors import ErrorKind
from gateway.server.limits import Limits
from gateway.server.pipeline import (
    Gateway,
    GatewayResponse,
    OperationExecutor,
    Planner,
    PreparedOperation,
    RequestFailure,
    SubscriptionStream,
)
from gateway.server.readiness import HttpSubgraphProbe, Readiness, SubgraphProbe, check_readiness
from gateway.server.request import GraphQLRequest, RequestParamsError
from gateway.server.settings import ServerSettings, SubscriptionSettings

__all__ = [
    "CorsPolicy",
    "ErrorKind",
    "Gateway",
    "GatewayResponse",
    "GraphQLRequest",
    "HttpSubgraphProbe",
    "Limits",
    "OperationExecutor",
    "Planner",
    "PreparedOperation",
    "Readiness",
    "RequestFailure",
    "RequestParamsError",
    "ServerSettings",
    "SubgraphProbe",
    "SubscriptionSettings",
    "SubscriptionStream",
    "check_readiness",
    "create_app",
]
