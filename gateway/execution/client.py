"""The subgraph client: the gateway's only I/O, one GraphQL-over-HTTP POST per fetch, guarded.

``fetch(subgraph, request)`` sends one request (``gateway.execution.graphql_over_http``) through the guards
of ``gateway.execution.traffic``: a deadline per request and a connect timeout, the replica to send to
(``replicas``: least loaded among those in rotation), a circuit breaker per replica (``breaker``), retries
of queries on connection errors within a budget, on another replica when there is one (``retry``), and one
request for identical queries in flight (``deduplication``). While tracing is on (``gateway.telemetry.tracing``)
each fetch is a ``subgraph`` client span whose W3C ``traceparent`` goes with the request, whatever the header
policy; while it is off, the client's own ``traceparent`` goes on unchanged (``gateway.telemetry.request``).
The transports only move bytes: ``AiohttpSubgraphClient``
in production (one keep-alive pool per subgraph, see DESIGN.md for why not httpx) and ``HttpxSubgraphClient``
for tests and tools (subgraphs as in-process ASGI apps, httpx transports or URLs).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

import aiohttp
import httpx
from graphql import OperationType
from opentelemetry.trace import SpanKind, Status, StatusCode

from ..telemetry.request import current_record, traced
from ..telemetry.tracing import ACTIVE, inject_context
from .breaker import BreakerSettings, CircuitSnapshot
from .deduplication import InflightRequests
from .graphql_over_http import (
    REQUEST_HEADERS,
    SubgraphConnectionError,
    SubgraphFetchError,
    SubgraphRequest,
    SubgraphResponse,
    decode_graphql_response,
    encode_graphql_request,
    operation_type,
)
from .headers import HeaderPolicy
from .replicas import ReplicaEndpoint, ReplicaPool, ReplicaSet, ReplicaStatus
from .retry import RetrySettings, backoff_delay, may_retry_operation
from .traffic import SubgraphTraffic, TrafficShaping

__all__ = [
    "AiohttpSubgraphClient",
    "HeaderPolicy",
    "HttpxSubgraphClient",
    "SubgraphClient",
    "SubgraphConnectionError",
    "SubgraphFetchError",
    "SubgraphRequest",
    "SubgraphResponse",
    "decode_graphql_response",
    "encode_graphql_request",
    "traffic_with_timeouts",
]


class SubgraphClient(Protocol):
    """What the executor needs from I/O: send one request to one named subgraph."""

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse: ...


def traffic_with_timeouts(
    traffic: TrafficShaping, names: list[str], timeouts: Mapping[str, float] | float | None
) -> TrafficShaping:
    """``traffic`` with the request timeouts of the ``timeouts`` shorthand (one for all, or by subgraph)."""
    if timeouts is None:
        return traffic
    if not isinstance(timeouts, Mapping):
        return TrafficShaping(
            replace(traffic.all, request_timeout=float(timeouts)),
            {n: replace(t, request_timeout=float(timeouts)) for n, t in traffic.subgraphs.items()},
        )
    subgraphs = dict(traffic.subgraphs)
    for name in names:
        if name in timeouts:
            subgraphs[name] = replace(traffic.for_subgraph(name), request_timeout=float(timeouts[name]))
    return TrafficShaping(traffic.all, subgraphs)


class _GuardedClient:
    """``fetch`` with deadline, circuit breaker, retries and de-duplication over a transport's ``_post``."""

    def __init__(
        self,
        urls: Mapping[str, str],
        traffic: TrafficShaping,
        *,
        deduplicate_inflight: bool,
        clock: Callable[[], float] = time.monotonic,
        replicas: ReplicaPool | None = None,
    ) -> None:
        # A shared pool (a registry's replicas, kept across reloads) or one replica per subgraph URL.
        if replicas is None:
            replicas = ReplicaPool.of_urls(urls, traffic, clock=clock)
        else:
            for name, url in urls.items():
                replicas.ensure(name, url)
        self.replicas = replicas
        self._deduplicate = deduplicate_inflight
        self._inflight: InflightRequests[tuple[int, bytes]] = InflightRequests()

    @property
    def shared(self) -> int:
        """Requests answered by an identical one in flight (for tests and metrics)."""
        return self._inflight.shared

    def circuits(self) -> dict[str, CircuitSnapshot]:
        """The circuit of every subgraph, read-only (for ``/ready`` and metrics): with several replicas, the
        best replica's (a subgraph is open only when every replica is)."""
        out: dict[str, CircuitSnapshot] = {}
        for name in self.replicas.names():
            replicas = self.replicas.get(name)
            if replicas is None or not replicas.endpoints:
                continue
            best = replicas.best_state()
            out[name] = next(e.breaker.snapshot() for e in replicas.endpoints if e.breaker.state is best)
        return out

    def replica_statuses(self) -> dict[str, list[ReplicaStatus]]:
        """Every replica of every subgraph (for ``/ready``, ``fedgw status`` and metrics)."""
        return self.replicas.statuses()

    async def fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        """POST ``request`` to ``subgraph``; raise :class:`SubgraphFetchError` unless a GraphQL response comes back."""
        if ACTIVE.on and traced():
            return await self._traced_fetch(subgraph, request)
        record = current_record()
        return await self._fetch(subgraph, request, record.trace_headers if record is not None else None)

    async def _traced_fetch(self, subgraph: str, request: SubgraphRequest) -> SubgraphResponse:
        """``fetch`` in a ``subgraph`` span (Apollo Router's name and attributes), its context sent along."""
        kind = operation_type(request.query)
        attributes = {
            "subgraph.name": subgraph,
            "subgraph.graphql.operation.type": kind.value if kind is not None else "unknown",
        }
        if request.operation_name:
            attributes["subgraph.graphql.operation.name"] = request.operation_name
        with ACTIVE.tracer.start_as_current_span(
            "subgraph", kind=SpanKind.CLIENT, attributes=attributes, record_exception=False
        ) as span:
            carrier: dict[str, str] = {}
            inject_context(carrier)
            try:
                response = await self._fetch(subgraph, request, carrier)
            except SubgraphFetchError as error:
                span.set_attribute("subgraph.error.code", error.code)
                if error.status is not None:
                    span.set_attribute("http.response.status_code", error.status)
                span.set_status(Status(StatusCode.ERROR, error.code))
                raise
            span.set_attribute("http.response.status_code", response.status)
            if response.errors:
                span.set_attribute("subgraph.graphql.errors", len(response.errors))
            return response

    async def _fetch(
        self, subgraph: str, request: SubgraphRequest, trace_headers: Mapping[str, str] | None
    ) -> SubgraphResponse:
        replicas = self.replicas.get(subgraph)
        if replicas is None or not replicas.endpoints:
            raise SubgraphFetchError(
                subgraph, "SUBGRAPH_UNKNOWN", f'No URL is configured for subgraph "{subgraph}"'
            )
        headers = {**request.headers, **REQUEST_HEADERS} if request.headers else REQUEST_HEADERS
        if trace_headers:
            # Not part of the de-duplication key below: identical queries still share one request.
            headers = {**headers, **trace_headers}
        body = encode_graphql_request(request)
        kind = operation_type(request.query)
        retryable = may_retry_operation(kind)
        if self._deduplicate and kind is OperationType.QUERY:
            key = (subgraph, body, tuple(request.headers.items()) if request.headers else ())
            status, payload = await self._inflight.run(
                key, lambda: self._send(subgraph, replicas, body, headers, retryable)
            )
        else:
            status, payload = await self._send(subgraph, replicas, body, headers, retryable)
        return decode_graphql_response(subgraph, status, payload)

    async def _send(
        self, subgraph: str, replicas: ReplicaSet, body: bytes, headers: Mapping[str, str], retryable: bool
    ) -> tuple[int, bytes]:
        """Attempts within one deadline, each on the replica ``replicas`` chooses; each asks that replica's
        breaker first and tells it the outcome. A query refused by one replica goes at once to another one in
        rotation, else after a backoff (``retry``)."""
        traffic = replicas.traffic
        loop = asyncio.get_running_loop()
        deadline = loop.time() + traffic.request_timeout
        retries = 0
        tried: list[ReplicaEndpoint] = []
        while True:
            endpoint = replicas.choose(tried)
            if endpoint is None:
                raise SubgraphFetchError(
                    subgraph, "SUBGRAPH_UNKNOWN", f'No replica of subgraph "{subgraph}" is registered'
                )
            permit = endpoint.breaker.admit()
            endpoint.in_flight += 1
            try:
                async with asyncio.timeout_at(deadline):
                    status, payload = await self._post(subgraph, endpoint, body, headers)
            except TimeoutError:
                endpoint.breaker.failed(permit)
                raise SubgraphFetchError(
                    subgraph,
                    "SUBGRAPH_TIMEOUT",
                    f'Subgraph "{subgraph}" did not answer within {traffic.request_timeout:g} s',
                ) from None
            except SubgraphConnectionError:
                endpoint.breaker.failed(permit)
                if not retryable or retries >= traffic.retry.max_retries:
                    raise
                tried.append(endpoint)
                delay = 0.0 if replicas.has_other(tried) else backoff_delay(retries, traffic.retry)
                if loop.time() + delay >= deadline or not replicas.budget.withdraw():
                    raise
                retries += 1
                if delay:
                    await asyncio.sleep(delay)
                continue
            except SubgraphFetchError:
                endpoint.breaker.failed(permit)
                raise
            except BaseException:  # cancelled: the request has no outcome to judge the subgraph by
                endpoint.breaker.abandoned(permit)
                raise
            finally:
                endpoint.in_flight -= 1
            replicas.budget.deposit()
            # A 5xx is the subgraph failing; any other answer, a GraphQL response with errors included, is
            # the subgraph working.
            if status >= 500:
                endpoint.breaker.failed(permit)
            else:
                endpoint.breaker.succeeded(permit)
            return status, payload

    async def _post(
        self, subgraph: str, endpoint: ReplicaEndpoint, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        """POST one body; the HTTP status and body, or :class:`SubgraphFetchError`."""
        raise NotImplementedError


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


def _connect_timeout(subgraph: str, seconds: float) -> SubgraphFetchError:
    return SubgraphFetchError(
        subgraph,
        "SUBGRAPH_TIMEOUT",
        f'Subgraph "{subgraph}" did not accept a connection within {seconds:g} s',
    )


class AiohttpSubgraphClient(_GuardedClient):
    """Production client: aiohttp, one keep-alive connection pool per subgraph, guarded by ``traffic``.

    ``urls`` maps subgraph names to their GraphQL endpoints; ``traffic`` sets timeouts, breaker and retries
    (defaults: :class:`TrafficShaping`); ``timeouts`` is a shorthand for the request timeouts, one number or
    per subgraph. Sessions are created on first use inside the running event loop; call :meth:`aclose` on
    shutdown. ``keepalive_timeout`` (idle seconds before the client drops a pooled connection) stays below
    common server idle timeouts (uvicorn's is 5 s) so that a connection is seldom reused just as the server
    closes it; when it is, the query is retried like any request refused before its answer. With
    ``deduplicate_inflight``, a query whose subgraph, body and headers equal one in flight is not sent again:
    it gets that request's HTTP answer, decoded anew for each caller (callers merge into what they receive).
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        traffic: TrafficShaping | None = None,
        timeouts: Mapping[str, float] | float | None = None,
        pool_size: int = 100,
        keepalive_timeout: float = 4.0,
        deduplicate_inflight: bool = True,
        clock: Callable[[], float] = time.monotonic,
        replicas: ReplicaPool | None = None,
    ) -> None:
        traffic = traffic_with_timeouts(traffic or TrafficShaping(), list(urls), timeouts)
        super().__init__(
            urls, traffic, deduplicate_inflight=deduplicate_inflight, clock=clock, replicas=replicas
        )
        self._pool_size = pool_size
        self._keepalive_timeout = keepalive_timeout
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    def _session(self, subgraph: str, endpoint: ReplicaEndpoint) -> aiohttp.ClientSession:
        session = self._sessions.get(subgraph)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=self._keepalive_timeout, ttl_dns_cache=300
            )
            session = aiohttp.ClientSession(
                connector=connector,
                # The request deadline is the guard's; aiohttp bounds the TCP connect alone (not the wait for
                # a pooled connection, which is load, not a dead subgraph).
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=endpoint.traffic.connect_timeout),
                skip_auto_headers=("User-Agent",),
                auto_decompress=True,
                # Subgraph cookies are never forwarded or kept: no jar to update on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._sessions[subgraph] = session
        return session

    async def _post(
        self, subgraph: str, endpoint: ReplicaEndpoint, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        url = endpoint.url
        answered = False
        try:
            async with self._session(subgraph, endpoint).post(url, data=body, headers=headers) as resp:
                answered = True
                return resp.status, await resp.read()
        except aiohttp.ServerTimeoutError:
            raise _connect_timeout(subgraph, endpoint.traffic.connect_timeout) from None
        except aiohttp.ClientConnectorError as exc:
            raise SubgraphConnectionError(
                subgraph,
                "SUBGRAPH_UNREACHABLE",
                f'Subgraph "{subgraph}" is unreachable at {url}: {_connect_problem(exc)}',
            ) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            # Closed or reset before the status line: nothing was answered, so a query may go again.
            error = SubgraphFetchError if answered else SubgraphConnectionError
            raise error(
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

    async def aclose(self) -> None:
        """Close every connection pool."""
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


_IN_PROCESS = TrafficShaping(
    SubgraphTraffic(breaker=BreakerSettings(enabled=False), retry=RetrySettings(max_retries=0))
)


class HttpxSubgraphClient(_GuardedClient):
    """Test and tooling client: httpx, with subgraphs given as ASGI apps, httpx transports or URLs.

    ``apps_or_transports`` maps subgraph names to an ASGI application (served in process through
    ``httpx.ASGITransport``), an ``httpx.AsyncBaseTransport``, or a URL string (real network). The request
    deadline applies to in-process apps too. Breaker and retries are off unless ``traffic`` turns them on, so
    a test sees every failure it provokes.
    """

    def __init__(
        self,
        apps_or_transports: Mapping[str, Any],
        *,
        traffic: TrafficShaping | None = None,
        timeouts: Mapping[str, float] | float | None = None,
        path: str = "/graphql",
        deduplicate_inflight: bool = False,
        clock: Callable[[], float] = time.monotonic,
        replicas: ReplicaPool | None = None,
    ) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}
        urls: dict[str, str] = {}
        for name, target in apps_or_transports.items():
            if isinstance(target, str):
                self._clients[name], urls[name] = httpx.AsyncClient(), target
            else:
                transport = (
                    target
                    if isinstance(target, httpx.AsyncBaseTransport)
                    else httpx.ASGITransport(app=target, raise_app_exceptions=False)
                )
                self._clients[name] = httpx.AsyncClient(transport=transport)
                urls[name] = f"http://{name}{path}"
        traffic = traffic_with_timeouts(traffic or _IN_PROCESS, list(urls), timeouts)
        super().__init__(
            urls, traffic, deduplicate_inflight=deduplicate_inflight, clock=clock, replicas=replicas
        )

    async def _post(
        self, subgraph: str, endpoint: ReplicaEndpoint, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        url = endpoint.url
        timeout = httpx.Timeout(None, connect=endpoint.traffic.connect_timeout)
        try:
            resp = await self._clients[subgraph].post(url, content=body, headers=headers, timeout=timeout)
        except httpx.ConnectTimeout:
            raise _connect_timeout(subgraph, endpoint.traffic.connect_timeout) from None
        except httpx.ConnectError as exc:
            raise SubgraphConnectionError(
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
        return resp.status_code, resp.content

    async def aclose(self) -> None:
        """Close every underlying httpx client."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
