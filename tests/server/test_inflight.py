"""In-flight de-duplication: identical concurrent queries with the same auth context execute once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.execution import HeaderPolicy
from gateway.planning.plan import QueryPlan
from gateway.server import Gateway, GraphQLRequest, ServerSettings

from .support import RecordingPlanner, tiny_supergraph
from .test_pipeline import FixedRoll


@dataclass
class GatedExecutor:
    """Counts executions and holds each one until ``release`` is set, so requests overlap."""

    header_policy: HeaderPolicy = field(default_factory=HeaderPolicy)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: list[tuple[dict[str, Any], Mapping[str, str] | None]] = field(default_factory=list)
    fail: bool = False

    async def execute(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        *,
        request_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        self.calls.append((variables, request_headers))
        n = len(self.calls)
        await self.release.wait()
        if self.fail:
            raise RuntimeError("boom")
        return {"data": {"hello": f"answer {n}"}}


def make_gateway(executor: GatedExecutor, **settings: Any) -> Gateway:
    # A fixed roll: the tiny supergraph's percent(25) override label would otherwise differ between requests,
    # and requests with different override labels are not identical.
    return Gateway(
        tiny_supergraph(),
        executor=executor,
        planner=RecordingPlanner(),
        # Prepared inline: run_together counts event-loop turns until every request reaches the executor.
        settings=ServerSettings(**{"prepare_in_worker": False, **settings}),
        rng=FixedRoll(0.99),
    )


async def run_together(
    gateway: Gateway,
    executor: GatedExecutor,
    requests: list[tuple[GraphQLRequest, dict[str, str] | None]],
) -> list[dict[str, Any]]:
    tasks = [asyncio.ensure_future(gateway.execute(r, headers=h)) for r, h in requests]
    for _ in range(5):
        await asyncio.sleep(0)  # every request reaches the executor (or the shared execution) before release
    executor.release.set()
    return list(await asyncio.gather(*tasks))


QUERY = "query Q($first: Int) { topProducts(first: $first) { id } hello }"


async def test_identical_concurrent_queries_execute_once() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3}, "Q")
    results = await run_together(gateway, executor, [(request, {"authorization": "Bearer a"})] * 5)
    assert len(executor.calls) == 1
    assert results == [{"data": {"hello": "answer 1"}}] * 5
    assert gateway.inflight.shared == 4
    assert len(gateway.inflight) == 0  # nothing stays registered once the execution is over


async def test_later_identical_query_executes_again() -> None:
    executor = GatedExecutor()
    executor.release.set()
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3})
    first = await gateway.execute(request)
    second = await gateway.execute(request)
    assert first == {"data": {"hello": "answer 1"}}
    assert second == {"data": {"hello": "answer 2"}}


async def test_different_variables_execute_separately() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    results = await run_together(
        gateway,
        executor,
        [(GraphQLRequest(QUERY, {"first": 3}), None), (GraphQLRequest(QUERY, {"first": 4}), None)],
    )
    assert len(executor.calls) == 2
    assert [c[0] for c in executor.calls] == [{"first": 3}, {"first": 4}]
    assert results[0] != results[1]


async def test_variable_order_does_not_matter() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    query = "query Q($first: Int, $id: ID!) { topProducts(first: $first) { id } product(id: $id) { id } }"
    await run_together(
        gateway,
        executor,
        [
            (GraphQLRequest(query, {"first": 3, "id": "1"}), None),
            (GraphQLRequest(query, {"id": "1", "first": 3}), None),
        ],
    )
    assert len(executor.calls) == 1


async def test_different_auth_context_executes_separately() -> None:
    executor = GatedExecutor(header_policy=HeaderPolicy(allow=["x-tenant"]))
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3})
    await run_together(
        gateway,
        executor,
        [
            (request, {"authorization": "Bearer a"}),
            (request, {"authorization": "Bearer b"}),
            (request, {"cookie": "session=1"}),
            (request, {"x-tenant": "t1"}),
            (request, {"x-tenant": "t2"}),
            (request, {"x-tenant": "t2", "x-unrelated": "z"}),  # not forwarded: same as the one before
        ],
    )
    assert len(executor.calls) == 5


async def test_different_override_labels_execute_separately() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3})
    await run_together(
        gateway, executor, [(request, {"x-override-labels": "new-stock"}), (request, None), (request, None)]
    )
    assert len(executor.calls) == 2


async def test_mutations_are_never_shared() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    request = GraphQLRequest('mutation { setHello(value: "x") }')
    results = await run_together(gateway, executor, [(request, None)] * 3)
    assert len(executor.calls) == 3
    assert {r["data"]["hello"] for r in results} == {"answer 1", "answer 2", "answer 3"}


async def test_setting_turns_it_off() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor, deduplicate_inflight=False)
    request = GraphQLRequest(QUERY, {"first": 3})
    await run_together(gateway, executor, [(request, None)] * 3)
    assert len(executor.calls) == 3
    assert ServerSettings().with_env({"GATEWAY_DEDUPLICATE_INFLIGHT": "false"}).deduplicate_inflight is False


async def test_failure_reaches_every_waiter_as_the_same_error() -> None:
    executor = GatedExecutor(fail=True)
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3})
    tasks = [asyncio.ensure_future(gateway.run(request)) for _ in range(3)]
    for _ in range(5):
        await asyncio.sleep(0)
    executor.release.set()
    outcomes = await asyncio.gather(*tasks)
    assert len(executor.calls) == 1
    expected = {
        "errors": [{"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    }
    # Each caller gets its own request id with the shared error.
    assert [o.result for o in outcomes] == [
        {**expected, "extensions": {"requestId": o.request_id}} for o in outcomes
    ]
    assert len({o.request_id for o in outcomes}) == 3
    assert len(gateway.inflight) == 0


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor)
    request = GraphQLRequest(QUERY, {"first": 3})
    first = asyncio.ensure_future(gateway.execute(request))
    second = asyncio.ensure_future(gateway.execute(request))
    for _ in range(5):
        await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    executor.release.set()
    assert await second == {"data": {"hello": "answer 1"}}
    assert first.cancelled()


async def test_extensions_are_per_caller() -> None:
    executor = GatedExecutor()
    gateway = make_gateway(executor, expose_query_plan=True)
    request = GraphQLRequest(QUERY, {"first": 3})
    plain, with_plan = await run_together(
        gateway, executor, [(request, None), (request, {"x-query-plan": "true"})]
    )
    assert len(executor.calls) == 1
    assert "extensions" not in plain
    assert "queryPlan" in with_plan["extensions"]
