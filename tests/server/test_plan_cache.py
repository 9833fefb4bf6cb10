"""The plan cache (gateway.server.plan_cache): hashed keys, bounds in entries and bytes, failures apart,
memory released when entries go."""

from __future__ import annotations

import gc
import random
import weakref
from typing import Any

from gateway.server import Gateway, PreparedOperation, RequestFailure
from gateway.server.limits import Limits
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


def test_cached_plans_that_ran_are_freed_by_reference_counting_alone() -> None:
    """Cached plans are frozen out of the collector's reach (``gateway.server.runtime``), so an evicted entry
    must go by reference counting: a reference cycle anywhere in it (plan, document, the executor's compiled
    shaping) kept every evicted plan that had run for the life of the process (bench/abuse.py: RSS grew
    about 0.5 MB a second under fuzzing)."""
    from gateway.execution import Executor
    from gateway.planning import plan_operation

    from .test_fuzz import SUPERGRAPH

    executor = Executor(SUPERGRAPH, None)  # type: ignore[arg-type]  # nothing is sent: plans are only prepared
    gateway = Gateway(
        SUPERGRAPH,
        executor=executor,
        planner=plan_operation,
        settings=ServerSettings(prepare_in_worker=False),
    )
    documents = [
        '{ user(id: "1") { name orders(first: 2) { edges { node { id status } } } } }',
        "query($s: Boolean!) { products(first: 3) { edges { node { id name @skip(if: $s) } } } }",
        '{ node(id: "User:1") { id ... on User { email } ...F } } fragment F on Order { status }',
        "{ a: products(first: 1) { totalCount } b: products(first: 2) { totalCount } __schema { queryType { name } } }",
    ]
    gc.collect()
    gc.disable()
    try:
        nodes = []
        for document in documents:
            entry, _ = gateway.prepare(document, None)
            assert isinstance(entry, PreparedOperation), entry
            prepared = executor._prepare(entry.plan)
            assert prepared.operation is not None
            prepared.operation.shape({"s": True})
            prepared.operation.shape({"s": False})
            nodes.append(weakref.ref(prepared.operation.operation))
            del entry, prepared
        assert all(ref() is not None for ref in nodes)
        gateway.plan_cache.clear()
        assert [ref() for ref in nodes] == [None] * len(documents)
        assert len(executor._prepared) == 0
    finally:
        gc.enable()


def test_a_document_that_fails_to_parse_leaves_no_token_chain_behind() -> None:
    """The lexer links every token to the next and the previous: a reference cycle through the whole text. A
    parse failure (a syntax error) used to leave it for the collector, one young collection
    of tens of thousands of objects (a pause of the event loop, /health under bench/abuse.py)."""
    from graphql.language.ast import Token

    from gateway.planning import plan_operation

    gateway = make_gateway(plan_operation, limits=Limits(max_tokens=500))
    fields = " ".join(f"f{i}" for i in range(400))
    failing = [  # past the text scan's limits, refused by the parser after 400 tokens
        "{ " + fields + " : }",
        "{ " + fields + " ) }",
        "query Q($v: Int = ) { " + fields + " }",
    ]
    gc.collect()
    gc.disable()
    try:
        for document in failing:
            failure, _ = gateway.prepare(document, None)
            assert isinstance(failure, RequestFailure), failure
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        tokens = sum(isinstance(o, Token) for o in gc.garbage)
        assert tokens == 0, tokens
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
