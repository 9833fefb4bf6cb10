"""Per-client rate limiting with a token bucket, in memory (one process) or in Redis (shared by replicas).

Each client (the token's subject, else its address) has a bucket of ``capacity`` tokens that refills at
``refill_per_second``; a request takes one. An empty bucket refuses with HTTP 429, ``Retry-After`` (RFC 9110
10.2.3) and Apollo Router's error (``REQUEST_RATE_LIMITED``, "Your request has been rate limited").
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.server.errors import error_dict

__all__ = [
    "REQUEST_RATE_LIMITED",
    "MemoryTokenBuckets",
    "RateDecision",
    "RateLimit",
    "RedisTokenBuckets",
    "TokenBuckets",
    "client_key",
]

REQUEST_RATE_LIMITED = "REQUEST_RATE_LIMITED"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    """A burst of ``capacity`` requests, then ``refill_per_second`` on average."""

    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.refill_per_second <= 0:
            raise ValueError("a rate limit needs a capacity of at least 1 and a positive refill rate")


@dataclass(frozen=True)
class RateDecision:
    """Whether the request may go on; if not, how many seconds until it could (``retry_after``)."""

    allowed: bool
    remaining: float
    retry_after: float = 0.0

    def retry_after_header(self) -> str:
        """``Retry-After`` in whole seconds, rounded up so a client that waits that long is served."""
        return str(max(1, math.ceil(self.retry_after)))

    def response_headers(self) -> dict[str, str]:
        return {} if self.allowed else {"Retry-After": self.retry_after_header()}

    def error_dict(self) -> dict[str, Any]:
        return error_dict("Your request has been rate limited", REQUEST_RATE_LIMITED)


def client_key(subject: str | None, address: str | None) -> str:
    """Whose bucket a request draws from: the verified subject, else the client address."""
    if subject:
        return f"sub:{subject}"
    return f"addr:{address or 'unknown'}"


class TokenBuckets(Protocol):
    async def take(self, key: str, cost: int = 1) -> RateDecision: ...


def _check_cost(limit: RateLimit, cost: int) -> None:
    if not 1 <= cost <= limit.capacity:
        raise ValueError(f"a request costs between 1 and the capacity ({limit.capacity}), not {cost}")


class MemoryTokenBuckets:
    """Buckets in this process; ``clock`` is injectable, at most ``max_clients`` buckets (LRU) are kept."""

    def __init__(
        self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    async def take(self, key: str, cost: int = 1) -> RateDecision:
        _check_cost(self.limit, cost)
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self.limit.capacity), now))
        tokens = min(self.limit.capacity, tokens + max(0.0, now - at) * self.limit.refill_per_second)
        if tokens >= cost:
            decision = RateDecision(True, tokens - cost)
            tokens -= cost
        else:
            decision = RateDecision(False, tokens, (cost - tokens) / self.limit.refill_per_second)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return decision


# Atomic refill-and-take on one hash. The clock is Redis's own TIME, so replicas with skewed clocks agree.
# Numbers travel as strings: Lua numbers returned to Redis are truncated to integers.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(tokens), tostring(retry)}
"""


class RedisTokenBuckets:
    """Buckets in Redis under ``prefix + key``, shared by every gateway process using the same prefix.

    ``redis`` is a ``redis.asyncio.Redis``. With ``fail_open`` a Redis outage lets requests through (logged)
    rather than refusing every client; a bucket expires once it would be full again.
    """

    def __init__(
        self, redis: Any, limit: RateLimit, *, prefix: str = "fedgw:rl:", fail_open: bool = True
    ) -> None:
        self.limit = limit
        self._prefix = prefix
        self._fail_open = fail_open
        self._script = redis.register_script(_TAKE)

    async def take(self, key: str, cost: int = 1) -> RateDecision:
        _check_cost(self.limit, cost)
        try:
            allowed, tokens, retry = await self._script(
                keys=[self._prefix + key],
                args=[self.limit.capacity, repr(self.limit.refill_per_second), cost],
            )
        except Exception as exc:  # redis.RedisError and connection errors alike
            if not self._fail_open:
                raise
            _log.warning("rate limit store unavailable, letting the request through: %s", exc)
            return RateDecision(True, float(self.limit.capacity))
        return RateDecision(bool(int(allowed)), float(tokens), float(retry))
