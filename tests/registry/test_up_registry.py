"""`fedgw up` on the registry: the real services register themselves from their app factory and the
gateway composes what they registered (no subgraph list read by the gateway)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.local_system import local_system

pytestmark = [pytest.mark.nats, pytest.mark.e2e]


def test_up_with_a_registry_serves_what_the_services_registered(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_REGISTRY_BUCKET", bucket)
    with local_system(tmp_path) as system:
        ready = httpx.get(system.url.replace("/graphql", "/ready"), timeout=10).json()
        assert ready["status"] == "ready", ready
        services = ready["registry"]["services"]
        assert set(services) == {"users", "products", "orders", "payments"}
        for name, url in system.subgraph_urls.items():
            [replica] = services[name]["replicas"]
            assert replica["url"] == url and replica["healthy"] and replica["routed"]
        assert ready["registry"]["last_change"]["outcome"] == "applied"
        query = "{ products(first: 2) { edges { node { name timesOrdered } } } }"
        body = httpx.post(system.url, json={"query": query}, timeout=30).json()
        assert not body.get("errors"), body
        assert len(body["data"]["products"]["edges"]) == 2
