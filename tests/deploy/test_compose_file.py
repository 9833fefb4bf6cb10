"""compose.yaml, as Docker Compose resolves it: every service and its worker on PostgreSQL and NATS JetStream,
two replicas of products, Redis for the gateway, health checks that wait for what they mean, only the gateway's
port published, and no container of ours running as root."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("users", "products", "orders", "payments")
WORKERS = ("products-worker", "orders-worker", "payments-worker")


@pytest.fixture(scope="module")
def resolved() -> dict:
    tool = shutil.which("docker-compose")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(
                "docker-compose is not installed (Debian package docker-compose); ./dev test installs it"
            )
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    out = subprocess.run(
        [tool, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COMPOSE_INTERACTIVE_NO_CLI": "1"},
    )
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_every_service_its_worker_the_infrastructure_and_the_gateway_are_there(resolved):
    assert {"postgres", "nats", "redis", "gateway", *SERVICES, *WORKERS} == set(resolved["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_services_use_their_own_database_and_are_healthy_when_ready(resolved, name):
    service = resolved["services"][name]
    assert service["environment"]["DATABASE_URL"].endswith(f"@postgres:5432/{name}")
    # /ready: red while the database is behind the code's migrations, so nothing starts on a stale schema.
    assert "/ready" in " ".join(service["healthcheck"]["test"])
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["depends_on"]["nats"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", SERVICES)
def test_services_register_themselves_under_their_own_address(resolved, name):
    service = resolved["services"][name]
    assert (
        service["environment"]["REGISTRY_BUCKET"] and service["environment"]["NATS_URL"] == "nats://nats:4222"
    )
    # Compose's own escape ($$ for $) stays in what `config` prints; the shell sees $(hostname -i).
    command = " ".join(service["command"]).replace("$$", "$")
    assert "SERVICE_URL=http://$(hostname -i):$PORT/graphql" in command


def test_two_replicas_of_products(resolved):
    assert resolved["services"]["products"]["scale"] == 2


@pytest.mark.parametrize("name", WORKERS)
def test_each_worker_relays_and_consumes_on_jetstream_after_its_service(resolved, name):
    worker = resolved["services"][name]
    service = name.removesuffix("-worker")
    assert worker["command"] == ["python", "-m", f"subgraphs.{service}.worker"]
    assert worker["environment"]["NATS_URL"] == "nats://nats:4222"
    assert worker["environment"]["DATABASE_URL"].endswith(f"@postgres:5432/{service}")
    assert worker["depends_on"][service]["condition"] == "service_healthy"


def test_postgres_is_healthy_only_once_every_database_answers(resolved):
    postgres = resolved["services"]["postgres"]
    check = " ".join(postgres["healthcheck"]["test"])
    assert "pg_isready" in check and "for db in users products orders payments" in check
    mounts = " ".join(str(v) for v in postgres["volumes"])
    assert "postgres-init.sql" in mounts and "/docker-entrypoint-initdb.d/" in mounts


def test_init_script_creates_one_database_per_service():
    sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    for name in SERVICES:
        assert f"CREATE DATABASE {name};" in sql


def test_nats_runs_jetstream_and_redis_serves_the_gateway(resolved):
    assert "-js" in resolved["services"]["nats"]["command"]
    assert "healthcheck" in resolved["services"]["redis"]
    gateway = resolved["services"]["gateway"]
    assert gateway["environment"]["GATEWAY_REDIS_URL"] == "redis://redis:6379/0"
    assert gateway["depends_on"]["redis"]["condition"] == "service_healthy"


def test_gateway_waits_for_ready_services(resolved):
    gateway = resolved["services"]["gateway"]
    assert all(gateway["depends_on"][s]["condition"] == "service_healthy" for s in SERVICES)
    assert gateway["environment"]["SUBGRAPH_ORDERS_URL"] == "http://orders:4003/graphql"


def test_only_the_gateway_publishes_a_port(resolved):
    published = {name for name, s in resolved["services"].items() if s.get("ports")}
    assert published == {"gateway"}
    (port,) = resolved["services"]["gateway"]["ports"]
    assert port["target"] == 4000


def test_our_containers_never_run_as_root(resolved):
    ours = {name: s for name, s in resolved["services"].items() if "build" in s}
    assert set(ours) == {"gateway", *SERVICES, *WORKERS}
    for name, service in ours.items():
        uid = str(service["user"]).split(":")[0]
        assert uid.isdigit() and int(uid) != 0, name
        assert service.get("read_only") is True, name
