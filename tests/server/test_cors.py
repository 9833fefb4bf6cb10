"""CORS (gateway.server.cors): preflights answered 204 for allowed origins, nothing for the others."""

from __future__ import annotations

import random

import httpx

from gateway.config import parse_config
from gateway.server import Gateway, create_app
from gateway.server.cors import CorsPolicy
from gateway.server.settings import ServerSettings

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

APP = "https://app.example"


def client(cors: CorsPolicy | None) -> httpx.AsyncClient:
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=ServerSettings(cors=cors),
        rng=random.Random(1),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(create_app(gateway)), base_url="http://gw")


def preflight(origin: str, method: str = "POST", headers: str = "content-type") -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": headers,
    }


async def test_preflight_from_an_allowed_origin_is_answered_204() -> None:
    policy = CorsPolicy(origins=(APP,), allow_credentials=True, max_age=120)
    async with client(policy) as c:
        response = await c.options("/graphql", headers=preflight(APP))
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == APP
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "content-type" in response.headers["access-control-allow-headers"]
        assert response.headers["access-control-max-age"] == "120"
        assert response.headers["vary"] == "Origin"


async def test_actual_request_carries_the_cors_headers() -> None:
    policy = CorsPolicy(origins=(APP,), expose_headers=("x-request-id",))
    async with client(policy) as c:
        response = await c.post("/graphql", json={"query": "{ hello }"}, headers={"origin": APP})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == APP
        assert response.headers["access-control-expose-headers"] == "x-request-id"
        assert "access-control-allow-credentials" not in response.headers


async def test_disallowed_origins_get_no_cors_headers() -> None:
    async with client(CorsPolicy(origins=(APP,))) as c:
        refused = await c.options("/graphql", headers=preflight("https://evil.example"))
        assert refused.status_code == 403
        assert not any(h.startswith("access-control-") for h in refused.headers)
        actual = await c.post(
            "/graphql", json={"query": "{ hello }"}, headers={"origin": "https://evil.example"}
        )
        assert actual.status_code == 200
        assert not any(h.startswith("access-control-") for h in actual.headers)
        wrong_method = await c.options("/graphql", headers=preflight(APP, method="DELETE"))
        assert wrong_method.status_code == 403


async def test_wildcard_origins_never_get_credentials() -> None:
    async with client(CorsPolicy(origins=("*",), allow_credentials=True, allow_headers=("*",))) as c:
        response = await c.options("/graphql", headers=preflight("https://any.example", headers="x-custom"))
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
        assert response.headers["access-control-allow-headers"] == "x-custom"


async def test_without_a_policy_there_are_no_cors_headers() -> None:
    async with client(None) as c:
        response = await c.post("/graphql", json={"query": "{ hello }"}, headers={"origin": APP})
        assert not any(h.startswith("access-control-") for h in response.headers)


def test_cors_from_gateway_yaml_and_environment() -> None:
    config = parse_config(
        "subgraphs: [{name: a, url: 'http://a.test/graphql'}]\n"
        "cors: {origins: ['https://app.example/'], allow_credentials: true, allow_headers: [Content-Type]}\n"
    )
    assert config.cors is not None
    policy = CorsPolicy.from_mapping(config.cors)
    assert policy.origins == (APP,) and policy.allow_credentials and policy.allow_headers == ("content-type",)
    settings = ServerSettings().with_env({"GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example"})
    assert settings.cors is not None and settings.cors.origins == ("https://a.example", "https://b.example")
