"""What a client sees of an error: coded errors unchanged, unexpected ones as a generic message and a code.

Internals (SQL, driver messages, URLs, exception names) stay in the log, joined to the request id; see
``error_log``. Errors graphql-core reports about the request itself get the code of what failed.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError, GraphQLSyntaxError
from graphql.language import VariableDefinitionNode
from strawberry.extensions import MaskErrors

from .errors import BAD_USER_INPUT, INTERNAL_SERVER_ERROR, is_unexpected

__all__ = ["UNEXPECTED_MESSAGE", "MaskUnexpectedErrors", "code_request_errors"]

UNEXPECTED_MESSAGE = "Unexpected error."


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's ``MaskErrors`` for unexpected errors only, with ``extensions.code``."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=UNEXPECTED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_SERVER_ERROR}
        return masked


def _request_error_code(error: GraphQLError) -> str | None:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.path is not None or is_unexpected(error):
        return None  # a resolver's error: it carries its own code, or it is masked
    if error.nodes and all(isinstance(node, VariableDefinitionNode) for node in error.nodes):
        return BAD_USER_INPUT  # a variable's value does not fit its type
    return "GRAPHQL_VALIDATION_FAILED"


def code_request_errors(errors: Iterable[GraphQLError]) -> None:
    """Give graphql-core's errors about the request (syntax, validation, variables) a code where they lack one."""
    for error in errors:
        if (error.extensions or {}).get("code"):
            continue
        code = _request_error_code(error)
        if code is not None:
            error.extensions = {**(error.extensions or {}), "code": code}
