"""The gateway following the registry on the machine's NATS: real service processes register themselves,
a real gateway process follows the bucket; HTTP between them."""

from __future__ import annotations

import pytest

from .conftest import System, wait_until

pytestmark = [pytest.mark.nats, pytest.mark.e2e]


def _served(gateway, query: str) -> dict:
    body = gateway.query(query)
    return body if "data" in body and not body.get("errors") else {}


def test_a_service_registers_and_its_new_field_is_served_without_a_restart(system: System) -> None:
    gateway = system.gateway()
    assert gateway.ready()["status"] == "unavailable"  # nothing registered yet
    v1 = system.toy("v1")
    body = wait_until(lambda: _served(gateway, "{ toys { id name replica } }"))
    assert body["data"]["toys"][0] == {"id": "1", "name": "toy 1", "replica": v1.replica}
    assert "color" in str(gateway.query("{ toys { color } }")["errors"])  # not in v1
    generation = gateway.ready()["generation"]

    v2 = system.toy("v2")
    v1.stop()  # the rolling deploy's last old replica leaves (and deregisters)
    body = wait_until(lambda: _served(gateway, "{ toys { name color replica } }"))
    assert body["data"]["toys"][0] == {"name": "toy 1", "color": "red", "replica": v2.replica}
    ready = gateway.ready()
    assert ready["status"] == "ready", ready
    assert ready["generation"] > generation
    assert ready["registry"]["last_change"]["outcome"] == "applied"
    assert gateway.process.poll() is None  # the same gateway process throughout


def test_a_breaking_change_is_refused_and_the_old_supergraph_keeps_serving(system: System) -> None:
    system.toy("v1")
    extras = system.toy("extra", name="extras")
    gateway = system.gateway()
    wait_until(lambda: _served(gateway, "{ extra toys { name } }"))
    generation = gateway.ready()["generation"]

    system.toy("extra-breaking", name="extras")  # drops Query.extra
    extras.stop()
    refusal = wait_until(lambda: gateway.ready()["registry"].get("last_refusal"))
    assert "Query.extra was removed" in refusal["reason"], refusal
    ready = gateway.ready()
    assert ready["generation"] == generation
    # The old supergraph: toys are served, Query.other (only in the refused SDL) is unknown.
    assert _served(gateway, "{ toys { name } }")
    assert gateway.query("{ other }")["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert ready["registry"]["counters"]["refused"] >= 1
    assert "registry change refused" in gateway.log.read_text()


def test_a_sdl_that_does_not_compose_is_refused_and_the_old_supergraph_keeps_serving(system: System) -> None:
    system.toy("v1")
    gateway = system.gateway()
    wait_until(lambda: _served(gateway, "{ toys { name } }"))
    generation = gateway.ready()["generation"]

    system.toy("extra-conflict", name="extras")  # a non-shareable Toy.name of its own
    refusal = wait_until(lambda: gateway.ready()["registry"].get("last_refusal"))
    assert refusal["reason"].startswith("composition failed: INVALID_FIELD_SHARING"), refusal
    assert gateway.ready()["generation"] == generation
    assert _served(gateway, "{ toys { name replica } }")
    assert gateway.query("{ extra }")["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


TOY_EVENTS_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

directive @edfs__natsSubscribe(subjects: [String!]!, providerId: String! = "default") on FIELD_DEFINITION

type Subscription {
  toyChanged: Toy! @edfs__natsSubscribe(subjects: ["toys.changed"], providerId: "default")
}

type Toy @key(fields: "id", resolvable: false) {
  id: ID!
}
"""


def test_the_configs_event_driven_subgraphs_are_composed_with_what_registered(system: System) -> None:
    # No process registers an event-driven subgraph: the gateway adds the config's to every composition.
    (system.workdir / "toy-events.graphql").write_text(TOY_EVENTS_SDL)
    (system.workdir / "gateway.yaml").write_text(
        f"registry:\n  bucket: {system.bucket}\n"
        "subgraphs:\n  - name: toy-events\n    events: nats\n    schema: toy-events.graphql\n"
    )
    system.toy("v1")
    gateway = system.gateway()
    wait_until(lambda: _served(gateway, "{ toys { name } }"))
    body = gateway.query("{ __schema { subscriptionType { fields { name } } } }")
    assert body["data"]["__schema"]["subscriptionType"]["fields"] == [{"name": "toyChanged"}], body
    services = gateway.ready()["registry"]["services"]
    assert set(services) == {"toys"}  # the event-driven subgraph is composed, not a registered service
