"""The circuit breaker as a state machine: closed -> open -> half-open -> closed, on a hand-stepped clock."""

from __future__ import annotations

import pytest

from gateway.execution.breaker import (
    CIRCUIT_OPEN,
    BreakerSettings,
    CircuitBreaker,
    CircuitState,
    Permit,
)
from gateway.execution.graphql_over_http import SubgraphFetchError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, failures: int = 3, cool_down: float = 10.0) -> CircuitBreaker:
    return CircuitBreaker("products", BreakerSettings(failures, cool_down), clock=clock)


def fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        b.failed(b.admit())


def test_consecutive_failures_open_the_circuit_and_it_then_fails_fast() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b, 2)
    assert b.state is CircuitState.CLOSED
    fail(b, 1)
    assert b.state is CircuitState.OPEN
    with pytest.raises(SubgraphFetchError) as info:
        b.admit()
    assert info.value.code == CIRCUIT_OPEN == "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"
    assert info.value.subgraph == "products"
    assert '"products"' in info.value.message and "http" not in info.value.message
    snapshot = b.snapshot()
    assert snapshot.state is CircuitState.OPEN and snapshot.reopens_in == 10.0


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    b = breaker(Clock())
    fail(b, 2)
    b.succeeded(b.admit())
    fail(b, 2)
    assert b.state is CircuitState.CLOSED
    assert b.snapshot().consecutive_failures == 2


def test_after_the_cool_down_one_probe_passes_and_its_success_closes_the_circuit() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 9.9
    with pytest.raises(SubgraphFetchError):
        b.admit()
    clock.now += 0.1
    assert b.state is CircuitState.HALF_OPEN
    probe = b.admit()
    assert probe.probe
    # Others still fail fast while the probe is out.
    with pytest.raises(SubgraphFetchError):
        b.admit()
    b.succeeded(probe)
    assert b.state is CircuitState.CLOSED
    assert b.admit() == Permit()
    assert b.snapshot().consecutive_failures == 0


def test_a_failed_probe_opens_the_circuit_for_another_cool_down() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 10
    probe = b.admit()
    clock.now += 2  # the probe took a while
    b.failed(probe)
    assert b.state is CircuitState.OPEN
    clock.now += 9.9
    with pytest.raises(SubgraphFetchError):
        b.admit()
    clock.now += 0.1
    assert b.admit().probe


def test_an_abandoned_probe_lets_the_next_request_probe() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 10
    b.abandoned(b.admit())
    assert b.state is CircuitState.HALF_OPEN
    assert b.admit().probe


def test_late_outcomes_of_requests_let_through_before_opening_do_not_decide() -> None:
    clock = Clock()
    b = breaker(clock)
    early = [b.admit() for _ in range(2)]
    fail(b, 3)
    b.succeeded(early[0])  # answered late: says nothing about now
    assert b.state is CircuitState.OPEN
    b.failed(early[1])
    clock.now += 10
    assert b.admit().probe


def test_a_disabled_breaker_never_opens_and_settings_are_checked() -> None:
    b = CircuitBreaker("p", BreakerSettings(1, 10, enabled=False), clock=Clock())
    fail(b, 5)
    b.admit()
    assert b.state is CircuitState.CLOSED
    with pytest.raises(ValueError):
        BreakerSettings(failure_threshold=0)
    with pytest.raises(ValueError):
        BreakerSettings(cool_down=-1)
