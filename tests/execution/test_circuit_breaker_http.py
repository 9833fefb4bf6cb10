"""The circuit breaker end to end: a subgraph served by uvicorn hangs, recovers, and the gateway follows.

Timeouts open the circuit; while it is open requests fail fast (well under 50 ms) with the coded error and
never reach the subgraph; after the cool-down one probe goes through and, the subgraph being back, closes it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.composition.supergraph import Subgraph
from gateway.execution import AiohttpSubgraphClient, SubgraphFetchError, SubgraphRequest
from gateway.execution.breaker import BreakerSettings, CircuitState
from gateway.execution.traffic import SubgraphTraffic, TrafficShaping
from gateway.server.readiness import check_readiness, circuit_states
from tests.server.live import serve_in_thread

from .support import make_supergraph

TIMEOUT = 0.2
FAILURES = 3
COOL_DOWN = 0.5


def hanging_subgraph(state: dict[str, Any]) -> Starlette:
    async def graphql(request: Request) -> Response:
        state["received"] += 1
        # Polled: the flag is set from the test, another thread and event loop than the server's.
        while state["hang"]:  # noqa: ASYNC110 (hangs until it recovers)
            await asyncio.sleep(0.02)
        return Response(orjson.dumps({"data": {"me": {"id": "u1"}}}), media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


@pytest.fixture
def subgraph() -> Iterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"hang": True, "received": 0}
    with serve_in_thread(hanging_subgraph(state)) as base:
        try:
            yield f"{base}/graphql", state
        finally:
            state["hang"] = False


async def test_a_hanging_subgraph_opens_the_circuit_then_requests_fail_fast_until_it_recovers(
    subgraph: tuple[str, dict[str, Any]],
) -> None:
    url, state = subgraph
    traffic = TrafficShaping(
        SubgraphTraffic(request_timeout=TIMEOUT, breaker=BreakerSettings(FAILURES, COOL_DOWN))
    )
    client = AiohttpSubgraphClient({"accounts": url}, traffic=traffic)
    query = SubgraphRequest("query Me($n: Int) { me { id } }")
    try:
        # 1. The subgraph hangs: each request costs the whole timeout, and counts.
        for _ in range(FAILURES):
            started = time.perf_counter()
            with pytest.raises(SubgraphFetchError) as info:
                await client.fetch("accounts", query)
            assert info.value.code == "SUBGRAPH_TIMEOUT"
            assert time.perf_counter() - started >= TIMEOUT * 0.9
        assert client.circuits()["accounts"].state is CircuitState.OPEN
        received = state["received"]

        # 2. Open: fail fast with the coded error, nothing reaches the subgraph.
        for _ in range(10):
            started = time.perf_counter()
            with pytest.raises(SubgraphFetchError) as info:
                await client.fetch("accounts", query)
            assert time.perf_counter() - started < 0.05
            assert info.value.code == "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"
            assert info.value.subgraph == "accounts"
            assert url not in info.value.message and "127.0.0.1" not in info.value.message
        assert state["received"] == received

        # /ready names the subgraph whose circuit is open.
        executor = SimpleNamespace(client=client)

        async def answering(subgraph: Subgraph, limit: float) -> str | None:
            return None

        readiness = await check_readiness(make_supergraph(), answering, 1.0, circuit_states(executor))
        assert readiness.to_json()["circuits"] == {"accounts": "open"}
        assert "circuit open for: accounts" in str(readiness.to_json()["reason"])

        # 3. Still hanging after the cool-down: the one probe times out and the circuit opens again.
        await asyncio.sleep(COOL_DOWN)
        assert client.circuits()["accounts"].state is CircuitState.HALF_OPEN
        probe = asyncio.ensure_future(client.fetch("accounts", query))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(SubgraphFetchError) as info:  # while the probe is out, others fail fast
            await client.fetch("accounts", SubgraphRequest("query Other { me { id } }"))
        assert info.value.code == "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"
        assert time.perf_counter() - started < 0.05
        with pytest.raises(SubgraphFetchError) as info:
            await probe
        assert info.value.code == "SUBGRAPH_TIMEOUT"
        assert client.circuits()["accounts"].state is CircuitState.OPEN

        # 4. The subgraph recovers; after the cool-down the probe succeeds and the circuit closes.
        state["hang"] = False
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("accounts", query)
        assert info.value.code == "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"  # still cooling down
        await asyncio.sleep(COOL_DOWN)
        response = await client.fetch("accounts", query)
        assert response.data == {"me": {"id": "u1"}}
        assert client.circuits()["accounts"].state is CircuitState.CLOSED
        for _ in range(3):
            assert (await client.fetch("accounts", query)).data == {"me": {"id": "u1"}}
        assert circuit_states(executor) == {}
    finally:
        await client.aclose()


async def test_graphql_errors_do_not_open_the_circuit_but_5xx_answers_do() -> None:
    calls: list[str] = []

    async def app(request: Request) -> Response:
        kind = orjson.loads(await request.body()).get("operationName")
        calls.append(kind)
        if kind == "Broken":
            return Response(b"upstream crashed", status_code=503, media_type="text/plain")
        body = {"data": None, "errors": [{"message": "not allowed"}]}
        return Response(orjson.dumps(body), media_type="application/json")

    with serve_in_thread(Starlette(routes=[Route("/graphql", app, methods=["POST"])])) as base:
        traffic = TrafficShaping(SubgraphTraffic(breaker=BreakerSettings(2, 60)))
        client = AiohttpSubgraphClient({"a": f"{base}/graphql"}, traffic=traffic)
        try:
            for _ in range(5):
                response = await client.fetch(
                    "a", SubgraphRequest("query Denied { f }", operation_name="Denied")
                )
                assert response.errors == [{"message": "not allowed"}]
            assert client.circuits()["a"].state is CircuitState.CLOSED
            for _ in range(2):
                with pytest.raises(SubgraphFetchError) as info:
                    await client.fetch("a", SubgraphRequest("query Broken { f }", operation_name="Broken"))
                assert info.value.code == "SUBGRAPH_HTTP_ERROR"
            assert client.circuits()["a"].state is CircuitState.OPEN
            with pytest.raises(SubgraphFetchError) as info:
                await client.fetch("a", SubgraphRequest("query Denied { f }", operation_name="Denied"))
            assert info.value.code == "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"
            assert len(calls) == 7
        finally:
            await client.aclose()


async def test_ready_reports_the_open_circuit_of_the_executors_client() -> None:
    import httpx

    from gateway.execution import Executor, HttpxSubgraphClient
    from gateway.server import Gateway, ServerSettings, create_app

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        await Response(b"down", status_code=503)(scope, receive, send)

    supergraph = make_supergraph()
    traffic = TrafficShaping(SubgraphTraffic(breaker=BreakerSettings(1, 60)))
    client = HttpxSubgraphClient({"accounts": failing}, traffic=traffic)

    async def answering(subgraph: Subgraph, limit: float) -> str | None:
        return None

    gateway = Gateway(supergraph, executor=Executor(supergraph, client), settings=ServerSettings())
    app = create_app(gateway, probe=answering)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as http:
            assert "circuits" not in (await http.get("/ready")).json()
            with pytest.raises(SubgraphFetchError):
                await client.fetch("accounts", SubgraphRequest("{ me { id } }"))
            ready = await http.get("/ready")
    finally:
        await client.aclose()
    assert ready.status_code == 200  # every subgraph answers its probe: still in rotation
    assert ready.json()["circuits"] == {"accounts": "open"}
    assert ready.json()["reason"] == "circuit open for: accounts"
