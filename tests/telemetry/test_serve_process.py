"""``fedgw serve`` as a real process with ``--log-format json`` and ``--otlp-endpoint``: JSON log lines with the
access line, ``/metrics``, and spans exported over OTLP/HTTP to a collector (here a recording HTTP server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.server.live import free_port, serve_in_thread
from tests.server.support import SUPERGRAPH_SDL

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _subgraph(seen: list[dict[str, str]]) -> Starlette:
    async def graphql(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        body = orjson.loads(await request.body())
        if "hello" in body["query"]:
            return JSONResponse({"data": {"hello": "world"}})
        return JSONResponse({"data": {"__typename": "Query"}})

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


def _collector(exports: list[ExportTraceServiceRequest]) -> Starlette:
    async def traces(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.body())
        exports.append(message)
        return Response(b"", 200, media_type="application/x-protobuf")

    return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


def test_serve_logs_json_serves_metrics_and_exports_spans_over_otlp(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    exports: list[ExportTraceServiceRequest] = []
    with serve_in_thread(_subgraph(seen)) as subgraph, serve_in_thread(_collector(exports)) as collector:
        sdl = SUPERGRAPH_SDL.replace("http://products.test/graphql", subgraph + "/graphql")
        path = tmp_path / "supergraph.graphql"
        path.write_text(sdl)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GATEWAY_"))}
        env.update(GATEWAY_PORT=str(port), PYTHONUNBUFFERED="1")
        command = [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--supergraph",
            str(path),
            "--log-format",
            "json",
        ]
        command += ["--otlp-endpoint", collector, "--trace-sampling-ratio", "1"]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the gateway did not become healthy"
                time.sleep(0.1)
            response = httpx.post(
                base + "/graphql", json={"query": "query Hello { hello }"}, headers={"x-request-id": "req-1"}
            )
            assert response.json() == {"data": {"hello": "world"}}
            metrics = httpx.get(base + "/metrics").text
            assert (
                'gateway_requests_total{operation_name="Hello",operation_type="query",outcome="success"} 1.0'
                in metrics
            )
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        (access,) = [line for line in lines if line["logger"] == "gateway.access"]
        assert (access["request_id"], access["operation_name"], access["status"]) == ("req-1", "Hello", 200)
        trace_id = access["trace_id"]
        assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's lines are JSON too
        # The subgraph got the trace context, and the spans reached the collector when the gateway stopped.
        (hello,) = [h for h in seen if "traceparent" in h]
        assert hello["traceparent"].split("-")[1] == trace_id
        spans = [
            span
            for export in exports
            for resource in export.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]
        assert {"router", "supergraph", "parse_query", "query_planning", "execution", "subgraph"} <= {
            s.name for s in spans
        }
        assert {s.trace_id.hex() for s in spans} == {trace_id}
        service = {
            a.value.string_value
            for e in exports
            for r in e.resource_spans
            for a in r.resource.attributes
            if a.key == "service.name"
        }
        assert service == {"gateway"}
