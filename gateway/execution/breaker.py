"""A circuit breaker per subgraph endpoint: stop sending requests to a subgraph that keeps failing.

The classic three states (Nygard, "Release It!"; the same machine as Hive Router's subgraph breaker):

- **closed**: requests pass; ``failure_threshold`` consecutive failures (HTTP 5xx, timeouts, connection
  errors) open the circuit. A GraphQL response, with or without ``errors``, is a success: the subgraph answered.
- **open**: every request is refused at once with ``SUBGRAPH_CIRCUIT_BREAKER_REJECTED`` (Hive Router's code),
  no network call, no timeout wait, until ``cool_down`` seconds have passed.
- **half-open**: one probe request passes, the others are still refused; its success closes the circuit,
  its failure opens it for another ``cool_down``.

Pure state: no I/O and no sleeping; time comes from an injectable clock so tests step it by hand.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from .graphql_over_http import SubgraphFetchError

__all__ = [
    "CIRCUIT_OPEN",
    "BreakerSettings",
    "CircuitBreaker",
    "CircuitSnapshot",
    "CircuitState",
    "Permit",
]

CIRCUIT_OPEN = "SUBGRAPH_CIRCUIT_BREAKER_REJECTED"
"""The code of the fail-fast error (the one Hive Router uses)."""


class CircuitState(enum.Enum):
    """Where a circuit stands; the value is what ``/ready`` and metrics print."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """When a circuit opens and how long it stays open; ``enabled=False`` lets every request through."""

    failure_threshold: int = 5
    cool_down: float = 10.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if self.cool_down < 0:
            raise ValueError("cool_down must not be negative")


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to send one request; ``probe`` marks the half-open trial whose outcome decides the circuit."""

    probe: bool = False


_PASS = Permit()
_PROBE = Permit(probe=True)


@dataclass(frozen=True, slots=True)
class CircuitSnapshot:
    """A read-only view of one circuit, for ``/ready`` and metrics."""

    state: CircuitState
    consecutive_failures: int
    reopens_in: float | None = None  # seconds until an open circuit lets a probe through


class CircuitBreaker:
    """The circuit of one subgraph endpoint; the client asks :meth:`admit` before each request and reports
    the outcome with :meth:`succeeded`, :meth:`failed` or :meth:`abandoned`."""

    __slots__ = ("_clock", "_failures", "_opened_at", "_probing", "_state", "settings", "subgraph")

    def __init__(
        self,
        subgraph: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subgraph = subgraph
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> CircuitState:
        """The current state; an open circuit whose cool-down has passed reads as half-open."""
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self.settings.cool_down:
            return CircuitState.HALF_OPEN
        return self._state

    def admit(self) -> Permit:
        """Leave to send a request, or :class:`SubgraphFetchError` with code ``SUBGRAPH_CIRCUIT_BREAKER_REJECTED``."""
        if self._state is CircuitState.CLOSED or not self.settings.enabled:
            return _PASS
        if self.state is CircuitState.HALF_OPEN and not self._probing:
            self._state = CircuitState.HALF_OPEN
            self._probing = True
            return _PROBE
        raise self.rejection()

    def rejection(self) -> SubgraphFetchError:
        """The fail-fast error: it names the subgraph only, never where it runs."""
        return SubgraphFetchError(
            self.subgraph,
            CIRCUIT_OPEN,
            f'Subgraph "{self.subgraph}" is failing; requests to it are paused for a moment',
        )

    def succeeded(self, permit: Permit) -> None:
        """The subgraph answered (any GraphQL response, errors included)."""
        if permit.probe:
            self._probing = False
            self._state = CircuitState.CLOSED
            self._failures = 0
        elif self._state is CircuitState.CLOSED:
            self._failures = 0
        # A request let through before the circuit opened says nothing about the subgraph now: only the
        # probe closes an open circuit.

    def failed(self, permit: Permit) -> None:
        """The subgraph failed: HTTP 5xx, a timeout or a connection error."""
        if not self.settings.enabled:
            return
        if permit.probe:
            self._probing = False
            self._open()
        elif self._state is CircuitState.CLOSED:
            self._failures += 1
            if self._failures >= self.settings.failure_threshold:
                self._open()

    def abandoned(self, permit: Permit) -> None:
        """The request ended without an outcome (its caller went away): a probe's turn passes to the next."""
        if permit.probe:
            self._probing = False

    def reset(self) -> None:
        """Close the circuit: an out-of-band check (a replica's health check) found the endpoint answering."""
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._probing = False

    def snapshot(self) -> CircuitSnapshot:
        state = self.state
        reopens_in = None
        if state is CircuitState.OPEN:
            reopens_in = max(0.0, self.settings.cool_down - (self._clock() - self._opened_at))
        return CircuitSnapshot(state, self._failures, reopens_in)

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        if self._failures < self.settings.failure_threshold:
            self._failures = self.settings.failure_threshold
