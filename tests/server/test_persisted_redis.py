"""APQ shared through the machine's Redis: a query registered by one gateway process is found by another."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.server.persisted import (
    PERSISTED_QUERY_NOT_FOUND,
    PersistedDocuments,
    PersistedQueryError,
    RedisDocumentStore,
    sha256_hex,
)
from gateway.server.redis_client import connect_redis

REDIS_URL = "redis://127.0.0.1:6379/0"
QUERY = "query Me { me { id username } }"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[Any, str]]:
    client = connect_redis(REDIS_URL)
    prefix = f"test:apq:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def test_store_round_trip_with_ttl(redis_prefix: tuple[Any, str]) -> None:
    client, prefix = redis_prefix
    store = RedisDocumentStore(client, prefix=prefix, ttl=60)
    assert await store.get("missing") is None
    await store.put("h", "{ a }")
    assert await store.get("h") == "{ a }"
    assert 0 < await client.ttl(prefix + "h") <= 60


async def test_a_query_registered_by_another_process_is_found(redis_prefix: tuple[Any, str]) -> None:
    client, prefix = redis_prefix
    sha = sha256_hex(QUERY)
    here = PersistedDocuments(apq=RedisDocumentStore(client, prefix=prefix))
    with pytest.raises(PersistedQueryError) as miss:
        await here.resolve({"extensions": apq(sha)})
    assert miss.value.code == PERSISTED_QUERY_NOT_FOUND

    other_gateway = textwrap.dedent(
        f"""
        import asyncio
        import redis.asyncio as aioredis
        from gateway.server.persisted import PersistedDocuments, RedisDocumentStore

        async def main():
            client = aioredis.Redis.from_url({REDIS_URL!r})
            documents = PersistedDocuments(apq=RedisDocumentStore(client, prefix={prefix!r}))
            params = {{"query": {QUERY!r}, "extensions": {apq(sha)!r}}}
            print((await documents.resolve(params))["query"])
            await client.aclose()

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", other_gateway, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == QUERY

    assert (await here.resolve({"extensions": apq(sha)}))["query"] == QUERY


async def test_an_unreachable_redis_degrades_to_misses_and_the_full_query_still_runs() -> None:
    dead = connect_redis("redis://127.0.0.1:1/0")
    try:
        documents = PersistedDocuments(apq=RedisDocumentStore(dead))
        sha = sha256_hex(QUERY)
        with pytest.raises(PersistedQueryError) as miss:
            await documents.resolve({"extensions": apq(sha)})
        assert miss.value.code == PERSISTED_QUERY_NOT_FOUND
        assert (await documents.resolve({"query": QUERY, "extensions": apq(sha)}))["query"] == QUERY
    finally:
        await dead.aclose()
