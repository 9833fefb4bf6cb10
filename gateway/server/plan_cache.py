"""The plan cache: prepared operations by document hash, bounded in entries and in bytes, failures apart.

A repeated request skips parsing, validation and planning. Entries are keyed by the SHA-256 of the document
text with the operation name and the facts that change the plan (override labels), so the key never holds the
document. Each entry is charged an estimate of the memory it keeps alive (its parsed document and plan grow
with the text); a document longer than ``max_document_bytes`` is never cached. Documents that cannot run are
remembered in a separate, small LRU, so a stream of distinct invalid documents cannot push out the plans.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["PlanCache", "PlanCacheKey", "estimate_entry_bytes", "plan_cache_key"]

V = TypeVar("V")

PlanCacheKey = tuple[bytes, str | None, frozenset[str]]

# Measured on the demo's documents: per token its node, location and token objects and its share of the plan
# (tracemalloc: 215 bytes for a comment, about 500 for a field), and per character of text what the RSS of
# bench/plan_cache_memory.py grows by for comment-padded documents (the source, the tokens' own copies of
# comments and strings, the allocator's share: about 7 bytes); a small fixed part for the entry.
_BYTES_PER_CHARACTER = 7
_BYTES_PER_TOKEN = 512
_ENTRY_OVERHEAD = 4096
# The estimate is at least what the entries' objects take (tracemalloc: 0.7 to 0.9 of it for fuzzed documents),
# but as a full cache turns over the process's RSS grows about 1.5 times the estimate (the allocator's arenas
# keep the holes evicted entries leave): under bench/abuse.py's fuzzing, a 16 MiB budget grew RSS by 25 MB in
# all and 32 MiB by 45 to 52 MB. The default, 24 MiB, holds about 400 operations of the size of bench/run.py's
# workload query (534 characters, 105 tokens: 62 KB estimated).


def plan_cache_key(query: str, operation_name: str | None, facts: frozenset[str]) -> PlanCacheKey:
    """The cache key of one request: the document's digest, the operation name and the plan-changing facts."""
    return (hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest(), operation_name, facts)


def estimate_entry_bytes(query: str, tokens: int) -> int:
    """What caching the prepared operation of ``query`` (of ``tokens`` tokens) is expected to keep alive."""
    return _ENTRY_OVERHEAD + _BYTES_PER_CHARACTER * len(query) + _BYTES_PER_TOKEN * tokens


class _Lru(Generic[V]):
    """Least-recently-used map bounded by entries and by the sum of the entries' estimated sizes."""

    def __init__(self, capacity: int, max_bytes: int) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if self.capacity <= 0 or size > self.max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.capacity or self.bytes > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries


class PlanCache(Generic[V]):
    """Plans (``capacity`` entries, ``max_bytes``) and failures (``failure_capacity`` entries, a sixteenth of
    the bytes), with hit and miss counters. A capacity of 0 disables that part."""

    def __init__(
        self,
        capacity: int,
        *,
        max_bytes: int = 24 * 1024 * 1024,
        max_document_bytes: int = 256 * 1024,
        failure_capacity: int = 128,
    ) -> None:
        self.capacity = capacity
        self.max_document_bytes = max_document_bytes
        self.plans: _Lru[V] = _Lru(capacity, max_bytes)
        self.failures: _Lru[V] = _Lru(failure_capacity, max_bytes // 16)
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        entry = self.plans.get(key)
        if entry is None:
            entry = self.failures.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key: Hashable, value: V, *, size: int = _ENTRY_OVERHEAD, failure: bool = False) -> None:
        """Remember ``value``; ``size`` is its estimate (``estimate_entry_bytes``)."""
        (self.failures if failure else self.plans).put(key, value, size)

    def cacheable(self, query: str) -> bool:
        """Whether a document of this length may be cached at all."""
        return len(query) <= self.max_document_bytes

    @property
    def bytes(self) -> int:
        return self.plans.bytes + self.failures.bytes

    def clear(self) -> None:
        self.plans.clear()
        self.failures.clear()

    def __len__(self) -> int:
        return len(self.plans) + len(self.failures)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.plans or key in self.failures
