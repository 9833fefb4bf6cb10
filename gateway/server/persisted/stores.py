"""Where automatically persisted queries are kept: in memory (one process) or in Redis (shared by replicas)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Protocol

__all__ = ["DocumentStore", "MemoryDocumentStore", "RedisDocumentStore"]

_log = logging.getLogger(__name__)


class DocumentStore(Protocol):
    """Documents by SHA-256 hash (hex). ``get`` of an unknown hash is ``None``."""

    async def get(self, sha256_hash: str) -> str | None: ...

    async def put(self, sha256_hash: str, document: str) -> None: ...


class MemoryDocumentStore:
    """A bounded LRU: the least recently used document goes once ``max_entries`` are held."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self._max = max_entries
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, sha256_hash: str) -> str | None:
        document = self._documents.get(sha256_hash)
        if document is not None:
            self._documents.move_to_end(sha256_hash)
        return document

    async def put(self, sha256_hash: str, document: str) -> None:
        self._documents[sha256_hash] = document
        self._documents.move_to_end(sha256_hash)
        while len(self._documents) > self._max:
            self._documents.popitem(last=False)


class RedisDocumentStore:
    """Documents under ``prefix + hash`` in Redis with a TTL that a hit renews, so live queries stay.

    ``redis`` is a ``redis.asyncio.Redis`` (any client with async ``get``/``set``/``expire``). An unreachable
    Redis degrades to misses (logged): clients then send the full query, which still runs. redis-py is
    imported only here, so a gateway without Redis never loads it.
    """

    def __init__(self, redis: Any, *, prefix: str = "fedgw:apq:", ttl: int | None = 7 * 86400) -> None:
        from redis.exceptions import RedisError

        self._unavailable: type[Exception] = RedisError
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    async def get(self, sha256_hash: str) -> str | None:
        key = self._prefix + sha256_hash
        try:
            value = await self._redis.get(key)
            if value is not None and self._ttl:
                await self._redis.expire(key, self._ttl)
        except self._unavailable as exc:
            _log.warning("APQ store unavailable, treating %s as a miss: %s", sha256_hash, exc)
            return None
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def put(self, sha256_hash: str, document: str) -> None:
        try:
            await self._redis.set(self._prefix + sha256_hash, document, ex=self._ttl)
        except self._unavailable as exc:
            _log.warning("APQ store unavailable, %s not stored: %s", sha256_hash, exc)
