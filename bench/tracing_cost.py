"""What tracing costs the gateway per request: tracing off, on with sampling ratio 0, and on with every trace kept.

Run: .venv/bin/python bench/tracing_cost.py [requests]

Each request goes through the whole ASGI app (``/graphql``: router, supergraph, execution, a root fetch and an
entity fetch, metrics and the request record) with the plan cached, against an in-process subgraph transport that
answers at once, so what is measured is the gateway's own time. Spans are kept by a batch processor whose exporter
drops them (exporting is the collector's cost, off the request path). The access log is off (its logger is not
enabled) so that the numbers show tracing alone. Prints the median and p99 microseconds per request and the
difference to tracing off.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased  # noqa: E402

from gateway.composition.compose import SubgraphSource, compose  # noqa: E402
from gateway.composition.read_supergraph import read_supergraph  # noqa: E402
from gateway.execution import Executor  # noqa: E402
from gateway.execution.client import _Endpoint, _GuardedClient  # noqa: E402
from gateway.execution.traffic import TrafficShaping  # noqa: E402
from gateway.server import Gateway, ServerSettings, create_app  # noqa: E402
from gateway.telemetry import use_tracer_provider  # noqa: E402

PRODUCTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { topProducts(first: Int = 5): [Product!]! }
type Product @key(fields: "id") { id: ID! name: String! }
"""
INVENTORY = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Product @key(fields: "id") { id: ID! stock: Int! }
"""
QUERY = b'{"query":"query Top { topProducts(first: 5) { id name stock } }","operationName":"Top"}'


class InstantSubgraphs(_GuardedClient):
    """Answers every fetch at once from canned data: the subgraph costs nothing."""

    def __init__(self) -> None:
        urls = {"products": "http://products/graphql", "inventory": "http://inventory/graphql"}
        super().__init__(urls, TrafficShaping(), deduplicate_inflight=False)
        products = [{"__typename": "Product", "id": str(i), "name": f"P{i}"} for i in range(5)]
        self._root = orjson.dumps({"data": {"topProducts": products}})
        self._entities = orjson.dumps({"data": {"_entities": [{"stock": i} for i in range(5)]}})

    async def _post(
        self, subgraph: str, endpoint: _Endpoint, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        return 200, self._entities if subgraph == "inventory" else self._root


class DropSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def _request(app: Any) -> int:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": QUERY, "more_body": False}

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 4000),
    }
    await app(scope, receive, send)
    return status


async def _measure(app: Any, requests: int) -> list[float]:
    for _ in range(200):  # warm: plan cached, executor prepared
        assert await _request(app) == 200
    times: list[float] = []
    for _ in range(requests):
        started = time.perf_counter_ns()
        await _request(app)
        times.append((time.perf_counter_ns() - started) / 1000)
    return times


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    logging.getLogger("gateway.access").setLevel(logging.WARNING)
    result = compose(
        [
            SubgraphSource("products", "http://products/graphql", PRODUCTS),
            SubgraphSource("inventory", "http://inventory/graphql", INVENTORY),
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    supergraph = read_supergraph(result.supergraph_sdl)
    gateway = Gateway(
        supergraph, executor=Executor(supergraph, InstantSubgraphs()), settings=ServerSettings()
    )
    app = create_app(gateway)

    modes: list[tuple[str, TracerProvider | None]] = [("tracing off", None)]
    for label, ratio in (("sampling ratio 0", 0.0), ("sampling ratio 1", 1.0)):
        provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(ratio)))
        provider.add_span_processor(BatchSpanProcessor(DropSpans(), max_queue_size=100_000))
        modes.append((label, provider))
    rounds: dict[str, list[float]] = {label: [] for label, _ in modes}
    for _ in range(3):  # interleaved, so drift of the machine spreads over every mode
        for label, provider in modes:
            use_tracer_provider(provider)
            rounds[label].extend(asyncio.run(_measure(app, requests)))
    use_tracer_provider(None)
    base = statistics.median(rounds["tracing off"])
    print(f"{requests * 3} requests per mode, microseconds per request (whole ASGI app, 2 fetches):")
    for label, times in rounds.items():
        times.sort()
        median, p99 = statistics.median(times), times[int(len(times) * 0.99)]
        print(f"  {label:18} median {median:8.1f}  p99 {p99:8.1f}  (+{median - base:6.1f} over off)")
    for _, provider in modes:
        if provider is not None:
            provider.shutdown()


if __name__ == "__main__":
    main()
