"""Replicas of a subgraph: which instance gets the next request, and which are out of rotation.

A subgraph may run as several replicas (``gateway.registry`` learns them from the registry; a static config
has one per subgraph). Every replica is an endpoint with its own circuit breaker (``breaker``), its count of
requests in flight and its health as the active health check sees it (:class:`ReplicaHealthCheck`: a
``{ __typename }`` POST every ``interval`` seconds). A request goes to the **least loaded** replica (fewest
requests in flight; ties in round-robin order) among those that are *routed* (serve the SDL the current
supergraph was composed from, see ``gateway.registry.rollout``), healthy and whose circuit is closed; when no
routed replica is, among the other replicas that are (the last old replica of a rolling deploy stopping).

A replica is **ejected** while its circuit is open or after ``unhealthy_after`` failed health checks in a row;
it is **taken back** after ``healthy_after`` passed checks, which also close its circuit. With other replicas
in rotation, an ejected replica never gets a real request as a half-open probe: the health check probes it,
so no client request is spent finding out that a dead replica is still dead. A subgraph with one replica
keeps the breaker's own half-open probing. When no replica qualifies, the best remaining one is used and its
breaker decides (fail fast while open).

Pure state and one small I/O loop (the health check); the subgraph client (``client``) asks
:meth:`ReplicaSet.choose` before each attempt and may retry a query on another replica after a connection
error (``retry``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .breaker import CircuitBreaker, CircuitState
from .retry import RetryBudget
from .traffic import SubgraphTraffic, TrafficShaping

__all__ = [
    "HealthSettings",
    "Replica",
    "ReplicaEndpoint",
    "ReplicaHealthCheck",
    "ReplicaPool",
    "ReplicaSet",
    "ReplicaStatus",
]

logger = logging.getLogger("gateway.replicas")


@dataclass(frozen=True, slots=True)
class Replica:
    """One instance of a subgraph: its id (``url`` when it has none), URL, and whether it takes traffic now."""

    id: str
    url: str
    routed: bool = True


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """Active health checks: every ``interval`` seconds, each within ``timeout``."""

    interval: float = 2.0
    timeout: float = 1.0
    unhealthy_after: int = 2
    healthy_after: int = 1


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    """A read-only view of one replica, for ``/ready``, ``fedgw status`` and metrics."""

    id: str
    url: str
    routed: bool
    healthy: bool
    circuit: str
    in_flight: int
    reason: str | None = None

    @property
    def in_rotation(self) -> bool:
        return self.routed and self.healthy and self.circuit == CircuitState.CLOSED.value

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "replica": self.id,
            "url": self.url,
            "routed": self.routed,
            "healthy": self.healthy,
            "circuit": self.circuit,
            "in_flight": self.in_flight,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


class ReplicaEndpoint:
    """One replica's URL and the state that guards it."""

    __slots__ = ("_checks", "breaker", "healthy", "id", "in_flight", "reason", "routed", "traffic", "url")

    def __init__(
        self, subgraph: str, replica: Replica, traffic: SubgraphTraffic, clock: Callable[[], float]
    ) -> None:
        self.id = replica.id
        self.url = replica.url
        self.routed = replica.routed
        self.traffic = traffic
        self.breaker = CircuitBreaker(subgraph, traffic.breaker, clock=clock)
        self.in_flight = 0
        self.healthy = True  # until a check says otherwise: a new replica is given its chance
        self.reason: str | None = None
        self._checks = 0  # consecutive results of the same kind: > 0 passes, < 0 failures

    def checked(self, problem: str | None, settings: HealthSettings) -> None:
        """The outcome of one health check (None: it answered)."""
        if problem is None:
            self._checks = self._checks + 1 if self._checks > 0 else 1
            if not self.healthy and self._checks >= settings.healthy_after:
                self.healthy, self.reason = True, None
                logger.info("replica %s (%s) is healthy again", self.id, self.url)
            if self.healthy and self.breaker.state is not CircuitState.CLOSED:
                self.breaker.reset()  # the check was the probe: back in rotation
        else:
            self._checks = self._checks - 1 if self._checks < 0 else -1
            if self.healthy and -self._checks >= settings.unhealthy_after:
                self.healthy, self.reason = False, problem
                logger.warning("replica %s (%s) ejected: %s", self.id, self.url, problem)

    def status(self) -> ReplicaStatus:
        return ReplicaStatus(
            self.id,
            self.url,
            self.routed,
            self.healthy,
            self.breaker.state.value,
            self.in_flight,
            self.reason,
        )


class ReplicaSet:
    """The replicas of one subgraph, and the retry budget they share."""

    __slots__ = ("_clock", "_turn", "budget", "endpoints", "subgraph", "traffic")

    def __init__(
        self,
        subgraph: str,
        traffic: SubgraphTraffic,
        replicas: Sequence[Replica] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subgraph = subgraph
        self.traffic = traffic
        self.budget = RetryBudget(traffic.retry, clock=clock)
        self.endpoints: list[ReplicaEndpoint] = []
        self._clock = clock
        self._turn = itertools.count()
        self.update(replicas)

    def update(self, replicas: Sequence[Replica]) -> None:
        """Take the replica list as it now is; replicas kept keep their circuit and health."""
        known = {e.id: e for e in self.endpoints}
        endpoints = []
        for replica in replicas:
            endpoint = known.get(replica.id)
            if endpoint is None or endpoint.url != replica.url:
                endpoint = ReplicaEndpoint(self.subgraph, replica, self.traffic, self._clock)
            endpoint.routed = replica.routed
            endpoints.append(endpoint)
        self.endpoints = endpoints  # a new list: a request choosing right now sees the old one or this

    def choose(self, tried: Iterable[ReplicaEndpoint] = ()) -> ReplicaEndpoint | None:
        """The replica for the next attempt (not one of ``tried`` while another remains), or None if empty."""
        endpoints = self.endpoints
        if len(endpoints) < 2:  # the hot path of a static config: its breaker decides
            return endpoints[0] if endpoints else None
        excluded = set(map(id, tried))
        fresh = [e for e in endpoints if id(e) not in excluded] or endpoints
        # In rotation: healthy with a closed circuit; the routed ones first, then any (rule 3 of the rollout).
        for group in ([e for e in fresh if e.routed], fresh):
            candidates = [e for e in group if e.healthy and e.breaker.state is CircuitState.CLOSED]
            if candidates:
                return self._least_loaded(candidates)
        healthy = [e for e in fresh if e.healthy] or fresh
        if len(endpoints) > 1 and any(e.healthy for e in endpoints):
            half_open = [e for e in healthy if e.breaker.state is CircuitState.HALF_OPEN]
            healthy = half_open or healthy
        # Nothing in rotation: the breakers decide (a half-open probe, or fail fast).
        return self._least_loaded(healthy)

    def _least_loaded(self, candidates: list[ReplicaEndpoint]) -> ReplicaEndpoint:
        if len(candidates) == 1:
            return candidates[0]
        least = min(e.in_flight for e in candidates)
        lightest = [e for e in candidates if e.in_flight == least]
        return lightest[next(self._turn) % len(lightest)]

    def has_other(self, tried: Iterable[ReplicaEndpoint]) -> bool:
        """Whether a replica in rotation remains that was not ``tried`` (a retry may go there at once)."""
        excluded = set(map(id, tried))
        return any(
            id(e) not in excluded and e.healthy and e.breaker.state is CircuitState.CLOSED
            for e in self.endpoints
        )

    def best_state(self) -> CircuitState:
        """The circuit of the subgraph as a whole: closed while any replica's is closed."""
        states = {e.breaker.state for e in self.endpoints}
        for state in (CircuitState.CLOSED, CircuitState.HALF_OPEN):
            if state in states:
                return state
        return CircuitState.OPEN if states else CircuitState.CLOSED

    def statuses(self) -> list[ReplicaStatus]:
        return [e.status() for e in self.endpoints]


class ReplicaPool:
    """Every subgraph's replicas; shared by the subgraph clients of successive supergraphs, so circuits and
    health survive a reload. ``traffic`` gives each subgraph's timeouts, breaker and retry settings."""

    def __init__(
        self, traffic: TrafficShaping | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.traffic = traffic or TrafficShaping()
        self._clock = clock
        self._sets: dict[str, ReplicaSet] = {}

    @classmethod
    def of_urls(
        cls,
        urls: Mapping[str, str],
        traffic: TrafficShaping | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> ReplicaPool:
        """One replica per subgraph, as a static config has them."""
        pool = cls(traffic, clock=clock)
        for name, url in urls.items():
            pool.set_replicas(name, [Replica(url, url)])
        return pool

    def set_replicas(self, subgraph: str, replicas: Sequence[Replica]) -> None:
        found = self._sets.get(subgraph)
        if found is None:
            self._sets[subgraph] = ReplicaSet(
                subgraph, self.traffic.for_subgraph(subgraph), replicas, self._clock
            )
        else:
            found.update(replicas)

    def ensure(self, subgraph: str, url: str) -> None:
        """Give ``subgraph`` the one replica ``url`` unless it already has replicas (a registry's)."""
        found = self._sets.get(subgraph)
        if found is None or not found.endpoints:
            self.set_replicas(subgraph, [Replica(url, url)])

    def get(self, subgraph: str) -> ReplicaSet | None:
        return self._sets.get(subgraph)

    def names(self) -> list[str]:
        return sorted(self._sets)

    def statuses(self) -> dict[str, list[ReplicaStatus]]:
        return {name: self._sets[name].statuses() for name in sorted(self._sets)}


HealthProbe = Callable[[str, float], Awaitable[str | None]]
"""Checks one replica URL within a timeout (seconds): None when it answered, else why not."""


class ReplicaHealthCheck:
    """Probes every replica of ``pool`` every ``settings.interval`` seconds with ``probe``."""

    def __init__(self, pool: ReplicaPool, probe: HealthProbe, settings: HealthSettings | None = None) -> None:
        self.pool = pool
        self.probe = probe
        self.settings = settings or HealthSettings()

    async def check_once(self) -> None:
        endpoints = [e for name in self.pool.names() for e in (self.pool.get(name) or _EMPTY).endpoints]

        async def one(endpoint: ReplicaEndpoint) -> None:
            try:
                problem = await asyncio.wait_for(
                    self.probe(endpoint.url, self.settings.timeout), self.settings.timeout + 0.5
                )
            except TimeoutError:
                problem = f"no answer within {self.settings.timeout:g}s"
            except Exception as error:  # a probe must never stop the checks
                problem = f"probe failed: {type(error).__name__}"
            endpoint.checked(problem, self.settings)

        await asyncio.gather(*(one(e) for e in endpoints))

    async def run(self) -> None:
        """Check until cancelled."""
        while True:
            await self.check_once()
            await asyncio.sleep(self.settings.interval)


_EMPTY = ReplicaSet("", SubgraphTraffic())
