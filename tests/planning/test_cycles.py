"""Cycles in the query graph: every walk is bounded, so an unreachable key ends in a coded ``PlanningError``.

The supergraphs here are written by hand (composition's satisfiability check would refuse them), as a
supergraph from another composer or an older one may be: A's key into s2 is ``k2``, which only s3 resolves, and
s3's key is ``k3``, which only s2 resolves. The only ways to ``A.x`` are loops A(s2) -> A(s3) -> A(s2) -> ...
"""

from __future__ import annotations

import time

import pytest
from graphql import parse

from gateway.planning import PlanningError, plan_operation

from .supergraphs import supergraph_from

CYCLIC = supergraph_from(
    ["s1", "s2", "s3"],
    """
type Query @join__type(graph: S1) { a: A @join__field(graph: S1) as: [A!]! @join__field(graph: S1) }

type A
  @join__type(graph: S1, key: "id")
  @join__type(graph: S2, key: "k2")
  @join__type(graph: S3, key: "k3")
{
  id: ID! @join__field(graph: S1)
  k2: ID! @join__field(graph: S3)
  k3: ID! @join__field(graph: S2)
  x: String @join__field(graph: S2)
  y: String @join__field(graph: S3)
  b: B @join__field(graph: S2)
}

type B
  @join__type(graph: S2, key: "a { k2 }")
  @join__type(graph: S3, key: "a { k3 }")
{
  a: A! @join__field(graph: S2) @join__field(graph: S3)
  z: String @join__field(graph: S3)
}
""",
)

QUERIES = [
    "{ a { x } }",
    "{ a { y } }",
    "{ as { x y } }",
    "{ a { id x b { z } } }",
    "{ a { ... on A { y ... on A { x } } } }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_keys_reachable_only_in_loops_fail_with_a_code(query: str) -> None:
    started = time.monotonic()
    with pytest.raises(PlanningError) as failed:
        plan_operation(CYCLIC, parse(query), None)
    assert failed.value.code == "UNSATISFIABLE"
    assert time.monotonic() - started < 5


def test_fields_outside_the_loop_still_plan() -> None:
    plan = plan_operation(CYCLIC, parse("{ a { id } as { id } }"), None)
    assert plan.to_json()["node"]["kind"] == "Fetch"


async def test_unsatisfiable_query_is_a_coded_400_over_http() -> None:
    """A query the supergraph cannot satisfy is the request's fault: HTTP 400 (GraphQL over HTTP, with
    ``application/graphql-response+json``) and ``QUERY_PLANNING_FAILED`` with the planner's code, never a 500."""
    import httpx

    from gateway.server import Gateway, create_app

    class NoExecutor:
        async def execute(self, *args: object, **kwargs: object) -> dict[str, object]:
            raise AssertionError("nothing to execute")

    app = create_app(Gateway(CYCLIC, executor=NoExecutor()))  # type: ignore[arg-type]
    accept = "application/graphql-response+json"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        response = await client.post("/graphql", json={"query": "{ a { x } }"}, headers={"accept": accept})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_PLANNING_FAILED", "reason": "UNSATISFIABLE"}
    assert "Traceback" not in error["message"]
