"""Supergraph changes under steady load: does any request fail, and what does a swap cost a request?

Starts, as separate processes, a toy subgraph (``tests/registry/toy_service.py``, variant ``fields``: ``Toy``
with ``f1`` ... ``f40``) and a gateway that follows a fresh registry bucket on the machine's NATS
(``fedgw serve --registry``). The benchmark registers the toy itself, heartbeat included, and every
``--interval`` seconds writes a new SDL for it (``Toy`` with ``f1`` ... ``fN``, one field more each time: an
additive change the gateway accepts), ``--changes`` times, while ``--concurrency`` clients send
``{ toys { id name } }`` one after another. A poller reads ``/ready`` every 20 ms for the generation served.

Prints the requests sent, the failures (anything but a 200 with the data; must be 0), the swaps seen (must
equal ``--changes``), and the latency (p50, p99, max) of the requests that crossed a swap (in flight while a
poll saw the generation change; the window is the poll interval, so this side is conservative) against the
others. Exit status 0 when nothing failed and every change was served. The bucket is deleted at the end.

``python bench/reload.py`` (20 changes, one a second); ``tests/registry/test_reload_bench.py`` runs 3.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.registry.entries import ServiceEntry  # noqa: E402

QUERY = "{ toys { id name } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sdl_with(fields: int) -> str:
    """The toy's SDL with ``f1`` ... ``f<fields>`` only (the process serves all forty)."""
    from strawberry.printer import print_schema

    from tests.registry.toy_service import toy_schema

    sdl = print_schema(toy_schema("fields"))
    return re.sub(r"\n  f(\d+): String!", lambda m: m.group(0) if int(m.group(1)) <= fields else "", sdl)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the process exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up within {timeout}s")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(args: argparse.Namespace, gateway_url: str, ready_url: str, entry: ServiceEntry) -> int:
    import nats

    nc = await nats.connect(args.nats_url, connect_timeout=2)
    kv = await nc.jetstream().key_value(args.bucket)
    current = [entry]
    stop = asyncio.Event()

    async def heartbeat() -> None:
        while not stop.is_set():
            await kv.put(current[0].key, current[0].encode())
            await asyncio.sleep(1.0)

    outcomes: list[tuple[float, float, bool]] = []

    async def client() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = await http.post(gateway_url, json={"query": QUERY})
                    body = response.json()
                    ok = response.status_code == 200 and not body.get("errors") and bool(body["data"]["toys"])
                except Exception:
                    ok = False
                outcomes.append((started, time.monotonic(), ok))

    generations: list[tuple[float, int]] = []

    async def poll() -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while not stop.is_set():
                try:
                    generations.append(
                        (time.monotonic(), int((await http.get(ready_url)).json()["generation"]))
                    )
                except Exception:
                    pass
                await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(heartbeat()), asyncio.create_task(poll())]
    tasks += [asyncio.create_task(client()) for _ in range(args.concurrency)]
    await asyncio.sleep(args.warmup)
    first_generation = generations[-1][1] if generations else 0
    changes_started = time.monotonic()
    for i in range(1, args.changes + 1):
        current[0] = ServiceEntry(
            entry.service, entry.replica, entry.url, sdl_with(i), entry.version, entry.started_at, time.time()
        )
        await kv.put(entry.key, current[0].encode())
        await asyncio.sleep(args.interval)
    await asyncio.sleep(max(1.0, args.interval))
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await kv.delete(entry.key)
    await nc.close()

    # Swap windows: between the last poll that saw generation g and the first that saw g + 1.
    windows: list[tuple[float, float]] = []
    for (t0, g0), (t1, g1) in itertools.pairwise(generations):
        if g1 != g0:
            windows.append((t0, t1))
    swaps = (generations[-1][1] - first_generation) if generations else 0
    crossed, others = [], []
    for started, ended, _ok in outcomes:
        if started < changes_started:
            continue
        latency = (ended - started) * 1000
        hit = any(started < w1 and ended > w0 for w0, w1 in windows)
        (crossed if hit else others).append(latency)
    measured = [o for o in outcomes if o[0] >= changes_started]
    failures = sum(1 for o in measured if not o[2])
    print(
        f"changes:   {args.changes} written, {swaps} swaps served (generation {first_generation} -> "
        f"{generations[-1][1] if generations else '?'})"
    )
    print(
        f"requests:  {len(measured)} over {measured[-1][1] - changes_started:.1f} s with {args.concurrency} clients"
        if measured
        else "requests:  0"
    )
    print(f"failures:  {failures}")
    for name, values in (("crossed a swap", crossed), ("others", others)):
        print(
            f"latency of requests that {name if name != 'others' else 'did not cross one'}: n={len(values)} "
            f"p50={percentile(values, 0.5):.1f} ms p99={percentile(values, 0.99):.1f} ms "
            f"max={max(values, default=float('nan')):.1f} ms"
            + (f" mean={statistics.fmean(values):.1f} ms" if values else "")
        )
    return 0 if failures == 0 and swaps == args.changes else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    args = parser.parse_args()
    if not 1 <= args.changes <= 40:
        parser.error("--changes must be between 1 and 40 (the toy serves forty fields)")
    args.bucket = f"bench_reload_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NATS_URL=args.nats_url, PYTHONUNBUFFERED="1")
    env.pop("REGISTRY_BUCKET", None)  # the benchmark registers the toy itself
    workdir = Path(tempfile.mkdtemp(prefix="bench-reload-"))
    toy_port, gateway_port = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        toy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.registry.toy_service",
                "--variant",
                "fields",
                "--port",
                str(toy_port),
            ],
            env=env,
            cwd=ROOT,
            stdout=(workdir / "toy.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(toy)
        wait_http(f"http://127.0.0.1:{toy_port}/health", toy)
        entry = ServiceEntry(
            "toys",
            "bench-toy",
            f"http://127.0.0.1:{toy_port}/graphql",
            sdl_with(0),
            "bench",
            time.time(),
            time.time(),
        )
        asyncio.run(_register(args, entry))
        gateway_env = dict(env, GATEWAY_REGISTRY_DEBOUNCE="0.1", GATEWAY_REGISTRY_TTL="10")
        gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "serve",
                "--registry",
                args.bucket,
                "--port",
                str(gateway_port),
                "--log-level",
                "warning",
            ],
            env=gateway_env,
            cwd=workdir,
            stdout=(workdir / "gateway.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(gateway)
        ready_url = f"http://127.0.0.1:{gateway_port}/ready"
        wait_http(ready_url, gateway)
        deadline = time.monotonic() + 30
        while httpx.get(ready_url, timeout=5).json().get("status") != "ready":
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not compose the registry within 30 s")
            time.sleep(0.1)
        return asyncio.run(bench(args, f"http://127.0.0.1:{gateway_port}/graphql", ready_url, entry))
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        asyncio.run(_delete_bucket(args))
        print(f"logs: {workdir}")


async def _register(args: argparse.Namespace, entry: ServiceEntry) -> None:
    import nats

    from gateway.registry.store import open_bucket

    nc = await nats.connect(args.nats_url, connect_timeout=2)
    try:
        kv = await open_bucket(nc, args.bucket, ttl=10.0)
        await kv.put(entry.key, entry.encode())
    finally:
        await nc.close()


async def _delete_bucket(args: argparse.Namespace) -> None:
    import nats

    try:
        nc = await nats.connect(args.nats_url, connect_timeout=2)
    except Exception:
        return
    try:
        await nc.jetstream().delete_key_value(args.bucket)
    except Exception:
        pass
    finally:
        await nc.close()


if __name__ == "__main__":
    sys.exit(main())
