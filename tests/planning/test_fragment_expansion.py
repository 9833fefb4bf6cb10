"""Normalisation expands each fragment once per type (normalize.py) and planning stops at its work budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from graphql import parse

from gateway.planning import PlanningError, plan_operation
from gateway.planning.budget import PlanningBudget, planning_budget
from gateway.server.loading import load_supergraph_file

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


@pytest.fixture(scope="module")
def supergraph():  # type: ignore[no-untyped-def]
    return load_supergraph_file(str(SUPERGRAPH))


def doubling(levels: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ products {{ edges {{ node {{ id name }} }} }} }}")
    return "\n".join(parts)


def test_a_fragment_spreading_the_next_twice_forty_times_plans_at_once(supergraph) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    plan = plan_operation(supergraph, parse(doubling(40)), None)
    assert time.perf_counter() - started < 1.0  # was 2**40 expansions
    assert (
        plan.to_json()
        == plan_operation(supergraph, parse("{ products { edges { node { id name } } } }"), None).to_json()
    )


def test_a_fragment_spread_in_two_places_keeps_each_place_s_own_merges(supergraph) -> None:  # type: ignore[no-untyped-def]
    # The second spread merges `name` into its copy; the first must not see it.
    with_fragment = """
        query { a: products { edges { node { ...P } } } b: products { edges { node { ...P name } } } }
        fragment P on Product { id sku }
    """
    inline = """
        query { a: products { edges { node { id sku } } } b: products { edges { node { id sku name } } } }
    """
    assert (
        plan_operation(supergraph, parse(with_fragment), None).to_json()
        == plan_operation(supergraph, parse(inline), None).to_json()
    )


def test_planning_stops_when_its_budget_is_spent(supergraph) -> None:  # type: ignore[no-untyped-def]
    document = parse("{ orders { edges { node { id user { name } items { product { name } } } } } }")
    with planning_budget(PlanningBudget(5)), pytest.raises(PlanningError) as raised:
        plan_operation(supergraph, document, None)
    assert raised.value.code == "QUERY_PLANNING_BUDGET_EXCEEDED"
    budget = PlanningBudget(1_000_000)
    with planning_budget(budget):
        plan_operation(supergraph, document, None)
    assert 5 < budget.spent < 10_000


def test_a_cancelled_budget_stops_planning(supergraph) -> None:  # type: ignore[no-untyped-def]
    budget = PlanningBudget(1_000_000)
    budget.cancel()
    with planning_budget(budget), pytest.raises(PlanningError) as raised:
        plan_operation(supergraph, parse("{ products { edges { node { id } } } }"), None)
    assert raised.value.code == "QUERY_PLANNING_CANCELLED"
