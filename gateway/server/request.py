"""GraphQL-over-HTTP request parameters and how they are read from a POST body or GET query string.

See https://graphql.github.io/graphql-over-http/draft/#sec-Request-Parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.server.errors import BAD_REQUEST

__all__ = [
    "GraphQLRequest",
    "RequestParamsError",
    "request_from_body",
    "request_from_params",
    "request_from_query_params",
]


@dataclass(frozen=True)
class GraphQLRequest:
    """The four request parameters: ``query``, ``operationName``, ``variables`` and ``extensions``."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


class RequestParamsError(Exception):
    """The HTTP request is not a well-formed GraphQL-over-HTTP request (answered with 400)."""

    def __init__(self, message: str, code: str = BAD_REQUEST) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _from_params(params: Mapping[str, Any]) -> GraphQLRequest:
    query = params.get("query")
    if query is None:
        raise RequestParamsError("The request has no 'query' parameter.")
    if not isinstance(query, str):
        raise RequestParamsError("The 'query' parameter must be a string.")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestParamsError("The 'operationName' parameter must be a string or null.")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestParamsError("The 'variables' parameter must be a map or null.")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestParamsError("The 'extensions' parameter must be a map or null.")
    return GraphQLRequest(query, variables, operation_name or None, extensions)


def request_from_params(params: Mapping[str, Any]) -> GraphQLRequest:
    """Read already-decoded request parameters (a WebSocket ``subscribe`` message's payload)."""
    return _from_params(params)


def request_from_body(body: bytes) -> GraphQLRequest:
    """Read a POST ``application/json`` body (spec "POST"): a JSON map of the request parameters."""
    if not body:
        raise RequestParamsError("The request body is empty; expected a JSON map with a 'query'.")
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestParamsError("The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise RequestParamsError("The request body must be a JSON map of request parameters.")
    return _from_params(params)


def _json_param(params: Mapping[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestParamsError(f"The '{name}' parameter is not valid JSON.") from None


def request_from_query_params(params: Mapping[str, str]) -> GraphQLRequest:
    """Read a GET request (spec "GET"): ``variables`` and ``extensions`` are JSON-encoded strings."""
    return _from_params(
        {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
            "variables": _json_param(params, "variables"),
            "extensions": _json_param(params, "extensions"),
        }
    )
