"""``up``: run every service, its messaging worker and the gateway locally, as separate processes, until Ctrl-C.

A service with a ``subgraphs.<name>.worker`` module gets that worker beside it: its outbox relay and event
consumers, which create the JetStream streams and durable consumers they need when missing.

The gateway composes the config's subgraphs (static), unless a registry is asked for (``--registry [BUCKET]``
or ``GATEWAY_REGISTRY_BUCKET``): then every service registers itself in that NATS KV bucket and the gateway
follows it (``gateway.registry``), so a service restarted with a new SDL is served without restarting it.

A child that dies is restarted with capped exponential backoff while the others keep running; only Ctrl-C or
SIGTERM stops the system. Start-up itself still fails fast: a service that cannot come up the first time is a
configuration error to read, not something to retry.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Child", "Supervisor", "add_parser", "run"]

RESTART_DELAY = 0.5  # seconds before the first restart
RESTART_DELAY_CAP = 30.0  # a child that keeps crashing is retried this often, forever
STABLE_AFTER = 30.0  # a child that ran this long before dying starts its backoff afresh


def _registry_bucket(args: argparse.Namespace) -> str | None:
    flag = getattr(args, "registry", None)
    if flag is None:
        return os.environ.get("GATEWAY_REGISTRY_BUCKET") or None
    return flag or os.environ.get("GATEWAY_REGISTRY_BUCKET") or "fedgw_registry"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("up", help="run every service and the gateway locally on SQLite")
    p.add_argument("--config", default="gateway.yaml", help="the subgraph list (default: gateway.yaml)")
    p.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "4000")), help="gateway port"
    )
    p.add_argument(
        "--data-dir", default=os.environ.get("DATA_DIR", "data"), help="where the SQLite files live"
    )
    p.add_argument(
        "--registry",
        nargs="?",
        const="",
        default=None,
        metavar="BUCKET",
        help="services register in this NATS KV bucket and the gateway follows it (default: static "
        "gateway.yaml, unless GATEWAY_REGISTRY_BUCKET is set)",
    )
    p.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for each process to be healthy"
    )


def _health_url(graphql_url: str) -> str:
    parts = urlsplit(graphql_url)
    return f"{parts.scheme}://{parts.netloc}/health"


def _is_healthy(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _worker(service: str) -> str:
    return f"subgraphs.{service}.worker"


def _has_worker(service: str) -> bool:
    try:
        return importlib.util.find_spec(_worker(service)) is not None
    except ModuleNotFoundError:  # a subgraph that is not one of ours (its package is not here)
        return False


def _exit_description(code: int) -> str:
    if code < 0:
        try:
            return f"code {code} (killed by {signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"code {code}"


@dataclass
class Child:
    """One supervised process: how to start it, where it says it is healthy, and its restart state."""

    name: str
    command: list[str]
    health_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    crashes: int = 0  # consecutive short-lived runs: the exponent of the backoff
    restart_at: float | None = None
    healthy: bool = False


@dataclass
class Supervisor:
    """Starts children, restarts the ones that die (capped exponential backoff), stops them all on request."""

    env: dict[str, str]
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    initial_delay: float = RESTART_DELAY
    delay_cap: float = RESTART_DELAY_CAP
    stable_after: float = STABLE_AFTER
    children: list[Child] = field(default_factory=list)

    def start(self, child: Child) -> Child:
        child.process = subprocess.Popen(child.command, env=self.env)
        child.started_at = time.monotonic()
        child.restart_at = None
        child.healthy = False
        if child not in self.children:
            self.children.append(child)
        return child

    def wait_healthy(self, child: Child, timeout: float) -> None:
        """Block until ``child`` answers its health check (start-up); raise if it dies or takes too long."""
        assert child.process is not None and child.health_url is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise RuntimeError(
                    f"{child.name} exited with {_exit_description(child.process.returncode)} before it was healthy"
                )
            if _is_healthy(child.health_url, timeout=2):
                child.healthy = True
                return
            time.sleep(0.2)
        raise RuntimeError(f"{child.name} was not healthy at {child.health_url} after {timeout:.0f} s")

    def delay_for(self, crashes: int) -> float:
        """The wait before restart number ``crashes + 1`` of a run of crashes: doubling, capped."""
        return min(self.delay_cap, self.initial_delay * 2.0 ** min(crashes, 62))

    def tick(self, now: float | None = None) -> None:
        """One round: notice children that died, restart those whose delay is over, report recoveries."""
        now = time.monotonic() if now is None else now
        for child in self.children:
            process = child.process
            if process is None:
                continue
            if child.restart_at is None and process.poll() is not None:
                if now - child.started_at >= self.stable_after:
                    child.crashes = 0
                delay = self.delay_for(child.crashes)
                child.crashes += 1
                child.restart_at = now + delay
                self.say(
                    f"{child.name} exited with {_exit_description(process.returncode)}; "
                    f"restarting in {delay:g}s"
                )
            elif child.restart_at is not None and now >= child.restart_at:
                self.start(child)
                child.restarts += 1
                assert child.process is not None
                self.say(f"{child.name} restarted (pid {child.process.pid})")
            elif child.restart_at is None and not child.healthy and child.health_url is not None:
                if _is_healthy(child.health_url, timeout=0.5):
                    child.healthy = True
                    self.say(f"{child.name} is healthy again")

    def stop(self) -> None:
        """SIGTERM in reverse start order (gateway first), then SIGKILL whatever is still there after 10 s."""
        running = [c.process for c in reversed(self.children) if c.process is not None]
        for proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(args: argparse.Namespace) -> int:
    from gateway.config import load_config

    config = load_config(args.config)
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)  # `up` is the local, SQLite system
    env.setdefault("GATEWAY_EXPOSE_QUERY_PLAN", "true")  # GraphiQL shows the plan of the last request
    if not env.get("GATEWAY_JWKS_FILE") and not env.get("GATEWAY_JWKS_URL"):
        from gateway.server.auth.dev_key import dev_auth_env, ensure_dev_key

        env.update(dev_auth_env(ensure_dev_key(data_dir)))  # the key `fedgw token` signs with
    # An event-driven subgraph (``events: nats``) is no process: the gateway reads its subjects itself.
    served = [sub for sub in config.subgraphs if sub.events is None]
    for sub in served:
        env[f"{sub.name.upper()}_URL"] = sub.url  # e.g. orders finds products through PRODUCTS_URL
    bucket = _registry_bucket(args)
    if bucket:
        env["REGISTRY_BUCKET"] = bucket
    supervisor = Supervisor(env)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Ctrl-C must still work.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        services = []
        for sub in served:
            parts = urlsplit(sub.url)
            cmd = [sys.executable, "-m", f"subgraphs.{sub.name}", "--host", parts.hostname or "127.0.0.1"]
            cmd += ["--port", str(parts.port or 80), "--log-level", "warning"]
            services.append(supervisor.start(Child(sub.name, cmd, _health_url(sub.url))))
        for child, sub in zip(services, served, strict=True):
            supervisor.wait_healthy(child, args.timeout)
            assert child.process is not None
            print(f"  {child.name:<10} {sub.url}   (pid {child.process.pid})", flush=True)
        for sub in served:
            if _has_worker(sub.name):
                worker = supervisor.start(
                    Child(f"{sub.name}-worker", [sys.executable, "-m", _worker(sub.name)])
                )
                assert worker.process is not None
                print(f"  {worker.name:<10} relay and consumers   (pid {worker.process.pid})", flush=True)
        gateway_cmd = [sys.executable, "-m", "gateway", "serve", "--config", args.config]
        gateway_cmd += ["--host", args.host, "--port", str(args.port)]
        if bucket:
            gateway_cmd += ["--registry", bucket]
        gateway = supervisor.start(Child("gateway", gateway_cmd, f"http://{args.host}:{args.port}/health"))
        supervisor.wait_healthy(gateway, args.timeout)
        assert gateway.process is not None
        print(f"  {'gateway':<10} http://{args.host}:{args.port}/graphql   (pid {gateway.process.pid})")
        print(f"\nGraphiQL: http://{args.host}:{args.port}/graphql   (Ctrl-C stops everything)", flush=True)
        while True:
            supervisor.tick()
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
