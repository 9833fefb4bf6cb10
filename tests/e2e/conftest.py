"""End-to-end fixtures: the real system (`python -m gateway up`) as separate processes over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    url: str
    subgraph_urls: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def post(self, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
        return httpx.post(self.url, json={"query": query, "variables": variables or {}}, timeout=60, **kwargs)


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Every service and the gateway on free ports and fresh SQLite files, started by the `up` command."""
    base = tmp_path_factory.mktemp("system")
    config = yaml.safe_load((ROOT / "gateway.yaml").read_text())
    urls = {}
    for sub in config["subgraphs"]:
        sub["url"] = urls[sub["name"]] = f"http://127.0.0.1:{free_port()}/graphql"
        for key in ("schema",):
            if key in sub:
                sub[key] = str(ROOT / sub[key])
    config.pop("supergraph", None)
    config_path = base / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = base / "up.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUBGRAPH_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "up",
                "--config",
                str(config_path),
                "--port",
                str(port),
                "--data-dir",
                str(base / "data"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    try:
        while "GraphiQL:" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`gateway up` did not come up:\n{log.read_text()}")
            time.sleep(0.3)
        yield System(f"http://127.0.0.1:{port}/graphql", urls, proc, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
