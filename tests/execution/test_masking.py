"""Error masking (``gateway.execution.masking``): what clients see of subgraph errors and failures, end to end
over real HTTP (subgraphs on uvicorn, the production aiohttp client, the gateway's ASGI app), and what the log
keeps, joined to the request id the client gets back."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.config import parse_config
from gateway.execution import AiohttpSubgraphClient, ErrorMasking, Executor
from gateway.execution.masking import accepted_request_id
from gateway.server import Gateway, ServerSettings, create_app

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'

SQL = (
    '(psycopg.errors.UndefinedTable) relation "orders" does not exist [SQL: SELECT * FROM orders WHERE '
    "id = %(id)s] [parameters: {'id': 7}]"
)
TRACE = ["Traceback (most recent call last):", '  File "/srv/payments/resolvers.py", line 12, in total']

# Each subgraph answers every request with one body (or never, or is not there at all).
ANSWERS: dict[str, Any] = {
    "orders": {"data": {"order": None}, "errors": [{"message": SQL, "path": ["order"]}]},
    "payments": {
        "data": {"total": None},
        "errors": [
            {
                "message": "ZeroDivisionError: division by zero",
                "path": ["total"],
                "locations": [{"line": 1, "column": 2}],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "exception": {"stacktrace": TRACE}},
            }
        ],
    },
    "users": {
        "data": {"user": None},
        "errors": [
            {
                "message": "User 7 not found",
                "path": ["user"],
                "extensions": {"code": "NOT_FOUND", "upstream": "http://10.0.0.5:5432/users"},
            }
        ],
    },
    "legacy": {
        "data": {"legacy": None},
        "errors": [{"message": "KeyError: 'user_id' in /srv/legacy/app.py"}],
    },
}
SDLS = {
    "orders": "type Query { order: String }",
    "payments": "type Query { total: Int }",
    "users": "type Query { user: String }",
    "legacy": "type Query { legacy: String }",
    "down": "type Query { down: String }",
    "slow": "type Query { slow: String }",
}
SUPERGRAPH = read_supergraph(
    compose([SubgraphSource(n, f"http://{n}/graphql", LINK + sdl) for n, sdl in SDLS.items()]).supergraph_sdl
    or ""
)


def _app(name: str) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if name == "slow":
            await asyncio.sleep(5)
        body = json.dumps(ANSWERS[name]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Router:
    """Every answering subgraph at ``/<name>/graphql`` of one server."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope.get("path", "/").strip("/").split("/")[0] if scope["type"] == "http" else ""
        await _app(name)(scope, receive, send)


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(_Router(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "subgraph server did not start"
        time.sleep(0.02)
    refused = _free_port()  # nothing listens there
    out = {n: f"http://127.0.0.1:{port}/{n}/graphql" for n in SDLS}
    out["down"] = f"http://127.0.0.1:{refused}/graphql"
    try:
        yield out
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _post(
    urls: dict[str, str],
    query: str,
    masking: ErrorMasking | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    client = AiohttpSubgraphClient(urls, timeouts={"slow": 0.3})
    gateway = Gateway(
        SUPERGRAPH, executor=Executor(SUPERGRAPH, client, masking=masking), settings=ServerSettings()
    )
    app = create_app(gateway)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            return await http.post("/graphql", json={"query": query}, headers=headers or {})
    finally:
        await client.aclose()


def _error(message: str, path: str, service: str, code: str) -> dict[str, Any]:
    return {"message": message, "path": [path], "extensions": {"code": code, "serviceName": service}}


REDACTED = "Subgraph errors redacted"


async def test_clients_see_codes_and_safe_messages_and_the_log_has_the_rest(
    urls: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.execution.errors")
    response = await _post(urls, "{ order total user legacy down slow }", headers={"X-Request-Id": "req-42"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42"
    assert response.json() == {
        "data": {"order": None, "total": None, "user": None, "legacy": None, "down": None, "slow": None},
        "errors": [
            _error(REDACTED, "order", "orders", "DOWNSTREAM_SERVICE_ERROR"),
            _error(REDACTED, "total", "payments", "DOWNSTREAM_SERVICE_ERROR"),
            _error("User 7 not found", "user", "users", "NOT_FOUND"),
            _error(REDACTED, "legacy", "legacy", "DOWNSTREAM_SERVICE_ERROR"),
            _error('Subgraph "down" could not be reached', "down", "down", "SUBGRAPH_REQUEST_FAILED"),
            _error('Subgraph "slow" did not answer in time', "slow", "slow", "SUBGRAPH_REQUEST_FAILED"),
        ],
        "extensions": {"requestId": "req-42"},
    }
    body = response.text
    for secret in ("SELECT", "psycopg", "Traceback", "/srv/", "ZeroDivisionError", "10.0.0.5", "127.0.0.1"):
        assert secret not in body
    logged = [r.getMessage() for r in caplog.records if getattr(r, "request_id", None) == "req-42"]
    assert any("SELECT * FROM orders" in m for m in logged)
    assert any("/srv/payments/resolvers.py" in m for m in logged)
    assert any("KeyError: 'user_id'" in m for m in logged)
    assert any(urls["down"].split("/graphql")[0] in m and "SUBGRAPH_UNREACHABLE" in m for m in logged)
    assert any("SUBGRAPH_TIMEOUT" in m and "slow" in m for m in logged)
    assert all("[request_id=req-42]" in m for m in logged)


async def test_include_subgraph_errors_passes_one_subgraphs_errors_through(urls: dict[str, str]) -> None:
    config = parse_config(
        "subgraphs:\n"
        "  - {name: payments, url: http://payments/graphql, include_subgraph_errors: true}\n"
        "  - {name: orders, url: http://orders/graphql}\n",
        environ={},
    )
    response = await _post(urls, "{ total order down }", masking=config.error_masking(environ={}))
    errors = response.json()["errors"]
    assert errors[0] == {
        "message": "ZeroDivisionError: division by zero",
        "path": ["total"],
        "extensions": {
            "code": "INTERNAL_SERVER_ERROR",
            "exception": {"stacktrace": TRACE},
            "serviceName": "payments",
        },
    }
    assert errors[1] == _error(REDACTED, "order", "orders", "DOWNSTREAM_SERVICE_ERROR")
    # A transport failure never shows the URL, even where errors pass through.
    assert errors[2] == _error(
        'Subgraph "down" could not be reached', "down", "down", "SUBGRAPH_REQUEST_FAILED"
    )


async def test_a_request_id_is_made_when_the_client_sends_none_or_a_malformed_one(
    urls: dict[str, str],
) -> None:
    for headers in ({}, {"X-Request-Id": "bad id; DROP TABLE"}, {"X-Request-Id": "x" * 200}):
        response = await _post(urls, "{ legacy }", headers=headers)
        request_id = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert response.json()["extensions"] == {"requestId": request_id}


async def test_a_response_without_errors_has_the_header_only(urls: dict[str, str]) -> None:
    response = await _post(urls, "{ __typename }", headers={"X-Request-Id": "ok-1"})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["x-request-id"] == "ok-1"


def test_the_rule_for_each_kind_of_subgraph_error() -> None:
    masking = ErrorMasking()
    coded = {
        "message": "Out of stock",
        "extensions": {"code": "CONFLICT", "sql": "UPDATE ..."},
        "locations": [],
    }
    assert masking.subgraph_error(coded, "s", ["a"]) == _error("Out of stock", "a", "s", "CONFLICT")
    for extensions in (None, {}, {"code": "INTERNAL_SERVER_ERROR"}, {"code": 7}, {"code": ""}):
        error = {"message": "secret", "extensions": extensions}
        assert masking.subgraph_error(error, "s", None) == {
            "message": REDACTED,
            "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "s"},
        }


def test_include_subgraph_errors_from_the_environment() -> None:
    base = ErrorMasking(include={"a": True})
    assert ErrorMasking.from_env({}, base) == base
    assert ErrorMasking.from_env({"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "all"}).includes("z")
    everyone_but_b = ErrorMasking.from_env({"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "all,-b"})
    assert everyone_but_b.includes("a") and not everyone_but_b.includes("b")
    only_c = ErrorMasking.from_env({"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "c"}, base)
    assert only_c.includes("a") and only_c.includes("c") and not only_c.includes("d")
    assert not ErrorMasking.from_env({"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "none"}, base).includes("a")


def test_well_formed_request_ids() -> None:
    assert accepted_request_id("4bf92f3577b34da6a3ce929d0e0e4736") is not None
    assert accepted_request_id("req-1.2:3_4") == "req-1.2:3_4"
    for bad in (None, "", " x", "a b", "x\n", "é", "-starts-with-dash", "x" * 129):
        assert accepted_request_id(bad) is None


def test_serve_reads_the_setting_from_the_config_then_the_environment() -> None:
    from gateway.commands.serve import masking_for

    config = parse_config(
        "subgraphs:\n  - {name: users, url: http://u/graphql, include_subgraph_errors: true}\n", environ={}
    )
    assert masking_for(config, {}).includes("users")
    assert not masking_for(config, {"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "none"}).includes("users")
    assert not masking_for(None, {}).includes("users")
    assert masking_for(None, {"GATEWAY_INCLUDE_SUBGRAPH_ERRORS": "users"}).includes("users")
    with pytest.raises(Exception, match="include_subgraph_errors"):
        parse_config(
            "subgraphs:\n  - {name: u, url: http://u/graphql, include_subgraph_errors: yes-please}\n"
        )
