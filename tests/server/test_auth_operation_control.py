"""The operation controls in front of the real gateway app: auth, rate limits and persisted queries over HTTP."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.planning.plan import QueryPlan
from gateway.server import Gateway, ServerSettings, create_app
from gateway.server.auth import AuthSettings, JwtAuthenticator
from gateway.server.operation_control import OperationControl, operation_control_from_env, parse_rate_limit
from gateway.server.persisted import (
    MemoryDocumentStore,
    PersistedDocuments,
    PersistedQueryManifest,
    sha256_hex,
)
from gateway.server.rate_limit import MemoryTokenBuckets, RateLimit

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

GRJ = "application/graphql-response+json"
KEY = ec.generate_private_key(ec.SECP256R1())
KID = "test-key"


class HeaderRecordingExecutor(SchemaExecutor):
    """Runs the operation on the API schema and keeps the request headers the executor was given."""

    def __init__(self) -> None:
        super().__init__(tiny_supergraph())
        self.seen: list[dict[str, str]] = []

    async def execute(
        self, plan: QueryPlan, variables: dict[str, Any], *, request_headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        self.seen.append({k.lower(): v for k, v in (request_headers or {}).items()})
        return await super().execute(plan, variables, request_headers=request_headers)


def token(sub: str = "User:1", **claims: Any) -> str:
    payload = {"sub": sub, "aud": "gw", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(payload, KEY, algorithm="ES256", headers={"kid": KID})


def jwks_file(tmp_path: Path) -> str:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "alg": "ES256", "use": "sig"}]}))
    return str(path)


MANIFEST = {
    "format": "apollo-persisted-query-manifest",
    "version": 1,
    "operations": [{"id": "hello-v1", "name": "Hello", "type": "query", "body": "query Hello { hello }"}],
}


def make_client(executor: HeaderRecordingExecutor, **controls: Any) -> httpx.AsyncClient:
    supergraph = executor.supergraph
    gateway = Gateway(
        supergraph,
        executor=executor,
        planner=RecordingPlanner(),
        settings=ServerSettings(),
        rng=random.Random(1),
    )
    app = OperationControl(create_app(gateway), **controls)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app, client=("10.1.2.3", 5555)), base_url="http://gw"
    )


async def post(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        content=json.dumps(body),
        headers={"content-type": "application/json", "accept": GRJ, **headers},
    )


@pytest.fixture
async def auth_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, HeaderRecordingExecutor]]:
    executor = HeaderRecordingExecutor()
    authenticator = JwtAuthenticator(AuthSettings(jwks_file=jwks_file(tmp_path), audience=("gw",)))
    async with make_client(executor, authenticator=authenticator) as client:
        yield client, executor


async def test_verified_claims_reach_the_executor_and_forged_ones_do_not(
    auth_client: tuple[httpx.AsyncClient, HeaderRecordingExecutor],
) -> None:
    client, executor = auth_client
    forged = json.dumps({"sub": "Admin"})
    anonymous = await post(client, {"query": "{ hello }"}, **{"x-claims": forged})
    assert anonymous.status_code == 200 and anonymous.json() == {"data": {"hello": "world"}}
    assert "x-claims" not in executor.seen[-1]
    signed_in = await post(
        client,
        {"query": "{ hello }"},
        authorization=f"Bearer {token(scope='orders:manage')}",
        **{"x-claims": forged},
    )
    assert signed_in.status_code == 200
    claims = json.loads(executor.seen[-1]["x-claims"])
    assert claims["sub"] == "User:1" and claims["scope"] == "orders:manage"


async def test_an_invalid_token_is_401_and_never_executes(
    auth_client: tuple[httpx.AsyncClient, HeaderRecordingExecutor],
) -> None:
    client, executor = auth_client
    response = await post(client, {"query": "{ hello }"}, authorization=f"Bearer {token(aud='other')}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.headers["content-type"].startswith(GRJ)
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "audience"}
    assert executor.seen == []


async def test_rate_limit_per_subject_else_address() -> None:
    executor = HeaderRecordingExecutor()
    limiter = MemoryTokenBuckets(RateLimit(capacity=2, refill_per_second=0.001))
    async with make_client(executor, rate_limiter=limiter) as client:
        statuses = [(await post(client, {"query": "{ hello }"})).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await post(client, {"query": "{ hello }"})
        assert refused.headers["retry-after"].isdigit() and int(refused.headers["retry-after"]) >= 1
        assert refused.json() == {
            "errors": [
                {
                    "message": "Your request has been rate limited",
                    "extensions": {"code": "REQUEST_RATE_LIMITED"},
                }
            ]
        }
    assert len(executor.seen) == 2


async def test_authenticated_clients_have_their_own_bucket(tmp_path: Path) -> None:
    executor = HeaderRecordingExecutor()
    limiter = MemoryTokenBuckets(RateLimit(capacity=1, refill_per_second=0.001))
    authenticator = JwtAuthenticator(AuthSettings(jwks_file=jwks_file(tmp_path), audience=("gw",)))
    async with make_client(executor, authenticator=authenticator, rate_limiter=limiter) as client:
        assert (await post(client, {"query": "{ hello }"})).status_code == 200
        assert (await post(client, {"query": "{ hello }"})).status_code == 429
        for sub in ("User:1", "User:2"):
            bearer = f"Bearer {token(sub)}"
            assert (await post(client, {"query": "{ hello }"}, authorization=bearer)).status_code == 200
            assert (await post(client, {"query": "{ hello }"}, authorization=bearer)).status_code == 429


async def test_apq_over_post_and_get() -> None:
    executor = HeaderRecordingExecutor()
    async with make_client(executor, persisted=PersistedDocuments(apq=MemoryDocumentStore())) as client:
        query = "{ hello }"
        ext = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
        miss = await post(client, {"extensions": ext})
        assert miss.status_code == 200
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"
        assert (await post(client, {"query": query, "extensions": ext})).json() == {
            "data": {"hello": "world"}
        }
        assert (await post(client, {"extensions": ext})).json() == {"data": {"hello": "world"}}
        got = await client.get("/graphql", params={"extensions": json.dumps(ext)}, headers={"accept": GRJ})
        assert got.status_code == 200 and got.json() == {"data": {"hello": "world"}}
        mismatch = await post(client, {"query": "{ __typename }", "extensions": ext})
        assert mismatch.status_code == 400
        assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert len(executor.seen) == 3


async def test_persisted_operations_and_safelist() -> None:
    executor = HeaderRecordingExecutor()
    documents = PersistedDocuments(manifest=PersistedQueryManifest.from_json(MANIFEST), safelist=True)
    async with make_client(executor, persisted=documents) as client:
        by_id = await post(client, {"documentId": "hello-v1"})
        assert by_id.status_code == 200 and by_id.json() == {"data": {"hello": "world"}}
        assert (await post(client, {"query": "query Hello {\n  hello\n}"})).status_code == 200
        refused = await post(client, {"query": "{ hello __typename }"})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
        unknown = await post(client, {"documentId": "nope"})
        assert unknown.status_code == 404
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        malformed = await client.post(
            "/graphql", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400  # still the app's own answer
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text.lower()
    assert len(executor.seen) == 2


async def test_oversized_bodies_are_refused_before_they_are_buffered() -> None:
    executor = HeaderRecordingExecutor()
    documents = PersistedDocuments(apq=MemoryDocumentStore())
    async with make_client(executor, persisted=documents, max_body_bytes=1000) as client:
        response = await post(client, {"query": "{ hello }", "extensions": {"persistedQuery": "x" * 2000}})
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_environment_chooses_the_controls(tmp_path: Path) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    assert operation_control_from_env(app, {"GATEWAY_APQ": "false"}) is app
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    controlled = operation_control_from_env(
        app,
        {
            "GATEWAY_JWKS_FILE": jwks_file(tmp_path),
            "GATEWAY_RATE_LIMIT": "600/60",
            "GATEWAY_PERSISTED_QUERIES": str(manifest),
            "GATEWAY_SAFELIST": "safelist",
        },
    )
    assert isinstance(controlled, OperationControl)
    assert controlled.authenticator is not None and controlled.rate_limiter is not None
    assert (
        controlled.persisted is not None
        and controlled.persisted.safelist
        and controlled.persisted.apq is None
    )
    assert isinstance(operation_control_from_env(app, {}), OperationControl)  # APQ is on by default
    with pytest.raises(ValueError, match="GATEWAY_SAFELIST"):
        operation_control_from_env(app, {"GATEWAY_SAFELIST": "strict"})


def test_parse_rate_limit() -> None:
    assert parse_rate_limit("600/60") == RateLimit(600, 10.0)
    assert parse_rate_limit("5") == RateLimit(5, 5.0)
    for bad in ("", "x/1", "10/0", "0/1", "10/-1"):
        with pytest.raises(ValueError, match="GATEWAY_RATE_LIMIT"):
            parse_rate_limit(bad)
