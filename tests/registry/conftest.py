"""Fixtures of the registry tests: the machine's NATS, a bucket per test (removed after), toy service
processes that register themselves, and a gateway process that follows the bucket."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local_system import ROOT, free_port

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")

# Short clocks, so that a test sees expiry, ejection and debouncing in seconds.
TTL = 3.0
HEARTBEAT = 0.5
GATEWAY_ENV = {
    "GATEWAY_REGISTRY_TTL": str(TTL),
    "GATEWAY_REGISTRY_DEBOUNCE": "0.2",
    "GATEWAY_REGISTRY_MAX_DELAY": "2",
    "GATEWAY_REGISTRY_HEALTH_INTERVAL": "0.3",
    "GATEWAY_REGISTRY_HEALTH_TIMEOUT": "2",
}


async def _nats_reachable() -> str | None:
    import nats

    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await nc.close()
    return None


@pytest.fixture
async def bucket() -> AsyncIterator[str]:
    """A fresh registry bucket name; the bucket (created by whoever comes first) is deleted afterwards."""
    problem = await _nats_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            raise RuntimeError(f"NATS is not reachable at {NATS_URL}: {problem}")
        pytest.skip(f"NATS is not reachable at {NATS_URL}: {problem}")
    name = f"test_registry_{uuid.uuid4().hex[:10]}"
    yield name
    import nats

    nc = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        await nc.jetstream().delete_key_value(name)
    except Exception:
        pass
    finally:
        await nc.close()


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout}s:\n{log.read_text()[-3000:]}")


@dataclass
class Toy:
    """One toy service replica (a real process)."""

    name: str
    variant: str
    replica: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def stop(self) -> None:
        """SIGTERM: a clean stop, which deregisters."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the replica dies without a word; only its TTL and the health checks tell."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Gateway:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def query(self, query: str) -> dict[str, Any]:
        response = self.client.post(self.url, json={"query": query})
        return dict(response.json())

    def ready(self) -> dict[str, Any]:
        return dict(self.client.get(f"http://127.0.0.1:{self.port}/ready").json())


@dataclass
class System:
    """Toy replicas and a gateway, all stopped at the end."""

    bucket: str
    workdir: Path
    toys: list[Toy] = field(default_factory=list)
    gateways: list[Gateway] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT), NATS_URL=NATS_URL, PYTHONUNBUFFERED="1")
        env.pop("DATABASE_URL", None)
        env.update(extra)
        return env

    def toy(self, variant: str = "v1", *, name: str = "toys", replica: str | None = None) -> Toy:
        port = free_port()
        replica = replica or f"{name}-{variant}-{port}"
        log = self.workdir / f"{replica}.log"
        env = self.env(
            REGISTRY_BUCKET=self.bucket,
            REPLICA_ID=replica,
            REGISTRY_TTL=str(TTL),
            REGISTRY_HEARTBEAT=str(HEARTBEAT),
        )
        cmd = [sys.executable, "-m", "tests.registry.toy_service", "--name", name, "--variant", variant]
        process = subprocess.Popen(
            [*cmd, "--port", str(port)],
            env=env,
            cwd=self.workdir,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        toy = Toy(name, variant, replica, port, process, log)
        self.toys.append(toy)
        _wait_http(f"http://127.0.0.1:{port}/health", process, 30, log)
        return toy

    def gateway(self, **extra_env: str) -> Gateway:
        port = free_port()
        log = self.workdir / f"gateway-{port}.log"
        env = self.env(**GATEWAY_ENV, **extra_env)
        cmd = [sys.executable, "-m", "gateway", "serve", "--registry", self.bucket, "--port", str(port)]
        process = subprocess.Popen(
            cmd, env=env, cwd=self.workdir, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        gateway = Gateway(port, process, log)
        self.gateways.append(gateway)
        _wait_http(f"http://127.0.0.1:{port}/health", process, 30, log)
        return gateway

    def close(self) -> None:
        for toy in self.toys:
            toy.stop()
        for gateway in self.gateways:
            if gateway.process.poll() is None:
                gateway.process.send_signal(signal.SIGTERM)
                try:
                    gateway.process.wait(15)
                except subprocess.TimeoutExpired:
                    gateway.process.kill()
            gateway.client.close()


@pytest.fixture
def system(bucket: str, tmp_path: Path) -> Iterator[System]:
    s = System(bucket, tmp_path)
    try:
        yield s
    finally:
        s.close()


def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; its last value (or exception) on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s; last: {last!r}")


__all__ = ["HEARTBEAT", "NATS_URL", "TTL", "Gateway", "System", "Toy", "asyncio", "wait_until"]


@dataclass
class Outcome:
    started: float
    ended: float
    ok: bool
    detail: str = ""
    replica: str | None = None


class Load:
    """Steady load on a gateway from a few threads, each sending one request after another."""

    def __init__(
        self, url: str, query: str, *, threads: int = 4, check: Callable[[dict[str, Any]], bool]
    ) -> None:
        import threading

        self.url = url
        self.query = query
        self.check = check
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = client.post(self.url, json={"query": self.query})
                    body = response.json()
                    ok = response.status_code == 200 and self.check(body)
                    detail = "" if ok else response.text[:300]
                except Exception as exc:
                    body, ok, detail = {}, False, f"{type(exc).__name__}: {exc}"
                self.outcomes.append(Outcome(started, time.monotonic(), ok, detail, _replica_of(body)))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def failures(self, since: float = 0.0) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and o.started >= since]

    def count(self, since: float = 0.0) -> int:
        return sum(1 for o in self.outcomes if o.started >= since)


def _replica_of(body: Any) -> str | None:
    try:
        return str(body["data"]["toys"][0]["replica"])
    except (KeyError, IndexError, TypeError):
        return None
