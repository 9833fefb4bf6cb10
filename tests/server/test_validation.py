"""Validation leaves no reference cycles for the collector, and its errors are graphql-core's
(gateway.server.validation)."""

from __future__ import annotations

import gc

from graphql import GraphQLError, parse, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries

from gateway.server.validation import validate_document

from .support import tiny_supergraph
from .test_fuzz import SUPERGRAPH

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


def test_validating_leaves_almost_no_cycles() -> None:
    plain = _garbage_after(validate)
    ours = _garbage_after(validate_document)
    assert plain > 1000, plain  # the cycles this module exists for
    # What stays: the visitor graphql-core's context makes for each operation's variable usages.
    assert ours < plain * 0.1, (ours, plain)


def test_the_errors_are_graphql_cores() -> None:
    schema = tiny_supergraph().api_schema
    document = parse(BAD)
    assert [e.formatted for e in validate_document(schema, document)] == [
        e.formatted for e in validate(schema, document)
    ]
    assert validate_document(schema, parse(QUERY)) == []


def test_options_are_graphql_cores() -> None:
    schema = tiny_supergraph().api_schema
    many = parse("{ " + " ".join(f"nope{i}" for i in range(5)) + " }")
    ours = validate_document(schema, many, max_errors=2)
    theirs = validate(schema, many, max_errors=2)
    assert [e.formatted for e in ours] == [e.formatted for e in theirs] and len(ours) == 3
    assert ours[-1].__traceback__ is None and ours[-1].__context__ is None
    empty = parse("{ topProducts }")
    assert [e.message for e in validate_document(schema, empty, allow_empty_selection_sets=False)] == [
        e.message for e in validate(schema, empty, allow_empty_selection_sets=False)
    ]
    typo = parse("{ helo }")
    assert "Did you mean" in validate_document(schema, typo)[0].message
    assert "Did you mean" not in validate_document(schema, typo, hide_suggestions=True)[0].message


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.one_of(queries(SUPERGRAPH.api_schema), queries(SUPERGRAPH.api_schema, mode=Mode.NEGATIVE)))
def test_generated_documents_get_graphql_cores_errors(query: str) -> None:
    try:
        document = parse(query)
    except GraphQLError:
        return
    schema = SUPERGRAPH.api_schema
    ours = validate_document(schema, document, allow_empty_selection_sets=False)
    theirs = validate(schema, document, allow_empty_selection_sets=False)
    assert [e.formatted for e in ours] == [e.formatted for e in theirs]


def test_errors_for_invalid_literals_keep_no_frames_alive() -> None:
    """graphql-core reports a literal its scalar refuses with the exception the scalar raised, whose traceback
    holds every frame up to the thread's first, and with them the document, the visitors and the request's
    whole preparation: one cycle per such error, until the collector's next pass."""
    schema = SUPERGRAPH.api_schema
    document = parse('{ products(first: "x") { totalCount } user(id: 1.5) { id } }')
    theirs = [e.message for e in validate(schema, document)]
    gc.collect()
    gc.disable()
    try:
        errors = validate_document(schema, document)
        assert [e.message for e in errors] == theirs
        assert len(errors) == 2
        assert all(e.__traceback__ is None for e in errors)
        assert all(e.original_error.__traceback__ is None for e in errors if e.original_error is not None)
        del errors
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        frames = sum(type(o).__name__ == "frame" for o in gc.garbage)
        assert frames == 0, frames
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
