"""The plan cache (gateway.server.plan_cache): hashed keys, bounds in entries and bytes, failures apart,
memory released when entries go."""

from __future__ import annotations

import gc
import random
import weakref
from typing import Any

from gateway.server import Gateway, PreparedOperation, RequestFailure
from gateway.server.plan_cache import PlanCache, plan_cache_key
from gateway.server.settings import ServerSettings

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph


def make_gateway(planner: Any = None, **settings: object) -> Gateway:
    supergraph = tiny_supergraph()
    return Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=planner or RecordingPlanner(),
        settings=ServerSettings(**settings),  # type: ignore[arg-type]
        rng=random.Random(1),
    )


def padded(i: int, size: int) -> str:
    """A distinct valid document of about ``size`` characters."""
    return f"# {i} " + "x" * size + "\n{ hello }"


def test_the_key_is_a_digest_not_the_document() -> None:
    document = padded(1, 10_000)
    key = plan_cache_key(document, "Q", frozenset({"label"}))
    assert len(key[0]) == 32 and document not in key
    assert key == plan_cache_key(document, "Q", frozenset({"label"}))
    assert key != plan_cache_key(document, None, frozenset({"label"}))


def test_entries_are_bounded_by_bytes_as_well_as_count() -> None:
    cache: PlanCache[str] = PlanCache(100, max_bytes=1000)
    for i in range(10):
        cache.put(i, f"plan {i}", size=300)
    assert len(cache) == 3 and cache.bytes == 900
    assert 9 in cache and 6 not in cache
    cache.put("huge", "plan", size=1001)  # larger than the whole cache: not kept
    assert "huge" not in cache
    cache.clear()
    assert (len(cache), cache.bytes) == (0, 0)


def test_failures_do_not_push_out_plans() -> None:
    gateway = make_gateway(plan_cache_failures=4)
    good, hit = gateway.prepare("{ hello }", None)
    assert isinstance(good, PreparedOperation) and not hit
    for i in range(50):
        failure, _ = gateway.prepare(f"{{ missing{i} }}", None)
        assert isinstance(failure, RequestFailure)
    assert len(gateway.plan_cache.failures) == 4
    assert gateway.prepare("{ hello }", None) == (good, True)
    assert gateway.prepare("{ missing49 }", None)[1]  # the newest failures are remembered


def test_documents_over_the_size_are_never_cached() -> None:
    gateway = make_gateway(plan_cache_max_document_bytes=5_000)
    entry, _ = gateway.prepare(padded(1, 6_000), None)
    assert isinstance(entry, PreparedOperation)
    assert len(gateway.plan_cache) == 0
    assert not gateway.prepare(padded(1, 6_000), None)[1]
    gateway.prepare(padded(1, 1_000), None)
    assert len(gateway.plan_cache) == 1


def test_entry_sizes_follow_the_document() -> None:
    gateway = make_gateway()
    small, _ = gateway.prepare("{ hello }", None)
    large, _ = gateway.prepare(padded(1, 100_000), None)
    assert isinstance(small, PreparedOperation) and isinstance(large, PreparedOperation)
    assert small.size < 10_000 < 100_000 < large.size
    assert gateway.plan_cache.bytes == small.size + large.size


def test_evicted_and_cleared_entries_free_their_documents() -> None:
    from gateway.planning import plan_operation

    # The real planner: the recording double keeps every document it saw.
    gateway = make_gateway(plan_operation, plan_cache_size=2)
    documents = []
    for i in range(3):
        entry, _ = gateway.prepare(padded(i, 1_000), None)
        assert isinstance(entry, PreparedOperation)
        documents.append(weakref.ref(entry.document))
        del entry
    gc.collect()
    # Nothing else (validation, planning, the in-flight table) keeps a parsed document alive.
    assert documents[0]() is None and documents[1]() is not None
    gateway.plan_cache.clear()
    gc.collect()
    assert all(ref() is None for ref in documents)


def test_a_cached_document_keeps_no_comment_or_punctuation_tokens() -> None:
    """A cached document keeps its nodes and their locations, not the lexer's token chain: the comment padding
    a document (the copy of its text the comment token holds) and tokens that start or end no node go at once.
    Fewer objects also make the collector's full passes over the cache shorter."""
    from graphql.language.ast import Token

    from gateway.planning import plan_operation

    gateway = make_gateway(plan_operation)
    entry, _ = gateway.prepare(padded(1, 50_000), None)
    assert isinstance(entry, PreparedOperation)
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, Token) and o.value and len(o.value) >= 50_000]
    assert kept == []
    assert entry.document.loc is not None and entry.document.definitions[0].loc is not None
    assert entry.document.definitions[0].loc.start_token.next is None
