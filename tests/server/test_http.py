"""GraphQL over HTTP on /graphql (status codes, media types, GET/POST rules), GraphiQL, /health, /ready."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.composition.supergraph import Subgraph
from gateway.server import Gateway, HttpSubgraphProbe, ServerSettings, create_app
from gateway.server.limits import Limits

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

GRJ = "application/graphql-response+json"


def make_app(**settings: Any) -> tuple[FastAPI, Gateway]:
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=ServerSettings(**settings),
        rng=random.Random(1),
    )
    return create_app(gateway), gateway


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app, _ = make_app(expose_query_plan=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        yield c


async def post(client: httpx.AsyncClient, body: Any, accept: str | None = GRJ, **kw: Any) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if accept is not None:
        headers["accept"] = accept
    headers.update(kw.pop("headers", {}))
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await client.post("/graphql", content=content, headers=headers, **kw)


async def test_post_query_with_graphql_response_json(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert response.json() == {"data": {"hello": "world"}}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        (GRJ, GRJ),
        (f"application/json, {GRJ}", GRJ),
        (f"application/json;q=0.9, {GRJ}", GRJ),
        (f"application/json, {GRJ};q=0.5", "application/json"),
        (f"{GRJ};charset=utf-16, application/json", "application/json"),
        ("text/html, */*;q=0.1", "application/json"),
    ],
)
async def test_accept_negotiation(client: httpx.AsyncClient, accept: str | None, media: str) -> None:
    response = await post(client, {"query": "{ hello }"}, accept=accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"


async def test_not_acceptable(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello }"}, accept="text/plain")
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    ("body", "code_json", "code_grj"),
    [
        ({"query": "{"}, 200, 400),  # parse error
        ({"query": "{ nope }"}, 200, 400),  # validation error
        ({"query": "query($n: Int!) { topProducts(first: $n) { id } }", "variables": {"n": "x"}}, 200, 400),
        ({"query": "query A { hello } query B { hello }"}, 200, 400),  # which operation?
    ],
)
async def test_request_errors_status_depends_on_media_type(
    client: httpx.AsyncClient, body: dict[str, Any], code_json: int, code_grj: int
) -> None:
    as_json = await post(client, body, accept="application/json")
    assert as_json.status_code == code_json
    as_grj = await post(client, body, accept=GRJ)
    assert as_grj.status_code == code_grj
    for response in (as_json, as_grj):
        payload = response.json()
        assert "data" not in payload
        assert payload["errors"] and all("code" in e["extensions"] for e in payload["errors"])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{ "not a JSON',
        b"[1, 2]",
        b'{"notquery": "{ hello }"}',
        b'{"query": 1}',
        b'{"query": ["{ hello }"]}',
        b'{"query": "{ hello }", "operationName": 0}',
        b'{"query": "{ hello }", "variables": "x"}',
        b'{"query": "{ hello }", "variables": []}',
        b'{"query": "{ hello }", "extensions": "x"}',
    ],
)
async def test_malformed_requests_are_400_in_both_media_types(client: httpx.AsyncClient, body: bytes) -> None:
    for accept in ("application/json", GRJ):
        response = await post(client, body, accept=accept)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_null_parameters_are_allowed(client: httpx.AsyncClient) -> None:
    body = {"query": "{ hello }", "operationName": None, "variables": None, "extensions": None}
    response = await post(client, body)
    assert response.status_code == 200 and response.json() == {"data": {"hello": "world"}}


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"],
)
async def test_unsupported_content_types(client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"accept": GRJ}
    if content_type:
        headers["content-type"] = content_type
    response = await client.post("/graphql", content=b'{"query": "{ hello }"}', headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_json_content_type_with_utf8_charset(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content='{"query": "{ hello } # ünïcödé"}'.encode(),
        headers={"content-type": "application/json; charset=UTF-8", "accept": GRJ},
    )
    assert response.status_code == 200


async def test_get_query_with_variables(client: httpx.AsyncClient) -> None:
    params = {
        "query": "query T($name: String!) { __type(name: $name) { name } }",
        "variables": '{"name": "Product"}',
    }
    response = await client.get("/graphql", params=params, headers={"accept": GRJ})
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": {"name": "Product"}}}


async def test_get_mutation_is_405_with_allow_post(client: httpx.AsyncClient) -> None:
    params = {"query": 'mutation { setHello(value: "x") }'}
    for accept in ("application/json", GRJ):
        response = await client.get("/graphql", params=params, headers={"accept": accept})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_get_bad_params(client: httpx.AsyncClient) -> None:
    assert (await client.get("/graphql", headers={"accept": GRJ})).status_code == 400
    bad_vars = {"query": "{ hello }", "variables": "{nope"}
    assert (await client.get("/graphql", params=bad_vars, headers={"accept": GRJ})).status_code == 400


async def test_other_methods_are_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_query_plan_header(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello }"}, headers={"x-query-plan": "true"})
    assert response.json()["extensions"]["queryPlan"]["kind"] == "QueryPlan"
    response = await post(client, {"query": "{ hello }"})
    assert "extensions" not in response.json()


async def test_internal_errors_hide_details() -> None:
    class Exploding(SchemaExecutor):
        async def execute(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            raise RuntimeError("password=hunter2 at /srv/app.py line 3")

    supergraph = tiny_supergraph()
    gateway = Gateway(supergraph, executor=Exploding(supergraph), planner=RecordingPlanner())
    app = create_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        response = await post(c, {"query": "{ hello }"}, accept="application/json")
    assert response.status_code == 500
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_graphiql_page_and_assets_are_local(client: httpx.AsyncClient) -> None:
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/", "/graphql"):
        page = await client.get(path, headers={"accept": browser_accept})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "https://" not in page.text and "http://" not in page.text
        assert '"queryPlanHeader":"x-query-plan"' in page.text
    for asset in (
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "gateway-graphiql.js",
    ):
        response = await client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 1000


async def test_graphiql_can_be_disabled() -> None:
    app, _ = make_app(graphiql=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        assert (await c.get("/", headers={"accept": "text/html"})).status_code == 404
        response = await c.get(
            "/graphql", params={"query": "{ hello }"}, headers={"accept": "text/html, */*"}
        )
        assert response.json() == {"data": {"hello": "world"}}


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_probes_every_subgraph() -> None:
    state = {"reviews": "ok"}

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        assert body == {"query": "{ __typename }"}
        if request.url.hostname == "reviews.test":
            if state["reviews"] == "slow":
                await asyncio.sleep(5)
            if state["reviews"] == "down":
                return Response("boom", 502)
            if state["reviews"] == "html":
                return Response("<html>", 200, media_type="text/html")
        return JSONResponse({"data": {"__typename": "Query"}})

    subgraphs = FastAPI(routes=[Route("/graphql", graphql, methods=["POST"])])
    probe = HttpSubgraphProbe(httpx.ASGITransport(subgraphs))
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=ServerSettings(ready_timeout=0.3),
    )
    app = create_app(gateway, probe=probe)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        ok = await c.get("/ready")
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"status": "ready", "subgraphs": {"products": "ok", "reviews": "ok"}}
        for mode, reason in [
            ("down", "HTTP status 502"),
            ("html", "not JSON"),
            ("slow", "no answer within 0.3s"),
        ]:
            state["reviews"] = mode
            failed = await c.get("/ready")
            assert failed.status_code == 503, mode
            payload = failed.json()
            assert payload["status"] == "unavailable"
            assert payload["subgraphs"]["products"] == "ok"
            assert reason in payload["subgraphs"]["reviews"]
            assert "reviews" in payload["reason"]
    await probe.aclose()


async def test_ready_fails_on_refused_connection() -> None:
    probe = HttpSubgraphProbe()
    try:
        reason = await probe(Subgraph("x", "http://127.0.0.1:9/graphql", "X"), 0.5)
    finally:
        await probe.aclose()
    assert reason is not None and reason.startswith("request failed")


async def test_ready_without_supergraph() -> None:
    gateway = Gateway(None, executor=SchemaExecutor(tiny_supergraph()), planner=RecordingPlanner())
    app = create_app(gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        response = await c.get("/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "no supergraph is loaded"}
        graphql = await post(c, {"query": "{ hello }"})
        assert graphql.status_code == 500


async def test_oversized_bodies_are_refused() -> None:
    app, _ = make_app(limits=Limits(http_max_request_bytes=64))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        big = {"query": "{ hello }", "variables": {"padding": "x" * 100}}
        response = await post(c, big)
        assert response.status_code == 413
        assert (await post(c, {"query": "{ hello }"})).status_code == 200
