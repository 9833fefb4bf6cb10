"""The gateway's telemetry over real HTTP: ``traceparent`` to subgraphs (tracing on and off), ``/metrics``, the
access line and error lines joined to the request id the client sees."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import gateway.telemetry as telemetry
from gateway.commands.serve import build_app
from gateway.execution.masking import current_request_id
from gateway.server.settings import ServerSettings
from gateway.telemetry.access_log import JsonFormatter, RequestIdFilter
from tests.server import federated
from tests.server.support import tiny_supergraph

from .system import free_port, serving

# stock comes from reviews for requests with the new-stock label: a root fetch then an entity fetch.
QUERY = "query TopProducts { topProducts(first: 2) { id name stock } }"


class HeaderRecorder:
    """ASGI middleware keeping the headers of every request a subgraph gets."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await self.app(scope, receive, send)


class Gateway:
    def __init__(self, url: str, app: Any, recorders: dict[str, HeaderRecorder]) -> None:
        self.url = url
        self.app = app
        self.recorders = recorders

    async def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            headers = {"x-override-labels": "new-stock", **headers}
            return await client.post(self.url + "/graphql", json=body, headers=headers)

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(self.url + "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return response.text


async def _gateway(
    settings: ServerSettings, *, reviews_url: str | None = None, environ: dict[str, str] | None = None
) -> AsyncIterator[Gateway]:
    apps = federated.apps()
    recorders = {name: HeaderRecorder(app) for name, app in apps.items()}
    async with (
        serving(recorders["products"], lifespan="off") as products,
        serving(recorders["reviews"], lifespan="off") as reviews,
    ):
        supergraph = tiny_supergraph(products + "/graphql", reviews_url or reviews + "/graphql")
        app = build_app(supergraph, settings, environ=environ or {})
        async with serving(app) as url:
            yield Gateway(url, app, recorders)


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async for g in _gateway(ServerSettings()):
        yield g


@pytest.fixture
def spans() -> Any:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_tracer_provider(provider)
    yield exporter
    telemetry.use_tracer_provider(None)
    provider.shutdown()


def _traceparent() -> tuple[str, str]:
    trace_id = uuid.uuid4().hex
    return trace_id, f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"


async def test_a_clients_traceparent_reaches_every_subgraph_unchanged_while_tracing_is_off(gateway):
    _, traceparent = _traceparent()
    response = await gateway.post({"query": QUERY}, traceparent=traceparent, tracestate="vendor=1")
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    for name in ("products", "reviews"):
        (seen,) = gateway.recorders[name].headers
        assert seen["traceparent"] == traceparent
        assert seen["tracestate"] == "vendor=1"


async def test_a_malformed_traceparent_is_not_passed_on(gateway):
    response = await gateway.post({"query": QUERY}, traceparent="00-not-a-trace-01")
    assert response.status_code == 200
    assert all("traceparent" not in h for h in gateway.recorders["products"].headers)


async def test_without_a_traceparent_no_subgraph_gets_one_while_tracing_is_off(gateway):
    await gateway.post({"query": QUERY})
    assert all("traceparent" not in h for r in gateway.recorders.values() for h in r.headers)


async def test_with_tracing_on_each_subgraph_gets_the_context_of_its_own_subgraph_span(gateway, spans):
    trace_id, traceparent = _traceparent()
    response = await gateway.post({"query": QUERY}, traceparent=traceparent)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    finished = {s.context.span_id: s for s in spans.get_finished_spans()}
    for name in ("products", "reviews"):
        (seen,) = gateway.recorders[name].headers
        version, sent_trace, parent, flags = seen["traceparent"].split("-")
        assert (version, sent_trace) == ("00", trace_id) and int(flags, 16) & 1 == 1
        span = finished[int(parent, 16)]  # the subgraph got its own span's id, not the client's
        assert span.name == "subgraph" and span.attributes["subgraph.name"] == name
        assert span.attributes["http.response.status_code"] == 200
    (router,) = [s for s in finished.values() if s.name == "router"]
    assert format(router.context.trace_id, "032x") == trace_id
    assert router.parent is not None and format(router.parent.span_id, "016x") == traceparent.split("-")[2]
    (supergraph,) = [s for s in finished.values() if s.name == "supergraph"]
    assert supergraph.attributes["graphql.operation.name"] == "TopProducts"
    assert supergraph.attributes["graphql.operation.type"] == "query"
    assert supergraph.attributes["graphql.plan_cache.hit"] is False


async def test_with_tracing_on_a_request_without_traceparent_starts_a_trace(gateway, spans):
    await gateway.post({"query": QUERY})
    (seen,) = gateway.recorders["products"].headers
    (router,) = [s for s in spans.get_finished_spans() if s.name == "router"]
    assert seen["traceparent"].split("-")[1] == format(router.context.trace_id, "032x")
    assert router.parent is None


def _value(text: str, sample: str) -> float | None:
    """The value of one sample line (``name{labels}``) of a Prometheus text exposition, None when absent."""
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_count_requests_by_operation_and_outcome_and_fetches_by_subgraph(gateway):
    for _ in range(6):
        await gateway.post({"query": QUERY})
    await gateway.post({"query": "{ hello }"})
    await gateway.post({"query": "query Broken { nope }", "operationName": "Broken"})
    await gateway.post({"query": "{"})
    text = await gateway.metrics()
    requests = 'gateway_requests_total{operation_name="%s",operation_type="%s",outcome="%s"}'
    assert _value(text, requests % ("TopProducts", "query", "success")) == 6
    assert _value(text, requests % ("anonymous", "query", "success")) == 1
    # Names of documents that did not validate never become label values.
    assert _value(text, requests % ("unknown", "unknown", "rejected")) == 2
    assert "Broken" not in text
    duration = 'gateway_request_duration_seconds_count{operation_name="TopProducts",operation_type="query"}'
    assert _value(text, duration) == 6
    assert _value(text, 'gateway_subgraph_fetch_duration_seconds_count{subgraph="products"}') == 7  # + hello
    assert _value(text, 'gateway_subgraph_fetch_duration_seconds_count{subgraph="reviews"}') == 6
    assert 'gateway_subgraph_fetch_duration_seconds_bucket{le="0.005",subgraph="products"}' in text
    assert _value(text, 'gateway_subgraph_circuit_state{state="closed",subgraph="products"}') == 1
    assert _value(text, 'gateway_subgraph_circuit_state{state="open",subgraph="products"}') == 0
    # One plan per document and override labels: the rating override's percent(25) label is drawn per request,
    # so TopProducts has at most two plans and at least four of its six requests hit.
    hits, misses = (
        _value(text, "gateway_plan_cache_hits_total"),
        _value(text, "gateway_plan_cache_misses_total"),
    )
    assert hits is not None and misses is not None
    assert hits >= 4 and hits + misses == 9
    assert _value(text, "gateway_supergraph_generation") == 1
    assert (_value(text, "gateway_supergraph_loaded_timestamp_seconds") or 0) > 1.7e9


async def test_distinct_operation_names_are_capped_and_the_rest_counted_as_other():
    async for gateway in _gateway(ServerSettings(metrics_max_operation_names=2)):
        for name in ("A", "B", "C", "D"):
            await gateway.post({"query": f"query {name} {{ hello }}"})
        await gateway.post({"query": "query A { hello }"})
        text = await gateway.metrics()
        requests = 'gateway_requests_total{operation_name="%s",operation_type="query",outcome="success"}'
        assert _value(text, requests % "A") == 2
        assert _value(text, requests % "B") == 1
        assert _value(text, requests % "other") == 2
        assert _value(text, requests % "C") is None


async def test_metrics_count_fetch_errors_by_code_and_partial_outcomes():
    dead = f"http://127.0.0.1:{free_port()}/graphql"  # nothing listens there
    async for gateway in _gateway(ServerSettings(), reviews_url=dead):
        response = await gateway.post({"query": QUERY})
        assert response.json()["errors"][0]["extensions"]["code"] == "SUBGRAPH_REQUEST_FAILED"
        text = await gateway.metrics()
        errors = 'gateway_subgraph_fetch_errors_total{code="SUBGRAPH_UNREACHABLE",subgraph="reviews"}'
        assert _value(text, errors) == 1
        requests = (
            'gateway_requests_total{operation_name="TopProducts",operation_type="query",outcome="partial"}'
        )
        assert _value(text, requests) == 1


async def test_metrics_can_be_turned_off():
    async for gateway in _gateway(ServerSettings(metrics=False)):
        async with httpx.AsyncClient() as client:
            assert (await client.get(gateway.url + "/metrics")).status_code == 404


class Lines(logging.Handler):
    """Formats every record as the JSON log format would, with the request id filter of ``fedgw serve``."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter(current_request_id))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Any:
    handler = Lines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_one_access_line_per_request_with_the_request_id_the_client_got(gateway, log_lines):
    response = await gateway.post(
        {"query": QUERY},
        **{"apollographql-client-name": "web", "apollographql-client-version": "1.2.3"},
    )
    request_id = response.headers["x-request-id"]
    (line,) = [line for line in log_lines if line["logger"] == "gateway.access"]
    assert line["message"] == "request"
    assert line["request_id"] == request_id
    assert line["method"] == "POST" and line["path"] == "/graphql" and line["status"] == 200
    assert line["operation_name"] == "TopProducts" and line["operation_type"] == "query"
    assert line["outcome"] == "success"
    assert line["fetches"] == 2
    assert line["cache_hit"] is False
    assert (line["client_name"], line["client_version"]) == ("web", "1.2.3")
    assert 0 < line["duration_ms"] < 10_000
    assert "trace_id" not in line  # tracing is off


async def test_the_access_line_of_a_refused_request_says_so(gateway, log_lines):
    response = await gateway.post({"query": "{ nope }"}, accept="application/graphql-response+json")
    assert response.status_code == 400
    (line,) = [line for line in log_lines if line["logger"] == "gateway.access"]
    assert (line["status"], line["outcome"], line["fetches"]) == (400, "rejected", 0)
    assert line["request_id"] == response.json()["extensions"]["requestId"]
    assert "operation_name" not in line


async def test_the_text_access_line_is_key_value_pairs(gateway, caplog):
    caplog.set_level(logging.INFO, logger="gateway.access")
    response = await gateway.post({"query": QUERY})
    (record,) = [r for r in caplog.records if r.name == "gateway.access"]
    text = record.getMessage()
    assert text.startswith(
        f"request_id={response.headers['x-request-id']} method=POST path=/graphql status=200 "
    )
    assert " operation_name=TopProducts operation_type=query outcome=success fetches=2 " in text


async def test_an_error_is_logged_with_the_request_id_the_client_sees():
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    previous, root.level = root.level, logging.INFO
    try:
        async for gateway in _gateway(ServerSettings(), reviews_url=dead):
            response = await gateway.post({"query": QUERY})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    request_id = response.json()["extensions"]["requestId"]
    assert response.headers["x-request-id"] == request_id
    (error,) = [line for line in handler.lines if line["logger"] == "gateway.execution.errors"]
    assert error["level"] == "WARNING"
    assert error["request_id"] == request_id
    assert error["service_name"] == "reviews"
    assert dead in error["message"]  # the detail is in the log, never in the response
    assert dead not in json.dumps(response.json())
    (access,) = [line for line in handler.lines if line["logger"] == "gateway.access"]
    assert (access["request_id"], access["outcome"], access["fetch_errors"]) == (request_id, "partial", 1)


async def test_with_tracing_on_the_access_line_names_the_trace(gateway, spans, log_lines):
    trace_id, traceparent = _traceparent()
    await gateway.post({"query": QUERY}, traceparent=traceparent)
    (line,) = [line for line in log_lines if line["logger"] == "gateway.access"]
    assert line["trace_id"] == trace_id


async def test_a_trace_not_sampled_makes_no_span_but_its_decision_reaches_the_subgraphs(gateway, log_lines):
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.0)))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_tracer_provider(provider)
    try:
        response = await gateway.post({"query": QUERY})
    finally:
        telemetry.use_tracer_provider(None)
    assert response.status_code == 200 and "errors" not in response.json()
    assert exporter.get_finished_spans() == ()
    sent = [h["traceparent"] for r in gateway.recorders.values() for h in r.headers]
    assert len(sent) == 2 and len({t.split("-")[1] for t in sent}) == 1
    # The sampled flag is off (the random-trace-id flag of Trace Context level 2 may be on): the subgraphs
    # need not record either.
    assert all(int(t.split("-")[3], 16) & 1 == 0 for t in sent), sent
    (line,) = [line for line in log_lines if line["logger"] == "gateway.access"]
    assert line["trace_id"] == sent[0].split("-")[1]


async def test_a_request_refused_before_the_graphql_route_is_logged_and_counted(log_lines):
    async for gateway in _gateway(ServerSettings(), environ={"GATEWAY_RATE_LIMIT": "1/60"}):
        assert (await gateway.post({"query": QUERY})).status_code == 200
        refused = await gateway.post({"query": QUERY})
        assert refused.status_code == 429
        text = await gateway.metrics()
    lines = [line for line in log_lines if line["logger"] == "gateway.access"]
    assert [(line["status"], line["outcome"]) for line in lines] == [(200, "success"), (429, "rejected")]
    assert lines[1]["fetches"] == 0 and "operation_name" not in lines[1]
    requests = 'gateway_requests_total{operation_name="%s",operation_type="%s",outcome="%s"}'
    assert _value(text, requests % ("TopProducts", "query", "success")) == 1
    assert _value(text, requests % ("unknown", "unknown", "rejected")) == 1


def test_allowing_traceparent_in_the_header_policy_changes_nothing():
    from gateway.execution.headers import HeaderPolicy

    assert HeaderPolicy(allow=["traceparent", "TraceState", "x-tenant"]).apply(
        {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "tracestate": "a=1", "x-tenant": "t"}
    ) == {"x-tenant": "t"}


async def test_a_cors_preflight_the_graphiql_page_and_an_event_stream_are_no_single_request(log_lines):
    from gateway.execution import Executor, HttpxSubgraphClient
    from gateway.server import CorsPolicy, Gateway, create_app

    supergraph = tiny_supergraph()
    executor = Executor(supergraph, HttpxSubgraphClient(federated.apps()))
    settings = ServerSettings(cors=CorsPolicy().with_origins(["https://app.example"]))
    gateway = Gateway(supergraph, executor=executor, settings=settings)
    app = create_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        preflight = await client.options(
            "/graphql",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
        assert preflight.status_code == 204
        assert (await client.get("/graphql", headers={"accept": "text/html"})).status_code == 200
        stream = await client.post(
            "/graphql", json={"query": "{ hello }"}, headers={"accept": "text/event-stream"}
        )
        assert stream.status_code == 200 and "event: next" in stream.text
        assert (await client.post("/graphql", json={"query": "{ hello }"})).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert [line["method"] for line in log_lines if line["logger"] == "gateway.access"] == ["POST"]
    assert (
        _value(
            metrics,
            'gateway_requests_total{operation_name="anonymous",operation_type="query",outcome="success"}',
        )
        == 1
    )
    assert "rejected" not in metrics
