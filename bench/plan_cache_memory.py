"""The plan cache's memory: N distinct large documents into a gateway, its RSS before, after and after a clear.

    python bench/plan_cache_memory.py                  # starts a gateway on the demo supergraph itself
    python bench/plan_cache_memory.py --count 180 --size 1900000
    python bench/plan_cache_memory.py --url http://127.0.0.1:4000 --pid 1234   # a gateway already running

Each document is a valid query padded with a distinct comment, so every one is a new cache key; documents over
``plan_cache_max_document_bytes`` are never cached, smaller ones count against ``plan_cache_bytes``. The cache
is cleared by SIGHUP (a supergraph reload empties it). RSS is read from /proc/<pid>/status.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERY = "{ products(first: 5) { edges { node { id name sku } } } }"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_gateway(environ: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, GATEWAY_PORT=str(port), **environ)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--supergraph",
            str(ROOT / "schema" / "supergraph.graphql"),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the gateway did not start")


def document(i: int, size: int) -> str:
    padding = f"# document {i} " + "x" * max(0, size - len(QUERY) - 20)
    return padding + "\n" + QUERY


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=180, help="distinct documents to send")
    parser.add_argument("--size", type=int, default=200_000, help="characters per document")
    parser.add_argument("--url", help="a running gateway (with --pid); default: start one")
    parser.add_argument("--pid", type=int, help="the running gateway's process id")
    args = parser.parse_args()
    process = None
    if args.url:
        if args.pid is None:
            raise SystemExit("--url needs --pid, to read the gateway's memory")
        base, pid = args.url.rstrip("/"), args.pid
    else:
        # Subgraphs need not answer: a document is cached once planned, whatever its execution gives.
        process, base = start_gateway(
            {
                "GATEWAY_LIMITS_HTTP_MAX_REQUEST_BYTES": str(4 * args.size + 10_000),
                "GATEWAY_LIMITS_MAX_DOCUMENT_BYTES": "none",
            }
        )
        pid = process.pid
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            client.post("/graphql", json={"query": QUERY})  # imports and first-use allocations
            before = rss_mib(pid)
            started = time.perf_counter()
            for i in range(args.count):
                client.post("/graphql", json={"query": document(i, args.size)})
            elapsed = time.perf_counter() - started
            after = rss_mib(pid)
            os.kill(pid, signal.SIGHUP)  # a reload empties the plan cache
            time.sleep(2)
            client.get("/health")
            cleared = rss_mib(pid)
        print(f"{args.count} documents of {args.size:,} characters in {elapsed:.1f} s")
        print(f"RSS before        {before:8.1f} MiB")
        print(f"RSS after         {after:8.1f} MiB  (+{after - before:.1f})")
        print(f"RSS after clear   {cleared:8.1f} MiB  (+{cleared - before:.1f})")
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
