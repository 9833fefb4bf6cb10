"""The reference gateway (Hive Gateway, MIT) and real-HTTP subgraphs, for differential testing.

``serve_asgi`` runs an ASGI app with uvicorn on a free port in a thread; ``SubgraphServer`` serves many
``Subgraph``s at ``/<federation>/<subgraph>/graphql``; ``HiveGateway`` runs ``reference/serve.mjs`` (one Hive
Gateway runtime per supergraph, at ``/<name>/graphql``) with Hive Router's Rust query planner, or with Hive
Gateway's JavaScript planner as a second opinion (``planner="js"``, or ``REFERENCE_PLANNER=js`` in the
environment).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from .support import Federation

__all__ = [
    "PLANNERS",
    "REFERENCE_DIR",
    "HiveGateway",
    "SubgraphServer",
    "default_planner",
    "ensure_reference_installed",
    "free_port",
    "serve_asgi",
]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
# The message of the error ``HiveGateway.post`` answers with when the reference gives no GraphQL response.
NO_ANSWER = "reference gateway gave no answer"
# The query planners ``serve.mjs`` can run: Hive Router's (Rust, the reference) and Hive Gateway's (JavaScript).
PLANNERS = ("rust", "js")


def default_planner() -> str:
    """``REFERENCE_PLANNER`` from the environment, else the Rust planner."""
    planner = os.environ.get("REFERENCE_PLANNER", "rust")
    if planner not in PLANNERS:
        raise ValueError(f"REFERENCE_PLANNER must be one of {', '.join(PLANNERS)}, not {planner!r}")
    return planner


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_reference_installed() -> str | None:
    """Install the pinned reference gateway (``npm ci``) if needed; the reason it cannot run, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed"
    modules = REFERENCE_DIR / "node_modules" / "@graphql-hive"
    if not all((modules / name).is_dir() for name in ("gateway-runtime", "router-runtime")):
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=REFERENCE_DIR, capture_output=True, timeout=600
        )
        if done.returncode != 0:
            return "npm ci failed: " + done.stderr.decode(errors="replace")[-500:]
    return None


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve ``app`` over real HTTP on 127.0.0.1; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class SubgraphServer:
    """Every subgraph of several federations behind one ASGI app: ``/<federation>/<subgraph>/graphql``."""

    def __init__(self, federations: Sequence[Federation]) -> None:
        self.routes: dict[tuple[str, str], Any] = {}
        for federation in federations:
            for subgraph in federation.subgraphs:
                self.routes[(federation.name, subgraph.name)] = subgraph.app()

    def urls(self, base: str, federation: Federation) -> dict[str, str]:
        return {s.name: f"{base}/{federation.name}/{s.name}/graphql" for s in federation.subgraphs}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        parts = scope.get("path", "").strip("/").split("/")
        app = self.routes.get((parts[0], parts[1])) if len(parts) >= 2 else None
        if app is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)


class HiveGateway:
    """``reference/serve.mjs`` over the given supergraph SDLs; ``post`` sends one GraphQL request."""

    def __init__(self, supergraphs: Mapping[str, str], workdir: Path, *, planner: str | None = None) -> None:
        self.planner = planner or default_planner()
        if self.planner not in PLANNERS:
            raise ValueError(f"planner must be one of {', '.join(PLANNERS)}, not {self.planner!r}")
        workdir.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, str] = {}
        for name, sdl in supergraphs.items():
            path = workdir / f"{name}.graphql"
            path.write_text(sdl)
            manifest[name] = str(path)
        (workdir / "manifest.json").write_text(json.dumps(manifest))
        self.port = free_port()
        self.log = workdir / "hive.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                "node",
                str(REFERENCE_DIR / "serve.mjs"),
                str(workdir / "manifest.json"),
                str(self.port),
                "--planner",
                self.planner,
            ],
            cwd=REFERENCE_DIR,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("Hive Gateway did not start:\n" + self.log.read_text()[-3000:])
            time.sleep(0.1)
        self.client = httpx.Client(timeout=60)

    def post(
        self,
        name: str,
        query: str,
        variables: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self.client.post(
                f"http://127.0.0.1:{self.port}/{name}/graphql",
                json={"query": query, "variables": dict(variables or {})},
                headers={"accept": "application/graphql-response+json, application/json", **(headers or {})},
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            alive = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
            return {"errors": [{"message": f"{NO_ANSWER}: {type(exc).__name__}: {exc} (process {alive})"}]}
        return body

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:  # the runtime's graceful shutdown waits for nothing a test needs: do not wait long
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log_file.close()
