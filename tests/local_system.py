"""The whole local system (`python -m gateway up`) on free ports and fresh SQLite files, for tests and benchmarks."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["ROOT", "LocalSystem", "free_port", "local_system"]

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalSystem:
    url: str
    port: int
    subgraph_urls: dict[str, str]
    schema_files: dict[str, Path]
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pid(self, service: str) -> int:
        """The process id of ``service``'s messaging worker, as `up` last reported it."""
        found = re.findall(
            rf"^\s*{service}-worker\s+(?:relay and consumers\s+|restarted )\(pid (\d+)\)",
            self.log.read_text(errors="replace"),
            re.MULTILINE,
        )
        if not found:
            raise KeyError(f"{service}-worker")
        return int(found[-1])

    def pids(self) -> dict[str, int]:
        """The current process id of each child, as `up` reported it at start-up and on every restart."""
        found: dict[str, int] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            match = re.match(r"^\s*(\w+)\s+(?:http\S+\s+\(|restarted \()pid (\d+)\)", line)
            if match:
                found[match.group(1)] = int(match.group(2))
        return found


@contextmanager
def local_system(
    workdir: Path,
    *,
    timeout: float = 180,
    env: Mapping[str, str] | None = None,
    subjects: Mapping[str, str] | None = None,
) -> Iterator[LocalSystem]:
    """Start every service and the gateway with `up`; on exit, SIGINT (as Ctrl-C would) unless already stopped.

    ``env`` is added to the processes' environment (an event stream of the test's own, say); ``subjects`` renames
    NATS subjects in the event-driven subgraphs' SDL (``{"products.stockLow": "products.stockLow.t1"}``), so a
    test's gateway hears its own services only."""
    config = yaml.safe_load((ROOT / "gateway.yaml").read_text())
    urls: dict[str, str] = {}
    schemas: dict[str, Path] = {}
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in config["subgraphs"]:
        if sub.get("events"):  # no process, no URL: its SDL names the subjects the gateway reads
            sdl = (ROOT / sub["schema"]).read_text()
            for old, new in (subjects or {}).items():
                sdl = sdl.replace(f'"{old}"', f'"{new}"')
            copy = workdir / Path(sub["schema"]).name
            copy.write_text(sdl)
            sub["schema"] = str(copy)
            continue
        sub["url"] = urls[sub["name"]] = f"http://127.0.0.1:{free_port()}/graphql"
        if "schema" in sub:
            sub["schema"] = str(schemas.setdefault(sub["name"], ROOT / sub["schema"]))
    config.pop("supergraph", None)
    config_path = workdir / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = workdir / "up.log"
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("SUBGRAPH_")} | dict(env or {})
    command = [sys.executable, "-m", "gateway", "up", "--config", str(config_path), "--port", str(port)]
    command += ["--data-dir", str(workdir / "data")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=process_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout
        while "GraphiQL:" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`gateway up` did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield LocalSystem(f"http://127.0.0.1:{port}/graphql", port, urls, schemas, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
