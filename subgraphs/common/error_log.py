"""How a service logs the errors of a request: one line per expected error, a traceback per unexpected one."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from graphql import GraphQLError

from .errors import is_unexpected
from .request_id import current_request_id

__all__ = ["log_errors"]

log = logging.getLogger("subgraphs.errors")


def _one_line(text: str, limit: int = 500) -> str:
    # Messages echo client input: escape line breaks so a client cannot forge log lines, and cut floods.
    flat = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    return flat if len(flat) <= limit else f"{flat[:limit]}... ({len(flat)} characters)"


def _path(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path) if error.path else "-"


def log_errors(errors: Iterable[GraphQLError], *, service: str) -> None:
    """Expected errors (code, path, message) at INFO without a traceback; unexpected ones at ERROR with it."""
    request_id = current_request_id()
    logged: set[int] = set()
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            if id(original) in logged:
                # One failed batch fails every field that awaited it: its traceback is logged once.
                log.error(
                    "%s: unexpected error at %s (request %s): the same as above",
                    service,
                    _path(error),
                    request_id,
                )
                continue
            logged.add(id(original))
            log.error(
                "%s: unexpected error at %s (request %s): %s",
                service,
                _path(error),
                request_id,
                _one_line(f"{type(original).__name__}: {original}"),
                exc_info=(type(original), original, original.__traceback__) if original else None,
            )
        else:
            code = (error.extensions or {}).get("code", "-")
            log.info(
                "%s: %s at %s (request %s): %s",
                service,
                code,
                _path(error),
                request_id,
                _one_line(error.message),
            )
