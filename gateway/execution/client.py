"""The subgraph client: the gateway's only I/O, one GraphQL-over-HTTP POST per fetch.

Requests follow the GraphQL over HTTP spec (https://graphql.github.io/graphql-over-http/draft/): a JSON body
``{"query", "variables", "operationName"}`` POSTed with ``Accept: application/graphql-response+json,
application/json``. The answer must be a GraphQL response (a JSON object with ``data`` and/or ``errors``);
anything else raises :class:`SubgraphFetchError` with a code and a message that says what went wrong.

``AiohttpSubgraphClient`` is the production client (one keep-alive pool per subgraph, see DESIGN.md for why
not httpx); ``HttpxSubgraphClient`` runs subgraphs in process through httpx's ``ASGITransport`` for tests.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx
import orjson

__all__ = [
    "AiohttpSubgraphClient",
    "HeaderPolicy",
    "HttpxSubgraphClient",
    "SubgraphClient",
    "SubgraphFetchError",
    "SubgraphRequest",
    "SubgraphResponse",
    "decode_graphql_response",
    "encode_graphql_request",
]

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
_BASE_HEADERS = {"content-type": "application/json", "accept": _ACCEPT}

# Headers that describe one HTTP hop, never forwarded whatever the policy says (RFC 9110 section 7.6.1).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-type",
        "accept",
        "accept-encoding",
    }
)


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
    ``SUBGRAPH_INVALID_RESPONSE`` or ``SUBGRAPH_UNKNOWN``; ``message`` is safe to show to clients.
    """

    def __init__(self, subgraph: str, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.subgraph = subgraph
        self.code = code
        self.message = message
        self.status = status


class SubgraphClient(Protocol):
    """What the executor needs from I/O: send one request to one named subgraph."""

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse: ...


@dataclass(frozen=True)
class HeaderPolicy:
    """Which client request headers reach subgraphs: an explicit allow-list (case-insensitive).

    ``allow`` names headers copied from the client request when present; ``static`` headers are always sent.
    Hop-by-hop and body-describing headers (``content-length``, ``host``, ...) are never copied.
    """

    allow: Iterable[str] = ()
    static: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        allowed = frozenset(h.lower() for h in self.allow) - _HOP_BY_HOP
        object.__setattr__(self, "allow", allowed)

    def apply(self, request_headers: Mapping[str, str] | None) -> dict[str, str]:
        """The headers to send to every subgraph for one client request."""
        out: dict[str, str] = {k.lower(): v for k, v in self.static.items()} if self.static else {}
        allowed: frozenset[str] = self.allow  # type: ignore[assignment]
        if request_headers and allowed:
            for name, value in request_headers.items():
                lname = name.lower()
                if lname in allowed:
                    out[lname] = value
        return out


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


def _connect_problem(exc: BaseException) -> str:
    """A short, safe description of why a connection failed, from the OSError behind ``exc``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return f"host name not resolved ({current.strerror or 'unknown host'})"
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, OSError) and os_error is not current:
            current = os_error
            continue
        current = current.__cause__ or current.__context__
    return "connection failed"


def _is_mutation(query: str) -> bool:
    return query.lstrip().startswith("mutation")


def _timeout_for(timeouts: Mapping[str, float] | float, subgraph: str, default: float) -> float:
    if isinstance(timeouts, Mapping):
        return float(timeouts.get(subgraph, default))
    return float(timeouts)


class AiohttpSubgraphClient:
    """Production client: aiohttp, one keep-alive connection pool and one timeout per subgraph.

    ``urls`` maps subgraph names to their GraphQL endpoints; ``timeouts`` is one total timeout in seconds or a
    per-subgraph map (missing names get ``default_timeout``). Sessions are created on first use inside the
    running event loop; call :meth:`aclose` on shutdown. ``keepalive_timeout`` (idle seconds before the client
    drops a pooled connection) stays below common server idle timeouts (uvicorn's is 5 s) so that a connection is
    not reused just as the server closes it. With ``deduplicate_inflight`` (the default), a query request whose
    subgraph, body and headers equal one in flight is not sent again: it gets that request's HTTP answer, decoded
    anew for each caller (callers merge into what they receive), or its error. Left at ``None`` it follows the
    ``GATEWAY_DEDUPLICATE_INFLIGHT`` environment variable (on unless ``0``/``false``/``no``/``off``), the one
    that also switches the pipeline's de-duplication of client operations (``ServerSettings.with_env``).
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeouts: Mapping[str, float] | float = 30.0,
        default_timeout: float = 30.0,
        connect_timeout: float | None = 5.0,
        pool_size: int = 100,
        keepalive_timeout: float = 4.0,
        deduplicate_inflight: bool | None = None,
    ) -> None:
        self._urls = dict(urls)
        if deduplicate_inflight is None:
            setting = os.environ.get("GATEWAY_DEDUPLICATE_INFLIGHT", "true").strip().lower()
            deduplicate_inflight = setting not in {"0", "false", "no", "off"}
        self._deduplicate = deduplicate_inflight
        self._inflight: dict[tuple[Any, ...], asyncio.Future[tuple[int, bytes]]] = {}
        self.shared = 0  # requests answered by an identical one in flight (for tests and metrics)
        self._timeouts = {name: _timeout_for(timeouts, name, default_timeout) for name in self._urls}
        self._connect_timeout = connect_timeout
        self._pool_size = pool_size
        self._keepalive_timeout = keepalive_timeout
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    def _session(self, subgraph: str) -> aiohttp.ClientSession:
        session = self._sessions.get(subgraph)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=self._keepalive_timeout, ttl_dns_cache=300
            )
            total = self._timeouts[subgraph]
            connect = self._connect_timeout
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=total, connect=min(connect, total) if connect else None),
                skip_auto_headers=("User-Agent",),
                auto_decompress=True,
                # Subgraph cookies are never forwarded or kept: no jar to update on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._sessions[subgraph] = session
        return session

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        """POST ``request`` to ``subgraph``; raise :class:`SubgraphFetchError` unless a GraphQL response comes back."""
        url = self._urls.get(subgraph)
        if url is None:
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_UNKNOWN", f'No URL is configured for subgraph "{subgraph}"'
            )
        headers = {**request.headers, **_BASE_HEADERS} if request.headers else _BASE_HEADERS
        body = encode_graphql_request(request)
        mutation = _is_mutation(request.query)
        if not self._deduplicate or mutation:
            status, payload = await self._post(subgraph, url, body, headers, mutation)
            return decode_graphql_response(subgraph, status, payload)
        key = (subgraph, body, tuple(request.headers.items()) if request.headers else ())
        running = self._inflight.get(key)
        if running is None:
            # Its own task: a caller that goes away cancels neither the request nor the other callers' wait.
            running = asyncio.ensure_future(self._post(subgraph, url, body, headers, False))
            self._inflight[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.shared += 1
        status, payload = await asyncio.shield(running)
        return decode_graphql_response(subgraph, status, payload)

    def _finished(self, key: tuple[Any, ...], done: asyncio.Future[tuple[int, bytes]]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved, so a failure no caller awaits any more is not logged as unhandled

    async def _post(
        self, subgraph: str, url: str, body: bytes, headers: Mapping[str, str], mutation: bool
    ) -> tuple[int, bytes]:
        """POST one body; the HTTP status and body, or :class:`SubgraphFetchError`."""
        # A kept-alive connection the server closed while idle fails on reuse; aiohttp retries that only for
        # idempotent HTTP methods, so retry once here for queries (never for mutations).
        retries = 0 if mutation else 1
        while True:
            try:
                async with self._session(subgraph).post(url, data=body, headers=headers) as resp:
                    status = resp.status
                    payload = await resp.read()
                break
            except TimeoutError:
                raise SubgraphFetchError(
                    subgraph,
                    "SUBGRAPH_TIMEOUT",
                    f'Subgraph "{subgraph}" did not answer within {self._timeouts[subgraph]:g} s',
                ) from None
            except aiohttp.ClientConnectorError as exc:
                raise SubgraphFetchError(
                    subgraph,
                    "SUBGRAPH_UNREACHABLE",
                    f'Subgraph "{subgraph}" is unreachable at {url}: {_connect_problem(exc)}',
                ) from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if retries:
                    retries -= 1
                    continue
                raise SubgraphFetchError(
                    subgraph,
                    "SUBGRAPH_UNREACHABLE",
                    f'Subgraph "{subgraph}" at {url} closed the connection: {type(exc).__name__}',
                ) from None
            except aiohttp.ClientError as exc:
                raise SubgraphFetchError(
                    subgraph,
                    "SUBGRAPH_UNREACHABLE",
                    f'Request to subgraph "{subgraph}" at {url} failed: {type(exc).__name__}',
                ) from None
        return status, payload

    async def aclose(self) -> None:
        """Close every connection pool."""
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


class HttpxSubgraphClient:
    """Test and tooling client: httpx, with subgraphs given as ASGI apps, httpx transports or URLs.

    ``apps_or_transports`` maps subgraph names to an ASGI application (served in process through
    ``httpx.ASGITransport``), an ``httpx.AsyncBaseTransport``, or a URL string (real network). Timeouts are
    enforced around the whole request, so they apply to in-process apps too.
    """

    def __init__(
        self,
        apps_or_transports: Mapping[str, Any],
        *,
        timeouts: Mapping[str, float] | float = 30.0,
        default_timeout: float = 30.0,
        path: str = "/graphql",
    ) -> None:
        self._clients: dict[str, tuple[httpx.AsyncClient, str]] = {}
        self._timeouts: dict[str, float] = {}
        for name, target in apps_or_transports.items():
            self._timeouts[name] = _timeout_for(timeouts, name, default_timeout)
            if isinstance(target, str):
                self._clients[name] = (httpx.AsyncClient(), target)
            else:
                transport = (
                    target
                    if isinstance(target, httpx.AsyncBaseTransport)
                    else httpx.ASGITransport(app=target, raise_app_exceptions=False)
                )
                self._clients[name] = (httpx.AsyncClient(transport=transport), f"http://{name}{path}")

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        """POST ``request`` to ``subgraph``; raise :class:`SubgraphFetchError` unless a GraphQL response comes back."""
        entry = self._clients.get(subgraph)
        if entry is None:
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_UNKNOWN", f'No transport is configured for subgraph "{subgraph}"'
            )
        client, url = entry
        headers = {**request.headers, **_BASE_HEADERS} if request.headers else _BASE_HEADERS
        timeout = self._timeouts[subgraph]
        try:
            async with asyncio.timeout(timeout):
                resp = await client.post(url, content=encode_graphql_request(request), headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_TIMEOUT", f'Subgraph "{subgraph}" did not answer within {timeout:g} s'
            ) from None
        except httpx.ConnectError as exc:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_UNREACHABLE",
                f'Subgraph "{subgraph}" is unreachable at {url}: {_connect_problem(exc)}',
            ) from None
        except httpx.HTTPError as exc:
            raise SubgraphFetchError(
                subgraph,
                "SUBGRAPH_UNREACHABLE",
                f'Request to subgraph "{subgraph}" at {url} failed: {type(exc).__name__}',
            ) from None
        return decode_graphql_response(subgraph, resp.status_code, resp.content)

    async def aclose(self) -> None:
        """Close every underlying httpx client."""
        for client, _ in self._clients.values():
            await client.aclose()
        self._clients.clear()
