"""Two gateway processes sharing one Redis: APQ registered on one is served by the other, one rate-limit bucket
is drawn from by both, a safelist refuses on both, and a development token is accepted by both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from gateway.server.auth.dev_key import dev_auth_env, ensure_dev_key
from gateway.server.persisted import sha256_hex
from tests.server.live import free_port

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
GRJ = "application/graphql-response+json"

# A gateway replica without subgraphs: the real app and pipeline, the operation run on the API schema.
REPLICA = textwrap.dedent(
    """
    import random, sys
    import uvicorn
    from gateway.server import Gateway, ServerSettings, create_app
    from gateway.server.operation_control import operation_control_from_env
    from tests.server.support import RecordingPlanner, SchemaExecutor, tiny_supergraph

    supergraph = tiny_supergraph()
    gateway = Gateway(supergraph, executor=SchemaExecutor(supergraph), planner=RecordingPlanner(),
                      settings=ServerSettings(), rng=random.Random(1))
    app = operation_control_from_env(create_app(gateway))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def start_replicas(env: dict[str, str], count: int = 2) -> tuple[list[str], list[subprocess.Popen[bytes]]]:
    urls, processes = [], []
    for _ in range(count):
        port = free_port()
        processes.append(
            subprocess.Popen([sys.executable, "-c", REPLICA, str(port)], cwd=ROOT, env={**os.environ, **env})
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for url, process in zip(urls, processes, strict=True):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"replica exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("replica did not become healthy")
            time.sleep(0.1)
    return urls, processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    prefix = f"test:replicas:{uuid.uuid4().hex}:"
    data_dir = tmp_path_factory.mktemp("data")
    env = {
        "GATEWAY_REDIS_URL": REDIS_URL,
        "GATEWAY_REDIS_PREFIX": prefix,
        "GATEWAY_RATE_LIMIT": "6/600",
        **dev_auth_env(ensure_dev_key(data_dir)),
    }
    urls, processes = start_replicas(env)
    try:
        yield urls, data_dir
    finally:
        stop(processes)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


async def post(url: str, body: dict[str, object], **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{url}/graphql", json=body, headers={"accept": GRJ, **headers}, timeout=10)


async def test_apq_rate_limits_and_tokens_are_shared(shared: tuple[list[str], Path]) -> None:
    (a, b), data_dir = shared
    query = "query Replicated { hello }"
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}

    miss = await post(a, {"extensions": ext})
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await post(a, {"query": query, "extensions": ext})).json() == {"data": {"hello": "world"}}
    assert (await post(b, {"extensions": ext})).json() == {"data": {"hello": "world"}}  # registered on a

    # One bucket of 6 for this address across both replicas: 3 used above, 3 more, then both refuse.
    statuses = [(await post(url, {"query": "{ hello }"})).status_code for url in (b, a, b)]
    assert statuses == [200, 200, 200]
    for url in (a, b):
        refused = await post(url, {"query": "{ hello }"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "REQUEST_RATE_LIMITED"

    # A signed-in client has its own bucket, and both replicas trust the development key.
    token = ensure_dev_key(data_dir).sign("User:1", ["orders:manage"], 60)
    for url in (a, b):
        response = await post(url, {"query": "{ hello }"}, authorization=f"Bearer {token}")
        assert response.status_code == 200, response.text
    bad = await post(a, {"query": "{ hello }"}, authorization=f"Bearer {token[:-4]}AAAA")
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")


@pytest.fixture(scope="module")
def safelisted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    manifest = tmp_path_factory.mktemp("pq") / "persisted-query-manifest.json"
    operations = [{"id": "hello-v1", "name": "Hello", "type": "query", "body": "query Hello { hello }"}]
    manifest.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations})
    )
    urls, processes = start_replicas(
        {"GATEWAY_PERSISTED_QUERIES": str(manifest), "GATEWAY_SAFELIST": "safelist"}
    )
    try:
        yield urls
    finally:
        stop(processes)


async def test_safelist_is_enforced_by_every_replica(safelisted: list[str]) -> None:
    for url in safelisted:
        assert (await post(url, {"documentId": "hello-v1"})).json() == {"data": {"hello": "world"}}
        assert (await post(url, {"query": "query Hello { hello }"})).status_code == 200
        refused = await post(url, {"query": "{ hello }"})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
        apq_attempt = await post(
            url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex("{ hello }")}}}
        )
        assert apq_attempt.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
