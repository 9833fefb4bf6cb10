"""The correlation id of a request: the caller's ``X-Request-Id`` when it is sane, else a fresh one.

The id joins what a client was told ("Unexpected error.") to the traceback in the service's log, so it is set for
the whole request (a context variable) and sent back in the response header.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware", "current_request_id"]

REQUEST_ID_HEADER = "x-request-id"
# Only ids that cannot break a log line or a header are taken over from the caller.
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _current.get()


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SANE.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware: sets the request id for everything the request runs and answers it in a header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope.get("headers", []))
        token = _current.set(request_id)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
