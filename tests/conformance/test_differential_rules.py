"""The differential's explanations explain only what they document: a reference answer that fits none stays
unexplained, so a bug of ours behind it is seen."""

from __future__ import annotations

from typing import Any

from .differential import (
    REFERENCE_DROPPED_MEMBERS,
    REFERENCE_EXCLUDED_FIELD_ERRORS,
    REFERENCE_NULL_PROPAGATION,
    REFERENCE_PLANNING_FAILED,
    REFERENCE_SHAREABLE_LISTS_JOINED,
    SET_SHAREABLE_SOURCES_DIFFER,
    Difference,
    explain_with,
)
from .generator import GeneratedOperation
from .test_error_fidelity import FIDELITY
from .test_parent_entity import EXTERNAL_IN_THE_MIDDLE
from .test_subgraph_union_members import UNION_MEMBERS


def _explain(ours: dict[str, Any], message: str) -> str | None:
    operation = GeneratedOperation("{ orders { id } }")
    reference = {"errors": [{"message": message}]}

    def ask_again(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return reference

    difference = Difference("data", operation, ours, reference)
    return explain_with(ask_again, EXTERNAL_IN_THE_MIDDLE.supergraph, difference, errors_by_path=False)


DATA = {"data": {"orders": [{"id": "o1"}]}}


def test_the_reference_planners_known_failure_is_explained() -> None:
    message = (
        "Failed to plan query: failed to build fetch graph: Missing FetchStep: 16 when checking existence"
    )
    assert _explain(DATA, message) == REFERENCE_PLANNING_FAILED


def test_no_plan_for_an_operation_without_root_fields_is_explained() -> None:
    message = "Failed to plan query: failed to build plan: Failed to build a plan"
    assert _explain({"data": {}}, message) == REFERENCE_PLANNING_FAILED
    # With root fields left, the same failure is no known one.
    assert _explain(DATA, message) is None


def test_an_unsatisfiable_field_for_the_reference_is_not_explained() -> None:
    # The reference finds no path where we answered data: one of the two is wrong, and nothing documents which.
    message = "Failed to plan query: walker failed to locate path: No paths found for selection item: balance"
    assert _explain(DATA, message) is None


def _explain_in(
    federation: Any,
    query: str,
    ours: dict[str, Any],
    reference: dict[str, Any],
    variables: dict[str, Any] | None = None,
) -> str | None:
    operation = GeneratedOperation(query, variables or {})

    def ask_again(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return reference

    difference = Difference("data", operation, ours, reference)
    return explain_with(ask_again, federation.supergraph, difference, errors_by_path=False)


def test_joined_lists_whose_items_keep_only_nulls_are_the_reference_joining_them() -> None:
    # Seen: the reference answered catalog's three items and reviews' two, without the fields it had fetched
    # apart from the nulls of a member no subgraph fetched.
    query = "{ media { ... on Book { a1: stars year } ... on Movie { title a2: title } __typename } }"
    ours = {
        "data": {
            "media": [
                {"a1": 5, "year": 1965, "__typename": "Book"},
                {"__typename": "Movie"},
                {"a1": 4, "year": 1815, "__typename": "Book"},
            ]
        }
    }
    # The Movie fragment contributes nothing (planning/members.py); the reference completes it with nulls.
    movie = {"title": None, "a2": None, "__typename": "Movie"}
    books = [{"__typename": "Book"}] * 2
    reference = {"data": {"media": [books[0], movie, books[1], *books]}}
    assert (
        _explain_in(UNION_MEMBERS, query, ours, reference)
        == f"{REFERENCE_DROPPED_MEMBERS} + {REFERENCE_SHAREABLE_LISTS_JOINED}"
    )
    # Items with a value the reference fetched are no such list.
    reference = {"data": {"media": [books[0], {**movie, "title": "Alien"}, books[1], *books]}}
    assert _explain_in(UNION_MEMBERS, query, ours, reference) is None


def test_errors_under_data_that_null_propagation_nulls_whole_go_with_it() -> None:
    # A non-null field the reference leaves out (ours: an error, and null up to data); the reference's error for
    # another root field stands under that null too.
    query = "{ winner { ... on Movie { id } } a3: media { ... on Movie { id } __typename } }"
    ours = {
        "data": None,
        "errors": [
            {"message": "Cannot return null for non-nullable field Movie.id.", "path": ["a3", 1, "id"]}
        ],
    }
    reference = {
        "data": {
            "winner": None,
            "a3": [{"__typename": "Book"}, {"__typename": "Movie"}, {"__typename": "Book"}],
        },
        "errors": [{"message": "Unknown type 'Media'.", "path": ["winner"]}],
    }
    assert _explain_in(UNION_MEMBERS, query, ours, reference) == REFERENCE_NULL_PROPAGATION


def test_reference_errors_of_a_field_the_conditions_exclude_are_the_reference_s() -> None:
    query = "query Q($b1: Boolean!) { status @skip(if: $b1) }"
    reference = {"data": {}, "errors": [{"message": "down for maintenance", "path": ["status"]}]}
    assert (
        _explain_in(EXTERNAL_IN_THE_MIDDLE, query, {"data": {}}, reference, {"b1": True})
        == REFERENCE_EXCLUDED_FIELD_ERRORS
    )
    # An error at a field the response has is no such error.
    reference = {"data": {"status": None}, "errors": [{"message": "down", "path": ["status"]}]}
    assert _explain_in(EXTERNAL_IN_THE_MIDDLE, query, {"data": {}}, reference, {"b1": True}) is None


def test_reference_errors_stay_where_ours_has_errors_besides_the_non_null_ones() -> None:
    # Seen on error_fidelity: ours nulls data for the subgraph's errors at each entity; the reference's one error
    # at the list stands for them (errors compared by presence on the sets).
    query = "{ products { score name } }"
    down = {"message": "reviews database is down", "extensions": {"serviceName": "reviews"}}
    ours = {"data": None, "errors": [{**down, "path": ["products", i, "score"]} for i in range(3)]}
    reference = {"data": {"products": [None, None, None]}, "errors": [{**down, "path": ["products"]}]}
    assert _explain_in(FIDELITY, query, ours, reference) == REFERENCE_NULL_PROPAGATION


def test_a_dropped_member_fragment_the_reference_completes_with_nulls_is_explained() -> None:
    # catalog is chosen for media (year is only there); reviews cannot return a Movie, so the Movie fragment
    # contributes nothing (planning/members.py, Apollo's rule); Hive Router completes it as null.
    query = "{ media { ... on Movie { title } ... on Book { year } } }"
    ours = {"data": {"media": [{"year": 1965}, {}, {"year": 1815}]}}
    reference = {"data": {"media": [{"year": 1965}, {"title": None}, {"year": 1815}]}}
    assert _explain_in(UNION_MEMBERS, query, ours, reference) == REFERENCE_DROPPED_MEMBERS
    # A value the reference fetched for it is a difference the rule does not explain.
    reference = {"data": {"media": [{"year": 1965}, {"title": "Alien"}, {"year": 1815}]}}
    assert _explain_in(UNION_MEMBERS, query, ours, reference) is None


def test_the_reference_s_longer_list_with_the_other_members_empty_is_the_other_source() -> None:
    # Seen: ours from reviews (books only), the reference's from catalog with the Movie as {} and a joined
    # list of empty objects after it.
    query = "{ media { ... on Book { id prize } } media { ... on Movie { id } } }"
    ours = {"data": {"media": [{"id": "b1", "prize": "Hugo"}, {"id": "b2", "prize": None}]}}
    reference = {
        "data": {"media": [{"id": "b1", "prize": "Hugo"}, {}, {"id": "b2", "prize": None}, {}, {}, {}]}
    }
    assert _explain_in(UNION_MEMBERS, query, ours, reference) == (
        f"{REFERENCE_SHAREABLE_LISTS_JOINED} + {SET_SHAREABLE_SOURCES_DIFFER}"
    )
    # An extra item with a value is no such list.
    reference["data"]["media"][1] = {"id": "m1"}
    assert _explain_in(UNION_MEMBERS, query, ours, reference) is None


def test_an_operation_that_is_a_case_with_a_reference_note_is_documented_by_it() -> None:
    from .differential import DOCUMENTED_CASE, documented_case
    from .test_subgraph_union_members import CASES

    case = next(c for c in CASES if c.id == "three-copies-of-a-shareable-union-list-are-one-list")
    # Written another way, the same document.
    spaced = GeneratedOperation(case.query.replace("{ ", "{\n  "))
    assert documented_case(UNION_MEMBERS, spaced) == DOCUMENTED_CASE
    # A case the reference must answer alike documents nothing; nor does another document.
    agreeing = next(c for c in CASES if c.reference is None)
    assert documented_case(UNION_MEMBERS, GeneratedOperation(agreeing.query)) is None
    assert documented_case(UNION_MEMBERS, GeneratedOperation("{ media { __typename } }")) is None
