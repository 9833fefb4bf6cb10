"""Replicas behind the gateway, on the machine's NATS: balancing, a replica killed under load, and the
rolling-deploy rule (``gateway.registry.rollout``)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from .conftest import Load, System, wait_until

pytestmark = [pytest.mark.nats, pytest.mark.e2e]

QUERY = "{ toys { name replica } }"
MUTATION = "mutation { bump }"


def _bumped(body: dict) -> bool:
    return not body.get("errors") and isinstance(body.get("data", {}).get("bump"), int)


def _ok(body: dict) -> bool:
    return not body.get("errors") and body.get("data", {}).get("toys", [{}])[0].get("name") == "toy 1"


def _replicas_in_rotation(gateway, service: str = "toys") -> set[str]:
    replicas = gateway.ready()["registry"]["services"][service]["replicas"]
    return {
        r["replica"]
        for r in replicas
        if r.get("routed") and r.get("healthy") and r.get("circuit") == "closed"
    }


def test_a_replica_killed_under_load_is_ejected_and_then_no_request_fails(system: System) -> None:
    replicas = [system.toy("v1") for _ in range(3)]
    gateway = system.gateway()
    names = {r.replica for r in replicas}
    wait_until(lambda: _replicas_in_rotation(gateway) == names)
    with (
        Load(gateway.url, QUERY, threads=4, check=_ok) as load,
        Load(gateway.url, MUTATION, threads=1, check=_bumped) as mutations,
    ):
        wait_until(lambda: load.count() > 60)
        served = Counter(o.replica for o in load.outcomes)
        assert set(served) == names, served  # balanced across all three
        victim = replicas[0]
        victim.kill()
        killed_at = time.monotonic()
        wait_until(lambda: victim.replica not in _replicas_in_rotation(gateway), timeout=10)
        ejected_at = time.monotonic()
        window_end = time.monotonic()
        wait_until(lambda: load.count(since=window_end) > 150, timeout=60)
    after = load.failures(since=window_end) + mutations.failures(since=window_end)
    assert not after, after[:3]
    assert mutations.count(since=window_end) > 10
    late = [o for o in load.outcomes if o.started >= window_end]
    assert {o.replica for o in late} == names - {victim.replica}
    print(
        f"ejected {ejected_at - killed_at:.2f}s after the kill; {len(load.failures(since=killed_at))} failures "
        f"before, 0 of {len(late)} after"
    )
    # Still listed and out of rotation, or already expired by its TTL (the registry's own way out).
    listed = gateway.ready()["registry"]["services"]["toys"]["replicas"]
    status = next((r for r in listed if r["replica"] == victim.replica), None)
    assert status is None or status["healthy"] is False or status["circuit"] != "closed"


def test_an_ejected_replica_is_taken_back_when_healthy(system: System) -> None:
    first = system.toy("v1", replica="toys-a")
    system.toy("v1", replica="toys-b")
    gateway = system.gateway()
    wait_until(lambda: _replicas_in_rotation(gateway) == {"toys-a", "toys-b"})
    first.kill()
    wait_until(lambda: _replicas_in_rotation(gateway) == {"toys-b"})
    system.toy("v1", replica="toys-a")  # back on a new port, same replica id, before its TTL ran out
    wait_until(lambda: _replicas_in_rotation(gateway) == {"toys-a", "toys-b"})
    seen = {gateway.query(QUERY)["data"]["toys"][0]["replica"] for _ in range(20)}
    assert seen == {"toys-a", "toys-b"}


def test_rolling_deploy_keeps_the_old_supergraph_until_every_replica_serves_the_new_sdl(
    system: System,
) -> None:
    old = [system.toy("v1", replica=f"old-{i}") for i in range(2)]
    gateway = system.gateway()
    wait_until(lambda: _replicas_in_rotation(gateway) == {"old-0", "old-1"})
    generation = gateway.ready()["generation"]
    with (
        Load(gateway.url, QUERY, threads=3, check=_ok) as load,
        Load(gateway.url, MUTATION, threads=1, check=_bumped) as mutations,
    ):
        new0 = system.toy("v2", replica="new-0")
        # Replicas disagree: the old SDL stays composed and only its replicas take traffic.
        wait_until(
            lambda: (
                "new-0" in {r["replica"] for r in gateway.ready()["registry"]["services"]["toys"]["replicas"]}
            )
        )
        time.sleep(1.0)
        assert gateway.ready()["generation"] == generation
        assert _replicas_in_rotation(gateway) == {"old-0", "old-1"}
        assert "color" in str(gateway.query("{ toys { color } }")["errors"])
        old[0].stop()
        system.toy("v2", replica="new-1")
        time.sleep(1.0)
        assert gateway.ready()["generation"] == generation
        assert _replicas_in_rotation(gateway) == {"old-1"}
        mixed_end = time.monotonic()
        old[1].stop()  # the last old replica: every live replica serves v2 now
        body = wait_until(lambda: gateway.query("{ toys { color replica } }").get("data"))
        assert body["toys"][0]["color"] == "red"
        assert gateway.ready()["generation"] == generation + 1
        wait_until(lambda: _replicas_in_rotation(gateway) == {"new-0", "new-1"})
        swapped = time.monotonic()
        wait_until(lambda: load.count(since=swapped) > 30)
    during = [o for o in load.outcomes if o.started < mixed_end]
    assert {o.replica for o in during if o.ok} <= {"old-0", "old-1"}  # nothing planned on v1 went to v2
    # Old replicas deregister and drain before they stop listening: not even a mutation fails.
    failed = load.failures() + mutations.failures()
    assert not failed, [(o.started - mixed_end, o.detail) for o in failed[:3]]
    assert mutations.count() > 10
    assert {o.replica for o in load.outcomes if o.started >= swapped} == {"new-0", "new-1"}
    del new0
