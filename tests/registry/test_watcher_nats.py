"""The registry watcher in process against the machine's NATS: bursts compose once, silent replicas expire."""

from __future__ import annotations

import asyncio
import time

import nats
import pytest
from strawberry.printer import print_schema

from gateway.execution.replicas import ReplicaPool
from gateway.registry.entries import ServiceEntry
from gateway.registry.store import RegistrySettings, open_bucket
from gateway.registry.watcher import RegistryWatcher
from gateway.server import Gateway

from .conftest import NATS_URL
from .toy_service import toy_schema

pytestmark = [pytest.mark.nats]


class Executor:
    async def execute(self, plan, variables, *, request_headers=None):  # type: ignore[no-untyped-def]
        return {"data": None}


async def always_healthy(url: str, time_limit: float) -> str | None:
    return None


async def until(check, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        await asyncio.sleep(0.05)


async def test_a_burst_of_registrations_composes_once_and_silent_replicas_expire(bucket: str) -> None:
    settings = RegistrySettings(bucket=bucket, nats_url=NATS_URL, ttl=2.0, debounce=0.4, max_delay=3.0)
    nc = await nats.connect(NATS_URL)
    kv = await open_bucket(nc, bucket, settings.ttl)
    gateway = Gateway(None, executor_factory=lambda s: Executor())
    pool = ReplicaPool()
    watcher = RegistryWatcher(gateway, pool, settings, health_probe=always_healthy)
    await watcher.start(wait=5)
    try:
        assert gateway.generation == 0 and gateway.supergraph is None
        sdl = print_schema(toy_schema("v1"))
        entries = [
            ServiceEntry("toys", f"r{i}", f"http://127.0.0.1:{9000 + i}/graphql", sdl) for i in range(5)
        ]
        for entry in entries:  # a deploy's burst, 50 ms apart: within the debounce
            await kv.put(entry.key, entry.encode())
            await asyncio.sleep(0.05)
        await until(lambda: gateway.generation == 1)
        await asyncio.sleep(1.0)
        assert gateway.generation == 1 and watcher.counters["applied"] == 1
        assert [s.id for s in pool.statuses()["toys"]] == [f"r{i}" for i in range(5)]

        # r0..r3 keep beating, r4 falls silent: it expires after the TTL, the supergraph stays.
        for _ in range(6):
            for entry in entries[:4]:
                await kv.put(entry.key, entry.encode())
            await asyncio.sleep(0.5)
        assert [s.id for s in pool.statuses()["toys"]] == ["r0", "r1", "r2", "r3"]
        assert gateway.generation == 1
        assert "r4" not in str(watcher.status()["services"]["toys"])

        await kv.delete(entries[0].key)  # a clean shutdown: gone at once
        await until(lambda: [s.id for s in pool.statuses()["toys"]] == ["r1", "r2", "r3"], within=3)
    finally:
        await watcher.stop()
        await nc.close()


async def test_nats_away_is_reported_and_waited_out() -> None:
    from tests.local_system import free_port

    settings = RegistrySettings(bucket="never_made", nats_url=f"nats://127.0.0.1:{free_port()}")
    gateway = Gateway(None, executor_factory=lambda s: Executor())
    watcher = RegistryWatcher(gateway, ReplicaPool(), settings, health_probe=always_healthy)
    started = time.monotonic()
    await watcher.start(wait=1.0)
    try:
        assert time.monotonic() - started < 5
        await until(lambda: watcher.status().get("error"), within=10)
        assert watcher.status()["error"].startswith("cannot follow the registry:")
        assert gateway.supergraph is None
    finally:
        await watcher.stop()
