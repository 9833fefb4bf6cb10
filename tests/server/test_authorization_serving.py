"""``fedgw serve``'s app puts the operation controls in front of the pipeline: over real HTTP, a signed-in
request's verified claims reach the subgraph, a forged claims header never does, a bad token is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.commands.serve import build_app
from gateway.server import ServerSettings

from .live import serve_in_thread
from .support import tiny_supergraph

KEY = ec.generate_private_key(ec.SECP256R1())
KID = "serving-key"


def token(**claims: Any) -> str:
    payload = {"sub": "User:1", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(payload, KEY, algorithm="ES256", headers={"kid": KID})


def recording_subgraph(seen: list[dict[str, str]]) -> Starlette:
    async def graphql(request: Request) -> JSONResponse:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        body = orjson.loads(await request.body())
        return JSONResponse({"data": {"hello": "world"} if "hello" in body["query"] else {}})

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "alg": "ES256", "use": "sig"}]}))
    seen: list[dict[str, str]] = []
    with serve_in_thread(recording_subgraph(seen)) as subgraph:
        app = build_app(
            tiny_supergraph(f"{subgraph}/graphql"),
            ServerSettings(prepare_in_worker=False),
            environ={"GATEWAY_JWKS_FILE": str(jwks)},
        )
        with serve_in_thread(app) as base:
            yield f"{base}/graphql", seen


def test_served_app_authenticates_and_forwards_only_verified_claims(
    served: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = served
    forged = {"x-claims": json.dumps({"sub": "User:2", "scope": "orders:manage"})}
    anonymous = httpx.post(url, json={"query": "{ hello }"}, headers=forged)
    assert anonymous.status_code == 200 and anonymous.json() == {"data": {"hello": "world"}}
    assert "x-claims" not in seen[-1]

    signed_in = httpx.post(
        url, json={"query": "{ hello }"}, headers={**forged, "authorization": f"Bearer {token()}"}
    )
    assert signed_in.status_code == 200
    assert json.loads(seen[-1]["x-claims"])["sub"] == "User:1"
    assert "authorization" not in seen[-1]  # the token itself stays at the gateway

    calls = len(seen)
    refused = httpx.post(url, json={"query": "{ hello }"}, headers={"authorization": "Bearer not-a-jwt"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert len(seen) == calls


def test_without_a_key_set_nobody_is_authenticated() -> None:
    app = build_app(tiny_supergraph(), ServerSettings(), environ={})
    assert app.authenticator is None and app.persisted is not None  # APQ stays on by default
    assert build_app(
        tiny_supergraph(), ServerSettings(), environ={"GATEWAY_APQ": "off"}
    ).__class__.__name__ == ("FastAPI")
