"""``up``: run every service and the gateway locally, as separate processes, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["add_parser", "run"]


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
        "--timeout", type=float, default=90.0, help="seconds to wait for each process to be healthy"
    )


def _health_url(graphql_url: str) -> str:
    parts = urlsplit(graphql_url)
    return f"{parts.scheme}://{parts.netloc}/health"


def _wait_healthy(name: str, url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} was not healthy at {url} after {timeout:.0f} s")


def _stop(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM in reverse start order (gateway first), then SIGKILL whatever is still there after 10 s."""
    for _, proc in reversed(processes):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _, proc in reversed(processes):
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
    urls = {s.name: s.url for s in config.subgraphs}
    for name, url in urls.items():
        env[f"{name.upper()}_URL"] = url  # e.g. orders finds products through PRODUCTS_URL
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Ctrl-C must still work.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for sub in config.subgraphs:
            parts = urlsplit(sub.url)
            cmd = [sys.executable, "-m", f"subgraphs.{sub.name}", "--host", parts.hostname or "127.0.0.1"]
            cmd += ["--port", str(parts.port or 80), "--log-level", "warning"]
            processes.append((sub.name, subprocess.Popen(cmd, env=env)))
        for (name, proc), sub in zip(processes, config.subgraphs, strict=True):
            _wait_healthy(name, _health_url(sub.url), proc, args.timeout)
            print(f"  {name:<10} {sub.url}", flush=True)
        gateway_cmd = [sys.executable, "-m", "gateway", "serve", "--config", args.config]
        gateway_cmd += ["--host", args.host, "--port", str(args.port)]
        gateway = subprocess.Popen(gateway_cmd, env=env)
        processes.append(("gateway", gateway))
        _wait_healthy("gateway", f"http://{args.host}:{args.port}/health", gateway, args.timeout)
        print(f"\nGraphiQL: http://{args.host}:{args.port}/graphql   (Ctrl-C stops everything)", flush=True)
        while True:
            for name, proc in processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited unexpectedly with code {proc.returncode}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        _stop(processes)
