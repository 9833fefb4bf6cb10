"""The planning package's public surface, its errors, and determinism."""

from __future__ import annotations

import json

import pytest
from graphql import parse

import gateway.planning
from gateway.planning import PlanningError, plan_operation

from .supergraphs import fixture, supergraph_from

SHOP = fixture("shop.apollo")


def test_public_surface() -> None:
    assert gateway.planning.__all__ == ["PlanningError", "plan_operation"]


def test_plans_are_deterministic_and_keep_the_document() -> None:
    query = "{ topProducts { name inStock shippingEstimate reviews { body author { name } } } me { name } }"
    first = plan_operation(SHOP, parse(query), None)
    for _ in range(5):
        again = plan_operation(SHOP, parse(query), None)
        assert json.dumps(again.to_json()) == json.dumps(first.to_json())
    assert first.document is not None and first.operation_name is None


def test_operation_is_chosen_by_name() -> None:
    document = parse("query A { me { name } } query B { topProducts { name } }")
    plan = plan_operation(SHOP, document, "B").to_json()
    assert plan["node"]["serviceName"] == "products"
    assert plan_operation(SHOP, document, "B").operation_name == "B"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("query A { me { name } } query B { me { id } }", None),
        ("query A { me { name } }", "Missing"),
    ],
)
def test_unknown_operation(query: str, name: str | None) -> None:
    with pytest.raises(PlanningError) as info:
        plan_operation(SHOP, parse(query), name)
    assert info.value.code == "UNKNOWN_OPERATION"


def test_unreachable_field_is_unsatisfiable() -> None:
    # b resolves T.extra but declares its key resolvable: false, so nothing can jump into b.
    sg = supergraph_from(
        ["a", "b"],
        """
type Query @join__type(graph: A) @join__type(graph: B) { t: T @join__field(graph: A) }
type T @join__type(graph: A, key: "id") @join__type(graph: B, key: "id", resolvable: false) {
  id: ID!
  extra: String @join__field(graph: B)
}
""",
    )
    with pytest.raises(PlanningError) as info:
        plan_operation(sg, parse("{ t { extra } }"), None)
    assert info.value.code == "UNSATISFIABLE"
    assert info.value.path == ("t",)
    assert "T.extra" in info.value.message


def test_override_labels_select_different_plans() -> None:
    query = parse("{ topReviews { rating } }")
    without = plan_operation(SHOP, query, None).to_json()
    with_label = plan_operation(SHOP, query, None, override_labels=frozenset({"percent(50)"})).to_json()
    assert without != with_label
    assert with_label["node"] == {
        "kind": "Fetch",
        "serviceName": "reviews",
        "variableUsages": [],
        "operation": "{topReviews{rating}}",
        "operationKind": "query",
    }
