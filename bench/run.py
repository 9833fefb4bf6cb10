"""Federation gateway benchmark: our gateway side by side with Grafbase, Hive Gateway and Apollo Gateway.

The public federation gateway benchmark's four subgraphs, data and operation (bench/federation/, served by
bench/node/subgraphs.mjs with a response cache) answer every gateway; each gateway runs alone on one core, its
answer is checked against the one computed from the data, and the gateways are loaded in turn, round after
round, at N keep-alive connections from the other core. Three loads: varying requests with each gateway's
published configuration, varying requests with every de-duplication off, identical requests. See
bench/README.md. Run from the repository root::

    .venv/bin/python bench/run.py [--gateways ours,grafbase,hive,apollo] [--loads varying,varying-nodedup,identical]
                                  [--duration 20] [--warmup 5] [--rounds 3] [--connections 50] [--quick]
                                  [--ours-workers 1,2]

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
GRAFBASE_DIR = BENCH / "grafbase"
GRAFBASE_BIN = GRAFBASE_DIR / "node_modules" / "@grafbase" / "cli-x86_64-unknown-linux-musl" / "grafbase"
SUBGRAPHS = ("accounts", "products", "inventory", "reviews")
GATEWAYS = ("ours", "grafbase", "hive", "apollo")


@dataclass(frozen=True)
class Load:
    """One load: which requests the load tool sends, and whether the gateways keep their de-duplication."""

    name: str
    variant: str
    deduplicate: bool
    title: str


LOADS = {
    load.name: load
    for load in (
        Load("varying", "varying", True, "varying requests, each gateway's published configuration"),
        Load("varying-nodedup", "varying", False, "varying requests, every de-duplication off"),
        Load("identical", "identical", True, "identical requests, each gateway's published configuration"),
    )
}
# what "every de-duplication off" switches, per gateway (printed with the load)
NODEDUP_SWITCHES = {
    "ours": "GATEWAY_DEDUPLICATE_INFLIGHT=0 (identical client queries and identical subgraph requests in flight)",
    "grafbase": "[traffic_shaping] inflight_deduplication = false (identical subgraph requests in flight)",
    "hive": "inboundInflightRequestDeduplication: false, deduplicateInflightRequests: false (client, subgraph)",
    "apollo": "nothing to switch: Apollo Gateway de-duplicates neither",
}
GATEWAY_CORE = 0
LOAD_CORE = 1

sys.path.insert(0, str(BENCH))

from federation.data import generate, write  # noqa: E402
from federation.expected import expected_answer  # noqa: E402
from federation.workload import VARYING_BASE, request_body  # noqa: E402

__all__ = ["LOADS", "Load", "Measurement", "main"]


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


def pinned(cores: int | list[int], argv: list[str]) -> list[str]:
    """``argv`` on one core or a list of them (and at the niceness --nice asked for)."""
    nice = ["nice", "-n", str(NICENESS)] if NICENESS else []
    listed = ",".join(str(c) for c in ([cores] if isinstance(cores, int) else cores))
    return [*nice, "taskset", "-c", listed, *argv]


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
    """``npm ci`` in bench/node and bench/grafbase unless node_modules matches package-lock.json already."""
    for directory in (NODE_DIR, GRAFBASE_DIR):
        installed = directory / "node_modules" / ".package-lock.json"
        lock = directory / "package-lock.json"
        if skip or (installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime):
            continue
        print(f"installing the npm peers (npm ci in {directory.relative_to(ROOT)}) ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=directory, check=True
        )


def load_tool(choice: str) -> list[str]:
    """The load generator's command: wrk with bench/load.lua, or autocannon (bench/node/load.mjs) without wrk."""
    wrk = shutil.which("wrk")
    if choice == "wrk" or (choice == "auto" and wrk):
        if not wrk:
            raise SystemExit("--load-tool wrk: wrk is not installed (apt-get install -y wrk)")
        return [wrk]
    return ["node", str(NODE_DIR / "load.mjs")]


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


def settle(port_base: int, timeout: float = 15.0, quiet: float = 1.0) -> dict[str, int]:
    """Subgraph counts once they have not moved for ``quiet`` seconds: requests a stopped load run left in flight
    have finished (a slow gateway on a busy core can pause between the fetches of one query)."""
    deadline = time.monotonic() + timeout
    counts, since = subgraph_counts(port_base), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.25)
        again = subgraph_counts(port_base)
        if again != counts:
            counts, since = again, time.monotonic()
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
# load generation (wrk, or autocannon without it)


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


def run_load(
    tool: list[str],
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
    seconds_ = str(max(1, round(duration)))
    if Path(tool[0]).name == "wrk":
        command = [*tool, f"-t{threads}", f"-c{connections}", f"-d{seconds_}s", "--timeout", "10s"]
        command += ["-s", str(LOAD_SCRIPT), url]
    else:
        command = [*tool, "--url", url, "--connections", str(connections), "--duration", seconds_]
        command += ["--timeout", "10"]
    argv = pinned(core, command)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the load tool's own CPU share: it must stay well below 100% or the load generator is what is measured
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu_pct = 100 * cpu / (time.monotonic() - started)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(
            f"the load tool printed no result (exit {out.returncode}): "
            f"{(out.stderr.strip() or out.stdout.strip())[-500:]}"
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


def ours_workers(name: str) -> int | None:
    """The worker processes of one of our gateway's entries (``ours``: 1, ``ours-w2``: 2), None for a peer."""
    if name == "ours":
        return 1
    if name.startswith("ours-w") and name[6:].isdigit():
        return int(name[6:])
    return None


def gateway_cores(name: str) -> list[int]:
    """Where a gateway runs: the gateway core, or both cores for ours with several workers.

    One process can use one core at a time, so a gateway of N workers on the gateway core alone would only
    split that core N ways; on both cores the workers may take what the load tool and the subgraphs leave of
    the second one, which is the question a second worker answers on a two-core machine."""
    workers = ours_workers(name)
    return [GATEWAY_CORE, LOAD_CORE] if workers is not None and workers > 1 else [GATEWAY_CORE]


def gateway_port(name: str, port_base: int) -> int:
    workers = ours_workers(name)
    if workers is not None and workers > 1:
        return port_base + 20 + workers
    return port_base + 10 + GATEWAYS.index(name)


def grafbase_config(work: Path, port_base: int, deduplicate: bool) -> Path:
    """A grafbase.toml for ``grafbase dev`` in its own directory: each subgraph's URL and a copy of its SDL."""
    directory = work / ("grafbase" if deduplicate else "grafbase-nodedup")
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, url in subgraph_urls(port_base).items():
        shutil.copyfile(SDL_DIR / f"{name}.graphql", directory / f"{name}.graphql")
        lines += [f"[subgraphs.{name}]", f'url = "{url}"', f'schema_path = "{name}.graphql"', ""]
    if not deduplicate:
        lines += ["[traffic_shaping]", "inflight_deduplication = false", ""]
    path = directory / "grafbase.toml"
    path.write_text("\n".join(lines))
    return path


def start_gateway(
    procs: Processes, name: str, supergraph: Path, port_base: int, load: Load, work: Path
) -> subprocess.Popen[bytes]:
    """Start one gateway on the gateway core, configured as ``load`` asks (de-duplication on or off)."""
    port = str(gateway_port(name, port_base))
    node_env = {"NODE_ENV": "production", "APOLLO_TELEMETRY_DISABLED": "true"}
    log = f"gateway-{name}-{load.name}"
    workers = ours_workers(name)
    if workers is not None:
        argv = [sys.executable, "-m", "gateway", "serve", "--supergraph", str(supergraph), "--host", HOST]
        argv += ["--port", port, "--no-graphiql", "--log-level", "warning"]
        if workers > 1:
            argv += ["--workers", str(workers)]
        env = {} if load.deduplicate else {"GATEWAY_DEDUPLICATE_INFLIGHT": "0"}
        return procs.start(log, pinned(gateway_cores(name), argv), ROOT, env)
    if name == "grafbase":
        config = grafbase_config(work, port_base, load.deduplicate)
        home = config.parent / "home"
        home.mkdir(exist_ok=True)
        argv = [str(GRAFBASE_BIN), "--home", str(home), "dev", "--config", str(config)]
        argv += ["--listen-address", f"{HOST}:{port}"]
        return procs.start(log, pinned(GATEWAY_CORE, argv), config.parent, {"HOME": str(home)})
    if name == "apollo":
        argv = ["node", "apollo-gateway.mjs", "--supergraph", str(supergraph), "--host", HOST, "--port", port]
        return procs.start(log, pinned(GATEWAY_CORE, argv), NODE_DIR, node_env)
    if name == "hive":
        bin_js = str(NODE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js")
        argv = ["node", bin_js, "supergraph", str(supergraph), "--host", HOST, "--port", port, "--fork", "1"]
        argv += ["--jit", "--config-path", str(NODE_DIR / "hive-gateway.config.mjs")]
        env = {**node_env, "HIVE_DEDUPLICATE": "1" if load.deduplicate else "0"}
        return procs.start(log, pinned(GATEWAY_CORE, argv), NODE_DIR, env)
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
    """One gateway, one load, one round."""

    gateway: str
    load: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_kinds: dict[str, int]
    requests: int
    peak_rss_mib: float
    gateway_cpu_pct: float
    cpu_ms_per_query: float
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
    procs: Processes, state: GatewayState, supergraph: Path, port_base: int, load: Load, work: Path
) -> Any:
    """Start a gateway, wait until it answers; record its answer size and its subgraph fetches for one query."""
    url = f"http://{HOST}:{gateway_port(state.name, port_base)}/graphql"
    body = request_body(load.variant, 0)
    state.proc = start_gateway(procs, state.name, supergraph, port_base, load, work)

    def answers() -> bool:
        status, _ = query(url, body)
        return status == 200

    wait_until(answers, 120, state.proc, f"gateway {state.name}")
    time.sleep(0.5)
    before = settle(port_base)
    status, answer = query(url, body)
    after = settle(port_base)
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
    tool: list[str],
    state: GatewayState,
    load: Load,
    round_: int,
    args: argparse.Namespace,
    body_file: Path,
    subgraph_pid: int,
) -> Measurement:
    assert state.proc is not None
    url = f"http://{HOST}:{gateway_port(state.name, args.port_base)}/graphql"
    varying = load.variant == "varying"
    if args.warmup > 0:
        run_load(tool, url, body_file, varying, args.warmup, args.connections, args.threads, LOAD_CORE)
    # requests the warm-up left in flight finish first, so they are counted in neither window
    before_counts = settle(args.port_base)
    gateway_pids = tree(state.proc.pid)
    before_gw, before_sg = cpu_seconds(gateway_pids), cpu_seconds([subgraph_pid])
    cores = gateway_cores(state.name)
    before_core, started = sum(core_busy_seconds(c) for c in cores), time.monotonic()
    with PeakRss(state.proc.pid) as rss:
        result = run_load(
            tool, url, body_file, varying, args.duration, args.connections, args.threads, LOAD_CORE
        )
    elapsed = time.monotonic() - started
    gw_cpu = cpu_seconds(tree(state.proc.pid)) - before_gw
    sg_cpu = cpu_seconds([subgraph_pid]) - before_sg
    busy = sum(core_busy_seconds(c) for c in cores) - before_core
    # On both cores the load tool and the subgraphs are no noise: they are what the gateway shares them with.
    ours_too = result.cpu_pct * elapsed / 100 + sg_cpu if LOAD_CORE in cores else 0.0
    other_cpu = max(0.0, busy - gw_cpu - ours_too)
    during = sum(subgraph_counts(args.port_base).values()) - sum(before_counts.values())
    after_counts = settle(args.port_base)
    # the load tool stops with requests outstanding, which the gateway still resolves: divide by those sent
    sent = max(result.sent, 1)
    subgraph_requests = sum(after_counts.values()) - sum(before_counts.values())
    return Measurement(
        gateway=state.name,
        load=load.name,
        round=round_,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        error_kinds=result.error_kinds,
        requests=result.requests,
        peak_rss_mib=rss.peak / 1024,
        gateway_cpu_pct=100 * gw_cpu / elapsed,
        # CPU of the gateway per completed query; requests still in flight at the end make it slightly high
        cpu_ms_per_query=1000 * gw_cpu / result.requests if result.requests else float("inf"),
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
    """What one subgraph answers on one core: requests/s, answer bytes, its CPU share and the load tool's meanwhile."""

    rps: float
    answer_bytes: int
    subgraph_cpu_pct: float
    wrk_cpu_pct: float

    @property
    def rps_per_core(self) -> float:
        """Requests/s the subgraph process would answer with a whole core: on a shared machine it may get less."""
        return self.rps / max(self.subgraph_cpu_pct / 100, 0.01)


def subgraph_capacity(
    tool: list[str], port_base: int, work: Path, duration: float, connections: int, subgraph_pid: int
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
    # the load tool on the gateways' core (idle now), so that the subgraph process has its core to itself
    before = cpu_seconds([subgraph_pid])
    started = time.monotonic()
    result = run_load(tool, url, body_file, False, duration, connections, 1, GATEWAY_CORE)
    cpu_pct = 100 * (cpu_seconds([subgraph_pid]) - before) / (time.monotonic() - started)
    if result.errors:
        raise RuntimeError(f"subgraph capacity run had {result.errors} errors")
    return Capacity(result.rps, len(answer), cpu_pct, result.cpu_pct)


# ---------------------------------------------------------------------------------------------------------------
# report


def summarise(runs: list[Measurement]) -> dict[str, float]:
    """Medians over rounds (peak RSS: the highest; errors: the sum)."""
    return {
        "rps": statistics.median(m.rps for m in runs),
        "rps_min": min(m.rps for m in runs),
        "rps_max": max(m.rps for m in runs),
        "cpu_ms": statistics.median(m.cpu_ms_per_query for m in runs),
        "p50_ms": statistics.median(m.p50_ms for m in runs),
        "p99_ms": statistics.median(m.p99_ms for m in runs),
        "errors": sum(m.errors for m in runs),
        "requests": sum(m.requests for m in runs),
        "peak_rss_mib": max(m.peak_rss_mib for m in runs),
        "gateway_cpu_pct": statistics.median(m.gateway_cpu_pct for m in runs),
        "sg_per_query": statistics.median(m.subgraph_requests_per_query for m in runs),
        "sg_cpu_pct": statistics.median(m.subgraph_cpu_pct for m in runs),
        "sg_rps": statistics.median(m.subgraph_rps for m in runs),
        "other_cpu_pct": max(m.other_cpu_pct for m in runs),
        "wrk_cpu_pct": max(m.wrk_cpu_pct for m in runs),
    }


HEADER = (
    f"{'gateway':<9} {'req/s':>8} {'(min-max)':>11} {'CPU ms/q':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>7} "
    f"{'RSS MiB':>8} {'sg req/q':>8} {'errors':>6} {'gw CPU%':>7} {'other%':>6} {'load%':>5} {'headroom':>8}"
)


def table_row(name: str, s: dict[str, float], capacity: float) -> str:
    headroom = capacity / s["sg_rps"] if s["sg_rps"] else float("inf")
    span = f"{s['rps_min']:.0f}-{s['rps_max']:.0f}"
    spread = s["p99_ms"] / s["p50_ms"] if s["p50_ms"] else float("inf")
    return (
        f"{name:<9} {s['rps']:>8.1f} {span:>11} {s['cpu_ms']:>8.2f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} "
        f"{spread:>7.2f} {s['peak_rss_mib']:>8.1f} {s['sg_per_query']:>8.2f} {s['errors']:>6.0f} "
        f"{s['gateway_cpu_pct']:>7.0f} {s['other_cpu_pct']:>6.0f} {s['wrk_cpu_pct']:>5.0f} {headroom:>7.0f}x"
    )


def format_ratio(a: float, b: float) -> str:
    """``a / b`` as ``x1.23`` (four decimals below 0.1, so that small ratios do not print as zero)."""
    if not b or b == float("inf") or a == float("inf"):
        return "n/a"
    r = a / b
    return f"x{r:.2f}" if r >= 0.1 else f"x{r:.4f}"


def ratio_lines(summaries: dict[str, dict[str, float]]) -> list[str]:
    """ours/peer for every measured peer: above 1 is better for ours in req/s, below 1 in the others."""
    if "ours" not in summaries:
        return []
    ours = summaries["ours"]
    lines = []
    for peer, p in summaries.items():
        if ours_workers(peer) is not None:
            continue

        def ratio(key: str, p: dict[str, float] = p) -> str:
            return format_ratio(ours[key], p[key])

        lines.append(
            f"  ours/{peer}: req/s {ratio('rps')}, CPU ms/q {ratio('cpu_ms')}, p50 {ratio('p50_ms')}, "
            f"p99 {ratio('p99_ms')}, RSS {ratio('peak_rss_mib')}, sg req/q {ratio('sg_per_query')}"
        )
    for name, w in summaries.items():
        if name == "ours" or ours_workers(name) is None:
            continue

        def versus_one(key: str, w: dict[str, float] = w) -> str:
            return format_ratio(w[key], ours[key])

        lines.append(
            f"  {name}/ours: req/s {versus_one('rps')}, CPU ms/q {versus_one('cpu_ms')}, "
            f"p50 {versus_one('p50_ms')}, p99 {versus_one('p99_ms')}, RSS {versus_one('peak_rss_mib')} "
            f"(workers on cores {','.join(map(str, gateway_cores(name)))}, one worker on core {GATEWAY_CORE})"
        )
    return lines


def print_table(
    title: str, measurements: list[Measurement], names: list[str], capacity: float
) -> dict[str, dict[str, float]]:
    print(title)
    print(HEADER)
    print("-" * len(HEADER))
    summaries: dict[str, dict[str, float]] = {}
    for name in names:
        runs = [m for m in measurements if m.gateway == name]
        if not runs:
            continue
        summaries[name] = summarise(runs)
        print(table_row(name, summaries[name], capacity))
    for line in ratio_lines(summaries):
        print(line)
    return summaries


def target_lines(load: Load, summaries: dict[str, dict[str, float]]) -> list[str]:
    """The issue's targets for ours, from the medians of this run: met, or how far below."""
    if "ours" not in summaries:
        return []
    ours = summaries["ours"]
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "BELOW TARGET"

    def against_grafbase(least: float) -> None:
        grafbase = summaries.get("grafbase")
        if not grafbase:
            return
        r = ours["rps"] / grafbase["rps"] if grafbase["rps"] else float("inf")
        lines.append(f"  target req/s ours/grafbase >= {least:g}: x{r:.2f}, {verdict(r >= least)}")
        # the same per second of CPU: what each would serve with the core to itself, whatever else ran on it
        c = grafbase["cpu_ms"] / ours["cpu_ms"] if ours["cpu_ms"] else float("inf")
        lines.append(f"  target req/CPU-s ours/grafbase >= {least:g}: x{c:.2f}, {verdict(c >= least)}")

    if load.variant == "varying":
        against_grafbase(1)
        spread = ours["p99_ms"] / ours["p50_ms"] if ours["p50_ms"] else float("inf")
        lines.append(f"  target ours p99 < 1.5 x p50: x{spread:.2f}, {verdict(spread < 1.5)}")
        rss = ours["peak_rss_mib"] * 1024 * 1024 / 1e6
        lines.append(f"  target ours peak RSS < 100 MB: {rss:.1f} MB, {verdict(rss < 100)}")
    else:
        against_grafbase(3)
    return lines


# ---------------------------------------------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gateways", default=",".join(GATEWAYS), help="comma-separated: " + ",".join(GATEWAYS)
    )
    parser.add_argument("--loads", default=",".join(LOADS), help="comma-separated: " + ",".join(LOADS))
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per gateway and round")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; gateways alternate within each round")
    parser.add_argument("--connections", type=int, default=50, help="concurrent keep-alive connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (on the load core)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 round of 3 s after a 1 s warm-up")
    parser.add_argument(
        "--load-tool",
        choices=("auto", "wrk", "autocannon"),
        default="auto",
        help="wrk with bench/load.lua, or autocannon (bench/node/load.mjs); auto: wrk when installed",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        help="subgraphs on base+1..4, gateways base+10..13",
    )
    parser.add_argument(
        "--subgraph-server",
        choices=("raw", "node"),
        default="raw",
        help="the subgraphs' HTTP layer: a minimal one over node:net (fastest) or node:http",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the gateways, subgraphs and load tool (negative, as root, to shield them from other load)",
    )
    parser.add_argument(
        "--skip-install", action="store_true", help="do not run npm ci in bench/node, bench/grafbase"
    )
    parser.add_argument(
        "--ours-workers",
        default="1",
        help="comma-separated worker counts to run ours with (fedgw serve --workers N), side by side: 1 is "
        "'ours' on the gateway core, N > 1 is 'ours-wN' on both cores",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 3.0, 1.0, 1
    args.gateway_list = [g.strip() for g in args.gateways.split(",") if g.strip()]
    unknown = [g for g in args.gateway_list if g not in GATEWAYS]
    if unknown or not args.gateway_list:
        parser.error(f"--gateways: unknown {unknown}; expected names from {GATEWAYS}")
    try:
        counts = sorted({int(n) for n in args.ours_workers.split(",") if n.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1 or counts[-1] > 16:
        parser.error(f"--ours-workers: expected worker counts from 1 to 16, got {args.ours_workers!r}")
    if "ours" in args.gateway_list:
        at = args.gateway_list.index("ours")
        ours = ["ours" if n == 1 else f"ours-w{n}" for n in counts]
        args.gateway_list[at : at + 1] = ours
    args.load_list = [x.strip() for x in args.loads.split(",") if x.strip()]
    unknown = [x for x in args.load_list if x not in LOADS]
    if unknown or not args.load_list:
        parser.error(f"--loads: unknown {unknown}; expected names from {tuple(LOADS)}")
    if not (1 <= args.connections <= 1000 and 0 < args.duration <= 600 and 1 <= args.rounds <= 20):
        parser.error("bounds: 1 <= connections <= 1000, 0 < duration <= 600, 1 <= rounds <= 20")
    return args


def body_template(work: Path, load: Load) -> Path:
    """The request body the load tool sends; varying bodies carry "__FIRST__" where each request's number goes."""
    body_file = work / f"body-{load.variant}.json"
    template = request_body(load.variant, 0)
    if load.variant == "varying":
        first = json.loads(template)["variables"]["first"]
        template = template.replace(f'"first": {first}'.encode(), b'"first": __FIRST__')
    body_file.write_bytes(template)
    return body_file


def run_load_rounds(
    tool: list[str],
    load: Load,
    args: argparse.Namespace,
    procs: Processes,
    supergraph: Path,
    work: Path,
    subgraph_pid: int,
    capacity: float,
) -> tuple[dict[str, GatewayState], list[Measurement], dict[str, dict[str, float]]]:
    """Start every gateway for ``load``, check its answer, then measure them in turn, round after round."""
    print(f"\n== load: {load.name}: {load.title} ==", flush=True)
    if not load.deduplicate:
        for name in args.gateway_list:
            print(f"  {name}: {NODEDUP_SWITCHES['ours' if ours_workers(name) else name]}")
    body_file = body_template(work, load)
    states = {name: GatewayState(name) for name in args.gateway_list}
    answers: dict[str, Any] = {}
    for name, state in states.items():
        try:
            answers[name] = prepare_gateway(procs, state, supergraph, args.port_base, load, work)
        except RuntimeError as error:
            state.failure = str(error)
            print(f"  {name}: not measured: {error}", flush=True)
    first = json.loads(request_body(load.variant, 0)).get("variables", {}).get("first")
    compare_answers(states, answers, expected_answer(generate(), first))
    for name, state in states.items():
        if state.answer_bytes:
            same = (
                f"DIFFERS from the reference answer: {'; '.join(state.mismatches)}"
                if state.mismatches
                else "the reference answer"
            )
            print(
                f"  {name}: answer {state.answer_bytes} bytes, {state.fetches_per_query} subgraph requests "
                f"for one query alone, {same}",
                flush=True,
            )
        if state.mismatches and state.proc is not None:
            # a wrong answer is not timed: its speed would mean nothing
            state.failure = "wrong answer"
            procs.stop(state.proc)
            state.proc = None
        elif state.failure and state.proc is not None:
            procs.stop(state.proc)
            state.proc = None
    measurements: list[Measurement] = []
    for round_ in range(1, args.rounds + 1):
        this_round: list[Measurement] = []
        for name, state in states.items():
            if state.proc is None:
                continue
            try:
                m = measure(tool, state, load, round_, args, body_file, subgraph_pid)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                state.failure = f"round {round_}: {error}"
                print(f"  {name}: {state.failure}", flush=True)
                continue
            this_round.append(m)
            if m.requests == 0:
                print(f"  {name}: no request completed in {args.duration:.0f} s", flush=True)
            if m.errors:
                print(f"  {name}: {m.errors} errors {m.error_kinds}", flush=True)
        measurements += this_round
        print_table(f"-- {load.name}, round {round_} --", this_round, args.gateway_list, capacity)
        sys.stdout.flush()
    for state in states.values():
        if state.proc is not None:
            procs.stop(state.proc)
            state.proc = None
    title = f"-- {load.name}: median of {args.rounds} round(s) of {args.duration:.0f} s --"
    summaries = print_table(title, measurements, args.gateway_list, capacity)
    for line in target_lines(load, summaries):
        print(line)
    sys.stdout.flush()
    return states, measurements, summaries


def main(argv: list[str] | None = None) -> int:
    global NICENESS
    args = parse_args(argv)
    NICENESS = args.nice
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two cores: one for the gateway, one for the subgraphs and the load generator")
    os.sched_setaffinity(0, {LOAD_CORE})
    ports = [args.port_base + 1 + i for i in range(len(SUBGRAPHS))] + [
        gateway_port(g, args.port_base) for g in {*GATEWAYS, *args.gateway_list}
    ]
    busy = [p for p in ports if not port_free(p)]
    if busy:
        raise SystemExit(f"ports in use: {busy} (choose another --port-base)")

    install_peers(args.skip_install)
    tool = load_tool(args.load_tool)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    work = RESULTS / stamp
    work.mkdir(parents=True, exist_ok=True)
    data = write(work / "data.json")
    supergraph = compose(args.port_base, work)
    procs = Processes(work)

    def interrupted(signum: int, frame: object) -> None:
        procs.stop_all()
        sys.exit(130)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)

    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; gateways on core {GATEWAY_CORE}"
        f"{' (ours with several workers on cores 0,1)' if any(len(gateway_cores(g)) > 1 for g in args.gateway_list) else ''}"
        ", subgraphs and "
        f"load tool ({Path(tool[-1]).name}) on core {LOAD_CORE}; {args.rounds} round(s) of {args.duration:.0f} s "
        f"after {args.warmup:.0f} s of warm-up, {args.connections} connections",
        flush=True,
    )
    measurements: list[Measurement] = []
    states: dict[str, dict[str, GatewayState]] = {}
    summaries: dict[str, dict[str, dict[str, float]]] = {}
    try:
        subgraphs = start_subgraphs(procs, data, args.port_base, args.subgraph_server)
        measured = subgraph_capacity(
            tool, args.port_base, work, 2.0 if args.quick else 5.0, args.connections, subgraphs.pid
        )
        capacity = measured.rps_per_core
        print(
            f"subgraph capacity: {measured.rps:,.0f} req/s using {measured.subgraph_cpu_pct:.0f}% of one core, "
            f"so {capacity:,.0f} req/s per core (reviews _entities for 6 users, {measured.answer_bytes} byte "
            f"answers, {args.connections} connections, cached; load tool CPU {measured.wrk_cpu_pct:.0f}%)",
            flush=True,
        )
        for name in args.load_list:
            load = LOADS[name]
            states[name], runs, summaries[name] = run_load_rounds(
                tool, load, args, procs, supergraph, work, subgraphs.pid, capacity
            )
            measurements += runs
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
