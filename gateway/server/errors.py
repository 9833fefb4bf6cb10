"""GraphQL errors the gateway raises itself, as response-ready values with ``extensions.code``.

Codes follow the names Apollo's gateway and router use, so clients can branch on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError

__all__ = [
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "METHOD_NOT_ALLOWED",
    "OPERATION_RESOLUTION_FAILURE",
    "QUERY_PLANNING_FAILED",
    "STREAMING_TRANSPORT_REQUIRED",
    "SUBSCRIPTION_SCHEMA_RELOAD",
    "TOO_MANY_SUBSCRIPTIONS",
    "ErrorKind",
    "error_dict",
    "graphql_error_dict",
]

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
BAD_REQUEST = "BAD_REQUEST"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# A subscription sent as a plain HTTP request (it needs WebSocket, SSE or multipart).
STREAMING_TRANSPORT_REQUIRED = "STREAMING_TRANSPORT_REQUIRED"
# A subscription whose plan no longer holds on a reloaded supergraph: it ends, the client subscribes again
# (Apollo Router's code).
SUBSCRIPTION_SCHEMA_RELOAD = "SUBSCRIPTION_SCHEMA_RELOAD"
# Over ``subscriptions.max_per_connection`` or ``subscriptions.max_total`` (``extensions.limit`` says which).
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


class ErrorKind(StrEnum):
    """Why a request produced no ``data``; the HTTP layer maps it to a status code.

    GraphQL over HTTP, "Response": a request error (parse, validation, variables, operation selection) is
    400 with ``application/graphql-response+json`` and 200 with ``application/json``.
    """

    REQUEST = "request"
    LIMIT = "limit"  # an operation limit or the planning budget: 400 whatever the media type (Apollo Router)
    METHOD_NOT_ALLOWED = "method_not_allowed"
    FORBIDDEN = "forbidden"  # authorization directives refused the request (reject_unauthorized): 403
    INTERNAL = "internal"


def error_dict(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """A GraphQL error (GraphQL spec 7.1.2 "Errors") without location or path."""
    return {"message": message, "extensions": {"code": code, **extensions}}


def graphql_error_dict(error: GraphQLError, code: str) -> dict[str, Any]:
    """A graphql-core error as a response error, keeping its locations and giving it ``code``."""
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    extensions = dict(error.extensions or {})
    extensions.setdefault("code", code)
    out["extensions"] = extensions
    return out
