"""Error masking: what of a subgraph's error a client sees; the full error goes to the log with the request id.

The rule (DESIGN.md, "Errors"):

* A subgraph error is **client-facing** when it carries an ``extensions.code`` (a string other than
  ``INTERNAL_SERVER_ERROR``): its ``message`` and ``code`` pass, nothing else from ``extensions``.
* Any other subgraph error reaches the client as ``"Subgraph errors redacted"`` (Apollo Router's words) with
  code ``DOWNSTREAM_SERVICE_ERROR`` (Apollo Gateway's code for a subgraph error without one of its own).
* A transport failure (connection refused, timeout, bad HTTP status, a body that is not a GraphQL response)
  gets a fixed message that names the subgraph only, with code ``SUBGRAPH_REQUEST_FAILED``: never a URL, a host
  or a body.
* Every client error keeps its ``path`` and gets ``extensions.serviceName``; locations are the subgraph
  operation's, so they are dropped.

A subgraph listed in ``include_subgraph_errors`` (for development, like Apollo Router's setting of that name)
passes its errors' messages and extensions through; transport failures keep their fixed messages and add
``extensions.reason``. Whatever the setting, the original error is logged with the request id of
``current_request_id()``, which the server binds per request (``request_id_scope``) and returns to the client.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "DOWNSTREAM_SERVICE_ERROR",
    "REDACTED_MESSAGE",
    "SUBGRAPH_REQUEST_FAILED",
    "ErrorMasking",
    "accepted_request_id",
    "current_request_id",
    "new_request_id",
    "request_id_scope",
]

logger = logging.getLogger("gateway.execution.errors")

SUBGRAPH_REQUEST_FAILED = "SUBGRAPH_REQUEST_FAILED"
DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
REDACTED_MESSAGE = "Subgraph errors redacted"
_INTERNAL = "INTERNAL_SERVER_ERROR"

# What a client learns of a transport failure, by the subgraph client's code (``SubgraphFetchError.code``).
_TRANSPORT_MESSAGES = {
    "SUBGRAPH_TIMEOUT": 'Subgraph "{service}" did not answer in time',
    "SUBGRAPH_UNREACHABLE": 'Subgraph "{service}" could not be reached',
    "SUBGRAPH_HTTP_ERROR": 'Subgraph "{service}" answered with an HTTP error',
    "SUBGRAPH_INVALID_RESPONSE": 'Subgraph "{service}" returned an invalid response',
}
_TRANSPORT_FALLBACK = 'Request to subgraph "{service}" failed'

# An incoming X-Request-Id is kept when it is short and plain (it is echoed and logged).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_current: ContextVar[str | None] = ContextVar("gateway_request_id", default=None)


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """``value`` when it is a well-formed request id (letters, digits, ``.``, ``_``, ``:``, ``-``; 1-128)."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    """The request id bound to the running request (``request_id_scope``), if any."""
    return _current.get()


@contextmanager
def request_id_scope(request_id: str) -> Iterator[str]:
    """Bind ``request_id`` for the code (and the tasks it starts) inside the ``with`` block."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def _is_client_facing(extensions: Any) -> bool:
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return isinstance(code, str) and bool(code) and code != _INTERNAL


@dataclass(frozen=True)
class ErrorMasking:
    """Which subgraphs' errors pass through unmasked: ``include_all``, or the names in ``include``.

    ``include`` overrides ``include_all`` per subgraph (``{"products": False}`` masks products only).
    """

    include_all: bool = False
    include: Mapping[str, bool] = field(default_factory=dict)

    def includes(self, service: str) -> bool:
        """Whether ``service``'s errors reach clients as the subgraph sent them."""
        return self.include.get(service, self.include_all)

    def subgraph_error(
        self, error: Mapping[str, Any], service: str, path: list[Any] | None, *, log: bool = True
    ) -> dict[str, Any]:
        """A subgraph's GraphQL error as the client sees it, logged in full with the request id unless ``log``
        is false (the same error copied to more client paths is logged once)."""
        extensions = error.get("extensions")
        if log:
            masked = not self.includes(service) and not _is_client_facing(extensions)
            logger.log(
                logging.WARNING if masked else logging.INFO,
                "subgraph %s answered an error [request_id=%s]: %s",
                service,
                current_request_id(),
                orjson.dumps(error, default=str).decode(),
                extra={"request_id": current_request_id(), "service_name": service},
            )
        out: dict[str, Any] = {}
        if self.includes(service):
            message = error.get("message")
            out["message"] = message if isinstance(message, str) else ""
            if path is not None:
                out["path"] = path
            extra = dict(extensions) if isinstance(extensions, dict) else {}
            out["extensions"] = {**extra, "serviceName": service}
        elif _is_client_facing(extensions):
            assert isinstance(extensions, dict)
            message = error.get("message")
            out["message"] = message if isinstance(message, str) else ""
            if path is not None:
                out["path"] = path
            out["extensions"] = {"code": extensions["code"], "serviceName": service}
        else:
            out["message"] = REDACTED_MESSAGE
            if path is not None:
                out["path"] = path
            out["extensions"] = {"code": DOWNSTREAM_SERVICE_ERROR, "serviceName": service}
        return out

    def transport_error(
        self, service: str, reason: str, detail: str, *, status: int | None = None
    ) -> dict[str, Any]:
        """A failed request to ``service`` as the client sees it; ``detail`` (URL, body...) goes to the log.

        The HTTP status of a bad answer is told (it names no internals); the body is not."""
        logger.warning(
            "request to subgraph %s failed (%s) [request_id=%s]: %s",
            service,
            reason,
            current_request_id(),
            detail,
            extra={"request_id": current_request_id(), "service_name": service},
        )
        if reason == "SUBGRAPH_HTTP_ERROR" and status is not None:
            message = f'Subgraph "{service}" answered HTTP {status}'
        else:
            message = _TRANSPORT_MESSAGES.get(reason, _TRANSPORT_FALLBACK).format(service=service)
        extensions: dict[str, Any] = {"code": SUBGRAPH_REQUEST_FAILED, "serviceName": service}
        if self.includes(service):
            extensions["reason"] = reason
        return {"message": message, "extensions": extensions}

    @classmethod
    def from_env(cls, environ: Mapping[str, str], base: ErrorMasking | None = None) -> ErrorMasking:
        """``GATEWAY_INCLUDE_SUBGRAPH_ERRORS``: ``all``/``true``, ``none``/``false``, or subgraph names
        (comma-separated; ``-name`` masks one when the rest are included)."""
        value = environ.get("GATEWAY_INCLUDE_SUBGRAPH_ERRORS")
        base = base or cls()
        if value is None:
            return base
        include_all = base.include_all
        include = dict(base.include)
        for item in (part.strip() for part in value.split(",")):
            lowered = item.lower()
            if lowered in ("all", "true", "1", "yes", "on"):
                include_all = True
            elif lowered in ("none", "false", "0", "no", "off"):
                include_all = False
                include.clear()
            elif item.startswith("-") and item[1:]:
                include[item[1:]] = False
            elif item:
                include[item] = True
        return cls(include_all, include)
