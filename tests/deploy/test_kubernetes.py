"""deploy/k8s: every manifest valid against Kubernetes' own schemas (kubernetes-validate, offline, strict), and
the system's rules on top: probes on /health and /ready, an autoscaler on the gateway, the config from a
ConfigMap the gateway accepts, two replicas of products, services that select pods, nothing as root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gateway.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
SERVICES = {"users": 4001, "products": 4002, "orders": 4003, "payments": 4004}


def _resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


RESOURCES = _resources()


def _one(kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in RESOURCES if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_kubernetes(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    version = kubernetes_validate.latest_version()
    for doc in docs:
        # Raises ValidationError on a wrong field or type; strict refuses fields the schema does not know.
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_wrong_manifest_is_caught() -> None:
    # The check above can fail: a probe with a misspelt field is refused.
    broken = yaml.safe_load(yaml.safe_dump(_one("Deployment", "users")))
    _container(broken)["readinessProbe"]["httpGet"]["paht"] = "/ready"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_http_processes_probe_health_for_liveness_and_ready_for_readiness(name: str) -> None:
    container = _container(_one("Deployment", name))
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    port = container["readinessProbe"]["httpGet"]["port"]
    assert port in {p.get("name") for p in container["ports"]} | {
        p["containerPort"] for p in container["ports"]
    }


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_has_a_service_a_database_secret_and_its_own_address(name: str, port: int) -> None:
    deployment = _one("Deployment", name)
    container = _container(deployment)
    assert container["ports"][0]["containerPort"] == port
    env = {e["name"]: e for e in container["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == f"{name.upper()}_DATABASE_URL"
    assert env["SERVICE_URL"]["value"] == f"http://$(POD_IP):{port}/graphql"
    service = _one("Service", name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_two_replicas_of_products_and_a_worker_per_messaging_service() -> None:
    assert _one("Deployment", "products")["spec"]["replicas"] == 2
    for name in ("products", "orders", "payments"):
        worker = _container(_one("Deployment", f"{name}-worker"))
        assert worker["command"] == ["python", "-m", f"subgraphs.{name}.worker"]


def test_the_gateway_scales_on_cpu_from_its_requests() -> None:
    hpa = _one("HorizontalPodAutoscaler", "gateway")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert 1 < hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert _container(_one("Deployment", "gateway"))["resources"]["requests"]["cpu"]


def test_the_gateway_reads_a_config_map_it_accepts() -> None:
    gateway = _one("Deployment", "gateway")
    volumes = {v["name"]: v for v in gateway["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "gateway-config"
    command = _container(gateway)["command"]
    assert command[command.index("--config") + 1] == "/etc/fedgw/gateway.yaml"
    text = _one("ConfigMap", "gateway-config")["data"]["gateway.yaml"]
    config = parse_config(text, source="gateway-config", environ={})  # validated as the gateway will
    assert {s.name: s.url for s in config.subgraphs} == {
        name: f"http://{name}.fedgw.svc.cluster.local:{port}/graphql" for name, port in SERVICES.items()
    }
    assert config.server["production"] is True


def test_the_postgres_init_script_is_the_composes() -> None:
    script = _one("ConfigMap", "postgres-init")["data"]["10-databases.sql"]
    assert script.strip() == (ROOT / "deploy" / "postgres-init.sql").read_text().strip()


def test_nothing_of_ours_runs_as_root() -> None:
    ours = [
        r for r in RESOURCES if r["kind"] == "Deployment" and _container(r)["image"].startswith("federation")
    ]
    assert len(ours) == 8  # four services, three workers, the gateway
    for deployment in ours:
        pod = deployment["spec"]["template"]["spec"]["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
        container = _container(deployment)["securityContext"]
        assert container["allowPrivilegeEscalation"] is False and container["readOnlyRootFilesystem"] is True
