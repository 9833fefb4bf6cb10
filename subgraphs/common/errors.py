"""Client errors with a code: what every resolver raises for bad input, never a bare exception."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

__all__ = ["BAD_USER_INPUT", "CONFLICT", "NOT_FOUND", "ServiceUnavailableError", "UserInputError"]

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"


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
