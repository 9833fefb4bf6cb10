"""The Redis connection that APQ and rate limits share when gateway replicas must agree (``GATEWAY_REDIS_URL``).

Timeouts are short and retries few on purpose: Redis sits on the request path, and a Redis outage must cost
a request milliseconds (rate limits fail open, APQ misses), not the seconds of redis-py's default backoff.

redis-py (about 8 MiB of the process's memory) is imported when a connection is made: a gateway that uses no
Redis never loads it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["connect_redis"]


def connect_redis(url: str, *, timeout: float = 0.5, retries: int = 1) -> Any:
    """A ``redis.asyncio.Redis`` for ``url`` (``redis://host:port/db``); it connects on first use."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries),
        health_check_interval=30,
    )
