"""A request runs on the supergraph generation it started on: a reload while it is planned or executed
changes nothing for it, and a plan made for a generation no longer served is never cached."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode

from gateway.composition.supergraph import Supergraph
from gateway.planning.plan import FetchNode, QueryPlan
from gateway.server import Gateway
from gateway.server.request import GraphQLRequest
from tests.server.support import tiny_supergraph


class Executor:
    def __init__(self, name: str, release: asyncio.Event | None = None) -> None:
        self.name = name
        self.release = release
        self.plans: list[QueryPlan] = []
        self.started = asyncio.Event()

    async def execute(
        self, plan: QueryPlan, variables: dict[str, Any], *, request_headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        self.plans.append(plan)
        self.started.set()
        if self.release is not None:
            await self.release.wait()
        return {"data": {"hello": self.name}}


class BlockingPlanner:
    """Plans on the worker thread; the first call waits for ``go``; records the supergraph of each call."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.entered = threading.Event()
        self.supergraphs: list[Supergraph] = []

    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: Any,
    ) -> QueryPlan:
        self.supergraphs.append(supergraph)
        if len(self.supergraphs) == 1:
            self.entered.set()
            self.go.wait(10)
        return QueryPlan(FetchNode("products", "{ hello }"), document=document, operation_name=operation_name)


async def test_a_request_planned_across_a_reload_runs_on_its_own_generation_and_is_not_cached() -> None:
    first, second = tiny_supergraph(), tiny_supergraph(url_products="http://elsewhere.test/graphql")
    executors = {id(first): Executor("first"), id(second): Executor("second")}
    planner = BlockingPlanner()
    gateway = Gateway(first, executor_factory=lambda s: executors[id(s)], planner=planner)
    request = asyncio.create_task(gateway.execute(GraphQLRequest("{ hello }")))
    await asyncio.to_thread(planner.entered.wait, 10)
    gateway.reload(second)  # while the request is being planned for `first`
    planner.go.set()
    assert (await request)["data"]["hello"] == "first"
    assert planner.supergraphs[0] is first
    assert len(gateway.plan_cache) == 0  # a plan for `first` must not serve `second`'s requests
    assert (await gateway.execute(GraphQLRequest("{ hello }")))["data"]["hello"] == "second"
    assert planner.supergraphs[1] is second


async def test_a_request_executing_across_a_reload_finishes_on_its_executor() -> None:
    release = asyncio.Event()
    first, second = tiny_supergraph(), tiny_supergraph(url_products="http://elsewhere.test/graphql")
    executors = {id(first): Executor("first", release), id(second): Executor("second")}
    gateway = Gateway(first, executor_factory=lambda s: executors[id(s)], planner=BlockingPlanner())
    gateway._planner.go.set()  # type: ignore[union-attr]
    slow = asyncio.create_task(gateway.execute(GraphQLRequest("{ hello }")))
    await asyncio.wait_for(executors[id(first)].started.wait(), 10)
    generation = gateway.generation
    gateway.reload(second)
    assert gateway.generation == generation + 1
    assert (await gateway.execute(GraphQLRequest("{ hello }")))["data"]["hello"] == "second"
    release.set()
    assert (await slow)["data"]["hello"] == "first"
