"""Client errors with a code: what every resolver raises for bad input, never a bare exception."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

__all__ = [
    "BAD_USER_INPUT",
    "CONFLICT",
    "INTERNAL_SERVER_ERROR",
    "NOT_FOUND",
    "ServiceUnavailableError",
    "UserInputError",
    "is_unexpected",
]

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class UserInputError(GraphQLError):
    """A GraphQL error caused by the request, carrying ``extensions.code`` and, optionally, the argument."""

    def __init__(
        self, message: str, *, code: str = BAD_USER_INPUT, argument: str | None = None, **extra: Any
    ):
        extensions: dict[str, Any] = {"code": code, **extra}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


class ServiceUnavailableError(GraphQLError):
    """Another service this one depends on could not answer; the request wrote nothing."""

    def __init__(self, message: str, *, service: str) -> None:
        super().__init__(message, extensions={"code": "SERVICE_UNAVAILABLE", "service": service})


def is_unexpected(error: GraphQLError) -> bool:
    """An error nobody raised on purpose: an exception other than a GraphQL error (a bug, a driver failure).

    GraphQL errors, whether a resolver raised them with a code or graphql-core reported the request as
    malformed, are the client's to read.
    """
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original is not None and not isinstance(original, GraphQLError)
