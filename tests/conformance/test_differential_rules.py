"""The differential's explanations explain only what they document: a reference answer that fits none stays
unexplained, so a bug of ours behind it is seen."""

from __future__ import annotations

from typing import Any

from .differential import REFERENCE_PLANNING_FAILED, Difference, explain_with
from .generator import GeneratedOperation
from .test_parent_entity import EXTERNAL_IN_THE_MIDDLE


def _explain(ours: dict[str, Any], message: str) -> str | None:
    operation = GeneratedOperation("{ orders { id } }")
    reference = {"errors": [{"message": message}]}

    def ask_again(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return reference

    difference = Difference("data", operation, ours, reference)
    return explain_with(ask_again, EXTERNAL_IN_THE_MIDDLE.supergraph, difference, errors_by_path=False)


DATA = {"data": {"orders": [{"id": "o1"}]}}


def test_the_reference_planners_known_failure_is_explained() -> None:
    message = "Failed to plan query: failed to build fetch graph: Missing FetchStep: 16 when checking existence"
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
