"""The gateway's Prometheus metrics, served at ``/metrics`` in the text exposition format.

Instruments (all prefixed ``gateway_``):

- ``requests_total{operation_name, operation_type, outcome}``: outcome is ``success`` (data, no errors),
  ``partial`` (data and errors), ``rejected`` (a request error: parse, validation, limits, authorization, method)
  or ``error`` (no data: a subgraph failure on a non-null root, an internal error);
- ``request_duration_seconds{operation_name, operation_type}``: from the body read to the response built;
- ``subgraph_fetch_duration_seconds{subgraph}`` and ``subgraph_fetch_errors_total{subgraph, code}`` (the
  transport codes: timeout, unreachable, HTTP error, circuit open, ...);
- read when scraped: ``subgraph_circuit_state{subgraph, state}`` (1 for the current state), ``plan_cache_hits_total``,
  ``plan_cache_misses_total``, ``plan_cache_entries``, ``plan_cache_bytes``; set on load and reload:
  ``supergraph_generation`` and ``supergraph_loaded_timestamp_seconds``.

Label values are bounded: ``operation_name`` is the name of an operation that parsed and validated, ``anonymous``
for one without a name, ``unknown`` when the request never got that far, and ``other`` once
``max_operation_names`` distinct names have been seen (a client cannot grow the series by inventing names).

Each gateway process has its own registry: the server runs one process per replica (its worker threads
share that registry), and Prometheus adds the replicas up, so the multiprocess mode of prometheus-client is
not needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "GatewayMetrics",
    "GatewayState",
    "OperationNames",
    "PlanCacheCounts",
]

ANONYMOUS = "anonymous"
UNKNOWN = "unknown"
OTHER = "other"

# Seconds; a subgraph fetch is usually faster than a whole request, so its buckets start lower.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_FETCH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)
_CIRCUIT_STATES = ("closed", "open", "half_open")


class OperationNames:
    """Operation names as label values: at most ``capacity`` distinct ones, later ones bucketed as ``other``."""

    def __init__(self, capacity: int = 100) -> None:
        self.capacity = capacity
        self._seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        if name in self._seen:
            return name
        if len(self._seen) >= self.capacity:
            return OTHER
        self._seen.add(name)
        return name


@dataclass(frozen=True)
class PlanCacheCounts:
    hits: int
    misses: int
    entries: int
    bytes: int


@dataclass(frozen=True)
class GatewayState:
    """What is read from the gateway when scraped: the circuit state by subgraph and the plan cache counts."""

    circuits: Callable[[], Mapping[str, str]]
    plan_cache: Callable[[], PlanCacheCounts]


class _StateCollector(Collector):
    def __init__(self, state: GatewayState) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        circuit = GaugeMetricFamily(
            "gateway_subgraph_circuit_state",
            "1 for the state each subgraph's circuit breaker is in, 0 for the others",
            labels=["subgraph", "state"],
        )
        for subgraph, state in sorted(self._state.circuits().items()):
            for candidate in _CIRCUIT_STATES:
                circuit.add_metric([subgraph, candidate], 1.0 if candidate == state else 0.0)
        yield circuit
        counts = self._state.plan_cache()
        yield CounterMetricFamily(
            "gateway_plan_cache_hits", "Requests whose plan came from the plan cache", value=counts.hits
        )
        yield CounterMetricFamily(
            "gateway_plan_cache_misses", "Requests whose document was parsed and planned", value=counts.misses
        )
        yield GaugeMetricFamily(
            "gateway_plan_cache_entries", "Plans and failures cached", value=counts.entries
        )
        yield GaugeMetricFamily(
            "gateway_plan_cache_bytes", "Estimated memory held by the plan cache", value=counts.bytes
        )


class _FetchInstruments:
    """The fetch histogram's child for one subgraph, looked up once (labels() takes a lock each time)."""

    __slots__ = ("duration", "subgraph")

    def __init__(self, metrics: GatewayMetrics, subgraph: str) -> None:
        self.subgraph = subgraph
        self.duration = metrics.fetch_duration.labels(subgraph)


class GatewayMetrics:
    """The instruments of one gateway, in their own registry (``exposition`` renders it)."""

    def __init__(self, *, max_operation_names: int = 100, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.operation_names = OperationNames(max_operation_names)
        self.requests = Counter(
            "gateway_requests",
            "GraphQL requests by operation and outcome",
            ["operation_name", "operation_type", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "gateway_request_duration_seconds",
            "GraphQL request latency",
            ["operation_name", "operation_type"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.fetch_duration = Histogram(
            "gateway_subgraph_fetch_duration_seconds",
            "Latency of subgraph requests (failed ones included)",
            ["subgraph"],
            buckets=_FETCH_BUCKETS,
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "gateway_subgraph_fetch_errors",
            "Subgraph requests that got no GraphQL response, by code",
            ["subgraph", "code"],
            registry=self.registry,
        )
        self.generation = Gauge(
            "gateway_supergraph_generation",
            "The supergraph being served: 1 for the first loaded, one more for each reload",
            registry=self.registry,
        )
        self.loaded_at = Gauge(
            "gateway_supergraph_loaded_timestamp_seconds",
            "When the supergraph being served was loaded (Unix time)",
            registry=self.registry,
        )
        self._fetch: dict[str, _FetchInstruments] = {}
        # The request counter's and histogram's children by label values, looked up once each.
        self._request: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._state: _StateCollector | None = None

    def watch(self, state: GatewayState) -> None:
        """Read ``state`` on every scrape (once per gateway)."""
        if self._state is None:
            self._state = _StateCollector(state)
            self.registry.register(self._state)

    def supergraph_loaded(self, generation: int) -> None:
        self.generation.set(generation)
        self.loaded_at.set(time.time())

    def request(self, operation_name: str, operation_type: str, outcome: str, seconds: float) -> None:
        key = (operation_name, operation_type, outcome)
        children = self._request.get(key)
        if children is None:
            # Bounded like the labels: names are capped, types and outcomes are few.
            children = self._request[key] = (
                self.requests.labels(operation_name, operation_type, outcome),
                self.duration.labels(operation_name, operation_type),
            )
        children[0].inc()
        children[1].observe(seconds)

    def fetch(self, subgraph: str, seconds: float, error_code: str | None) -> None:
        instruments = self._fetch.get(subgraph)
        if instruments is None:
            instruments = self._fetch[subgraph] = _FetchInstruments(self, subgraph)
        instruments.duration.observe(seconds)
        if error_code is not None:
            self.fetch_errors.labels(subgraph, error_code).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)
