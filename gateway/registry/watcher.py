"""The gateway following the registry: watch the bucket, recompose on a change, check, swap or refuse.

On every change of a replica's URL or SDL (a registration, a deregistration, an expired heartbeat), after
``debounce`` seconds without another change (a deploy's burst composes once), the watcher:

1. picks each service's SDL by the rolling-deploy rule (``gateway.registry.rollout``);
2. when that differs from what the served supergraph was composed from, composes and checks it exactly as
   ``fedgw check`` does (``gateway.commands.check.judge_composition``: composition errors, then the API
   changes against the served API by ``breaking_policy``);
3. accepted: swaps the supergraph atomically through ``swap`` (``Gateway.reload``; a request in flight
   finishes on the generation it started on, and the previous subgraph client closes after a grace period);
   refused: keeps serving the previous supergraph and says why: a log line, ``counters`` (``applied``,
   ``refused``, ``unchanged``) and ``listeners`` for metrics, and ``status()`` in ``/ready``;
4. tells the replica pool (``gateway.execution.replicas``) which replicas exist and which take traffic; this
   also happens at once on every change, before the debounce, so a replica that deregistered or expired
   gets no request from that moment.

A refused set of SDLs is not composed again until something changes. The gateway starts serving once the
initial listing is composed; with an empty registry it serves nothing (``/ready`` says so) until a service
registers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.composition import SubgraphSource
from gateway.composition.supergraph import Supergraph
from gateway.execution.replicas import HealthSettings, ReplicaHealthCheck, ReplicaPool

from .entries import KEY_PREFIX, EntryError, decode_entry, parse_key
from .live import LiveRegistry
from .rollout import ServiceChoice, choices, routed_replicas
from .store import RegistrySettings, cancel_for_sure, connect, open_bucket

__all__ = ["Decision", "HttpHealthProbe", "RegistryWatcher", "http_health_probe"]

logger = logging.getLogger("gateway.registry")

Swap = Callable[[Supergraph], Awaitable[None]]


@dataclass(frozen=True)
class Decision:
    """What one recomposition decided: ``applied`` (swapped), ``refused`` or ``unchanged`` (same SDLs)."""

    outcome: str
    generation: int
    services: dict[str, str]  # service -> digest of the SDL composed (or refused)
    reason: str | None = None
    changes: tuple[str, ...] = ()
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "outcome": self.outcome,
            "generation": self.generation,
            "services": self.services,
            "at": round(self.at, 3),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.changes:
            out["changes"] = list(self.changes)
        return out


def _digest(sdl: str) -> str:
    import hashlib

    return hashlib.sha256(sdl.encode()).hexdigest()[:12]


class HttpHealthProbe:
    """``{ __typename }`` POSTed to a replica: None when it answered with a GraphQL response. One client
    (and connection pool) for every check."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, url: str, time_limit: float) -> str | None:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return await http_health_probe(url, time_limit, self._client)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def http_health_probe(url: str, time_limit: float, client: httpx.AsyncClient) -> str | None:
    """``{ __typename }`` POSTed to ``url`` with ``client``: None when it answered with HTTP 200."""
    try:
        response = await client.post(url, json={"query": "{ __typename }"}, timeout=time_limit)
    except httpx.TimeoutException:
        return f"no answer within {time_limit:g}s"
    except httpx.HTTPError as error:
        return f"request failed: {type(error).__name__}"
    if response.status_code != 200:
        return f"HTTP status {response.status_code}"
    return None


class RegistryWatcher:
    """Follows ``settings.bucket``; ``gateway`` is the ``gateway.server.Gateway`` served (its ``supergraph``
    is the baseline of the checks), ``swap`` installs an accepted supergraph, ``pool`` gets the replicas."""

    def __init__(
        self,
        gateway: Any,
        pool: ReplicaPool,
        settings: RegistrySettings,
        *,
        swap: Swap | None = None,
        health_probe: Callable[[str, float], Awaitable[str | None]] | None = None,
        fixed: Sequence[SubgraphSource] = (),
    ) -> None:
        self.gateway = gateway
        # Subgraphs no process registers (the config's event-driven ones): composed with every registry change.
        self.fixed = tuple(fixed)
        self.pool = pool
        self.settings = settings
        self._swap = swap
        self.live = LiveRegistry(settings.ttl)
        self.served: dict[str, ServiceChoice] = {}
        self.counters: Counter[str] = Counter()
        self.listeners: list[Callable[[Decision], None]] = []
        self.last_decision: Decision | None = None
        self.last_refusal: Decision | None = None
        self._http_probe: HttpHealthProbe | None = None
        if health_probe is None:
            health_probe = self._http_probe = HttpHealthProbe()
        self.health = ReplicaHealthCheck(
            pool,
            health_probe,
            HealthSettings(
                settings.health_interval,
                settings.health_timeout,
                settings.unhealthy_after,
                settings.healthy_after,
            ),
        )
        self._refused_inputs: dict[str, str] | None = None
        self._changed = asyncio.Event()
        self._initial = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._nc: Any = None
        self._watcher: Any = None
        self._lock = asyncio.Lock()
        self.error: str | None = None  # why the registry cannot be followed right now

    # -- lifecycle ------------------------------------------------------------------------------------

    async def start(self, *, wait: float | None = 10.0) -> None:
        """Start following, and wait (up to ``wait`` seconds) for the initial listing's composition. NATS
        being away is waited out in the background (``/ready`` says so meanwhile)."""
        self._tasks = [
            asyncio.create_task(self._connect_and_follow(), name="registry-follow"),
            asyncio.create_task(self._compose_loop(), name="registry-compose"),
            asyncio.create_task(self._expire_loop(), name="registry-expire"),
            asyncio.create_task(self.health.run(), name="registry-health"),
        ]
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._initial.wait(), wait)

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_for_sure(task)
        self._tasks = []
        if self._watcher is not None:
            with contextlib.suppress(Exception):
                await self._watcher.stop()
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        if self._http_probe is not None:
            await self._http_probe.aclose()

    # -- following the bucket -------------------------------------------------------------------------

    async def _connect_and_follow(self) -> None:
        delay = 0.5
        while True:
            try:
                if self._nc is None:
                    self.error = f"cannot follow the registry: connecting to NATS at {self.settings.nats_url}"
                    self._nc = await connect(self.settings.nats_url, name="fedgw-gateway")
                kv = await open_bucket(self._nc, self.settings.bucket, self.settings.ttl)
                self._watcher = await kv.watch(f"{KEY_PREFIX}.>")
                self.error, delay = None, 0.5
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.error = f"cannot follow the registry: {type(error).__name__}: {error}"
                logger.warning("%s; retrying in %gs", self.error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _follow(self) -> None:
        initial = True
        async for update in self._watcher:
            if update is None:  # the end of the initial listing
                if initial:
                    initial = False
                    self._changed.set()
                continue
            names = parse_key(update.key)
            if names is None:
                continue
            deleted = update.operation in ("DEL", "PURGE") or not update.value
            if deleted:
                changed = self.live.remove(update.key)
            else:
                try:
                    entry = decode_entry(update.key, update.value)
                except EntryError as error:
                    logger.warning("registry entry ignored: %s", error)
                    continue
                changed = self.live.put(entry, initial=initial)
            if initial and not update.delta:
                initial = False
                changed = True
            if changed and not initial:
                # Routing follows at once (a replica that left gets no request from now on, one that came
                # serving the SDL served takes its share); the composition follows after the debounce.
                self._route(self.live.services())
                self._changed.set()

    async def _expire_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.ttl / 4))
            gone = self.live.expire()
            for entry in gone:
                logger.warning(
                    "replica %s of %s expired (no heartbeat for %gs)",
                    entry.replica,
                    entry.service,
                    self.settings.ttl,
                )
            if gone:
                self._route(self.live.services())
                self._changed.set()

    async def _compose_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._changed.wait()
            first = loop.time()
            # Debounce: wait until the changes pause for `debounce`, or `max_delay` after the first.
            while True:
                self._changed.clear()
                remaining = first + self.settings.max_delay - loop.time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), min(self.settings.debounce, remaining))
                except TimeoutError:
                    break
            try:
                await self.recompose()
            except Exception:
                logger.exception("recomposition from the registry crashed; still serving the previous one")
            self._initial.set()

    # -- deciding -------------------------------------------------------------------------------------

    async def recompose(self) -> Decision:
        """Apply the rules of the module docstring to the live replicas now."""
        async with self._lock:
            decision = await self._recompose()
        self.last_decision = decision
        self.counters[decision.outcome] += 1
        if decision.outcome == "refused":
            self.last_refusal = decision
        for listener in self.listeners:
            try:
                listener(decision)
            except Exception:
                logger.exception("registry decision listener failed")
        return decision

    async def _recompose(self) -> Decision:
        services = self.live.services()
        served_sdls = {name: c.sdl for name, c in self.served.items()}
        chosen = choices(services, served_sdls)
        inputs = {name: c.sdl for name, c in chosen.items()}
        digests = {name: _digest(sdl) for name, sdl in inputs.items()}
        generation = self.gateway.generation
        if not inputs:
            self._route(self.live.services())
            return Decision(
                "refused" if self.served else "unchanged",
                generation,
                digests,
                "no service is registered; keeping the supergraph served" if self.served else None,
            )
        if inputs == served_sdls and self.gateway.supergraph is not None:
            self._route(self.live.services())
            return Decision("unchanged", generation, digests)
        if inputs == self._refused_inputs and self.last_refusal is not None:
            self._route(self.live.services())
            refusal = self.last_refusal
            return Decision("refused", generation, digests, refusal.reason, refusal.changes)
        from gateway.commands.check import judge_composition

        fixed = [f for f in self.fixed if f.name not in chosen]  # a registered service of that name wins
        sources = [*fixed, *(SubgraphSource(name, c.url, c.sdl) for name, c in chosen.items())]
        baseline = self.gateway.supergraph.api_schema if self.gateway.supergraph is not None else None
        policy = self.settings.breaking_policy
        verdict = await asyncio.to_thread(judge_composition, sources, baseline, policy)
        changes = tuple(f"{c.level} {c.kind}: {c.description}" for c in verdict.changes)
        if not verdict.accepted or verdict.supergraph_sdl is None:
            self._refused_inputs = inputs
            self._route(self.live.services())
            logger.error(
                "registry change refused, still serving generation %d: %s", generation, verdict.reason
            )
            return Decision("refused", generation, digests, verdict.reason, changes)
        from gateway.composition.read_supergraph import read_supergraph

        supergraph = await asyncio.to_thread(read_supergraph, verdict.supergraph_sdl)
        self._refused_inputs = None
        previous = self.served
        self.served = dict(chosen)
        # Replicas of the new SDLs take traffic as the new supergraph does (the live ones now: some may have
        # left while this composed).
        self._route(self.live.services())
        try:
            if self._swap is not None:
                await self._swap(supergraph)
            else:
                self.gateway.reload(supergraph)
        except Exception:
            self.served = previous
            self._route(self.live.services())
            raise
        logger.info(
            "supergraph generation %d from the registry: %s",
            self.gateway.generation,
            ", ".join(f"{n}@{d}" for n, d in digests.items()),
        )
        return Decision("applied", self.gateway.generation, digests, None, changes)

    def _route(self, services: dict[str, list[Any]]) -> None:
        for name, entries in services.items():
            served = self.served.get(name)
            self.pool.set_replicas(name, routed_replicas(entries, served.sdl if served else None))
        for name in self.pool.names():
            if name not in services and name in self.served:
                self.pool.set_replicas(name, [])  # every replica gone: fail fast, not at a dead URL

    # -- reporting ------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What ``/ready`` shows of the registry (and ``fedgw status`` prints)."""
        services: dict[str, Any] = {}
        live = self.live.services()
        statuses = self.pool.statuses()
        for name in sorted(set(live) | set(self.served)):
            served = self.served.get(name)
            by_id = {s.id: s for s in statuses.get(name, [])}
            replicas = []
            for entry in live.get(name, []):
                replica: dict[str, Any] = {
                    "replica": entry.replica,
                    "url": entry.url,
                    "version": entry.version,
                    "sdl": entry.sdl_digest,
                }
                state = by_id.get(entry.replica)
                if state is not None:
                    replica.update(state.to_json())
                replicas.append(replica)
            services[name] = {
                "served_sdl": _digest(served.sdl) if served else None,
                "replicas": replicas,
            }
        out: dict[str, Any] = {
            "bucket": self.settings.bucket,
            "generation": self.gateway.generation,
            "services": services,
            "counters": dict(self.counters),
        }
        if self.last_decision is not None:
            out["last_change"] = self.last_decision.to_json()
        if self.last_refusal is not None:
            out["last_refusal"] = self.last_refusal.to_json()
        if self.error:
            out["error"] = self.error
        return out
