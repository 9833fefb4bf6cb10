"""The GraphQL-over-HTTP audit of graphql-http (npm) against the gateway served by uvicorn: every MUST passes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway import execution
from gateway.server import Gateway, create_app

from .live import serve_in_thread
from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

pytestmark = [pytest.mark.node, pytest.mark.e2e]

AUDIT_DIR = Path(__file__).parent / "audit"


@pytest.fixture(scope="module")
def audit_tool() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the graphql-http audit")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci failed (registry unreachable?): {done.stderr[-500:]}")
    return AUDIT_DIR / "audit.mjs"


def run_audit(script: Path, url: str) -> list[dict[str, Any]]:
    done = subprocess.run(["node", str(script), url], capture_output=True, text=True, timeout=120, check=True)
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def check(results: list[dict[str, Any]]) -> None:
    assert len(results) > 50
    # graphql-http reports a failed MUST as "error", a failed SHOULD as "warn" and a failed MAY as "notice".
    failed_musts = [r for r in results if r["name"].startswith("MUST") and r["status"] != "ok"]
    assert not failed_musts, json.dumps(failed_musts, indent=2)
    others = [f"{r['status']} {r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    print("graphql-http audit:", len(results), "checks;", len(others), "not ok")
    for line in others:
        print("  ", line)
    # The gateway also meets every SHOULD and MAY the audit checks; a regression there fails too.
    assert not others


def test_audit_with_in_process_executor(audit_tool: Path) -> None:
    supergraph = tiny_supergraph()
    gateway = Gateway(supergraph, executor=SchemaExecutor(supergraph), planner=RecordingPlanner())
    with serve_in_thread(create_app(gateway)) as base:
        check(run_audit(audit_tool, f"{base}/graphql"))


def test_audit_with_real_planner_and_executor(audit_tool: Path) -> None:
    from .federated import apps

    supergraph = tiny_supergraph()
    executor = execution.Executor(supergraph, execution.HttpxSubgraphClient(apps()))
    gateway = Gateway(supergraph, executor=executor)
    with serve_in_thread(create_app(gateway)) as base:
        check(run_audit(audit_tool, f"{base}/graphql"))
