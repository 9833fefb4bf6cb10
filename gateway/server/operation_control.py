"""What the gateway decides about a GraphQL request before reading it as GraphQL: who sends it, whether they
may send it now, and which document a persisted-query reference stands for.

An ASGI middleware around the gateway's app, for ``/graphql`` only, in this order: authentication (a refused
token is 401 with ``WWW-Authenticate``), the client's rate limit (429 with ``Retry-After``), persisted queries
(the request continues with its document as ``query``). A WebSocket to that path gets ``admit`` in its scope
(``gateway.server.websocket.ADMISSION_SCOPE_KEY``): the same checks, run on ``connection_init``. The verified claims replace any client-sent header of
the claims header's name, so the executor's header policy may forward that header and nothing forged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from gateway.server.auth import AuthError, AuthSettings, Claims, JwtAuthenticator, forwarded_claims_headers
from gateway.server.media import JSON, negotiate, prefers_html
from gateway.server.persisted import (
    MemoryDocumentStore,
    PersistedDocuments,
    PersistedQueryError,
    PersistedQueryManifest,
    RedisDocumentStore,
)
from gateway.server.rate_limit import (
    MemoryTokenBuckets,
    RateLimit,
    RedisTokenBuckets,
    TokenBuckets,
    client_key,
)
from gateway.server.redis_client import connect_redis
from gateway.server.websocket import ADMISSION_SCOPE_KEY, AdmissionRefused

__all__ = ["OperationControl", "operation_control_from_env", "parse_rate_limit"]

_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_TRUE = {"1", "true", "yes", "on"}
# Without these bytes a POST body cannot name a persisted query; such bodies are passed on unparsed.
_MARKERS = (b"persistedQuery", b"documentId")


class _Refusal(Exception):
    def __init__(self, status: int, errors: list[dict[str, Any]], headers: Mapping[str, str]) -> None:
        self.status, self.errors, self.headers = status, errors, dict(headers)


@dataclass
class OperationControl:
    """The middleware; each part is optional (``None``: that control is off)."""

    app: ASGIApp
    authenticator: JwtAuthenticator | None = None
    rate_limiter: TokenBuckets | None = None
    persisted: PersistedDocuments | None = None
    path: str = "/graphql"
    max_body_bytes: int = 2 * 1024 * 1024
    redis: Any = None  # closed by ``aclose`` when this middleware opened it

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    async def admit(self, headers: Mapping[str, str], client: str | None) -> dict[str, str]:
        """Authentication and the rate limit for a WebSocket connection, whose credentials come in its
        ``connection_init`` payload: the headers the pipeline sees (the verified claims written in, a
        client's own claims header dropped), or ``AdmissionRefused``."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            claims = await self._authenticate(lowered)
            await self._limit({"client": (client, 0) if client else None}, claims)
        except _Refusal as refusal:
            raise AdmissionRefused(refusal.status, refusal.errors) from None
        return self._claimed(lowered, claims)

    async def admit_operation(
        self, params: Mapping[str, Any], headers: Mapping[str, str], client: str | None
    ) -> dict[str, Any]:
        """One operation on an admitted WebSocket, checked as an HTTP request is: the token again (it may have
        expired since ``connection_init``), the rate limit, and persisted queries (APQ, safelisting); the
        request parameters to run, or ``AdmissionRefused``."""
        try:
            claims = await self._authenticate(headers)
            await self._limit({"client": (client, 0) if client else None}, claims)
            if self.persisted is None:
                return dict(params)
            return await self._resolved(params)
        except _Refusal as refusal:
            raise AdmissionRefused(refusal.status, refusal.errors) from None

    def _claimed(self, headers: dict[str, str], claims: Claims | None) -> dict[str, str]:
        if self.authenticator is None:
            return headers
        auth = self.authenticator.settings
        name = auth.claims_header.lower()
        out = {k: v for k, v in headers.items() if k != name}
        out.update({k.lower(): v for k, v in forwarded_claims_headers(claims, auth).items()})
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == self.path:
            await self.app({**scope, ADMISSION_SCOPE_KEY: self}, receive, send)
            return
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] == "GET" and prefers_html(headers.get("accept")):
            await self.app(scope, receive, send)  # the GraphiQL page, not an operation
            return
        try:
            claims = await self._authenticate(headers)
            await self._limit(scope, claims)
            scope, receive = await self._resolve(scope, receive, headers)
        except _Refusal as refusal:
            await _respond(send, refusal, negotiate(headers.get("accept")) or JSON)
            return
        if self.authenticator is not None:
            scope = _with_claims(scope, claims, self.authenticator.settings)
        await self.app(scope, receive, send)

    async def _authenticate(self, headers: Mapping[str, str]) -> Claims | None:
        if self.authenticator is None:
            return None
        try:
            return await self.authenticator.authenticate(headers)
        except AuthError as error:
            raise _Refusal(error.status, [error.error_dict()], error.response_headers()) from None

    async def _limit(self, scope: Scope, claims: Claims | None) -> None:
        if self.rate_limiter is None:
            return
        client = scope.get("client")
        key = client_key(claims.subject if claims else None, client[0] if client else None)
        decision = await self.rate_limiter.take(key)
        if not decision.allowed:
            raise _Refusal(429, [decision.error_dict()], decision.response_headers())

    async def _resolve(
        self, scope: Scope, receive: Receive, headers: Mapping[str, str]
    ) -> tuple[Scope, Receive]:
        if self.persisted is None:
            return scope, receive
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            resolved = await self._resolved(params)
            if resolved == params:
                return scope, receive
            return {**scope, "query_string": urlencode(resolved).encode("latin-1")}, receive
        body = await _read_body(receive, self.max_body_bytes)
        replay = _replay(body, receive)
        if not self.persisted.safelist and not any(marker in body for marker in _MARKERS):
            return scope, replay
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError:
            return scope, replay  # the app answers malformed bodies
        if not isinstance(params, dict):
            return scope, replay
        resolved = await self._resolved(params)
        if resolved == params:
            return scope, replay
        new_body = orjson.dumps(resolved)
        new_headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        new_headers.append((b"content-length", str(len(new_body)).encode()))
        return {**scope, "headers": new_headers}, _replay(new_body, receive)

    async def _resolved(self, params: Mapping[str, Any]) -> dict[str, Any]:
        assert self.persisted is not None
        try:
            return await self.persisted.resolve(params)
        except PersistedQueryError as error:
            raise _Refusal(error.status, [error.error_dict()], error.headers) from None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Refusal(
                413,
                [{"message": "The request body is too large.", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}],
                {},
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect

    return replay


def _with_claims(scope: Scope, claims: Claims | None, settings: AuthSettings) -> Scope:
    name = settings.claims_header.lower().encode("latin-1")
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != name]
    for key, value in forwarded_claims_headers(claims, settings).items():
        headers.append((key.lower().encode("latin-1"), value.encode("latin-1")))
    return {**scope, "headers": headers}


async def _respond(send: Send, refusal: _Refusal, media: str) -> None:
    body = orjson.dumps({"errors": refusal.errors})
    headers = [
        (b"content-type", f"{media}; charset=utf-8".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in refusal.headers.items()]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def parse_rate_limit(text: str) -> RateLimit:
    """``CAPACITY/SECONDS`` (``600/60``: a burst of 600, refilled over 60 s, i.e. 10 per second)."""
    capacity, _, seconds = text.partition("/")
    try:
        return RateLimit(int(capacity), int(capacity) / float(seconds or "1"))
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"GATEWAY_RATE_LIMIT must look like 600/60 (requests per seconds), not {text!r}"
        ) from None


def operation_control_from_env(app: ASGIApp, environ: Mapping[str, str] | None = None) -> ASGIApp:
    """``app`` wrapped with the controls the environment asks for, or ``app`` itself when it asks for none.

    ``GATEWAY_JWKS_FILE``/``GATEWAY_JWKS_URL`` and ``GATEWAY_JWT_*`` (``AuthSettings.from_env``) turn on
    authentication; ``GATEWAY_RATE_LIMIT=600/60`` a per-client limit; ``GATEWAY_APQ`` (default on) automatic
    persisted queries; ``GATEWAY_PERSISTED_QUERIES=manifest.json`` persisted operations, with
    ``GATEWAY_SAFELIST=safelist|require_id`` refusing others (APQ is then off). ``GATEWAY_REDIS_URL`` keeps
    APQ and rate limits in Redis (under ``GATEWAY_REDIS_PREFIX``) so replicas share them.
    """
    env = os.environ if environ is None else environ
    auth_settings = AuthSettings.from_env(env)
    redis = connect_redis(env["GATEWAY_REDIS_URL"]) if env.get("GATEWAY_REDIS_URL") else None
    prefix = env.get("GATEWAY_REDIS_PREFIX", "fedgw:")
    limiter: TokenBuckets | None = None
    if env.get("GATEWAY_RATE_LIMIT"):
        limit = parse_rate_limit(env["GATEWAY_RATE_LIMIT"])
        limiter = (
            RedisTokenBuckets(redis, limit, prefix=prefix + "rl:")
            if redis is not None
            else MemoryTokenBuckets(limit)
        )
    manifest_file = env.get("GATEWAY_PERSISTED_QUERIES")
    manifest = PersistedQueryManifest.from_file(manifest_file) if manifest_file else None
    mode = env.get("GATEWAY_SAFELIST", "off").lower()
    if mode not in ("off", "safelist", "require_id"):
        raise ValueError(f"GATEWAY_SAFELIST must be off, safelist or require_id, not {mode!r}")
    apq_on = env.get("GATEWAY_APQ", "true").lower() in _TRUE and mode == "off"
    apq = None
    if apq_on:
        apq = (
            RedisDocumentStore(redis, prefix=prefix + "apq:") if redis is not None else MemoryDocumentStore()
        )
    persisted = (
        PersistedDocuments(
            apq=apq, manifest=manifest, safelist=mode == "safelist", require_id=mode == "require_id"
        )
        if apq is not None or manifest is not None
        else None
    )
    authenticator = JwtAuthenticator(auth_settings) if auth_settings is not None else None
    if authenticator is None and limiter is None and persisted is None:
        return app
    return OperationControl(app, authenticator, limiter, persisted, redis=redis)
