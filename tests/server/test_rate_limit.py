"""Token-bucket rate limits: burst then refusal with Retry-After, refill over time, one bucket shared in Redis."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from gateway.server.rate_limit import (
    REQUEST_RATE_LIMITED,
    MemoryTokenBuckets,
    RateDecision,
    RateLimit,
    RedisTokenBuckets,
    client_key,
)
from gateway.server.redis_client import connect_redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Clock:
    now: float = 500.0

    def __call__(self) -> float:
        return self.now


async def takes(buckets: Any, key: str, n: int) -> list[RateDecision]:
    return [await buckets.take(key) for _ in range(n)]


async def test_burst_then_refusal_with_retry_after() -> None:
    clock = Clock()
    buckets = MemoryTokenBuckets(RateLimit(capacity=3, refill_per_second=0.5), clock=clock)
    decisions = await takes(buckets, "sub:User:1", 4)
    assert [d.allowed for d in decisions] == [True, True, True, False]
    refused = decisions[-1]
    assert refused.retry_after == pytest.approx(2.0)
    assert refused.response_headers() == {"Retry-After": "2"}
    assert refused.error_dict() == {
        "message": "Your request has been rate limited",
        "extensions": {"code": REQUEST_RATE_LIMITED},
    }
    assert decisions[0].response_headers() == {}


async def test_refill_over_time_never_beyond_capacity() -> None:
    clock = Clock()
    buckets = MemoryTokenBuckets(RateLimit(capacity=2, refill_per_second=1), clock=clock)
    await takes(buckets, "k", 2)
    assert not (await buckets.take("k")).allowed
    clock.now += 0.5
    half = await buckets.take("k")
    assert not half.allowed and half.retry_after == pytest.approx(0.5)
    assert half.retry_after_header() == "1"  # rounded up: waiting that long is enough
    clock.now += 0.5
    assert (await buckets.take("k")).allowed
    clock.now += 3600
    assert [d.allowed for d in await takes(buckets, "k", 3)] == [True, True, False]


async def test_clients_have_separate_buckets() -> None:
    buckets = MemoryTokenBuckets(RateLimit(capacity=1, refill_per_second=1), clock=Clock())
    assert (await buckets.take(client_key("User:1", "10.0.0.1"))).allowed
    assert not (await buckets.take(client_key("User:1", "10.0.0.2"))).allowed  # same subject, other address
    assert (await buckets.take(client_key(None, "10.0.0.1"))).allowed  # anonymous: by address
    assert not (await buckets.take(client_key(None, "10.0.0.1"))).allowed


def test_client_key() -> None:
    assert client_key("User:1", "1.2.3.4") == "sub:User:1"
    assert client_key(None, "1.2.3.4") == "addr:1.2.3.4"
    assert client_key("", None) == "addr:unknown"


async def test_memory_buckets_are_bounded() -> None:
    clock = Clock()
    buckets = MemoryTokenBuckets(RateLimit(capacity=1, refill_per_second=0.001), clock=clock, max_clients=2)
    for key in ("a", "b", "c"):
        assert (await buckets.take(key)).allowed
    assert (await buckets.take("a")).allowed  # "a" was evicted, so it starts full again
    assert not (await buckets.take("c")).allowed


def test_invalid_limits_and_costs() -> None:
    for capacity, rate in ((0, 1), (1, 0), (1, -1)):
        with pytest.raises(ValueError):
            RateLimit(capacity, rate)


async def test_a_cost_above_capacity_is_an_error() -> None:
    buckets = MemoryTokenBuckets(RateLimit(capacity=2, refill_per_second=1))
    with pytest.raises(ValueError):
        await buckets.take("k", cost=3)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[Any, str]]:
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"test:rl:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_redis_burst_refusal_and_refill(redis_prefix: tuple[Any, str]) -> None:
    client, prefix = redis_prefix
    buckets = RedisTokenBuckets(client, RateLimit(capacity=3, refill_per_second=10), prefix=prefix)
    decisions = await takes(buckets, "sub:User:1", 4)
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0 < decisions[-1].retry_after <= 0.1
    assert decisions[-1].response_headers() == {"Retry-After": "1"}
    await asyncio.sleep(decisions[-1].retry_after + 0.05)
    assert (await buckets.take("sub:User:1")).allowed
    assert 0 < await client.pttl(prefix + "sub:User:1") <= 1300  # expires once it would be full


async def test_two_clients_share_one_bucket_in_redis(redis_prefix: tuple[Any, str]) -> None:
    client, prefix = redis_prefix
    limit = RateLimit(capacity=5, refill_per_second=0.01)
    other = aioredis.Redis.from_url(REDIS_URL)
    try:
        first = RedisTokenBuckets(client, limit, prefix=prefix)
        second = RedisTokenBuckets(other, limit, prefix=prefix)
        results = await asyncio.gather(*(b.take("addr:10.0.0.9") for b in (first, second) * 5))
        assert sum(d.allowed for d in results) == 5  # atomic: exactly the capacity, never more
        assert not (await second.take("addr:10.0.0.9")).allowed
    finally:
        await other.aclose()


async def test_another_gateway_process_drains_the_shared_bucket(redis_prefix: tuple[Any, str]) -> None:
    client, prefix = redis_prefix
    limit = RateLimit(capacity=4, refill_per_second=0.01)
    here = RedisTokenBuckets(client, limit, prefix=prefix)
    assert (await here.take("sub:User:7")).allowed
    other_gateway = textwrap.dedent(
        f"""
        import asyncio
        import redis.asyncio as aioredis
        from gateway.server.rate_limit import RateLimit, RedisTokenBuckets

        async def main():
            client = aioredis.Redis.from_url({REDIS_URL!r})
            buckets = RedisTokenBuckets(client, RateLimit(4, 0.01), prefix={prefix!r})
            decisions = [await buckets.take("sub:User:7") for _ in range(4)]
            print(" ".join(str(d.allowed) for d in decisions))
            await client.aclose()

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", other_gateway, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().split() == ["True", "True", "True", "False"]
    refused = await here.take("sub:User:7")
    assert not refused.allowed and refused.retry_after > 50


async def test_redis_outage_fails_open_or_raises() -> None:
    dead = connect_redis("redis://127.0.0.1:1/0")
    try:
        limit = RateLimit(capacity=1, refill_per_second=1)
        started = time.monotonic()
        assert (await RedisTokenBuckets(dead, limit).take("k")).allowed
        assert time.monotonic() - started < 1  # an outage costs milliseconds, not redis-py's backoff
        with pytest.raises(redis.exceptions.ConnectionError):
            await RedisTokenBuckets(dead, limit, fail_open=False).take("k")
    finally:
        await dead.aclose()
