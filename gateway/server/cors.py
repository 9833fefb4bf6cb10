"""Cross-origin resource sharing: which browser origins may call the gateway, answered as the Fetch standard asks.

See https://fetch.spec.whatwg.org/#http-cors-protocol. A preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) from an allowed origin is answered ``204`` with the allowed methods, headers
and ``max_age``; an actual request from an allowed origin gets ``Access-Control-Allow-Origin`` (and
``-Allow-Credentials``, ``-Expose-Headers``). A disallowed origin gets no CORS header at all (its preflight a
``403``), so the browser withholds the answer. Credentials are allowed only to origins named one by one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["CorsMiddleware", "CorsPolicy"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _names(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


@dataclass(frozen=True)
class CorsPolicy:
    """``origins``: exact origins (``https://app.example``) or ``("*",)`` for any; ``allow_headers``: request
    headers a preflight may ask for (``("*",)``: whatever it asks); ``expose_headers``: response headers
    scripts may read; ``max_age``: seconds a browser may keep a preflight's answer."""

    origins: tuple[str, ...] = ()
    allow_credentials: bool = False
    allow_methods: tuple[str, ...] = ("GET", "POST", "OPTIONS")
    allow_headers: tuple[str, ...] = ("content-type", "accept", "authorization", "x-query-plan")
    expose_headers: tuple[str, ...] = ()
    max_age: int = 600

    @classmethod
    def from_mapping(cls, data: MutableMapping[str, Any] | dict[str, Any]) -> CorsPolicy:
        """From gateway.yaml's ``cors`` section (keys as the fields; lists or comma-separated strings)."""
        policy = cls()
        if "origins" in data:
            policy = policy.with_origins(data["origins"])
        if "allow_methods" in data:
            policy = replace(policy, allow_methods=tuple(m.upper() for m in _names(data["allow_methods"])))
        if "allow_headers" in data:
            policy = replace(policy, allow_headers=tuple(h.lower() for h in _names(data["allow_headers"])))
        if "expose_headers" in data:
            policy = replace(policy, expose_headers=_names(data["expose_headers"]))
        if "allow_credentials" in data:
            policy = replace(policy, allow_credentials=bool(data["allow_credentials"]))
        if "max_age" in data:
            policy = replace(policy, max_age=int(data["max_age"]))
        return policy

    def with_origins(self, origins: str | list[str] | tuple[str, ...]) -> CorsPolicy:
        return replace(self, origins=tuple(o.rstrip("/") for o in _names(origins)))

    def allows(self, origin: str) -> bool:
        return "*" in self.origins or origin in self.origins

    def origin_headers(self, origin: str) -> list[tuple[bytes, bytes]]:
        """The headers every answer to an allowed ``origin`` carries. With ``*`` credentials are never allowed:
        echoing every origin with credentials would open every visitor's session to any site."""
        wildcard = "*" in self.origins
        headers = [(b"access-control-allow-origin", b"*" if wildcard else origin.encode("latin-1"))]
        if not wildcard:
            headers.append((b"vary", b"Origin"))
            if self.allow_credentials:
                headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def preflight_headers(self, origin: str, requested_headers: str | None) -> list[tuple[bytes, bytes]]:
        headers = self.origin_headers(origin)
        headers.append((b"access-control-allow-methods", ", ".join(self.allow_methods).encode()))
        if "*" in self.allow_headers:
            allowed = requested_headers or ""
        else:
            allowed = ", ".join(self.allow_headers)
        if allowed:
            headers.append((b"access-control-allow-headers", allowed.encode("latin-1")))
        headers.append((b"access-control-max-age", str(self.max_age).encode()))
        return headers


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class CorsMiddleware:
    """ASGI middleware applying a ``CorsPolicy`` to every HTTP request."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        policy = self.policy
        allowed = policy.allows(origin)
        requested_method = _header(scope, b"access-control-request-method")
        if scope["method"] == "OPTIONS" and requested_method is not None:
            if allowed and requested_method.upper() in policy.allow_methods:
                status = 204
                headers = policy.preflight_headers(origin, _header(scope, b"access-control-request-headers"))
            else:
                status, headers = 403, [(b"vary", b"Origin")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if not allowed:
            await self.app(scope, receive, send)
            return
        extra = policy.origin_headers(origin)
        if policy.expose_headers:
            extra.append((b"access-control-expose-headers", ", ".join(policy.expose_headers).encode()))

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)
