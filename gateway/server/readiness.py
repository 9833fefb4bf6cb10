"""Readiness: is a supergraph loaded, and does every subgraph answer a cheap ``{ __typename }`` query in time?

It also says which subgraph's circuit is open (``gateway.execution.breaker``). An open circuit alone does not
make the gateway unready: every replica sees the same subgraph, and a gateway out of rotation would get no
request to probe the circuit closed again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.composition.supergraph import Subgraph, Supergraph

__all__ = ["HttpSubgraphProbe", "Readiness", "SubgraphProbe", "check_readiness", "circuit_states"]

SubgraphProbe = Callable[[Subgraph, float], Awaitable[str | None]]
"""Probes one subgraph within a timeout (seconds); returns None when it answered, else why not."""

_PROBE_BODY = b'{"query":"{ __typename }"}'


class HttpSubgraphProbe:
    """Sends ``{ __typename }`` to a subgraph's URL over HTTP; ``transport`` lets tests answer in process."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport)
        return self._client

    async def __call__(self, subgraph: Subgraph, time_limit: float) -> str | None:
        try:
            response = await self._http().post(
                subgraph.url,
                content=_PROBE_BODY,
                headers={"content-type": "application/json", "accept": "application/json"},
                timeout=time_limit,
            )
        except httpx.TimeoutException:
            return f"no answer within {time_limit:g}s"
        except httpx.HTTPError as error:
            return f"request failed: {type(error).__name__}"
        if response.status_code != 200:
            return f"HTTP status {response.status_code}"
        try:
            body = response.json()
        except ValueError:
            return "the answer is not JSON"
        if not isinstance(body, dict) or "data" not in body:
            return "the answer is not a GraphQL response"
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@dataclass(frozen=True)
class Readiness:
    """``ready`` when a supergraph is loaded and every subgraph answered; ``problems`` says what failed."""

    ready: bool
    subgraphs: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    circuits: dict[str, str] = field(default_factory=dict)  # subgraphs whose circuit is not closed

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"status": "ready" if self.ready else "unavailable"}
        if self.problem:
            out["reason"] = self.problem
        if self.subgraphs:
            out["subgraphs"] = self.subgraphs
        if self.circuits:
            out["circuits"] = self.circuits
        return out


def circuit_states(executor: Any) -> dict[str, str]:
    """The subgraphs whose circuit is open or half-open, from the executor's client when it keeps circuits."""
    circuits = getattr(getattr(executor, "client", None), "circuits", None)
    if circuits is None:
        return {}
    return {name: c.state.value for name, c in sorted(circuits().items()) if c.state.value != "closed"}


async def check_readiness(
    supergraph: Supergraph | None,
    probe: SubgraphProbe,
    time_limit: float,
    circuits: Mapping[str, str] | None = None,
) -> Readiness:
    """Probe every subgraph concurrently, each bounded by ``time_limit`` seconds; ``circuits`` (subgraph ->
    state, see :func:`circuit_states`) are reported alongside."""
    circuits = dict(circuits or {})
    if supergraph is None:
        return Readiness(False, problem="no supergraph is loaded")
    # An event-driven subgraph has no URL: the broker is its server, nothing to probe here.
    subgraphs = sorted((s for s in supergraph.subgraphs.values() if s.url), key=lambda s: s.name)

    async def one(subgraph: Subgraph) -> str | None:
        try:
            return await asyncio.wait_for(probe(subgraph, time_limit), time_limit + 0.5)
        except TimeoutError:
            return f"no answer within {time_limit:g}s"
        except Exception as error:  # a probe must never take /ready down
            return f"probe failed: {type(error).__name__}"

    results = await asyncio.gather(*(one(s) for s in subgraphs))
    states = {s.name: (r or "ok") for s, r in zip(subgraphs, results, strict=True)}
    failed = [s.name for s, r in zip(subgraphs, results, strict=True) if r is not None]
    problems = []
    if failed:
        problems.append("subgraphs not answering: " + ", ".join(failed))
    opened = [name for name, state in circuits.items() if state == "open"]
    if opened:
        problems.append("circuit open for: " + ", ".join(opened))
    return Readiness(not failed, states, "; ".join(problems) or None, circuits)
