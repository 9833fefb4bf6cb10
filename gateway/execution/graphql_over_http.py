"""GraphQL over HTTP between the gateway and a subgraph: the request and response values and their codec.

Requests follow the GraphQL over HTTP spec (https://graphql.github.io/graphql-over-http/draft/): a JSON body
``{"query", "variables", "operationName"}`` POSTed with ``Accept: application/graphql-response+json,
application/json``. The answer must be a GraphQL response (a JSON object with ``data`` and/or ``errors``,
GraphQL spec section 7.1); anything else is a :class:`SubgraphFetchError` with a code and a message that says
what went wrong. No I/O here: the client sends the bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import OperationType

__all__ = [
    "REQUEST_HEADERS",
    "SubgraphConnectionError",
    "SubgraphFetchError",
    "SubgraphRequest",
    "SubgraphResponse",
    "decode_graphql_response",
    "encode_graphql_request",
    "operation_type",
]

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
REQUEST_HEADERS: Mapping[str, str] = {"content-type": "application/json", "accept": _ACCEPT}
"""The headers of every subgraph request, over whatever the header policy adds."""


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    """One GraphQL request to a subgraph."""

    query: str
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None
    headers: Mapping[str, str] | None = None


@dataclass(slots=True)
class SubgraphResponse:
    """A well-formed GraphQL response from a subgraph (GraphQL spec section 7.1 "Response Format")."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] | None = None
    status: int = 200
    extensions: dict[str, Any] | None = None


class SubgraphFetchError(Exception):
    """A subgraph request that produced no GraphQL response.

    ``code`` is one of ``SUBGRAPH_TIMEOUT``, ``SUBGRAPH_UNREACHABLE``, ``SUBGRAPH_HTTP_ERROR``,
    ``SUBGRAPH_INVALID_RESPONSE``, ``SUBGRAPH_CIRCUIT_BREAKER_REJECTED`` or ``SUBGRAPH_UNKNOWN``; ``message``
    is safe to show to clients.
    """

    def __init__(self, subgraph: str, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.subgraph = subgraph
        self.code = code
        self.message = message
        self.status = status


class SubgraphConnectionError(SubgraphFetchError):
    """The connection was refused or dropped before any byte of the response arrived.

    The subgraph cannot have sent an answer, so a query may be sent again (``gateway.execution.retry``).
    """


_OPERATION_KEYWORDS = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}


def operation_type(query: str) -> OperationType | None:
    """The type of the (first) operation in a subgraph document, read from its first token; None if unclear.

    The planner sends one operation per document, so the first token says it (GraphQL spec section 2.3,
    "Operations": a shorthand ``{ ... }`` is a query). Comments and ignored commas before it are skipped.
    """
    text = query.lstrip(" \t\r\n,\ufeff")
    while text.startswith("#"):
        end = text.find("\n")
        text = "" if end < 0 else text[end + 1 :].lstrip(" \t\r\n,")
    if text.startswith("{"):
        return OperationType.QUERY
    for keyword, kind in _OPERATION_KEYWORDS.items():
        if text.startswith(keyword):
            following = text[len(keyword) : len(keyword) + 1]
            if not (following.isalnum() or following == "_"):  # `queryX { ... }` is no keyword
                return kind
    return None


def encode_graphql_request(request: SubgraphRequest) -> bytes:
    """The POST body for ``request`` (GraphQL over HTTP, "Request Parameters")."""
    body: dict[str, Any] = {"query": request.query}
    if request.variables:
        body["variables"] = request.variables
    if request.operation_name:
        body["operationName"] = request.operation_name
    return orjson.dumps(body)


def _shorten(body: bytes, limit: int = 120) -> str:
    text = body[:limit].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text + ("..." if len(body) > limit else "")


def decode_graphql_response(subgraph: str, status: int, body: bytes) -> SubgraphResponse:
    """Parse and check a subgraph's HTTP answer (GraphQL spec section 7.1, GraphQL over HTTP "Response").

    A body that is a GraphQL response is returned even with a 4xx/5xx status (``application/graphql-response+json``
    uses them for request errors); otherwise a non-2xx status, a non-JSON body or a JSON body that is not a
    GraphQL response raises :class:`SubgraphFetchError`.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        if not 200 <= status < 300:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_HTTP_ERROR",
                f'Subgraph "{subgraph}" answered HTTP {status}: {_shorten(body) or "(empty body)"}',
                status=status,
            ) from None
        raise SubgraphFetchError(
            subgraph,
            "SUBGRAPH_INVALID_RESPONSE",
            f'Subgraph "{subgraph}" returned a body that is not JSON: {_shorten(body) or "(empty body)"}',
            status=status,
        ) from None
    problem = _graphql_response_problem(payload)
    if problem is not None:
        if not 200 <= status < 300:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_HTTP_ERROR",
                f'Subgraph "{subgraph}" answered HTTP {status}: {_shorten(body)}',
                status=status,
            )
        raise SubgraphFetchError(
            subgraph,
            "SUBGRAPH_INVALID_RESPONSE",
            f'Subgraph "{subgraph}" returned JSON that is not a GraphQL response ({problem})',
            status=status,
        )
    return SubgraphResponse(
        data=payload.get("data"),
        errors=payload.get("errors") or None,
        status=status,
        extensions=payload.get("extensions"),
    )


def _graphql_response_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return f"expected an object, got {type(payload).__name__}"
    if "data" not in payload and "errors" not in payload:
        return "neither data nor errors"
    data = payload.get("data")
    if data is not None and not isinstance(data, dict):
        return "data is not an object"
    errors = payload.get("errors")
    if errors is not None:
        if not isinstance(errors, list) or not all(
            isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors
        ):
            return "errors is not a list of objects with a message"
    ext = payload.get("extensions")
    if ext is not None and not isinstance(ext, dict):
        return "extensions is not an object"
    return None
