"""Every hostile request shape we know and at least 10,000 fuzzed requests against a running system.

    python bench/abuse.py                                  # starts the whole system (`gateway up`) on free ports
    python bench/abuse.py --url http://127.0.0.1:4000/graphql --pid 1234   # a system already running
    python bench/abuse.py --fuzz 2000                      # fewer fuzzed requests

Also runs the stranger's attempts (``bench/strangers.py``: another customer's order and payment, cancelling and
refunding what is not yours, a guest reading orders, forged, expired and wrong-audience tokens, getting past a
safelist) and reports each refused or not. Prints the requests sent, the statuses, the 5xx count, the responses showing internal details (tracebacks, SQL,
addresses, exception names: ``tests/server/test_fuzz.leaks``), the worst time to refuse a hostile shape, the worst
``/health`` latency while all this runs (asked every 10 ms from its own process) and the gateway's RSS before and
after. Exits 1 when a target is missed: 0 5xx, 0 leaks, every refusal under 50 ms, ``/health`` under 100 ms,
RSS growth under 50 MB. The fuzzed requests are hypothesis-graphql's valid and invalid queries from the API
schema and the hostile generators of ``tests/server/test_fuzz.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.strangers import Attempt, manifest, safelist_attempts, stranger_attempts  # noqa: E402
from gateway.server.auth.dev_key import DevKey, dev_auth_env, ensure_dev_key  # noqa: E402
from tests.local_system import free_port, local_system  # noqa: E402
from tests.server.test_fuzz import SUPERGRAPH, _scalars, hostile_documents, leaks  # noqa: E402

REFUSE_MS = 50
HEALTH_MS = 100
RSS_MB = 50
SUBGRAPH_TIMEOUT = "2s"
OVERSIZED = "a body over the size limit"
TARGET = [""]  # the /graphql URL every request goes to  # the hung subgraph is answered after this


def rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def phase_rss(pid: int | None, phase: str) -> None:
    """The gateway's RSS after a phase, so growth can be told apart by phase."""
    rss = rss_mib(pid)
    if rss is not None:
        print(f"  gateway RSS after {phase}: {rss:.1f} MiB", flush=True)


@dataclass
class Shape:
    """One hostile request; ``refuse`` means the gateway must answer 4xx (and fast)."""

    name: str
    request: dict[str, Any]
    refuse: bool = True


def shapes() -> list[Shape]:
    doubling = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    doubling = "{ ...F0 }" + doubling + "fragment F40 on Query { __typename }"
    aliases = " ".join(f"a{i}: products(first: 100) {{ edges {{ node {{ id name }} }} }}" for i in range(600))
    spreads = "{ " + "...F " * 2000 + "} fragment F on Query { __typename }"
    deep = '{ user(id: "1") { ' + "orders { edges { node { user { " * 40 + "id" + " } } } }" * 40 + " } }"
    brackets = "{ " + "a { " * 3000 + "b" + " }" * 3000 + " }"
    json_headers = {"content-type": "application/json"}
    return [
        Shape("40 fragments each spreading the next twice", {"json": {"query": doubling}}),
        Shape("600 aliases of products(first: 100)", {"json": {"query": "{ " + aliases + " }"}}),
        Shape("2,000 fragment spreads", {"json": {"query": spreads}}),
        Shape(
            "a 100,000-digit number",
            {"json": {"query": "{ products(first: " + "9" * 100_000 + ") { totalCount } }"}},
        ),
        Shape("deep nesting (160 levels)", {"json": {"query": deep}}),
        Shape(
            "7,000 identical __typename selections", {"json": {"query": "{" + " __typename" * 7_000 + " }"}}
        ),
        Shape(
            "100 copies of one 10-field selection",
            {
                "json": {
                    "query": "{ "
                    + "products(first: 1) { edges { node { id name sku price { amount currency } stock } } } "
                    * 100
                    + "}"
                }
            },
        ),
        Shape("a 1.9 MB comment", {"json": {"query": "#" + "x" * 1_900_000 + "\n{ __typename }"}}),
        Shape("3,000 nested brackets", {"json": {"query": brackets}}),
        Shape(
            "2,000 operations in one document",
            {
                "json": {
                    "query": " ".join(f"query Q{i} {{ __typename }}" for i in range(2000)),
                    "operationName": "Q7",
                }
            },
        ),
        Shape(
            "a demand over the maximum cost",
            {
                "json": {
                    "query": "{ users(first: 100) { edges { node { payments(first: 100) { edges { node { order { user { payments(first: 100) { edges { node { id } } } } } } } } } } } }"
                }
            },
        ),
        Shape(
            OVERSIZED,
            {"content": b'{"query": "' + b" " * 2_100_000 + b'{ __typename }"}', "headers": json_headers},
        ),
        Shape("invalid UTF-8", {"content": b'{"query": "{ __typename \xff\xfe }"}', "headers": json_headers}),
        Shape(
            "a batch (not supported)",
            {
                "content": b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]',
                "headers": json_headers,
            },
        ),
        Shape(
            "wrong content type", {"content": b"{ __typename }", "headers": {"content-type": "text/plain"}}
        ),
        Shape("query not a string", {"json": {"query": 5}}),
        Shape("variables not a map", {"json": {"query": "{ __typename }", "variables": "x"}}),
        Shape(
            "huge variables (1.5 MB)",
            {
                "json": {
                    "query": "query($id: ID!) { node(id: $id) { id } }",
                    "variables": {"id": "9" * 1_500_000},
                }
            },
            refuse=False,
        ),
        Shape(
            "an ID above 2^63",
            {
                "json": {
                    "query": '{ user(id: "9223372036854775808") { id name } order(id: "99999999999999999999") { id } }'
                }
            },
            refuse=False,
        ),
        Shape(
            'node(id: "User:5000")',
            {"json": {"query": '{ node(id: "User:5000") { id ... on User { name orderCount } } }'}},
            refuse=False,
        ),
        Shape(
            'orderCount twice beside orders(after: "a")',
            {
                "json": {
                    "query": '{ users(first: 3) { edges { node { a: orderCount b: orderCount orders(after: "a") { totalCount } } } } }'
                }
            },
            refuse=False,
        ),
        Shape(
            "SQL in arguments",
            {
                "json": {
                    "query": '{ product(sku: "\' OR 1=1; DROP TABLE products; --") { id } user(id: "1 OR 1=1") { id } }'
                }
            },
            refuse=False,
        ),
        Shape(
            "a huge header (60 KB)",
            {"json": {"query": "{ __typename }"}, "headers": {"x-huge": "h" * 60_000}},
            refuse=False,
        ),
        Shape(
            "a huge X-Request-Id",
            {"json": {"query": "{ __typename }"}, "headers": {"x-request-id": "r" * 20_000}},
            refuse=False,
        ),
    ]


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    leaked: list[str] = field(default_factory=list)
    uncoded: int = 0
    dropped: int = 0
    worst_refusal: tuple[float, str] = (0.0, "")
    slow_refusals: list[str] = field(default_factory=list)
    unrefused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    strangers: tuple[int, int] = (0, 0)  # attempts refused, attempts made

    def record(self, name: str, response: httpx.Response | None, seconds: float, sent: str = "") -> None:
        self.requests += 1
        if response is None:
            # No answer: the gateway refuses an oversized body before reading it and closes the connection,
            # so a client still writing may see the close instead of the 413; anything else is a failure.
            self.statuses[0] += 1
            if name != OVERSIZED:
                self.dropped += 1
            return
        self.statuses[response.status_code] += 1
        # What the client sent and the answer quotes back (an ID it made up, "Invalid ID 'X_ERROR'") is no leak.
        found = [f for f in leaks(response.text) if f not in sent]
        if found:
            self.leaked.append(f"{name}: {found[:3]} in {response.text[:200]!r}")
        if response.headers.get("content-type", "").startswith("application/") and response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
            for error in (body.get("errors") or ()) if isinstance(body, dict) else ():
                if not (error.get("extensions") or {}).get("code"):
                    self.uncoded += 1


def _watch_health(url: str, halt: Any, worst: Any, phase_worst: Any, count: Any, failures: Any) -> None:
    with httpx.Client(timeout=5) as client:
        while not halt.is_set():
            start = time.perf_counter()
            try:
                ok = client.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = time.perf_counter() - start
            count.value += 1
            failures.value += not ok
            worst.value = max(worst.value, elapsed)
            phase_worst.value = max(phase_worst.value, elapsed)
            halt.wait(0.01)


class HealthWatch:
    """Asks ``/health`` every 10 ms from its own process (so this script's own work cannot delay the probes)
    and keeps the worst latency."""

    def __init__(self, url: str) -> None:
        self._halt = multiprocessing.Event()
        self._worst = multiprocessing.Value("d", 0.0)
        self._phase = multiprocessing.Value("d", 0.0)
        self._count = multiprocessing.Value("i", 0)
        self._failures = multiprocessing.Value("i", 0)
        self._process = multiprocessing.Process(
            target=_watch_health,
            args=(url, self._halt, self._worst, self._phase, self._count, self._failures),
            daemon=True,
        )

    def start(self) -> None:
        """Start probing; returns once the first probes are answered (the process is up)."""
        self._process.start()
        deadline = time.monotonic() + 30
        while self.count < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.phase()

    @property
    def worst(self) -> float:
        return float(self._worst.value)

    @property
    def count(self) -> int:
        return int(self._count.value)

    @property
    def failures(self) -> int:
        return int(self._failures.value)

    def phase(self) -> float:
        """The worst latency since the last call, in ms."""
        worst = float(self._phase.value)
        self._phase.value = 0.0
        return worst * 1000

    def stop(self) -> None:
        self._halt.set()
        self._process.join()


async def send(
    client: httpx.AsyncClient, tally: Tally, name: str, request: dict[str, Any]
) -> tuple[httpx.Response | None, float]:
    headers = {"accept": "application/graphql-response+json", **request.get("headers", {})}
    kwargs = {k: v for k, v in request.items() if k not in ("headers", "method", "url")}
    if "json" in kwargs:  # encoded before the clock starts: the time measured is the gateway's
        kwargs["content"] = orjson.dumps(kwargs.pop("json"))
        headers.setdefault("content-type", "application/json")
    method, url = request.get("method", "POST"), request.get("url", TARGET[0])
    start = time.perf_counter()
    try:
        response: httpx.Response | None = await client.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        response = None
        tally.notes.append(f"{name}: no response ({type(exc).__name__})")
    elapsed = time.perf_counter() - start
    content = kwargs.get("content")
    sent = content.decode("utf-8", "replace") if isinstance(content, bytes) else json.dumps(kwargs)
    tally.record(name, response, elapsed, sent)
    return response, elapsed


async def hostile(client: httpx.AsyncClient, tally: Tally, watch: HealthWatch) -> None:
    for shape in shapes():
        times = []
        response = None
        for _ in range(2):  # cold (prepared on a worker) and warm (the plan cache's remembered failure)
            response, elapsed = await send(client, tally, shape.name, shape.request)
            times.append(elapsed)
        worst = max(times)
        status = response.status_code if response is not None else 0
        cold, warm = (t * 1000 for t in times)
        print(f"  {shape.name:<48} {status}  {cold:7.1f} / {warm:6.1f} ms   /health {watch.phase():6.1f} ms")
        if shape.refuse:
            if not 400 <= status < 500 and not (shape.name == OVERSIZED and status == 0):
                tally.unrefused.append(f"{shape.name}: {status}")
            if worst * 1000 >= REFUSE_MS:
                tally.slow_refusals.append(f"{shape.name}: {worst * 1000:.1f} ms")
            if worst > tally.worst_refusal[0]:
                tally.worst_refusal = (worst, shape.name)


async def strangers(
    client: httpx.AsyncClient,
    tally: Tally,
    key: DevKey | None,
    safelisting: tuple[str, str] | None,
) -> None:
    """Every stranger's attempt, each reported refused or not (``safelisting``: a safelisting gateway's URL
    and its one operation's id)."""
    theirs: dict[str, str] = {}
    if key is not None:  # another customer's order and payment, looked up as staff
        staff = {"authorization": "Bearer " + key.sign("User:50", ["orders:manage"], 600)}
        query = '{ orders(first: 1, userId: "User:2") { edges { node { id payment { id } } } } }'
        found = (await client.post(TARGET[0], json={"query": query}, headers=staff)).json()
        node = found["data"]["orders"]["edges"][0]["node"]
        theirs = {"order": node["id"], "payment": (node.get("payment") or {}).get("id", "Payment:1")}
    attempts: list[tuple[str, Attempt]] = [(TARGET[0], a) for a in stranger_attempts(key, theirs)]
    if safelisting is not None:
        attempts += [(safelisting[0], a) for a in safelist_attempts(safelisting[1])]
    else:
        print("  (the safelist attempts need the system started by this script)")
    refused = 0
    for url, attempt in attempts:
        request = {**attempt.request, "url": url}
        request["headers"] = {**attempt.request.get("headers", {}), **attempt.headers}
        response, elapsed = await send(client, tally, attempt.name, request)
        status = response.status_code if response is not None else 0
        try:
            body = response.json() if response is not None else None
        except ValueError:
            body = None
        ok = attempt.refused(status, body)
        refused += ok
        codes = sorted(
            {str((e.get("extensions") or {}).get("code")) for e in (body or {}).get("errors") or ()}
            if isinstance(body, dict)
            else ()
        )
        verdict = "refused" if ok else "NOT REFUSED"
        print(f"  {attempt.name:<56} {status}  {verdict:<11} {elapsed * 1000:6.1f} ms  {', '.join(codes)}")
        if not ok:
            tally.unrefused.append(f"{attempt.name}: {status} {json.dumps(body)[:200]}")
    if safelisting is not None:
        response, _ = await send(
            client,
            tally,
            "the safelisted operation",
            {"json": {"documentId": safelisting[1]}, "url": safelisting[0]},
        )
        status = response.status_code if response is not None else 0
        print(f"  {'the safelisted operation, by its id (served)':<56} {status}")
        if status != 200:
            tally.unrefused.append(f"the safelisted operation was not served: {status}")
    tally.strangers = (refused, len(attempts))


async def large_documents(
    client: httpx.AsyncClient, tally: Tally, watch: HealthWatch, count: int, size: int, *, refuse: bool
) -> None:
    """``count`` distinct documents of ``size`` characters, four at a time: over the document size limit they
    must be refused (fast); under it they are parsed, planned and run (and the plan cache must stay bounded)."""
    query = "{ products(first: 5) { edges { node { id name } } } }"
    worst = 0.0
    statuses: Counter[int] = Counter()

    async def one(i: int) -> None:
        nonlocal worst
        padding = f"# {i:06d} " + "x" * (size - len(query) - 12)
        name = f"a {size / 1e6:.2f} MB document"
        response, elapsed = await send(client, tally, name, {"json": {"query": padding + "\n" + query}})
        status = response.status_code if response is not None else 0
        statuses[status] += 1
        worst = max(worst, elapsed)
        if refuse:
            if not 400 <= status < 500:
                tally.unrefused.append(f"{name}: {status}")
            if elapsed * 1000 >= REFUSE_MS:
                tally.slow_refusals.append(f"{name}: {elapsed * 1000:.1f} ms")
            if elapsed > tally.worst_refusal[0]:
                tally.worst_refusal = (elapsed, name)

    for start in range(0, count, 4):
        await asyncio.gather(*(one(i) for i in range(start, min(start + 4, count))))
    print(
        f"  {count} distinct {size / 1e6:.2f} MB documents: {dict(sorted(statuses.items()))}, "
        f"worst {worst * 1000:.1f} ms   /health {watch.phase():6.1f} ms"
    )


async def hung_subgraph(client: httpx.AsyncClient, tally: Tally, pid: int | None) -> None:
    if pid is None:
        print("  a hung subgraph: skipped (payments' pid unknown)")
        return
    os.kill(pid, signal.SIGSTOP)
    try:
        response, elapsed = await send(
            client,
            tally,
            "hung subgraph",
            {"json": {"query": '{ payment(id: "1") { id } user(id: "1") { name } }'}},
        )
    finally:
        os.kill(pid, signal.SIGCONT)
    status = response.status_code if response is not None else 0
    try:
        errors = response.json().get("errors") or [] if response is not None else []
    except ValueError:
        errors = []
    codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
    print(f"  a hung subgraph (payments stopped){'':<14} {status}  {elapsed * 1000:7.1f} ms  {codes}")


def fuzzed(count: int) -> list[dict[str, Any]]:
    """``count`` request bodies: 3/6 valid generated queries, 2/6 invalid ones, 1/6 hostile documents."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis_graphql import Mode, queries

    schema = SUPERGRAPH.api_schema
    strategy = st.one_of(
        queries(schema, custom_scalars=_scalars()).map(lambda q: {"query": q}),
        queries(schema, custom_scalars=_scalars()).map(lambda q: {"query": q}),
        queries(schema, custom_scalars=_scalars()).map(lambda q: {"query": q}),
        queries(schema, custom_scalars=_scalars(), mode=Mode.NEGATIVE).map(lambda q: {"query": q}),
        queries(schema, custom_scalars=_scalars(), mode=Mode.NEGATIVE).map(lambda q: {"query": q}),
        hostile_documents(),
    )
    out: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def gather(body: dict[str, Any]) -> None:
        out.append(body)

    while len(out) < count:
        gather()
    return out[:count]


async def fuzz(
    client: httpx.AsyncClient, tally: Tally, bodies: list[dict[str, Any]], concurrency: int
) -> None:
    queue = iter(enumerate(bodies))

    async def worker() -> None:
        for i, body in queue:
            await send(client, tally, f"fuzzed {i}: {json.dumps(body)[:120]}", {"json": body})

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def attack(
    url: str,
    args: argparse.Namespace,
    pids: dict[str, int],
    key: DevKey | None = None,
    safelisting: tuple[str, str] | None = None,
) -> int:
    gateway_pid = args.pid or pids.get("gateway")
    base = url.rsplit("/graphql", 1)[0]
    print(f"generating {args.fuzz} fuzzed requests...", flush=True)
    started = time.perf_counter()
    bodies = fuzzed(args.fuzz)
    print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    tally = Tally()
    limits = httpx.Limits(max_connections=args.concurrency + 4)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        TARGET[0] = url
        await client.post(url, json={"query": "{ __typename }"})  # warm
        rss_before = rss_mib(gateway_pid)
        watch = HealthWatch(base + "/health")
        watch.start()
        try:
            print("hostile shapes (status, worst of a cold and a warm request):", flush=True)
            await hostile(client, tally, watch)
            phase_rss(gateway_pid, "the hostile shapes")
            print("the stranger's attempts (status, refused or not, time, codes):", flush=True)
            await strangers(client, tally, key, safelisting)
            await large_documents(client, tally, watch, args.large, 1_900_000, refuse=True)
            phase_rss(gateway_pid, "the 1.9 MB documents")
            await large_documents(client, tally, watch, args.large, 250_000, refuse=False)
            phase_rss(gateway_pid, "the 0.25 MB documents")
            await hung_subgraph(client, tally, pids.get("payments"))
            print(f"fuzzing with {args.concurrency} clients...", flush=True)
            started = time.perf_counter()
            await fuzz(client, tally, bodies, args.concurrency)
            seconds = time.perf_counter() - started
            print(
                f"  {len(bodies)} requests in {seconds:.1f} s   /health {watch.phase():6.1f} ms", flush=True
            )
            phase_rss(gateway_pid, "fuzzing")
        finally:
            watch.stop()
        await asyncio.sleep(1)
        rss_after = rss_mib(gateway_pid)

    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500) + tally.dropped
    growth = None if rss_before is None or rss_after is None else rss_after - rss_before
    print()
    print(f"requests:                 {tally.requests}")
    print(f"statuses:                 {dict(sorted(tally.statuses.items()))}")
    print(f"5xx (or no answer):       {server_errors}  (status 0: no answer; for the oversized body only)")
    print(f"internal details leaked:  {len(tally.leaked)}")
    print(f"errors without a code:    {tally.uncoded}")
    print(f"worst time to refuse:     {tally.worst_refusal[0] * 1000:.1f} ms ({tally.worst_refusal[1]})")
    print(f"stranger's attempts:      {tally.strangers[0]} of {tally.strangers[1]} refused")
    print(
        f"worst /health meanwhile:  {watch.worst * 1000:.1f} ms ({watch.count} probes, {watch.failures} failed)"
    )
    if rss_before is not None and rss_after is not None and growth is not None:
        print(
            f"gateway RSS:              {rss_before:.1f} MiB before, {rss_after:.1f} MiB after ({growth:+.1f})"
        )
    else:
        print("gateway RSS:              n/a (give --pid)")
    for line in tally.leaked[:10] + tally.notes[:10]:
        print(f"  {line}")
    missed = []
    if server_errors:
        missed.append(f"{server_errors} 5xx")
    if tally.leaked:
        missed.append(f"{len(tally.leaked)} leaks")
    if tally.uncoded:
        missed.append(f"{tally.uncoded} errors without a code")
    missed += [f"not refused: {s}" for s in tally.unrefused]
    if tally.slow_refusals:
        listed = "; ".join(tally.slow_refusals[:5])
        more = f" and {len(tally.slow_refusals) - 5} more" if len(tally.slow_refusals) > 5 else ""
        missed.append(f"{len(tally.slow_refusals)} refused in {REFUSE_MS} ms or more: {listed}{more}")
    if watch.worst * 1000 >= HEALTH_MS or watch.failures:
        missed.append(f"/health took {watch.worst * 1000:.1f} ms ({watch.failures} failed)")
    if growth is not None and growth >= RSS_MB:
        missed.append(f"RSS grew {growth:.1f} MiB")
    print("targets:                  " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running gateway's /graphql URL (default: start the system)")
    parser.add_argument("--pid", type=int, help="the running gateway's process id, for its RSS")
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzzed requests (default 10,000)")
    parser.add_argument(
        "--large",
        type=int,
        default=180,
        help="distinct 1.9 MB documents (refused) and as many of 0.25 MB (run) (default 180)",
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--data-dir", help="with --url: the running system's data directory, for its development key"
    )
    args = parser.parse_args()
    if args.url:
        key = ensure_dev_key(args.data_dir) if args.data_dir else None
        return asyncio.run(attack(args.url, args, {}, key))
    os.environ.setdefault("GATEWAY_SUBGRAPH_TIMEOUT", SUBGRAPH_TIMEOUT)
    os.environ.setdefault("GATEWAY_DEMAND_CONTROL_MAX", "1000")
    with tempfile.TemporaryDirectory(prefix="abuse-") as workdir, local_system(Path(workdir)) as system:
        print(f"system up: {system.url}", flush=True)
        key = ensure_dev_key(Path(workdir) / "data")  # the key `up` made and its gateway trusts
        with safelisting_gateway(Path(workdir), key) as safelisting:
            return asyncio.run(attack(system.url, args, system.pids(), key, safelisting))


@contextlib.contextmanager
def safelisting_gateway(workdir: Path, key: DevKey) -> Iterator[tuple[str, str]]:
    """A second gateway in front of the same services that serves only one persisted operation."""
    op_id = manifest(workdir / "manifest.json")
    port = free_port()
    env = dict(
        os.environ, GATEWAY_PERSISTED_QUERIES=str(workdir / "manifest.json"), GATEWAY_SAFELIST="safelist"
    )
    env.update(dev_auth_env(key))
    command = [sys.executable, "-m", "gateway", "serve", "--config", str(workdir / "gateway.yaml")]
    command += ["--port", str(port), "--log-level", "warning"]
    with (workdir / "safelisting.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "safelisting.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base + "/graphql", op_id
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
