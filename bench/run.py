"""Federation gateway benchmark: our gateway side by side with Apollo Gateway and Hive Gateway.

Four static subgraphs (bench/federation/, served by bench/node/subgraphs.mjs with a response cache) answer
every gateway; the gateways run on the same single core, each answer is checked against the one computed from
the data, and the gateways are loaded by wrk at N keep-alive connections in turn, round after round. See bench/README.md. Run from the repository root::

    .venv/bin/python bench/run.py [--gateways ours,apollo,hive] [--variant identical|varying|both]
                                  [--duration 20] [--warmup 5] [--rounds 3] [--connections 50] [--quick]

All traffic stays on 127.0.0.1; every run is bounded by --duration x --rounds per gateway and variant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = BENCH / "node"
SDL_DIR = BENCH / "federation"
SUPERGRAPH = BENCH / "supergraph.graphql"
RESULTS = BENCH / "results"
LOAD_SCRIPT = BENCH / "load.lua"
HOST = "127.0.0.1"
DEFAULT_PORT_BASE = 4400
SUBGRAPHS = ("accounts", "products", "inventory", "reviews")
GATEWAYS = ("ours", "apollo", "hive")
GATEWAY_CORE = 0
LOAD_CORE = 1

sys.path.insert(0, str(BENCH))

from federation.data import DEFAULT_SEED, generate, write  # noqa: E402
from federation.expected import expected_answer  # noqa: E402
from federation.workload import VARIANTS, VARYING_BASE, request_body  # noqa: E402

__all__ = ["Measurement", "main"]


# ---------------------------------------------------------------------------------------------------------------
# processes


class Processes:
    """Every process the benchmark starts, each in its own session so that its whole tree can be stopped."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc)


NICENESS = 0


def pinned(core: int, argv: list[str]) -> list[str]:
    """``argv`` on one core (and at the niceness --nice asked for)."""
    nice = ["nice", "-n", str(NICENESS)] if NICENESS else []
    return [*nice, "taskset", "-c", str(core), *argv]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def http(method: str, url: str, body: bytes | None = None, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(check: Any, timeout: float, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            if check():
                return
        except (OSError, ValueError) as error:
            last = error
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s ({last})")


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples the resident memory of a process tree every 50 ms until stopped; keeps the peak (KiB)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pids, refreshed = tree(self.pid), time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - refreshed > 2:
                pids, refreshed = tree(self.pid), time.monotonic()
            self.peak = max(self.peak, rss_kib(pids))
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------------------------
# setup: peers, data, supergraph, subgraphs


def install_peers(skip: bool) -> None:
    """``npm ci`` in bench/node unless its node_modules matches package-lock.json already."""
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    if skip or (installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime):
        return
    print("installing the npm peers (npm ci in bench/node) ...", flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install -y wrk) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("wrk is needed as the load generator: apt-get install -y wrk")


def subgraph_urls(port_base: int) -> dict[str, str]:
    return {name: f"http://{HOST}:{port_base + 1 + i}/graphql" for i, name in enumerate(SUBGRAPHS)}


def compose(port_base: int, out_dir: Path) -> Path:
    """Compose the subgraphs with @theguild/federation-composition; with the default ports that is
    bench/supergraph.graphql (rewritten if the committed one differs), otherwise a file in ``out_dir``."""
    argv = ["node", "compose.mjs", "--sdl-dir", str(SDL_DIR)]
    for name, url in subgraph_urls(port_base).items():
        argv += ["--url", f"{name}={url}"]
    sdl = subprocess.run(argv, cwd=NODE_DIR, check=True, capture_output=True, text=True).stdout
    if port_base != DEFAULT_PORT_BASE:
        path = out_dir / "supergraph.graphql"
        path.write_text(sdl)
        return path
    if not SUPERGRAPH.exists() or SUPERGRAPH.read_text() != sdl:
        print(f"note: {SUPERGRAPH.relative_to(ROOT)} differed from the composition; rewritten", flush=True)
        SUPERGRAPH.write_text(sdl)
    return SUPERGRAPH


def start_subgraphs(procs: Processes, data: Path, port_base: int, server: str) -> subprocess.Popen[bytes]:
    argv = ["node", "subgraphs.mjs", "--data", str(data), "--sdl-dir", str(SDL_DIR), "--host", HOST]
    argv += ["--server", server]
    for i, name in enumerate(SUBGRAPHS):
        argv += ["--port", f"{name}={port_base + 1 + i}"]
    proc = procs.start("subgraphs", pinned(LOAD_CORE, argv), NODE_DIR, {"NODE_ENV": "production"})
    counts_url = f"http://{HOST}:{port_base + 1}/counts"
    wait_until(lambda: http("GET", counts_url, timeout=2)[0] == 200, 30, proc, "subgraphs")
    return proc


def subgraph_counts(port_base: int) -> dict[str, int]:
    status, body = http("GET", f"http://{HOST}:{port_base + 1}/counts")
    if status != 200:
        raise RuntimeError(f"subgraph counts: HTTP {status}")
    counts: dict[str, int] = json.loads(body)
    return counts


def settle(port_base: int, timeout: float = 15.0) -> dict[str, int]:
    """Subgraph counts once they stop moving: requests a stopped load run left in flight have finished."""
    deadline = time.monotonic() + timeout
    counts = subgraph_counts(port_base)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        again = subgraph_counts(port_base)
        if again == counts:
            break
        counts = again
    return counts


def core_busy_seconds(core: int) -> float:
    """CPU time the core spent busy (all processes), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{core} "):
                ticks = [int(x) for x in line.split()[1:]]
                idle = ticks[3] + ticks[4]
                return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    raise RuntimeError(f"no cpu{core} in /proc/stat")


# ---------------------------------------------------------------------------------------------------------------
# load generation (wrk)


@dataclass
class WrkResult:
    requests: int
    sent: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    error_kinds: dict[str, int]
    cpu_pct: float


def run_wrk(
    wrk: str,
    url: str,
    body_file: Path,
    varying: bool,
    duration: float,
    connections: int,
    threads: int,
    core: int,
) -> WrkResult:
    env = {
        **os.environ,
        "BENCH_BODY": str(body_file),
        "BENCH_VARYING": "1" if varying else "0",
        "BENCH_FIRST_BASE": str(VARYING_BASE),
        "BENCH_THREADS": str(threads),
    }
    argv = pinned(
        core,
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(LOAD_SCRIPT),
            url,
        ],
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # wrk's own CPU share: it must stay well below 100% or the load generator is what is measured
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu_pct = 100 * cpu / (time.monotonic() - started)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(
            f"wrk printed no result (exit {out.returncode}): {out.stderr.strip() or out.stdout.strip()}"
        )
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    seconds = raw["duration_us"] / 1e6
    kinds = ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts", "graphql_errors")
    errors = sum(raw[k] for k in kinds)
    return WrkResult(
        requests=raw["requests"],
        sent=raw["sent"],
        duration_s=seconds,
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=errors,
        error_kinds={k: raw[k] for k in kinds if raw[k]},
        cpu_pct=cpu_pct,
    )


# ---------------------------------------------------------------------------------------------------------------
# gateways


def gateway_port(name: str, port_base: int) -> int:
    return port_base + 10 + GATEWAYS.index(name)


def start_gateway(
    procs: Processes, name: str, supergraph: Path, port_base: int, variant: str
) -> subprocess.Popen[bytes]:
    port = str(gateway_port(name, port_base))
    node_env = {"NODE_ENV": "production", "APOLLO_TELEMETRY_DISABLED": "true"}
    if name == "ours":
        argv = [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--supergraph",
            str(supergraph),
            "--host",
            HOST,
            "--port",
            port,
        ]
        argv += ["--no-graphiql", "--log-level", "warning"]
        return procs.start(f"gateway-ours-{variant}", pinned(GATEWAY_CORE, argv), ROOT)
    if name == "apollo":
        argv = ["node", "apollo-gateway.mjs", "--supergraph", str(supergraph), "--host", HOST, "--port", port]
        return procs.start(f"gateway-apollo-{variant}", pinned(GATEWAY_CORE, argv), NODE_DIR, node_env)
    if name == "hive":
        bin_js = str(NODE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js")
        argv = ["node", bin_js, "supergraph", str(supergraph), "--host", HOST, "--port", port, "--fork", "1"]
        argv += ["--config-path", str(NODE_DIR / "hive-gateway.config.mjs")]
        # in-flight de-duplication only where requests are identical: the varying variant measures it off
        env = {**node_env, "HIVE_DEDUPLICATE": "1" if variant == "identical" else "0"}
        return procs.start(f"gateway-hive-{variant}", pinned(GATEWAY_CORE, argv), NODE_DIR, env)
    raise ValueError(f"unknown gateway {name!r}; expected one of {GATEWAYS}")


def query(url: str, body: bytes) -> tuple[int, Any]:
    status, raw = http("POST", url, body)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")[:300]


def differences(expected: Any, actual: Any, path: str = "", limit: int = 10) -> list[str]:
    """Paths where two JSON values differ (at most ``limit``)."""
    found: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual:
                found.append(f"{path}.{key}: missing")
            elif key not in expected:
                found.append(f"{path}.{key}: unexpected {json.dumps(actual[key])[:80]}")
            else:
                found += differences(expected[key], actual[key], f"{path}.{key}", limit - len(found))
            if len(found) >= limit:
                break
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found.append(f"{path}: {len(actual)} items instead of {len(expected)}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found += differences(e, a, f"{path}[{i}]", limit - len(found))
            if len(found) >= limit:
                break
    elif expected != actual:
        found.append(f"{path}: {json.dumps(actual)[:80]} instead of {json.dumps(expected)[:80]}")
    return found[:limit]


@dataclass
class Measurement:
    """One gateway, one variant, one round."""

    gateway: str
    variant: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_kinds: dict[str, int]
    requests: int
    peak_rss_mib: float
    gateway_cpu_pct: float
    subgraph_requests_per_query: float
    subgraph_cpu_pct: float
    subgraph_rps: float
    other_cpu_pct: float
    wrk_cpu_pct: float


@dataclass
class GatewayState:
    name: str
    proc: subprocess.Popen[bytes] | None = None
    failure: str | None = None
    answer_bytes: int = 0
    fetches_per_query: int = 0
    mismatches: list[str] = field(default_factory=list)


def prepare_gateway(
    procs: Processes, state: GatewayState, supergraph: Path, port_base: int, variant: str
) -> Any:
    """Start a gateway, wait for a correct answer; record its answer size and its subgraph fetches per query."""
    url = f"http://{HOST}:{gateway_port(state.name, port_base)}/graphql"
    body = request_body(variant, 0)
    state.proc = start_gateway(procs, state.name, supergraph, port_base, variant)

    def answers() -> bool:
        status, _ = query(url, body)
        return status == 200

    wait_until(answers, 90, state.proc, f"gateway {state.name}")
    before = subgraph_counts(port_base)
    status, answer = query(url, body)
    after = subgraph_counts(port_base)
    state.fetches_per_query = sum(after.values()) - sum(before.values())
    state.answer_bytes = len(json.dumps(answer, separators=(",", ":")).encode())
    if status != 200 or not isinstance(answer, dict) or answer.get("errors") or "data" not in answer:
        raise RuntimeError(f"gateway {state.name} answered HTTP {status}: {json.dumps(answer)[:300]}")
    return answer


def compare_answers(states: dict[str, GatewayState], answers: dict[str, Any], expected: Any) -> None:
    """Compare every gateway's answer with the one computed from the data (values first, then field order)."""
    for name, answer in answers.items():
        state = states[name]
        state.mismatches = differences(expected, answer)
        if not state.mismatches and json.dumps(expected) != json.dumps(answer):
            # GraphQL spec 7.2.2 (Serialized Map Ordering): fields come in the order of the selection set
            state.mismatches = ["same values, different field order"]


def measure(
    wrk: str,
    state: GatewayState,
    variant: str,
    round_: int,
    args: argparse.Namespace,
    body_file: Path,
    subgraph_pid: int,
) -> Measurement:
    assert state.proc is not None
    url = f"http://{HOST}:{gateway_port(state.name, args.port_base)}/graphql"
    varying = variant == "varying"
    if args.warmup > 0:
        run_wrk(wrk, url, body_file, varying, args.warmup, args.connections, args.threads, LOAD_CORE)
    # requests the warm-up left in flight finish first, so they are counted in neither window
    before_counts = settle(args.port_base)
    gateway_pids = tree(state.proc.pid)
    before_gw, before_sg = cpu_seconds(gateway_pids), cpu_seconds([subgraph_pid])
    before_core, started = core_busy_seconds(GATEWAY_CORE), time.monotonic()
    with PeakRss(state.proc.pid) as rss:
        result = run_wrk(
            wrk, url, body_file, varying, args.duration, args.connections, args.threads, LOAD_CORE
        )
    elapsed = time.monotonic() - started
    gw_cpu = cpu_seconds(tree(state.proc.pid)) - before_gw
    sg_cpu = cpu_seconds([subgraph_pid]) - before_sg
    other_cpu = max(0.0, core_busy_seconds(GATEWAY_CORE) - before_core - gw_cpu)
    during = sum(subgraph_counts(args.port_base).values()) - sum(before_counts.values())
    after_counts = settle(args.port_base)
    # wrk stops with requests outstanding, which the gateway still resolves: divide by the requests sent
    sent = max(result.sent, 1)
    subgraph_requests = sum(after_counts.values()) - sum(before_counts.values())
    return Measurement(
        gateway=state.name,
        variant=variant,
        round=round_,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        error_kinds=result.error_kinds,
        requests=result.requests,
        peak_rss_mib=rss.peak / 1024,
        gateway_cpu_pct=100 * gw_cpu / elapsed,
        subgraph_requests_per_query=subgraph_requests / sent,
        subgraph_cpu_pct=100 * sg_cpu / elapsed,
        subgraph_rps=during / elapsed,
        other_cpu_pct=100 * other_cpu / elapsed,
        wrk_cpu_pct=result.cpu_pct,
    )


# ---------------------------------------------------------------------------------------------------------------
# subgraph capacity


CAPACITY_QUERY = (
    "query($representations:[_Any!]!){_entities(representations:$representations)"
    "{...on User{reviews{id body product{__typename upc}}}}}"
)


@dataclass
class Capacity:
    """What one subgraph answers on one core: requests/s, answer bytes, its CPU share and wrk's meanwhile."""

    rps: float
    answer_bytes: int
    subgraph_cpu_pct: float
    wrk_cpu_pct: float

    @property
    def rps_per_core(self) -> float:
        """Requests/s the subgraph process would answer with a whole core: on a shared machine it may get less."""
        return self.rps / max(self.subgraph_cpu_pct / 100, 0.01)


def subgraph_capacity(
    wrk: str, port_base: int, work: Path, duration: float, connections: int, subgraph_pid: int
) -> Capacity:
    """Requests/s the reviews subgraph answers for a cached _entities request, the whole process on one core."""
    body = json.dumps(
        {
            "query": CAPACITY_QUERY,
            "variables": {"representations": [{"__typename": "User", "id": str(n)} for n in range(1, 7)]},
        }
    ).encode()
    body_file = work / "capacity.json"
    body_file.write_bytes(body)
    url = subgraph_urls(port_base)["reviews"]
    status, answer = http("POST", url, body)
    if status != 200:
        raise RuntimeError(f"reviews subgraph answered HTTP {status}: {answer[:200]!r}")
    # wrk on the gateways' core (idle now), so that the subgraph process has its core to itself
    before = cpu_seconds([subgraph_pid])
    started = time.monotonic()
    result = run_wrk(wrk, url, body_file, False, duration, connections, 1, GATEWAY_CORE)
    cpu_pct = 100 * (cpu_seconds([subgraph_pid]) - before) / (time.monotonic() - started)
    if result.errors:
        raise RuntimeError(f"subgraph capacity run had {result.errors} errors")
    return Capacity(result.rps, len(answer), cpu_pct, result.cpu_pct)


# ---------------------------------------------------------------------------------------------------------------
# report


def summarise(measurements: list[Measurement], gateway: str, variant: str) -> dict[str, float] | None:
    runs = [m for m in measurements if m.gateway == gateway and m.variant == variant]
    if not runs:
        return None
    return {
        "rps": statistics.median(m.rps for m in runs),
        "rps_min": min(m.rps for m in runs),
        "rps_max": max(m.rps for m in runs),
        "p50_ms": statistics.median(m.p50_ms for m in runs),
        "p99_ms": statistics.median(m.p99_ms for m in runs),
        "errors": sum(m.errors for m in runs),
        "requests": sum(m.requests for m in runs),
        "peak_rss_mib": max(m.peak_rss_mib for m in runs),
        "gateway_cpu_pct": statistics.median(m.gateway_cpu_pct for m in runs),
        "per_cpu_s": statistics.median(m.rps / max(m.gateway_cpu_pct / 100, 0.01) for m in runs),
        "sg_per_query": statistics.median(m.subgraph_requests_per_query for m in runs),
        "sg_cpu_pct": statistics.median(m.subgraph_cpu_pct for m in runs),
        "sg_rps": statistics.median(m.subgraph_rps for m in runs),
        "other_cpu_pct": max(m.other_cpu_pct for m in runs),
        "wrk_cpu_pct": max(m.wrk_cpu_pct for m in runs),
    }


def print_table(
    measurements: list[Measurement],
    states: dict[str, dict[str, GatewayState]],
    variant: str,
    capacity: float,
) -> dict[str, dict[str, float]]:
    names = list(states[variant])
    print(f"\n== variant: {variant} ==")
    header = (
        f"{'gateway':<8} {'req/s':>8} {'(min-max)':>13} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'RSS MiB':>8} "
        f"{'gw CPU%':>7} {'req/CPU-s':>9} {'other%':>6} {'wrk%':>5} {'sg req/q':>8} {'sg CPU%':>7} {'headroom':>8}"
    )
    print(header)
    print("-" * len(header))
    summaries: dict[str, dict[str, float]] = {}
    for name in names:
        state = states[variant][name]
        s = summarise(measurements, name, variant)
        if s is None:
            print(f"{name:<8} not measured: {state.failure}")
            continue
        summaries[name] = s
        headroom = capacity / s["sg_rps"] if s["sg_rps"] else float("inf")
        span = f"{s['rps_min']:.0f}-{s['rps_max']:.0f}"
        print(
            f"{name:<8} {s['rps']:>8.1f} {span:>13} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['errors']:>7.0f} "
            f"{s['peak_rss_mib']:>8.1f} {s['gateway_cpu_pct']:>7.0f} {s['per_cpu_s']:>9.1f} {s['other_cpu_pct']:>6.0f} "
            f"{s['wrk_cpu_pct']:>5.0f} {s['sg_per_query']:>8.2f} "
            f"{s['sg_cpu_pct']:>7.1f} {headroom:>7.0f}x"
        )
    for name in names:
        state = states[variant][name]
        if state.answer_bytes:
            if state.mismatches:
                same = f"DIFFERS from the expected answer: {'; '.join(state.mismatches)}"
            else:
                same = "the expected answer"
            print(
                f"  {name}: answer {state.answer_bytes} bytes, {state.fetches_per_query} subgraph requests "
                f"for one query alone, {same}"
            )
    if "ours" in summaries:
        ours = summaries["ours"]
        for peer in (n for n in names if n != "ours" and n in summaries):
            p = summaries[peer]

            def ratio(key: str, ours: dict[str, float] = ours, p: dict[str, float] = p) -> str:
                return f"x{ours[key] / p[key]:.2f}" if p[key] else "n/a"

            print(
                f"  ours/{peer}: req/s {ratio('rps')}, req/CPU-s {ratio('per_cpu_s')}, p50 {ratio('p50_ms')}, "
                f"p99 {ratio('p99_ms')}, RSS {ratio('peak_rss_mib')}"
            )
    return summaries


# ---------------------------------------------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", default=",".join(GATEWAYS), help="comma-separated: ours,apollo,hive")
    parser.add_argument("--variant", choices=(*VARIANTS, "both"), default="both")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per gateway and round")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; gateways alternate within each round")
    parser.add_argument("--connections", type=int, default=50, help="concurrent keep-alive connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (on the load core)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 round of 3 s after a 1 s warm-up")
    parser.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        help="subgraphs on base+1..4, gateways base+10..12",
    )
    parser.add_argument(
        "--subgraph-server",
        choices=("raw", "node"),
        default="raw",
        help="the subgraphs' HTTP layer: a minimal one over node:net (fastest) or node:http",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the subgraph data")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the gateways, subgraphs and wrk (negative, as root, to shield them from other load)",
    )
    parser.add_argument("--skip-install", action="store_true", help="do not run npm ci in bench/node")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 3.0, 1.0, 1
    args.gateway_list = [g.strip() for g in args.gateways.split(",") if g.strip()]
    unknown = [g for g in args.gateway_list if g not in GATEWAYS]
    if unknown or not args.gateway_list:
        parser.error(f"--gateways: unknown {unknown}; expected names from {GATEWAYS}")
    if not (1 <= args.connections <= 1000 and 0 < args.duration <= 600 and 1 <= args.rounds <= 20):
        parser.error("bounds: 1 <= connections <= 1000, 0 < duration <= 600, 1 <= rounds <= 20")
    return args


def main(argv: list[str] | None = None) -> int:
    global NICENESS
    args = parse_args(argv)
    NICENESS = args.nice
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two cores: one for the gateway, one for the subgraphs and the load generator")
    os.sched_setaffinity(0, {LOAD_CORE})
    variants = list(VARIANTS) if args.variant == "both" else [args.variant]
    ports = [args.port_base + 1 + i for i in range(len(SUBGRAPHS))] + [
        gateway_port(g, args.port_base) for g in GATEWAYS
    ]
    busy = [p for p in ports if not port_free(p)]
    if busy:
        raise SystemExit(f"ports in use: {busy} (choose another --port-base)")

    install_peers(args.skip_install)
    wrk = ensure_wrk()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    work = RESULTS / stamp
    work.mkdir(parents=True, exist_ok=True)
    data = write(work / "data.json", args.seed)
    supergraph = compose(args.port_base, work)
    procs = Processes(work)

    def interrupted(signum: int, frame: object) -> None:
        procs.stop_all()
        sys.exit(130)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)

    measurements: list[Measurement] = []
    states: dict[str, dict[str, GatewayState]] = {}
    summaries: dict[str, dict[str, dict[str, float]]] = {}
    try:
        subgraphs = start_subgraphs(procs, data, args.port_base, args.subgraph_server)
        measured = subgraph_capacity(
            wrk, args.port_base, work, 2.0 if args.quick else 5.0, args.connections, subgraphs.pid
        )
        capacity = measured.rps_per_core
        print(
            f"subgraph capacity: {measured.rps:,.0f} req/s using {measured.subgraph_cpu_pct:.0f}% of one core, "
            f"so {capacity:,.0f} req/s per core (reviews _entities for 6 users, {measured.answer_bytes} byte "
            f"answers, {args.connections} connections, cached; wrk CPU {measured.wrk_cpu_pct:.0f}%)",
            flush=True,
        )
        for variant in variants:
            body_file = work / f"body-{variant}.json"
            template = request_body(variant, 0)
            if variant == "varying":
                first = json.loads(template)["variables"]["first"]
                template = template.replace(f'"first": {first}'.encode(), b'"first": __FIRST__')
            body_file.write_bytes(template)
            states[variant] = {name: GatewayState(name) for name in args.gateway_list}
            answers: dict[str, Any] = {}
            for name, state in states[variant].items():
                try:
                    answers[name] = prepare_gateway(procs, state, supergraph, args.port_base, variant)
                except RuntimeError as error:
                    state.failure = str(error)
                    print(f"[{variant}] {name}: not measured: {error}", flush=True)
                    if state.proc is not None:
                        procs.stop(state.proc)
                        state.proc = None
            first = json.loads(request_body(variant, 0)).get("variables", {}).get("first")
            compare_answers(states[variant], answers, expected_answer(generate(args.seed), first))
            for round_ in range(1, args.rounds + 1):
                for name, state in states[variant].items():
                    if state.proc is None:
                        continue
                    try:
                        m = measure(wrk, state, variant, round_, args, body_file, subgraphs.pid)
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        state.failure = f"round {round_}: {error}"
                        print(f"[{variant}] {name}: {state.failure}", flush=True)
                        continue
                    measurements.append(m)
                    if m.requests == 0:
                        print(
                            f"[{variant}] {name}: no request completed in {args.duration:.0f} s", flush=True
                        )
                    print(
                        f"[{variant}] round {round_} {name:<6} {m.rps:8.1f} req/s  p50 {m.p50_ms:7.1f} ms  "
                        f"p99 {m.p99_ms:7.1f} ms  errors {m.errors}{m.error_kinds or ''}  RSS {m.peak_rss_mib:6.1f} MiB  "
                        f"gw CPU {m.gateway_cpu_pct:3.0f}%  other {m.other_cpu_pct:3.0f}%  sg {m.subgraph_requests_per_query:.2f} req/q "
                        f"{m.subgraph_cpu_pct:4.1f}% CPU",
                        flush=True,
                    )
            for state in states[variant].values():
                if state.proc is not None:
                    procs.stop(state.proc)
                    state.proc = None
            summaries[variant] = print_table(measurements, states, variant, capacity)
    finally:
        procs.stop_all()

    report = {
        "args": {k: v for k, v in vars(args).items()},
        "subgraph_capacity": {**asdict(measured), "rps_per_core": measured.rps_per_core},
        "measurements": [asdict(m) for m in measurements],
        "summaries": summaries,
        "gateways": {
            v: {n: {k: x for k, x in asdict(s).items() if k != "proc"} for n, s in by_name.items()}
            for v, by_name in states.items()
        },
    }
    (work / "report.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"\nlogs and report.json: {work.relative_to(ROOT)}")
    failed = any(s.failure or s.mismatches for by_name in states.values() for s in by_name.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
