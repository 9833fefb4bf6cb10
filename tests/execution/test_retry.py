"""Retries: queries only, connection errors only, exponential backoff with full jitter, within a budget.

The end-to-end cases run a real TCP server that, request by request, answers or resets the connection
before any byte of the response (what a crashed or restarting subgraph does).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
import pytest
from graphql import OperationType

from gateway.execution import AiohttpSubgraphClient, SubgraphFetchError, SubgraphRequest
from gateway.execution.graphql_over_http import operation_type
from gateway.execution.retry import RetryBudget, RetrySettings, backoff_delay, may_retry_operation
from gateway.execution.traffic import SubgraphTraffic, TrafficShaping


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# The budget (tower's TpsBudget semantics, Apollo Router's defaults)


def test_the_reserve_allows_min_per_sec_retries_per_second_of_ttl() -> None:
    budget = RetryBudget(RetrySettings(ttl=1, min_per_sec=3, retry_percent=0.2), clock=Clock())
    assert [budget.withdraw() for _ in range(4)] == [True, True, True, False]


def test_without_a_reserve_each_answered_request_earns_retry_percent_of_a_retry() -> None:
    budget = RetryBudget(RetrySettings(ttl=10, min_per_sec=0, retry_percent=0.2), clock=Clock())
    assert not budget.withdraw()
    for _ in range(4):
        budget.deposit()
    assert not budget.withdraw()  # 4 requests earn 0.8 of a retry
    budget.deposit()
    assert budget.withdraw()
    assert not budget.withdraw()
    for _ in range(10):
        budget.deposit()
    assert [budget.withdraw() for _ in range(3)] == [True, True, False]  # 20 % extra, no more


def test_deposits_expire_after_ttl_over_a_sliding_window() -> None:
    clock = Clock()
    budget = RetryBudget(RetrySettings(ttl=1, min_per_sec=0, retry_percent=1.0), clock=clock)
    budget.deposit()
    clock.now += 0.9
    budget.deposit()
    clock.now += 0.15  # the first deposit is now more than a second old, the second is not
    assert budget.withdraw()
    assert not budget.withdraw()
    budget.deposit()
    clock.now += 3600  # a long quiet spell forgets everything
    assert not budget.withdraw()


def test_a_withdrawal_spends_the_reserve_only_for_the_window() -> None:
    clock = Clock()
    budget = RetryBudget(RetrySettings(ttl=1, min_per_sec=1, retry_percent=0.2), clock=clock)
    assert budget.withdraw()
    assert not budget.withdraw()
    clock.now += 1.2
    assert budget.withdraw()  # the reserve is a rate: a new second, a new retry


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    settings = RetrySettings(base_delay=0.1, max_delay=0.5)
    caps = [backoff_delay(n, settings, draw=lambda low, high: high) for n in range(5)]
    assert caps == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert backoff_delay(3, settings, draw=lambda low, high: low) == 0.0
    assert all(0.0 <= backoff_delay(2, settings) <= 0.4 for _ in range(100))


def test_only_queries_are_retried() -> None:
    assert may_retry_operation(operation_type("{ a }"))
    assert may_retry_operation(operation_type("# why\n query Q { a }"))
    assert not may_retry_operation(operation_type("mutation { a }"))
    assert not may_retry_operation(operation_type("subscription { a }"))
    assert not may_retry_operation(operation_type("fragment F on T { a }"))
    assert operation_type("queryX") is None
    assert operation_type("  ,query($x: Int) { a }") is OperationType.QUERY


def test_settings_are_checked() -> None:
    for bad in ({"ttl": 0.5}, {"ttl": 61}, {"max_retries": -1}, {"retry_percent": -0.1}, {"max_delay": 0}):
        with pytest.raises(ValueError):
            RetrySettings(**bad)  # type: ignore[arg-type]


# Over real TCP


@dataclass
class Script:
    """What the server does with each request in turn: "ok" answers, "reset" drops the connection."""

    steps: list[str]
    seen: list[bytes] = field(default_factory=list)


async def _serve(script: Script, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            script.seen.append(body)
            step = script.steps.pop(0) if script.steps else "ok"
            if step == "reset":
                # RST instead of FIN: the connection dies before any byte of the response.
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            payload = orjson.dumps({"data": {"f": 1}})
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[str, Script]]:
    script = Script([])
    server = await asyncio.start_server(lambda r, w: _serve(script, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql", script
    finally:
        server.close()
        await server.wait_closed()


FAST = RetrySettings(base_delay=0.005, max_delay=0.01)


def client_for(url: str, retry: RetrySettings = FAST) -> AiohttpSubgraphClient:
    return AiohttpSubgraphClient(
        {"a": url}, traffic=TrafficShaping(SubgraphTraffic(request_timeout=5, retry=retry))
    )


async def test_a_query_is_retried_when_the_connection_is_reset_before_the_answer(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.steps = ["reset", "reset", "ok"]
    client = client_for(url)
    try:
        response = await client.fetch("a", SubgraphRequest("query Q { f }"))
    finally:
        await client.aclose()
    assert response.data == {"f": 1}
    assert len(script.seen) == 3


async def test_a_mutation_is_never_retried(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.steps = ["reset", "ok"]
    client = client_for(url)
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("mutation M { f }"))
    finally:
        await client.aclose()
    assert info.value.code == "SUBGRAPH_UNREACHABLE"
    assert len(script.seen) == 1


async def test_retries_stop_at_max_retries(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.steps = ["reset"] * 5
    client = client_for(url, RetrySettings(max_retries=2, base_delay=0.001, max_delay=0.001))
    try:
        with pytest.raises(SubgraphFetchError):
            await client.fetch("a", SubgraphRequest("{ f }"))
    finally:
        await client.aclose()
    assert len(script.seen) == 3


async def test_an_exhausted_budget_stops_retries(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    # No reserve: 5 answered requests earn one retry (20 %).
    script.steps = ["ok"] * 5 + ["reset", "ok", "reset", "ok"]
    client = client_for(
        url, RetrySettings(min_per_sec=0, retry_percent=0.2, base_delay=0.001, max_delay=0.001)
    )
    try:
        for i in range(5):
            await client.fetch("a", SubgraphRequest("query($i: Int) { f }", {"i": i}))
        assert (await client.fetch("a", SubgraphRequest("{ f }"))).data == {"f": 1}  # retried once
        assert len(script.seen) == 7
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }"))  # the budget is spent
        assert info.value.code == "SUBGRAPH_UNREACHABLE"
        assert len(script.seen) == 8
    finally:
        await client.aclose()


async def test_a_refused_connection_is_retried_and_each_attempt_counts_for_the_breaker() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/graphql"
    client = client_for(dead)
    try:
        with pytest.raises(SubgraphFetchError) as info:
            await client.fetch("a", SubgraphRequest("{ f }"))
        assert info.value.message.endswith("connection refused")
        assert client.circuits()["a"].consecutive_failures == 3  # the first attempt and two retries
        with pytest.raises(SubgraphFetchError):
            await client.fetch("a", SubgraphRequest("mutation { f }"))
        assert client.circuits()["a"].consecutive_failures == 4
    finally:
        await client.aclose()
