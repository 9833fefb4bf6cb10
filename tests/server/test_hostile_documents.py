"""Hostile documents against ``fedgw serve`` as a real process: refused fast, /health answered meanwhile,
SIGTERM obeyed even while a document is being worked on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .live import free_port
from .support import SUPERGRAPH_SDL

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def doubling_fragments(levels: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ topProducts {{ id name }} }}")
    return "\n".join(parts)


# The worst shapes we know, each with the code that refuses it (None: valid, and costly to parse).
HOSTILE: dict[str, tuple[str, str | None]] = {
    "doubling fragments": (doubling_fragments(40), "MAX_HEIGHT_LIMIT"),
    "600 aliases": (
        "{" + " ".join(f"a{i}: topProducts(first: 100) {{ id }}" for i in range(600)) + "}",
        "MAX_ALIASES_LIMIT",
    ),
    "2,000 fragment spreads": (
        "{ ...F } fragment F on Query {"
        + " ".join(f"...G{i}" for i in range(2000))
        + "} "
        + " ".join(f"fragment G{i} on Query {{ hello }}" for i in range(2000)),
        "MAX_FRAGMENT_SPREADS_LIMIT",  # by the text scan, before the tokens run out
    ),
    "10,000 nested brackets": ("{ hello(x: " + "[" * 10_000 + "]" * 10_000 + ") }", "MAX_RECURSION_LIMIT"),
    "7,000 identical fields": ("{" + " __typename" * 7_000 + "}", "MAX_REPEATED_FIELDS_LIMIT"),
    "1.9 MB of comment": ("#" + "x" * 1_900_000 + "\n{ hello }", "MAX_DOCUMENT_BYTES_LIMIT"),
    "a 100,000-digit number": (
        "{ topProducts(first: " + "9" * 100_000 + ") { id } }",
        "MAX_NUMBER_LENGTH_LIMIT",
    ),
    "2,000 operations": (" ".join(f"query Q{i} {{ hello }}" for i in range(2000)), "MAX_OPERATIONS_LIMIT"),
    "200 KB of comment": ("#" + "x" * 200_000 + "\n{ hello }", None),
}


def start_gateway(tmp_path: Path, **environ: str) -> tuple[subprocess.Popen[str], str]:
    path = tmp_path / "supergraph.graphql"
    path.write_text(
        SUPERGRAPH_SDL.replace("http://products.test/graphql", f"http://127.0.0.1:{free_port()}/graphql")
    )
    port = free_port()
    env = dict(os.environ, GATEWAY_PORT=str(port), PYTHONUNBUFFERED="1", **environ)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--supergraph",
            str(path),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"gateway exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("gateway did not become healthy")
        time.sleep(0.1)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    process, base = start_gateway(tmp_path)
    try:
        yield base
    finally:
        process.kill()
        process.wait(5)


class HealthProbe:
    """Asks /health every 5 ms on its own connection and keeps each answer's latency."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                assert client.get("/health").status_code == 200
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.005)

    def __enter__(self) -> HealthProbe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(10)


def test_hostile_documents_are_refused_while_health_keeps_answering(gateway: str) -> None:
    timings: dict[str, float] = {}
    with httpx.Client(base_url=gateway, timeout=60) as client, HealthProbe(gateway) as probe:
        time.sleep(0.2)
        for name, (query, code) in HOSTILE.items():
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": query})
            timings[name] = time.perf_counter() - started
            body = response.json()
            if code is None:
                # Valid, or invalid by validation: it reaches validation (and the absent subgraph) unrefused.
                codes = {e["extensions"]["code"] for e in body.get("errors", ())}
                assert codes <= {"GRAPHQL_VALIDATION_FAILED", "SUBGRAPH_REQUEST_FAILED"}, (name, body)
            else:
                assert response.status_code == 400, body
                assert body["errors"][0]["extensions"]["code"] == code, (name, body)
        time.sleep(0.1)
    refused = {name: t for name, t in timings.items() if HOSTILE[name][1] is not None}
    assert max(refused.values()) < 1.0, timings  # most well under 50 ms; see the README's figures
    assert len(probe.latencies) > 20
    worst = max(probe.latencies)
    print(f"\n/health: {len(probe.latencies)} answers, worst {worst * 1000:.1f} ms; documents: {timings}")
    # A blocked event loop shows as seconds; the suite's other worker shares the cores, so the bound here is
    # looser than the 100 ms that bench/abuse.py holds the gateway to on its own.
    assert worst < 0.3, sorted(probe.latencies)[-5:]


def test_sigterm_stops_the_gateway_while_a_document_is_being_worked_on(tmp_path: Path) -> None:
    # Every limit lifted, so the document below costs minutes of validation work.
    lifted = {
        f"GATEWAY_LIMITS_{name}": "none"
        for name in (
            "MAX_TOKENS",
            "MAX_HEIGHT",
            "MAX_REPEATED_FIELDS",
            "MAX_DOCUMENT_BYTES",
            "PLANNING_BUDGET",
        )
    }
    process, base = start_gateway(tmp_path, GATEWAY_LIMITS_HTTP_MAX_REQUEST_BYTES="10000000", **lifted)
    try:
        query = "{" + " __typename" * 300_000 + "}"

        def send() -> None:
            try:
                httpx.post(f"{base}/graphql", json={"query": query}, timeout=60)
            except httpx.HTTPError:
                pass

        threading.Thread(target=send, daemon=True).start()
        time.sleep(1.5)  # the document is being parsed and validated
        assert httpx.get(f"{base}/health", timeout=1).status_code == 200
        assert process.poll() is None
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert time.monotonic() - stopped_at < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
