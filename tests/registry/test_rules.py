"""The registry's pure parts: the entry contract between services and gateway, live replicas and expiry,
the rolling-deploy rule and replica choice (``gateway.registry``, ``gateway.execution.replicas``)."""

from __future__ import annotations

import json

import pytest

from gateway.execution.breaker import BreakerSettings, CircuitState
from gateway.execution.replicas import HealthSettings, Replica, ReplicaSet
from gateway.execution.traffic import SubgraphTraffic
from gateway.registry.entries import EntryError, ServiceEntry, decode_entry
from gateway.registry.live import LiveRegistry
from gateway.registry.rollout import choose_sdl, routed_replicas
from subgraphs.common.registration import Registration


def entry(replica: str, sdl: str, started: float, service: str = "toys") -> ServiceEntry:
    return ServiceEntry(service, replica, f"http://{replica}/graphql", sdl, started_at=started)


def test_what_a_service_writes_is_what_the_gateway_reads() -> None:
    registration = Registration("users", "http://10.0.0.7:4001/graphql", "type Query { a: Int }", bucket="b")
    decoded = decode_entry(registration.key, registration.entry())
    assert (decoded.service, decoded.replica) == ("users", registration.replica)
    assert decoded.url == "http://10.0.0.7:4001/graphql"
    assert decoded.sdl == "type Query { a: Int }"
    assert decoded.version and decoded.started_at > 0 and decoded.heartbeat_at >= decoded.started_at


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("services.users.r1", b"not json", "not JSON"),
        ("services.users.r1", json.dumps({"url": "http://x", "sdl": ""}).encode(), "'sdl'"),
        (
            "services.users.r1",
            json.dumps({"url": "ftp://x", "sdl": "type Query { a: Int }"}).encode(),
            "http",
        ),
        (
            "services.users.r1",
            json.dumps({"service": "orders", "url": "http://x", "sdl": "s"}).encode(),
            "match",
        ),
        ("other.users", b"{}", "not a service key"),
    ],
)
def test_a_malformed_entry_is_refused_with_the_reason(key: str, value: bytes, problem: str) -> None:
    with pytest.raises(EntryError, match=problem):
        decode_entry(key, value)


def test_a_heartbeat_is_not_a_change_and_a_silent_replica_expires() -> None:
    now = [100.0]
    live = LiveRegistry(ttl=3.0, clock=lambda: now[0], wall_clock=lambda: 1000.0)
    a = entry("a", "sdl1", 1.0)
    assert live.put(a) is True
    now[0] = 102.0
    assert live.put(a) is False  # same URL and SDL: a heartbeat
    assert live.put(entry("a", "sdl2", 1.0)) is True
    now[0] = 104.5
    assert live.expire() == []
    now[0] = 105.1
    assert [e.replica for e in live.expire()] == ["a"]
    assert live.services() == {}


def test_an_entry_of_the_initial_listing_is_dated_by_its_heartbeat() -> None:
    now = [50.0]
    live = LiveRegistry(ttl=3.0, clock=lambda: now[0], wall_clock=lambda: 1000.0)
    stale = ServiceEntry("toys", "old", "http://old/graphql", "s", heartbeat_at=998.0)
    fresh = ServiceEntry("toys", "new", "http://new/graphql", "s", heartbeat_at=1000.0)
    live.put(stale, initial=True)
    live.put(fresh, initial=True)
    assert live.expire() == []  # 2 s old: one more second to live
    now[0] = 51.5
    assert [e.replica for e in live.expire()] == ["old"]


def test_replicas_that_agree_give_their_sdl() -> None:
    choice = choose_sdl([entry("a", "v1", 1), entry("b", "v1", 2)], served_sdl=None)
    assert (choice.sdl, choice.agreed, choice.pending, choice.url) == ("v1", True, 0, "http://a/graphql")


def test_while_replicas_disagree_the_served_sdl_is_kept() -> None:
    entries = [entry("a", "v1", 1), entry("b", "v2", 2), entry("c", "v2", 3)]
    choice = choose_sdl(entries, served_sdl="v1")
    assert (choice.sdl, choice.agreed, choice.pending) == ("v1", False, 2)
    routed = routed_replicas(entries, "v1")
    assert [(r.id, r.routed) for r in routed] == [("a", True), ("b", False), ("c", False)]


def test_without_the_served_sdl_live_the_most_served_then_the_oldest_wins() -> None:
    assert choose_sdl([entry("a", "v2", 1), entry("b", "v3", 2), entry("c", "v3", 3)], "v1").sdl == "v3"
    assert choose_sdl([entry("a", "v2", 1), entry("b", "v3", 2)], None).sdl == "v2"


def test_when_no_replica_serves_the_served_sdl_every_replica_is_routed() -> None:
    routed = routed_replicas([entry("a", "v2", 1), entry("b", "v2", 2)], "v1")
    assert all(r.routed for r in routed)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replica_set(*ids: str, clock: Clock | None = None, routed: set[str] | None = None) -> ReplicaSet:
    traffic = SubgraphTraffic(breaker=BreakerSettings(failure_threshold=2, cool_down=5.0))
    replicas = [Replica(i, f"http://{i}/graphql", routed is None or i in routed) for i in ids]
    return ReplicaSet("toys", traffic, replicas, clock or Clock())


def test_the_least_loaded_replica_gets_the_request_ties_in_turn() -> None:
    replicas = replica_set("a", "b", "c")
    a, b, c = replicas.endpoints
    a.in_flight, b.in_flight, c.in_flight = 2, 0, 1
    assert replicas.choose() is b
    b.in_flight = 1
    picks = {replicas.choose().id for _ in range(4)}  # type: ignore[union-attr]
    assert picks == {"b", "c"}


def test_a_replica_whose_circuit_opens_is_ejected_and_the_health_check_takes_it_back() -> None:
    clock = Clock()
    replicas = replica_set("a", "b", clock=clock)
    a, _ = replicas.endpoints
    for _ in range(2):
        a.breaker.failed(a.breaker.admit())
    assert a.breaker.state is CircuitState.OPEN
    assert {replicas.choose().id for _ in range(6)} == {"b"}  # type: ignore[union-attr]
    clock.now = 6.0  # cool-down over: half-open, but with b in rotation no client request probes a
    assert {replicas.choose().id for _ in range(6)} == {"b"}  # type: ignore[union-attr]
    a.checked(None, HealthSettings())
    assert a.breaker.state is CircuitState.CLOSED
    assert {replicas.choose().id for _ in range(6)} == {"a", "b"}  # type: ignore[union-attr]


def test_failed_health_checks_eject_and_passed_ones_readmit() -> None:
    replicas = replica_set("a", "b")
    a, _ = replicas.endpoints
    settings = HealthSettings(unhealthy_after=2, healthy_after=2)
    a.checked("connection refused", settings)
    assert a.healthy
    a.checked("connection refused", settings)
    assert not a.healthy and a.reason == "connection refused"
    assert {replicas.choose().id for _ in range(4)} == {"b"}  # type: ignore[union-attr]
    a.checked(None, settings)
    assert not a.healthy
    a.checked(None, settings)
    assert a.healthy


def test_routed_replicas_go_first_and_the_others_only_when_none_is_in_rotation() -> None:
    replicas = replica_set("old", "new", routed={"old"})
    old, new = replicas.endpoints
    assert {replicas.choose().id for _ in range(4)} == {"old"}  # type: ignore[union-attr]
    old.healthy = False
    assert replicas.choose() is new


def test_a_retry_goes_to_a_replica_not_tried() -> None:
    replicas = replica_set("a", "b")
    a, b = replicas.endpoints
    assert replicas.choose([a]) is b and replicas.has_other([a])
    assert not replicas.has_other([a, b])


def test_an_update_keeps_the_state_of_replicas_that_stay() -> None:
    replicas = replica_set("a", "b")
    a = replicas.endpoints[0]
    a.healthy = False
    replicas.update([Replica("a", "http://a/graphql"), Replica("c", "http://c/graphql")])
    assert replicas.endpoints[0] is a and not a.healthy
    replicas.update([Replica("a", "http://a:2/graphql")])  # same id, another URL: a new process
    assert replicas.endpoints[0] is not a and replicas.endpoints[0].healthy


def test_the_config_registry_section_is_checked_and_the_environment_and_flags_override_it() -> None:
    import argparse

    from gateway.commands.serve import registry_settings_for
    from gateway.config import ConfigError, parse_config

    config = parse_config("registry:\n  bucket: fleet\n  ttl: 10\n  breaking_policy: refuse_dangerous\n")
    assert config.subgraphs == [] and config.registry == {
        "bucket": "fleet",
        "ttl": 10,
        "breaking_policy": "refuse_dangerous",
    }
    with pytest.raises(ConfigError, match="breaking_policy must be one of"):
        parse_config("registry:\n  breaking_policy: sometimes\n")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config("registry:\n  buckets: x\n")
    args = argparse.Namespace(registry=None, nats_url=None)
    settings = registry_settings_for(args, config, {"GATEWAY_REGISTRY_TTL": "4", "NATS_URL": "nats://n:4222"})
    assert (settings.bucket, settings.ttl, settings.nats_url) == ("fleet", 4.0, "nats://n:4222")
    assert settings.breaking_policy == "refuse_dangerous"
    flagged = registry_settings_for(argparse.Namespace(registry="other", nats_url="nats://m:1"), config, {})
    assert (flagged.bucket, flagged.nats_url) == ("other", "nats://m:1")
    static = parse_config("subgraphs:\n  - {name: a, url: 'http://a/graphql'}\n")
    assert registry_settings_for(args, static, {}) is None
    assert registry_settings_for(args, static, {"GATEWAY_REGISTRY_BUCKET": "b"}).bucket == "b"


def test_the_refusal_policy_is_the_one_of_fedgw_check() -> None:
    from gateway.commands.check import SchemaChange, refused_changes

    changes = [
        SchemaChange("breaking", "FIELD_REMOVED", "Toy.name was removed."),
        SchemaChange("dangerous", "ARG_DEFAULT_VALUE_CHANGE", "Query.toys(first:) default changed."),
        SchemaChange("safe", "FIELD_ADDED", "Toy.color was added."),
    ]
    assert [c.level for c in refused_changes(changes)] == ["breaking"]
    assert [c.level for c in refused_changes(changes, "refuse_dangerous")] == ["breaking", "dangerous"]
    assert refused_changes(changes, "allow") == []
    with pytest.raises(ValueError, match="unknown breaking-change policy"):
        refused_changes(changes, "never")
