"""A plan is shared by every request that runs it (the plan cache): running it never changes it, and requests
running one plan at the same time get their own results."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import parse

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.execution import ErrorMasking, Executor, HttpxSubgraphClient
from gateway.planning import plan_operation
from gateway.planning.plan import FetchNode, FlattenNode, PlanNode, QueryPlan, SequenceNode

from .strawberry_subgraphs import CALLS, SUPERGRAPH_SDL, apps

QUERY = "query($n: Int!) { topProducts(first: $n) { name reviews { body } inStock shippingEstimate } }"


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(SUPERGRAPH_SDL)


@pytest.fixture
async def executor(supergraph: Supergraph) -> AsyncIterator[Executor]:
    client = HttpxSubgraphClient(apps(), timeouts=5)
    CALLS.clear()
    yield Executor(supergraph, client, masking=ErrorMasking(include_all=True))
    await client.aclose()


def _plan(supergraph: Supergraph) -> QueryPlan:
    return plan_operation(supergraph, parse(QUERY), None)


def _fetches(node: PlanNode | None) -> list[FetchNode]:
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    return [f for child in getattr(node, "nodes", ()) for f in _fetches(child)]


def _names(result: dict[str, Any]) -> list[str]:
    return [p["name"] for p in result["data"]["topProducts"]]


async def test_running_a_plan_leaves_it_as_planned(executor: Executor) -> None:
    plan = _plan(executor.supergraph)
    before = copy.deepcopy(plan)
    first = await executor.execute(plan, {"n": 3})
    second = await executor.execute(plan, {"n": 3})
    assert "errors" not in first and first == second
    assert plan == before and plan.to_json() == before.to_json()
    # Fields left out of equality (the parsed documents) are untouched too.
    assert plan.document == before.document
    assert [f.document for f in _fetches(plan.node)] == [f.document for f in _fetches(before.node)]


def test_plan_nodes_refuse_assignment(supergraph: Supergraph) -> None:
    plan = _plan(supergraph)
    assert isinstance(plan.node, SequenceNode) and isinstance(plan.node.nodes, tuple)
    fetch = _fetches(plan.node)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.node = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fetch.operation = "{ __typename }"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.node.nodes = ()  # type: ignore[misc]


async def test_concurrent_requests_sharing_a_plan_get_their_own_results(executor: Executor) -> None:
    plan = _plan(executor.supergraph)
    alone = {n: await executor.execute(plan, {"n": n}) for n in (1, 2, 3)}
    together = await asyncio.gather(*(executor.execute(plan, {"n": n}) for n in (3, 1, 2, 1, 3)))
    assert [len(_names(r)) for r in together] == [3, 1, 2, 1, 3]
    assert together == [alone[3], alone[1], alone[2], alone[1], alone[3]]


async def test_what_the_executor_derives_from_a_plan_goes_with_the_plan(executor: Executor) -> None:
    """The plan cache decides how long a plan lives: once nothing else holds it, the executor's own derived
    form (compiled shaping, prepared and merged fetches) must not keep it, its document or its fetches alive,
    or memory grows with every distinct document run (bench/abuse.py). And all of it goes by reference counting
    alone, with no reference cycle: cached plans are frozen out of the collector's reach
    (``gateway.server.runtime``), so a cycle among them would never be freed once evicted."""
    import gc
    import weakref

    plan = _plan(executor.supergraph)
    assert "errors" not in await executor.execute(plan, {"n": 3})
    prepared = executor._prepared[id(plan)]
    assert prepared.operation is not None and prepared.operation._shapes  # shaping was compiled
    refs = [weakref.ref(o) for o in (plan, plan.document, prepared.operation.operation)]
    refs += [weakref.ref(f) for f in _fetches(plan.node)]
    del plan, prepared
    gc.collect()
    gc.disable()
    try:
        plan = _plan(executor.supergraph)
        assert "errors" not in await executor.execute(plan, {"n": 3})
        prepared = executor._prepared[id(plan)]
        assert prepared.operation is not None
        refcounted = [weakref.ref(o) for o in (plan, plan.document, prepared.operation.operation)]
        refcounted += [weakref.ref(f) for f in _fetches(plan.node)]
        del plan, prepared
        assert [ref() for ref in refcounted] == [None] * len(refcounted)  # freed without the collector
    finally:
        gc.enable()
    assert all(ref() is None for ref in refs)
    assert len(executor._prepared) == 0
