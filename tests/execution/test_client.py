"""Subgraph clients: GraphQL-over-HTTP requests, response checks, typed failures, pools, header policy."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.execution import (
    AiohttpSubgraphClient,
    HeaderPolicy,
    HttpxSubgraphClient,
    SubgraphFetchError,
    SubgraphRequest,
)

REQUEST = SubgraphRequest("query($x: Int) { f(x: $x) }", {"x": 1}, "Op", {"authorization": "Bearer t"})


def behaviour(kind: str) -> tuple[int, bytes, str]:
    """(status, body, content type) a fake subgraph answers for each kind of test."""
    return {
        "ok": (200, orjson.dumps({"data": {"f": 1}}), "application/json"),
        "graphql-errors-400": (
            400,
            orjson.dumps({"errors": [{"message": "Cannot query field"}]}),
            "application/graphql-response+json",
        ),
        "html-500": (500, b"<html><body>Internal Server Error</body></html>", "text/html"),
        "json-502": (502, orjson.dumps({"detail": "bad gateway"}), "application/json"),
        "not-json": (200, b"hello", "text/plain"),
        "empty": (200, b"", "application/json"),
        "array": (200, b"[1, 2]", "application/json"),
        "no-data-no-errors": (200, b'{"result": 1}', "application/json"),
        "data-not-object": (200, b'{"data": [1]}', "application/json"),
        "errors-without-message": (200, b'{"data": null, "errors": [{"path": ["f"]}]}', "application/json"),
    }[kind]


def starlette_subgraph(seen: list[dict[str, Any]]) -> Starlette:
    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        seen.append({"body": body, "headers": dict(request.headers)})
        kind = request.query_params.get("kind") or body.get("operationName") or "ok"
        if kind == "slow":
            await asyncio.sleep(1)
            return JSONResponse({"data": {}})
        if kind == "crash":
            raise RuntimeError("boom")
        status, payload, ctype = behaviour(kind if kind != "Op" else "ok")
        return Response(payload, status_code=status, media_type=ctype)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


async def test_httpx_client_sends_a_graphql_over_http_post_and_reads_the_response() -> None:
    seen: list[dict[str, Any]] = []
    client = HttpxSubgraphClient({"a": starlette_subgraph(seen)})
    try:
        response = await client.fetch("a", REQUEST)
    finally:
        await client.aclose()
    assert response.data == {"f": 1} and response.errors is None and response.status == 200
    (request,) = seen
    assert request["body"] == {"query": REQUEST.query, "variables": {"x": 1}, "operationName": "Op"}
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["accept"].startswith("application/graphql-response+json")
    assert request["headers"]["authorization"] == "Bearer t"


@pytest.mark.parametrize(
    ("kind", "code", "mention"),
    [
        ("html-500", "SUBGRAPH_HTTP_ERROR", "HTTP 500"),
        ("json-502", "SUBGRAPH_HTTP_ERROR", "HTTP 502"),
        ("not-json", "SUBGRAPH_INVALID_RESPONSE", "not JSON: hello"),
        ("empty", "SUBGRAPH_INVALID_RESPONSE", "(empty body)"),
        ("array", "SUBGRAPH_INVALID_RESPONSE", "not a GraphQL response (expected an object, got list)"),
        ("no-data-no-errors", "SUBGRAPH_INVALID_RESPONSE", "neither data nor errors"),
        ("data-not-object", "SUBGRAPH_INVALID_RESPONSE", "data is not an object"),
        ("errors-without-message", "SUBGRAPH_INVALID_RESPONSE", "errors is not a list"),
        ("crash", "SUBGRAPH_HTTP_ERROR", "HTTP 500"),
    ],
)
async def test_httpx_client_rejects_answers_that_are_not_graphql_responses(
    kind: str, code: str, mention: str
) -> None:
    client = HttpxSubgraphClient({"a": starlette_subgraph([])})
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }", operation_name=kind))
    finally:
        await client.aclose()
    assert info.value.code == code
    assert info.value.subgraph == "a"
    assert mention in info.value.message
    assert "Traceback" not in info.value.message


async def test_a_graphql_error_response_with_a_4xx_status_is_still_a_response() -> None:
    client = HttpxSubgraphClient({"a": starlette_subgraph([])})
    try:
        response = await client.fetch("a", SubgraphRequest("{ f }", operation_name="graphql-errors-400"))
    finally:
        await client.aclose()
    assert response.status == 400
    assert response.data is None
    assert response.errors == [{"message": "Cannot query field"}]


async def test_httpx_client_timeout_applies_to_in_process_apps_and_unknown_subgraphs_fail() -> None:
    client = HttpxSubgraphClient({"a": starlette_subgraph([])}, timeouts={"a": 0.1})
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }", operation_name="slow"))
        assert info.value.code == "SUBGRAPH_TIMEOUT"
        assert "0.1 s" in info.value.message
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("b", SubgraphRequest("{ f }"))
        assert info.value.code == "SUBGRAPH_UNKNOWN"
    finally:
        await client.aclose()


# aiohttp against a real local server


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def graphql(request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append({"body": body, "headers": dict(request.headers), "peer": peer})
        kind = body.get("operationName") or "ok"
        if kind == "slow":
            await asyncio.sleep(1)
        if kind == "pause":
            await asyncio.sleep(0.1)
        if kind == "drop-reused" and any(s["peer"] == peer for s in seen[:-1]):
            # Like a server whose idle timeout fired just as the client reused the connection.
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        status, payload, ctype = behaviour("ok" if kind in ("Op", "slow", "pause", "drop-reused") else kind)
        return web.Response(body=payload, status=status, content_type=ctype.split(";")[0])

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    port = sock.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql", seen
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_aiohttp_client_posts_and_keeps_one_connection_alive(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    client = AiohttpSubgraphClient({"a": url}, timeouts=5)
    try:
        for _ in range(5):
            response = await client.fetch("a", REQUEST)
            assert response.data == {"f": 1}
    finally:
        await client.aclose()
    assert seen[0]["body"] == {"query": REQUEST.query, "variables": {"x": 1}, "operationName": "Op"}
    assert seen[0]["headers"]["Authorization"] == "Bearer t"
    assert seen[0]["headers"]["Content-Type"] == "application/json"
    assert len({s["peer"] for s in seen}) == 1  # keep-alive: every request on the same connection


async def test_aiohttp_client_errors_are_typed(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = server
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    client = AiohttpSubgraphClient({"a": url, "slow": url, "down": dead}, timeouts={"slow": 0.2})
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("slow", SubgraphRequest("{ f }", operation_name="slow"))
        assert (info.value.code, info.value.subgraph) == ("SUBGRAPH_TIMEOUT", "slow")
        assert "0.2 s" in info.value.message
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("down", SubgraphRequest("{ f }"))
        assert info.value.code == "SUBGRAPH_UNREACHABLE"
        assert info.value.message == f'Subgraph "down" is unreachable at {dead}: connection refused'
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }", operation_name="not-json"))
        assert info.value.code == "SUBGRAPH_INVALID_RESPONSE"
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }", operation_name="html-500"))
        assert (info.value.code, info.value.status) == ("SUBGRAPH_HTTP_ERROR", 500)
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("nowhere", SubgraphRequest("{ f }"))
        assert info.value.code == "SUBGRAPH_UNKNOWN"
        # The pool still works after failures.
        assert (await client.fetch("a", SubgraphRequest("{ f }"))).data == {"f": 1}
    finally:
        await client.aclose()


async def test_aiohttp_client_retries_queries_once_on_a_connection_the_server_closed(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    client = AiohttpSubgraphClient({"a": url})
    try:
        await client.fetch("a", SubgraphRequest("{ f }"))
        response = await client.fetch("a", SubgraphRequest("query drop { f }", operation_name="drop-reused"))
        assert response.data == {"f": 1}
        assert len(seen) == 3 and seen[1]["peer"] == seen[0]["peer"] != seen[2]["peer"]
        # A mutation is never sent twice.
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("mutation drop { f }", operation_name="drop-reused"))
        assert info.value.code == "SUBGRAPH_UNREACHABLE"
        assert "closed the connection" in info.value.message
        assert len(seen) == 4
    finally:
        await client.aclose()


async def test_concurrent_aiohttp_requests_share_the_pool(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = server
    client = AiohttpSubgraphClient({"a": url}, pool_size=4)
    try:
        responses = await asyncio.gather(
            *(client.fetch("a", SubgraphRequest("query($i: Int) { f }", {"i": i})) for i in range(20))
        )
    finally:
        await client.aclose()
    assert all(r.data == {"f": 1} for r in responses)
    assert len(seen) == 20
    assert len({s["peer"] for s in seen}) <= 4


async def test_identical_query_requests_in_flight_are_sent_once(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    client = AiohttpSubgraphClient({"a": url, "b": url})
    query = SubgraphRequest("query pause { f }", {"x": 1}, "pause", {"authorization": "Bearer t"})
    try:
        responses = await asyncio.gather(
            *(client.fetch("a", query) for _ in range(5)),
            client.fetch("b", query),  # another subgraph
            client.fetch("a", SubgraphRequest(query.query, {"x": 2}, "pause", query.headers)),  # other body
            client.fetch("a", SubgraphRequest(query.query, query.variables, "pause", {"authorization": "u"})),
            *(client.fetch("a", SubgraphRequest("mutation pause { f }", None, "pause")) for _ in range(2)),
        )
        assert len(seen) == 1 + 1 + 1 + 1 + 2
        assert client.shared == 4
        assert all(r.data == {"f": 1} for r in responses)
        # Every caller decodes its own copy: callers merge into what they receive.
        assert len({id(r.data) for r in responses}) == len(responses)
        # Once answered, the same request is sent again.
        await client.fetch("a", query)
        assert len(seen) == 7
    finally:
        await client.aclose()


async def test_an_error_of_a_shared_request_reaches_every_caller(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    client = AiohttpSubgraphClient({"a": url})
    try:
        outcomes = await asyncio.gather(
            *(client.fetch("a", SubgraphRequest("{ f }", operation_name="html-500")) for _ in range(3)),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
    assert len(seen) == 1
    assert [getattr(o, "code", None) for o in outcomes] == ["SUBGRAPH_HTTP_ERROR"] * 3


async def test_in_flight_deduplication_can_be_turned_off(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    # The client reads no environment: ``serve`` passes ``ServerSettings.deduplicate_inflight`` (which
    # follows GATEWAY_DEDUPLICATE_INFLIGHT).
    url, seen = server
    client = AiohttpSubgraphClient({"a": url}, deduplicate_inflight=False)
    try:
        await asyncio.gather(*(client.fetch("a", SubgraphRequest("{ f }", None, "pause")) for _ in range(3)))
    finally:
        await client.aclose()
    assert len(seen) == 3
    assert client.shared == 0


def test_header_policy_is_an_allow_list() -> None:
    policy = HeaderPolicy(allow=["Authorization", "X-Tenant", "Host", "Connection"])
    sent = policy.apply(
        {"AUTHORIZATION": "a", "x-tenant": "t", "host": "h", "connection": "close", "cookie": "c"}
    )
    assert sent == {"authorization": "a", "x-tenant": "t"}
    assert HeaderPolicy().apply({"authorization": "a"}) == {}
    assert HeaderPolicy(static={"X-From": "gw"}).apply(None) == {"x-from": "gw"}


async def test_httpx_client_reports_connection_refused_for_url_targets() -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    client = HttpxSubgraphClient({"down": dead})
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("down", SubgraphRequest("{ f }"))
    finally:
        await client.aclose()
    assert info.value.code == "SUBGRAPH_UNREACHABLE"
    assert info.value.message.endswith("connection refused")


# Through the executor: failures become null fields with errors, headers follow the policy.


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("slow", "SUBGRAPH_TIMEOUT"),
        ("not-json", "SUBGRAPH_INVALID_RESPONSE"),
        ("array", "SUBGRAPH_INVALID_RESPONSE"),
        ("html-500", "SUBGRAPH_HTTP_ERROR"),
        ("crash", "SUBGRAPH_HTTP_ERROR"),
    ],
)
async def test_executor_turns_each_kind_of_subgraph_failure_into_a_field_error(
    kind: str, reason: str
) -> None:
    from graphql import parse

    from gateway.execution import Executor
    from gateway.planning.plan import FetchNode, ParallelNode, QueryPlan

    from .support import make_supergraph

    seen: list[dict[str, Any]] = []
    ok = starlette_subgraph(seen)

    async def me_app(scope: Any, receive: Any, send: Any) -> None:
        # The accounts subgraph answers `me` properly whatever the other one does.
        response = JSONResponse({"data": {"me": {"id": "u1"}}})
        await response(scope, receive, send)

    client = HttpxSubgraphClient({"products": ok, "accounts": me_app}, timeouts={"products": 0.2})
    plan = QueryPlan(
        ParallelNode(
            [
                FetchNode(
                    "products", 'query P { featured { upc } product(upc: "1") { upc } }', operation_name=kind
                ),
                FetchNode("accounts", "{ me { id } }"),
            ]
        ),
        parse('{ product(upc: "1") { upc } me { id } }'),
    )
    try:
        result = await Executor(make_supergraph(), client).execute(plan, {})
    finally:
        await client.aclose()
    assert result["data"] == {"product": None, "me": {"id": "u1"}}
    (error,) = result["errors"]
    assert error["path"] == ["product"]
    # Masked by default (gateway.execution.masking): a fixed message per kind of failure, no URL, no body.
    assert error["extensions"] == {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "products"}
    assert (
        error["message"]
        == {
            "SUBGRAPH_TIMEOUT": 'Subgraph "products" did not answer in time',
            "SUBGRAPH_INVALID_RESPONSE": 'Subgraph "products" returned an invalid response',
            "SUBGRAPH_HTTP_ERROR": 'Subgraph "products" answered HTTP 500',
        }[reason]
    )


async def test_headers_reach_subgraphs_only_through_the_policy() -> None:
    from graphql import parse

    from gateway.execution import Executor
    from gateway.planning.plan import FetchNode, QueryPlan

    from .support import make_supergraph

    seen: list[dict[str, Any]] = []
    client = HttpxSubgraphClient({"accounts": starlette_subgraph(seen)})
    plan = QueryPlan(FetchNode("accounts", "{ me { id } }"), parse("{ me { id } }"))
    executor = Executor(
        make_supergraph(), client, header_policy=HeaderPolicy(allow=["authorization", "x-tenant"])
    )
    try:
        await executor.execute(
            plan, {}, request_headers={"Authorization": "Bearer t", "Cookie": "session=1", "X-Tenant": "acme"}
        )
    finally:
        await client.aclose()
    headers = seen[0]["headers"]
    assert headers["authorization"] == "Bearer t" and headers["x-tenant"] == "acme"
    assert "cookie" not in headers


async def test_a_connection_the_subgraph_never_accepts_times_out_after_the_connect_timeout() -> None:
    import time

    from gateway.execution.traffic import SubgraphTraffic, TrafficShaping

    # A listening socket whose accept queue is full: the kernel drops further SYNs, as for a dead host.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    await asyncio.sleep(0.05)
    traffic = TrafficShaping(SubgraphTraffic(request_timeout=5, connect_timeout=0.3))
    client = AiohttpSubgraphClient({"a": f"http://127.0.0.1:{port}/graphql"}, traffic=traffic)
    started = time.perf_counter()
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }"))
    finally:
        await client.aclose()
        for s in (*fillers, listener):
            s.close()
    assert info.value.code == "SUBGRAPH_TIMEOUT"
    assert info.value.message == 'Subgraph "a" did not accept a connection within 0.3 s'
    assert time.perf_counter() - started < 1.0  # a timeout is not retried
