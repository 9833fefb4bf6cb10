"""A team's workflow against the live registry: ``fedgw check --registry`` before a deploy, ``fedgw status``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from strawberry.printer import print_schema

from tests.local_system import ROOT

from .conftest import NATS_URL, System, wait_until
from .toy_service import toy_schema

pytestmark = [pytest.mark.nats, pytest.mark.e2e]


def fedgw(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gateway", *args, "--nats-url", NATS_URL]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60)


def sdl_file(tmp_path: Path, variant: str) -> str:
    path = tmp_path / f"{variant}.graphql"
    path.write_text(print_schema(toy_schema(variant)))
    return str(path)


def test_check_registry_judges_a_service_sdl_against_what_is_live(system: System, tmp_path: Path) -> None:
    system.toy("v1")
    bucket = system.bucket
    wait_until(
        lambda: "toys" in fedgw("status", "--registry", bucket, "--gateway", "http://127.0.0.1:9").stdout
    )

    additive = fedgw(
        "check", "--registry", bucket, "--service", "toys", "--sdl-file", sdl_file(tmp_path, "v2")
    )
    assert additive.returncode == 0, additive.stdout + additive.stderr
    assert "SAFE      FIELD_ADDED" in additive.stdout and "Toy.color was added" in additive.stdout

    breaking = fedgw(
        "check", "--registry", bucket, "--service", "toys", "--sdl-file", sdl_file(tmp_path, "broken")
    )
    assert breaking.returncode == 3, breaking.stdout + breaking.stderr
    assert "BREAKING" in breaking.stdout and "Toy.name was removed" in breaking.stdout
    assert "refused by policy refuse_breaking" in breaking.stderr
    allowed = fedgw(
        "check",
        "--registry",
        bucket,
        "--service",
        "toys",
        "--sdl-file",
        sdl_file(tmp_path, "broken"),
        "--allow-breaking",
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr

    conflict = sdl_file(tmp_path, "extra-conflict")
    new_service = fedgw("check", "--registry", bucket, "--service", "extras", "--sdl-file", conflict)
    assert new_service.returncode == 1, new_service.stdout + new_service.stderr
    assert "INVALID_FIELD_SHARING" in new_service.stderr


def test_check_registry_without_a_bucket_says_so(tmp_path: Path) -> None:
    done = fedgw("check", "--registry", "no_such_bucket_here", "--service", "toys", "--sdl-file", "x")
    assert done.returncode == 2
    assert "cannot read registry bucket 'no_such_bucket_here'" in done.stderr


def test_status_lists_services_replicas_health_generation_and_the_last_refusal(system: System) -> None:
    toy = system.toy("v1", replica="toys-one")
    gateway = system.gateway()
    wait_until(lambda: gateway.ready()["status"] == "ready")
    system.toy("extra-conflict", name="extras", replica="extras-one")
    wait_until(lambda: gateway.ready()["registry"].get("last_refusal"))
    done = fedgw("status", "--registry", system.bucket, "--gateway", f"http://127.0.0.1:{gateway.port}")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert f"gateway http://127.0.0.1:{gateway.port}: ready (supergraph generation 1)" in out
    assert "registry '" + system.bucket + "' at" in out and "2 replica(s)" in out
    assert "toys-one" in out and toy.url in out and "healthy, circuit closed, routed, in rotation" in out
    assert "extras  (not in the served supergraph)" in out
    assert "last refused change" in out and "INVALID_FIELD_SHARING" in out
