"""Production switches: introspection, GraphiQL and query-plan exposure each configurable, and one
``--production`` (or ``GATEWAY_PRODUCTION``) that turns the three off and every operation limit on."""

from __future__ import annotations

import argparse
import random
from typing import Any

import httpx
import pytest

from gateway.commands import serve
from gateway.server import Gateway, ServerSettings, create_app
from gateway.server.limits import Limits

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

INTROSPECT = "query { __schema { queryType { name } } }"


def settings(argv: list[str], environ: dict[str, str] | None = None) -> ServerSettings:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return serve.settings_for(parser.parse_args(["serve", *argv]), None, environ or {})


def client(settings: ServerSettings) -> httpx.AsyncClient:
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=settings,
        rng=random.Random(1),
    )
    app = create_app(gateway, settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw")


@pytest.mark.parametrize(
    ("argv", "environ"),
    [(["--production", "--expose-query-plan"], {}), ([], {"GATEWAY_PRODUCTION": "true"})],
)
def test_production_turns_the_switches_off_and_the_limits_on(
    argv: list[str], environ: dict[str, str]
) -> None:
    lifted = {"GATEWAY_LIMITS_MAX_DEPTH": "none", "GATEWAY_LIMITS_MAX_ALIASES": "7", **environ}
    found = settings(argv, lifted)
    assert (found.introspection, found.graphiql, found.expose_query_plan) == (False, False, False)
    assert found.limits.max_depth == Limits().max_depth  # lifted, then put back
    assert found.limits.max_aliases == 7  # a limit set tighter stays so


def test_each_switch_on_its_own() -> None:
    assert settings([]).introspection and settings([]).graphiql
    assert not settings(["--no-introspection"]).introspection
    assert not settings([], {"GATEWAY_INTROSPECTION": "false"}).introspection
    assert not settings(["--no-graphiql"]).graphiql


async def test_introspection_is_refused_when_off_and_typename_still_answers() -> None:
    off = ServerSettings(introspection=False, prepare_in_worker=False)
    async with client(off) as c:
        refused = await c.post("/graphql", json={"query": INTROSPECT})
        body: dict[str, Any] = refused.json()
        assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED" and "data" not in body
        spread = await c.post(
            "/graphql", json={"query": '{ ...F } fragment F on Query { __type(name: "Query") { name } }'}
        )
        assert spread.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        typename = await c.post("/graphql", json={"query": "{ __typename hello }"})
        assert typename.json()["data"] == {"__typename": "Query", "hello": "world"}
    async with client(ServerSettings(prepare_in_worker=False)) as c:
        answered = await c.post("/graphql", json={"query": INTROSPECT})
        assert answered.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_serves_no_graphiql_page() -> None:
    async with client(ServerSettings().production()) as c:
        page = await c.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()
