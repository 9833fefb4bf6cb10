"""The request pipeline: cache, parse/validate/operation/variables errors, GET rules, overrides, plans."""

from __future__ import annotations

import random

import pytest

from gateway.planning.plan import QueryPlan
from gateway.server import ErrorKind, Gateway, GraphQLRequest, ServerSettings

from .support import RecordingExecutor, RecordingPlanner, SchemaExecutor, tiny_supergraph


class FixedRoll(random.Random):
    """A random source whose every roll is ``value`` (0.99 never enables ``percent(25)``)."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def make_gateway(
    rng: random.Random | None = None, **settings: object
) -> tuple[Gateway, RecordingPlanner, RecordingExecutor]:
    planner = RecordingPlanner()
    executor = RecordingExecutor()
    gateway = Gateway(
        tiny_supergraph(),
        executor=executor,
        planner=planner,
        settings=ServerSettings(**settings),  # type: ignore[arg-type]
        rng=rng or FixedRoll(0.99),
    )
    return gateway, planner, executor


async def test_executes_planned_operation_with_coerced_variables() -> None:
    gateway, planner, executor = make_gateway()
    query = "query P($id: ID!, $first: Int) { product(id: $id) { name } topProducts(first: $first) { id } }"
    result = await gateway.execute(GraphQLRequest(query, {"id": 12}), headers={"x-a": "1"})
    assert result == {"data": {"hello": "world"}}
    assert len(planner.calls) == 1
    assert planner.calls[0].operation_name == "P"
    (call,) = executor.calls
    # ID coerces an Int input to a string; an omitted nullable variable stays absent.
    assert call.variables == {"id": "12"}
    assert call.request_headers == {"x-a": "1"}
    assert call.plan.document is planner.calls[0].document


async def test_cache_hit_skips_parse_validate_and_plan() -> None:
    gateway, planner, executor = make_gateway()
    request = GraphQLRequest("{ hello }")
    first = await gateway.run(request)
    second = await gateway.run(request)
    assert not first.cache_hit and second.cache_hit
    assert len(planner.calls) == 1
    assert len(executor.calls) == 2
    assert executor.calls[0].plan is executor.calls[1].plan
    # A different operation name is a different cache entry.
    await gateway.run(GraphQLRequest("query A { hello } query B { hello }", operation_name="A"))
    await gateway.run(GraphQLRequest("query A { hello } query B { hello }", operation_name="B"))
    assert [c.operation_name for c in planner.calls[1:]] == ["A", "B"]


async def test_cache_is_bounded_lru() -> None:
    gateway, planner, _ = make_gateway(plan_cache_size=2)
    for query in ("{ hello }", "{ __typename }", "{ hello }", "{ topProducts { id } }", "{ hello }"):
        await gateway.run(GraphQLRequest(query))
    # "{ hello }" stayed warm; "{ __typename }" was evicted by the third distinct document.
    assert len(planner.calls) == 3
    assert len(gateway.plan_cache) == 2
    await gateway.run(GraphQLRequest("{ __typename }"))
    assert len(planner.calls) == 4


async def test_syntax_error_has_code_and_location() -> None:
    gateway, planner, executor = make_gateway()
    response = await gateway.run(GraphQLRequest("{ hello"))
    assert response.error_kind is ErrorKind.REQUEST
    assert "data" not in response.result
    (error,) = response.result["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["locations"] == [{"line": 1, "column": 8}]
    assert error["message"].startswith("Syntax Error")
    assert not planner.calls and not executor.calls


async def test_validation_errors_have_code_and_locations() -> None:
    gateway, planner, _ = make_gateway()
    response = await gateway.run(GraphQLRequest("{\n  hello\n  nope\n  product { name }\n}"))
    assert response.error_kind is ErrorKind.REQUEST
    errors = response.result["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    messages = " ".join(e["message"] for e in errors)
    assert "nope" in messages and "id" in messages  # unknown field; missing required argument
    assert {"line": 3, "column": 3} in [loc for e in errors for loc in e["locations"]]
    assert not planner.calls


async def test_empty_selection_set_is_a_syntax_error() -> None:
    gateway, _, _ = make_gateway()
    response = await gateway.run(GraphQLRequest("{ }"))
    assert response.result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize(
    ("query", "name", "fragment"),
    [
        ("query A { hello } query B { hello }", None, "provide 'operationName'"),
        ("query A { hello }", "Z", "Unknown operation named 'Z'"),
        ("fragment F on Query { hello }", None, None),  # invalid: unused fragment, no operation
    ],
)
async def test_operation_selection_errors(query: str, name: str | None, fragment: str | None) -> None:
    gateway, planner, _ = make_gateway()
    response = await gateway.run(GraphQLRequest(query, operation_name=name))
    assert response.error_kind is ErrorKind.REQUEST
    assert "data" not in response.result
    if fragment:
        (error,) = response.result["errors"]
        assert fragment in error["message"]
        assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert not planner.calls


async def test_variable_errors_name_the_variable() -> None:
    gateway, _, executor = make_gateway()
    query = "query P($id: ID!, $first: Int) { product(id: $id) { name } topProducts(first: $first) { id } }"
    response = await gateway.run(GraphQLRequest(query, {"first": "many"}))
    assert response.error_kind is ErrorKind.REQUEST
    errors = response.result["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}
    text = " ".join(e["message"] for e in errors)
    assert "$id" in text and "$first" in text
    assert all(e["locations"] for e in errors)
    assert not executor.calls


async def test_get_runs_queries_only() -> None:
    gateway, _, executor = make_gateway()
    mutation = GraphQLRequest('mutation { setHello(value: "x") }')
    refused = await gateway.run(mutation, http_method="GET")
    assert refused.error_kind is ErrorKind.METHOD_NOT_ALLOWED
    assert refused.result["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert not executor.calls
    # The refusal is per method: the same document (now cached) runs over POST, and queries run over GET.
    assert (await gateway.run(mutation, http_method="POST")).error_kind is None
    assert (await gateway.run(GraphQLRequest("{ hello }"), http_method="GET")).error_kind is None
    # operationName decides which operation GET would run.
    both = 'query Q { hello } mutation M { setHello(value: "x") }'
    assert (await gateway.run(GraphQLRequest(both, operation_name="Q"), http_method="GET")).error_kind is None
    refused = await gateway.run(GraphQLRequest(both, operation_name="M"), http_method="GET")
    assert refused.error_kind is ErrorKind.METHOD_NOT_ALLOWED


async def test_query_plan_in_extensions_only_when_allowed_and_asked() -> None:
    gateway, _, _ = make_gateway(expose_query_plan=True)
    asked = await gateway.execute(GraphQLRequest("{ hello }"), headers={"x-query-plan": "true"})
    assert asked["extensions"]["queryPlan"]["kind"] == "QueryPlan"
    assert asked["extensions"]["queryPlan"]["node"]["serviceName"] == "products"
    not_asked = await gateway.execute(GraphQLRequest("{ hello }"), headers={})
    assert "extensions" not in not_asked

    closed, _, _ = make_gateway(expose_query_plan=False)
    refused = await closed.execute(GraphQLRequest("{ hello }"), headers={"x-query-plan": "true"})
    assert "extensions" not in refused


async def test_percent_labels_are_rolled_per_request() -> None:
    gateway, planner, _ = make_gateway(random.Random(7))
    for _ in range(400):
        await gateway.run(GraphQLRequest("{ hello }"))
    # Two cache entries: with and without "percent(25)"; the header-only label never appears.
    seen = {c.override_labels for c in planner.calls}
    assert seen == {frozenset(), frozenset({"percent(25)"})}
    enabled = sum("percent(25)" in gateway.override_labels(None) for _ in range(4000))
    assert 800 < enabled < 1200  # 25% of 4000, with a wide margin


async def test_custom_labels_come_from_the_header_policy() -> None:
    gateway, _, _ = make_gateway(random.Random(3))
    header = {"x-override-labels": "new-stock, unknown-label, percent(25)"}
    runs = [gateway.override_labels(header) for _ in range(200)]
    assert all("new-stock" in r for r in runs)
    assert not any("unknown-label" in r for r in runs)
    # The header cannot force a percentage label: it is still enabled about a quarter of the time.
    assert 20 < sum("percent(25)" in r for r in runs) < 90
    disabled, _, _ = make_gateway(override_labels_header=None)
    assert "new-stock" not in disabled.override_labels(header)


async def test_labels_reach_the_planner_and_split_the_cache() -> None:
    gateway, planner, _ = make_gateway()
    await gateway.run(GraphQLRequest("{ hello }"), headers={"x-override-labels": "new-stock"})
    await gateway.run(GraphQLRequest("{ hello }"))
    await gateway.run(GraphQLRequest("{ hello }"), headers={"x-override-labels": "new-stock"})
    assert [c.override_labels for c in planner.calls] == [frozenset({"new-stock"}), frozenset()]


async def test_reload_swaps_supergraph_and_clears_cache() -> None:
    built: list[object] = []

    def factory(supergraph: object) -> RecordingExecutor:
        built.append(supergraph)
        return RecordingExecutor({"data": {"hello": f"executor {len(built)}"}})

    planner = RecordingPlanner()
    gateway = Gateway(tiny_supergraph(), executor_factory=factory, planner=planner)
    assert (await gateway.execute(GraphQLRequest("{ hello }")))["data"]["hello"] == "executor 1"
    new = tiny_supergraph(url_products="http://elsewhere.test/graphql")
    gateway.reload(new)
    assert gateway.supergraph is new and built[-1] is new
    assert len(gateway.plan_cache) == 0
    assert (await gateway.execute(GraphQLRequest("{ hello }")))["data"]["hello"] == "executor 2"
    assert len(planner.calls) == 2


async def test_planning_and_execution_failures_are_values_without_traces() -> None:
    class PlanningError(Exception):
        code = "NO_PATH"

        def __init__(self, message: str) -> None:
            super().__init__(message)
            self.message = message

    def failing_planner(*args: object, **kwargs: object) -> QueryPlan:
        raise PlanningError("field Product.rating cannot be reached")

    gateway = Gateway(tiny_supergraph(), executor=RecordingExecutor(), planner=failing_planner)
    response = await gateway.run(GraphQLRequest("{ hello }"))
    assert response.error_kind is ErrorKind.REQUEST
    (error,) = response.result["errors"]
    assert error["extensions"] == {"code": "QUERY_PLANNING_FAILED", "reason": "NO_PATH"}
    assert "Product.rating" in error["message"]

    def crashing_planner(*args: object, **kwargs: object) -> QueryPlan:
        raise RecursionError("maximum recursion depth exceeded in _walk")

    gateway = Gateway(tiny_supergraph(), executor=RecordingExecutor(), planner=crashing_planner)
    response = await gateway.run(GraphQLRequest("{ hello }"))
    assert response.error_kind is ErrorKind.REQUEST
    assert response.result == {
        "errors": [{"message": "Query planning failed.", "extensions": {"code": "QUERY_PLANNING_FAILED"}}],
        "extensions": {"requestId": response.request_id},
    }

    class Broken(RecordingExecutor):
        async def execute(self, *args: object, **kwargs: object) -> dict[str, object]:  # type: ignore[override]
            raise RuntimeError("secret internals")

    gateway = Gateway(tiny_supergraph(), executor=Broken(), planner=RecordingPlanner())
    response = await gateway.run(GraphQLRequest("{ hello }"))
    assert response.error_kind is ErrorKind.INTERNAL
    assert response.result == {
        "errors": [{"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
        "extensions": {"requestId": response.request_id},
    }


async def test_schema_executor_runs_operations_end_to_end() -> None:
    supergraph = tiny_supergraph()
    gateway = Gateway(supergraph, executor=SchemaExecutor(supergraph), planner=RecordingPlanner())
    result = await gateway.execute(GraphQLRequest('mutation { setHello(value: "hi") }'))
    assert result == {"data": {"setHello": "hi"}}


def test_gateway_takes_one_executor_source() -> None:
    with pytest.raises(ValueError, match="not both"):
        Gateway(
            tiny_supergraph(), executor=RecordingExecutor(), executor_factory=lambda s: RecordingExecutor()
        )


async def test_planning_only_gateway() -> None:
    planner = RecordingPlanner()
    gateway = Gateway(tiny_supergraph(), planner=planner)
    plan = gateway.plan("{ hello }")
    assert isinstance(plan, QueryPlan) and plan.to_json()["node"]["serviceName"] == "products"
    failure = gateway.plan("{ nope }")
    assert not isinstance(failure, QueryPlan)
    assert failure.errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    response = await gateway.run(GraphQLRequest("{ hello }"))
    assert response.error_kind is ErrorKind.INTERNAL
