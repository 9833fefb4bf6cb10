"""Traffic shaping between the gateway and its subgraphs: timeouts, circuit breaker and retries per subgraph.

The shape is Apollo Router's ``traffic_shaping``: settings for ``all`` subgraphs, overridden per subgraph.
Defaults: a request gets 30 s (Apollo Router's subgraph ``timeout``), a TCP connection 2 s (time for one SYN
retransmission, whose first timer is 1 s by RFC 6298; a subgraph on the same network connects in
milliseconds), the circuit opens after 5 consecutive failures for 10 s, and queries are retried twice at most
within Apollo Router's retry budget. Values only: ``gateway.config`` reads them from ``gateway.yaml`` and the
environment, the subgraph client applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .breaker import BreakerSettings
from .retry import RetrySettings

__all__ = ["SubgraphTraffic", "TrafficShaping"]


@dataclass(frozen=True, slots=True)
class SubgraphTraffic:
    """How the gateway talks to one subgraph. Durations are in seconds."""

    request_timeout: float = 30.0
    connect_timeout: float = 2.0
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)

    def __post_init__(self) -> None:
        if self.request_timeout <= 0 or self.connect_timeout <= 0:
            raise ValueError("timeouts must be positive")


@dataclass(frozen=True)
class TrafficShaping:
    """Settings for ``all`` subgraphs and, by name, the subgraphs that differ."""

    all: SubgraphTraffic = field(default_factory=SubgraphTraffic)
    subgraphs: Mapping[str, SubgraphTraffic] = field(default_factory=dict)

    def for_subgraph(self, name: str) -> SubgraphTraffic:
        return self.subgraphs.get(name, self.all)
