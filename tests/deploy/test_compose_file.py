"""compose.yaml is a valid Compose file that runs every service on PostgreSQL with health checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resolved() -> dict:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is not installed (Debian package docker-compose); ./dev test installs it")
    out = subprocess.run(
        [tool, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_every_service_and_the_gateway_are_there(resolved):
    assert {"postgres", "nats", "users", "products", "orders", "payments", "gateway"} <= resolved[
        "services"
    ].keys()


@pytest.mark.parametrize("name", ["users", "products", "orders", "payments"])
def test_services_use_their_own_postgres_database_and_have_health_checks(resolved, name):
    service = resolved["services"][name]
    assert service["environment"]["DATABASE_URL"].endswith(f"@postgres:5432/{name}")
    assert "/health" in " ".join(service["healthcheck"]["test"])
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_init_script_creates_one_database_per_service():
    sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    for name in ("users", "products", "orders", "payments"):
        assert f"CREATE DATABASE {name};" in sql


def test_gateway_waits_for_healthy_services(resolved):
    gateway = resolved["services"]["gateway"]
    assert all(
        gateway["depends_on"][s]["condition"] == "service_healthy"
        for s in ("users", "products", "orders", "payments")
    )
    assert gateway["environment"]["SUBGRAPH_ORDERS_URL"] == "http://orders:4003/graphql"


def test_nats_runs_jetstream_and_the_payments_worker_uses_it(resolved):
    assert "-js" in resolved["services"]["nats"]["command"]
    worker = resolved["services"]["payments-worker"]
    assert worker["command"] == ["python", "-m", "subgraphs.payments.worker"]
    assert worker["depends_on"]["nats"]["condition"] == "service_healthy"
    assert worker["environment"]["NATS_URL"] == "nats://nats:4222"
    assert worker["environment"]["DATABASE_URL"].endswith("@postgres:5432/payments")
