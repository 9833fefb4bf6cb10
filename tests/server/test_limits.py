"""Operation limits (gateway.server.limits): what each counts, and that the gateway refuses with a coded 400."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
import pytest
from graphql import parse

from gateway.server import Gateway, create_app
from gateway.server.limits import (
    LIMIT_CODES,
    LimitExceeded,
    Limits,
    check_document,
    measure_document,
    scan_text,
)
from gateway.server.settings import ServerSettings, limits_from_env

from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

GRJ = "application/graphql-response+json"


def measured(query: str) -> dict[str, int]:
    return dict(vars(measure_document(parse(query))))


def test_depth_counts_fields_not_fragments() -> None:
    # Apollo Router's example: fragments and inline fragments add no level.
    query = """
        query { product(id: 1) { ...details } }
        fragment details on Product { ... on Product { name } }
    """
    assert measured(query)["depth"] == 2
    assert measured("{ topProducts { id } hello }")["depth"] == 2


def test_height_counts_a_response_key_once_per_selection_set() -> None:
    assert measured("{ hello hello topProducts { id } topProducts { name } }")["height"] == 4
    # A fragment's fields are not merged with its parent's: height is an upper bound.
    assert measured("{ hello ...F } fragment F on Query { hello }")["height"] == 2


def test_aliases_and_fragment_spreads_count_every_expansion() -> None:
    query = "{ ...F ...F } fragment F on Query { a: hello b: hello ...G } fragment G on Query { hello }"
    counts = measured(query)
    assert counts["aliases"] == 4
    assert counts["fragment_spreads"] == 4  # F twice, G once per F


def test_root_fields_include_fragments_at_the_root() -> None:
    assert (
        measured("{ hello ...F } fragment F on Query { topProducts { id } product(id: 1) { id } }")[
            "root_fields"
        ]
        == 3
    )


def test_directives_are_counted_per_selection() -> None:
    assert (
        measured("{ hello @include(if: true) @skip(if: false) topProducts @skip(if: false) { id } }")[
            "directives"
        ]
        == 2
    )


def test_a_doubling_fragment_chain_is_measured_in_linear_time() -> None:
    levels = 60
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ hello }}")
    started = time.process_time()  # CPU time: what a loaded machine disturbs least
    counts = measured("\n".join(parts))
    assert time.process_time() - started < 0.5  # 2**60 fields: only a linear walk ever ends
    assert counts["height"] == 2**levels
    assert counts["fragment_spreads"] == 2 ** (levels + 1) - 1  # 1 + 2 + 4 + ... + 2**levels


def test_cycles_and_unknown_fragments_count_as_empty() -> None:
    counts = measured("{ ...A ...Missing } fragment A on Query { hello ...B } fragment B on Query { ...A }")
    assert counts["height"] == 1  # validation reports the cycle and the unknown fragment


def test_every_definition_is_measured_not_only_the_selected_operation() -> None:
    query = "query Small { hello } query Big { a: hello b: hello c: hello }"
    assert check_document(parse(query), Limits(max_aliases=2)) is not None


def test_scan_counts_tokens_comments_and_nesting_without_parsing() -> None:
    assert (
        scan_text("{ hello } # a comment", Limits(max_tokens=3)).exceeded is not None
    )  # {, hello, }, comment
    assert scan_text("{ hello }", Limits(max_tokens=3)).exceeded is None
    assert scan_text('{ hello(x: "{{{{") }', Limits(max_recursion=2)).exceeded is None  # brackets in strings
    exceeded = scan_text("{ a(x: [[[1]]]) }", Limits(max_recursion=4)).exceeded
    assert exceeded is not None and (exceeded.limit, exceeded.measured) == ("max_recursion", 5)
    # Object fields, arguments and variable definitions are not aliases.
    query = 'query Q($v: Int = 1) { a: hello(x: {k: 1}) @include(if: $v) b: product(id: "1") { c: id } }'
    assert scan_text(query, Limits(max_aliases=3)).exceeded is None
    assert scan_text(query, Limits(max_aliases=2)).exceeded is not None


def test_limits_come_from_the_environment() -> None:
    limits = limits_from_env(
        Limits(), {"GATEWAY_LIMITS_MAX_DEPTH": "7", "GATEWAY_LIMITS_MAX_ALIASES": "none", "OTHER": "1"}
    )
    assert (limits.max_depth, limits.max_aliases, limits.max_height) == (7, None, Limits().max_height)
    with pytest.raises(ValueError, match="GATEWAY_LIMITS_MAX_TOKENS"):
        limits_from_env(Limits(), {"GATEWAY_LIMITS_MAX_TOKENS": "many"})
    assert ServerSettings().with_env({"GATEWAY_LIMITS_HTTP_MAX_REQUEST_BYTES": "10"}).max_body_bytes == 10


def make_client(limits: Limits, planner: Any = None) -> httpx.AsyncClient:
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=planner or RecordingPlanner(),
        settings=ServerSettings(limits=limits),
        rng=random.Random(1),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(create_app(gateway)), base_url="http://gw")


# One document over each limit, with the limit set just below what the document measures.
OVER_EACH_LIMIT = [
    ("max_depth", "{ topProducts { id } }", 1, 2),
    ("max_height", "{ hello topProducts { id name } }", 3, 4),
    ("max_aliases", "{ a: hello b: hello c: hello }", 2, 3),
    ("max_root_fields", "{ hello ...F } fragment F on Query { product(id: 1) { id } }", 1, 2),
    (
        "max_fragment_spreads",
        "{ ...F ...F } fragment F on Query { ...G } fragment G on Query { hello }",
        3,
        4,
    ),
    ("max_directives", "{ hello @skip(if: false) @include(if: true) }", 1, 2),
    ("max_tokens", "{ hello topProducts { id } }", 6, 7),
    ("max_recursion", "{ topProducts { id } }", 1, 2),
    ("max_document_bytes", "{ hello }", 8, 9),
    ("max_number_length", "{ topProducts(first: 100) { id } }", 2, 3),
    ("max_repeated_fields", "{ hello hello topProducts { id } }", 1, 2),
]


@pytest.mark.parametrize(
    ("limit", "query", "maximum", "found"), OVER_EACH_LIMIT, ids=[c[0] for c in OVER_EACH_LIMIT]
)
@pytest.mark.parametrize("accept", [GRJ, "application/json"])
async def test_each_limit_refuses_with_a_coded_400(
    limit: str, query: str, maximum: int, found: int, accept: str
) -> None:
    planner = RecordingPlanner()
    async with make_client(Limits(**{limit: maximum}), planner) as client:
        response = await client.post("/graphql", json={"query": query}, headers={"accept": accept})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"] == {
            "code": LIMIT_CODES[limit],
            "limit": limit,
            "measured": found,
            "maximum": maximum,
        }
        assert limit in error["message"] and str(found) in error["message"]
        assert "data" not in response.json()
        assert planner.calls == []  # refused before planning
    async with make_client(Limits(**{limit: found})) as client:  # at the maximum it runs
        response = await client.post("/graphql", json={"query": query}, headers={"accept": accept})
        assert response.status_code == 200, response.json()


async def test_the_defaults_admit_the_full_introspection_query() -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(True, True, True, True, True, True, True)
    async with make_client(Limits()) as client:
        response = await client.post("/graphql", json={"query": query}, headers={"accept": GRJ})
        assert response.status_code == 200, response.json()


async def test_body_over_the_limit_is_refused_before_it_is_read() -> None:
    async with make_client(Limits(http_max_request_bytes=100)) as client:
        declared = await client.post(
            "/graphql", content=b"{}", headers={"content-type": "application/json", "content-length": "101"}
        )
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        sent: list[int] = []

        async def chunks() -> Any:
            for _ in range(50):  # 50 chunks of 10 bytes, no Content-Length: refused after the 11th
                sent.append(10)
                yield b" " * 10

        streamed = await client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert sum(sent) < 500
        fits = await client.post("/graphql", json={"query": "{ hello }"})
        assert fits.status_code == 200


async def test_planning_budget_refuses_with_a_coded_400() -> None:
    from gateway.planning import plan_operation

    async with make_client(Limits(planning_budget=3), plan_operation) as client:
        response = await client.post("/graphql", json={"query": "{ topProducts { id name rating } }"})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "QUERY_PLANNING_BUDGET_EXCEEDED"
        assert "planning budget of 3 units" in error["message"]
    async with make_client(Limits(), plan_operation) as client:
        response = await client.post("/graphql", json={"query": "{ topProducts { id name rating } }"})
        assert response.status_code == 200


async def test_many_operations_in_one_document_are_refused_before_validation() -> None:
    # graphql-core validates every operation of a document, at a cost that grows faster than their number.
    query = " ".join(f"query Q{i} {{ hello }}" for i in range(101))
    planner = RecordingPlanner()
    async with make_client(Limits(), planner) as client:
        response = await client.post("/graphql", json={"query": query, "operationName": "Q1"})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"] == {
            "code": "MAX_OPERATIONS_LIMIT",
            "limit": "max_operations",
            "measured": 101,
            "maximum": 100,
        }
        response = await client.post(
            "/graphql", json={"query": query.rsplit(" query", 1)[0], "operationName": "Q1"}
        )
        assert response.status_code == 200, response.json()


def test_written_fragment_spreads_are_refused_by_the_text_scan() -> None:
    # Spreads written are a lower bound of the spreads expanded: 2,000 of them need no parser to refuse.
    text = "{ " + "...F " * 501 + "... on Query { hello } } fragment F on Query { hello }"
    assert scan_text(text, Limits()).exceeded == LimitExceeded("max_fragment_spreads", 501, 500)
    assert scan_text("{ " + "...F " * 500 + "}", Limits()).exceeded is None


def test_operations_are_counted_by_the_text_scan() -> None:
    # graphql-core's parser took longer over 2,000 operations than the limit allows for refusing them.
    text = " ".join(f"query Q{i} {{ hello }}" for i in range(101))
    assert scan_text(text, Limits()).exceeded == LimitExceeded("max_operations", 101, 100)
    # Anonymous queries and mutations count; fragments, variable defaults and nested braces do not.
    text = '{ hello } mutation M($v: In = {a: {b: 1}}) { setHello(value: "query") { x } } fragment query on Q { a }'
    assert scan_text(text, Limits(max_operations=2)).exceeded is None
    assert scan_text(text, Limits(max_operations=1)).exceeded == LimitExceeded("max_operations", 2, 1)
    # A name that is a keyword elsewhere is no operation (an operation named query, a type named mutation).
    text = "query query { a } fragment F on mutation { b } subscription { c }"
    assert scan_text(text, Limits(max_operations=1)).exceeded == LimitExceeded("max_operations", 2, 1)


def test_a_document_over_its_size_is_refused_before_it_is_read() -> None:
    # 1.9 MB of comment cost graphql-core's lexer a third of a second; counting bytes costs nothing.
    text = "#" + "x" * 1_900_000 + "\n{ hello }"
    started = time.perf_counter()
    exceeded = scan_text(text, Limits())
    assert time.perf_counter() - started < 0.005
    assert exceeded.exceeded == LimitExceeded(
        "max_document_bytes", len(text), Limits().max_document_bytes or 0
    )
    # Counted in UTF-8 bytes, not characters.
    assert scan_text('{ hello(x: "\u00e9\u00e9") }', Limits(max_document_bytes=19)).exceeded == LimitExceeded(
        "max_document_bytes", 20, 19
    )
    assert scan_text("{ hello }", Limits(max_document_bytes=9)).exceeded is None


def test_a_long_number_is_refused_by_the_text_scan() -> None:
    text = "{ topProducts(first: " + "9" * 100_000 + ") { id } }"
    assert scan_text(text, Limits()).exceeded == LimitExceeded("max_number_length", 100_000, 100)
    assert scan_text("{ a(x: -1.5e+10, y: [1, 22]) }", Limits(max_number_length=8)).exceeded is None
    assert scan_text("{ a(x: -1.5e+100) }", Limits(max_number_length=8)).exceeded == LimitExceeded(
        "max_number_length", 9, 8
    )
    # Digits inside names and strings are no numbers.
    assert scan_text('{ a12345(x: "123456789") }', Limits(max_number_length=2)).exceeded is None


def test_repeated_selections_of_one_response_field_are_counted_where_they_merge() -> None:
    # graphql-core compares every pair of selections merged into one response field: 7,000 identical
    # fields cost its validation over a second, 100 copies of a 10-field selection a third of one.
    def repeated(text: str) -> int:
        exceeded = scan_text(text, Limits(max_repeated_fields=1))
        assert exceeded.exceeded is None or exceeded.exceeded.limit == "max_repeated_fields"
        return exceeded.exceeded.measured if exceeded.exceeded else 1

    assert scan_text("{" + " __typename" * 7_000 + "}", Limits()).exceeded == LimitExceeded(
        "max_repeated_fields", 21, 20
    )
    assert repeated("{ a b c a { x } }") == 2
    # Selections merge with the fields they are nested in: two copies of `a { x }` give `a.x` twice.
    assert scan_text("{ a { x } a { x y } b { x } }", Limits(max_repeated_fields=1)).exceeded == (
        LimitExceeded("max_repeated_fields", 2, 1)
    )
    text = "{ " + "a { b { c } } " * 3 + "}"
    assert scan_text(text, Limits(max_repeated_fields=2)).exceeded == LimitExceeded(
        "max_repeated_fields", 3, 2
    )
    # An alias is its own response field; arguments, directives, spreads and type conditions are not fields.
    assert repeated("{ x: a y: a a(k: {a: 1, b: [a]}) @skip(if: false) ...a ... on a { z } }") == 1
    # Inline fragments without a type condition merge with their parent; with one, they are apart.
    assert repeated("{ a ... @include(if: true) { a } }") == 2
    assert repeated("{ n { ... on A { id } ... on B { id } ... on A { name } } }") == 1
    # Each operation and fragment is counted apart (fragments are compared by graphql-core pairwise, cached).
    assert repeated("query A { a } query B { a } fragment F on Q { a } fragment G on Q { a }") == 1


async def test_an_oversized_document_is_refused_before_it_is_hashed_or_handed_to_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gateway.server import pipeline

    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=ServerSettings(limits=Limits(max_document_bytes=1000)),
    )
    hashed: list[str] = []
    real_key = pipeline.plan_cache_key
    monkeypatch.setattr(pipeline, "plan_cache_key", lambda q, *a: hashed.append(q) or real_key(q, *a))
    entry, hit = await gateway.prepare_async("#" + "x" * 2000 + "\n{ hello }", None)
    assert not hit and entry.errors[0]["extensions"]["code"] == "MAX_DOCUMENT_BYTES_LIMIT"  # type: ignore[union-attr]
    assert hashed == [] and gateway.workers._started == [] and len(gateway.plan_cache) == 0
    await gateway.prepare_async("{ hello }", None)
    assert hashed == ["{ hello }"]
