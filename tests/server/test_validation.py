"""Validation leaves no reference cycles for the collector (gateway.server.validation)."""

from __future__ import annotations

import gc

from graphql import parse, validate

from gateway.server.validation import validate_document

from .support import tiny_supergraph

QUERY = "query Q($n: Int) { topProducts(first: $n) { __typename } ...F } fragment F on Query { hello }"
BAD = "{ hello nope { x } }"


def _garbage_after(check: object) -> int:
    schema = tiny_supergraph().api_schema
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            check(schema, parse(QUERY))  # type: ignore[operator]
        return gc.collect()
    finally:
        gc.enable()


def test_validating_leaves_fewer_cycles_than_graphql_cores_validate() -> None:
    plain = _garbage_after(validate)
    ours = _garbage_after(validate_document)
    assert plain > 1000, plain  # the cycles this module exists for
    # The rules' own cycles go; the parallel visitor graphql-core makes around them stays one (about 70%).
    assert ours < plain * 0.8, (ours, plain)


def test_the_errors_are_graphql_cores() -> None:
    schema = tiny_supergraph().api_schema
    document = parse(BAD)
    assert [e.formatted for e in validate_document(schema, document)] == [
        e.formatted for e in validate(schema, document)
    ]
    assert validate_document(schema, parse(QUERY)) == []
