"""Demand control (gateway.server.demand_control): Apollo Router's static cost rules over ``@cost``/``@listSize``,
the maximum, the two modes, ``extensions.cost``, and the configuration that sets them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from gateway.composition.compose import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.config import ConfigError, parse_config
from gateway.server import Gateway, create_app
from gateway.server.demand_control import (
    COST_ESTIMATED_TOO_EXPENSIVE,
    COST_QUERY_PARSE_FAILURE,
    CostEstimator,
    CostRefusal,
    DemandControl,
)
from gateway.server.settings import ServerSettings, demand_control_from_env

from .support import RecordingExecutor, RecordingPlanner

ROOT = Path(__file__).resolve().parents[2]

USERS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
type Query {
  users(first: Int, last: Int): [User!]! @listSize(slicingArguments: ["first", "last"])
  search(limit: Int = 5): Page @listSize(slicingArguments: ["limit"], sizedFields: ["items"], requireOneSlicingArgument: false)
  top: [User!]! @listSize(assumedSize: 3)
  all: [User!]!
  expensive: Int @cost(weight: 50)
  filtered(tag: String @cost(weight: 7), tags: [String!], where: Filter): [User!]! @listSize(assumedSize: 2)
}
input Filter { name: String @cost(weight: 4) age: Int }
type Mutation { addUser(name: String): User }
type Page { items: [User!]! total: Int }
type User @key(fields: "id") @cost(weight: 3) { id: ID! name: String friends: [User!]! }
"""


@pytest.fixture(scope="module")
def costed() -> Supergraph:
    result = compose([SubgraphSource("users", "http://users.local/graphql", USERS)])
    assert not result.errors, result.errors
    return result.supergraph()


@pytest.fixture(scope="module")
def demo() -> Supergraph:
    return read_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())


def estimate(
    supergraph: Supergraph, query: str, variables: dict[str, Any] | None = None, **settings: Any
) -> int | CostRefusal:
    document = parse(query)
    operation = document.definitions[0]
    estimator = CostEstimator(supergraph, DemandControl(**settings))
    return estimator.estimate(document, operation, variables or {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ users(first: 5) { id name } }", 5 * 3),  # slicing argument times the type's @cost
        ("{ search { items { id } total } }", 1 + 5 * 3),  # sized field, slicing argument's default
        ("{ search(limit: 8) { items { id } } }", 1 + 8 * 3),
        ("{ top { friends { id } } }", 3 * (3 + 10 * 3)),  # assumedSize, then the default list size
        ("{ all { id } }", 10 * 3),
        ("{ expensive }", 50),  # @cost on a scalar field
        ('mutation { addUser(name: "x") { id } }', 10 + 3),  # a mutation costs 10 more
        ("{ users(first: 5) @skip(if: true) { id } expensive }", 50),
        ("{ ...F ...F } fragment F on Query { expensive }", 100),  # counted where spread
        ("{ __typename all { __typename } }", 30),
    ],
)
def test_static_cost_follows_apollo_routers_rules(costed: Supergraph, query: str, cost: int) -> None:
    assert estimate(costed, query) == cost


def test_cost_on_arguments_is_read_from_the_supergraph(costed: Supergraph) -> None:
    # Apollo's composition keeps @cost on argument definitions (as ours does); read such a supergraph.
    sdl = compose([SubgraphSource("users", "http://users.local/graphql", USERS)]).supergraph_sdl or ""
    assert "filtered(tag: String @cost(weight: 7)," in sdl
    model = read_supergraph(sdl)
    assert estimate(model, '{ filtered(tag: "a") { id } }') == 2 * 3 + 7
    assert estimate(model, "query($t: String) { filtered(tag: $t) { id } }", {"t": "x"}) == 13
    assert estimate(model, "query($t: String) { filtered(tag: $t) { id } }", {"t": None}) == 6


def test_cost_on_arguments_and_input_fields_is_composed(costed: Supergraph) -> None:
    # Composed from USERS, whose `filtered(tag:)` and `Filter.name` carry @cost: no supergraph editing needed.
    assert estimate(costed, '{ filtered(tag: "a") { id } }') == 2 * 3 + 7
    assert estimate(costed, "query($t: String) { filtered(tag: $t) { id } }", {"t": "x"}) == 13
    # An input object costs 1 plus its fields' weights; a field left out costs nothing.
    assert estimate(costed, '{ filtered(where: {name: "x", age: 3}) { id } }') == 2 * 3 + 1 + 4
    assert estimate(costed, "{ filtered(where: {age: 3}) { id } }") == 2 * 3 + 1
    query = "query($w: Filter) { filtered(where: $w) { id } }"
    assert estimate(costed, query, {"w": {"name": "x"}}) == 2 * 3 + 1 + 4


def test_slicing_arguments_and_skip_read_variables(costed: Supergraph) -> None:
    query = "query($n: Int, $s: Boolean!) { users(first: $n) { id } expensive @skip(if: $s) }"
    assert estimate(costed, query, {"n": 7, "s": True}) == 21
    assert estimate(costed, query, {"n": 2, "s": False}) == 56


def test_the_default_list_size_is_configurable(costed: Supergraph) -> None:
    assert estimate(costed, "{ all { id } }", list_size=4) == 12


@pytest.mark.parametrize("query", ["{ users { id } }", "{ users(first: 1, last: 2) { id } }"])
def test_exactly_one_slicing_argument_is_required(costed: Supergraph, query: str) -> None:
    refusal = estimate(costed, query)
    assert isinstance(refusal, CostRefusal)
    assert refusal.code == COST_QUERY_PARSE_FAILURE and "Query.users" in refusal.message


def test_demo_lists_without_list_size_use_the_default(demo: Supergraph) -> None:
    # orders: OrderConnection! (1) + edges: [OrderEdge!]! x 10 * (edge 1 + node: Order! 1)
    assert estimate(demo, "{ orders(first: 3) { edges { node { id } } totalCount } }") == 1 + 10 * 2
    assert estimate(demo, "{ orders { edges { node { id } } } }", list_size=50) == 1 + 50 * 2


def test_a_doubling_fragment_chain_is_estimated_in_linear_time(demo: Supergraph) -> None:
    chain = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = "{ ...F0 }" + chain + "fragment F40 on Query { orders { totalCount } }"
    assert estimate(demo, query) == 2**40


def test_estimates_are_kept_per_operation_and_variables(costed: Supergraph) -> None:
    document = parse("query($n: Int) { users(first: $n) { id } }")
    operation = document.definitions[0]
    estimator = CostEstimator(costed, DemandControl())
    assert estimator.estimate(document, operation, {"n": 2}) == 6  # type: ignore[arg-type]
    assert estimator.estimate(document, operation, {"n": 3}) == 9  # type: ignore[arg-type]
    assert len(estimator._estimates[operation]) == 2  # type: ignore[index]


def client(supergraph: Supergraph, demand: DemandControl, executor: RecordingExecutor) -> httpx.AsyncClient:
    gateway = Gateway(
        supergraph,
        executor=executor,
        planner=RecordingPlanner(),
        settings=ServerSettings(demand_control=demand),
        rng=random.Random(1),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(create_app(gateway)), base_url="http://gw")


async def test_over_the_maximum_is_refused_with_a_coded_400(costed: Supergraph) -> None:
    executor = RecordingExecutor()
    async with client(costed, DemandControl(max=20), executor) as http:
        response = await http.post("/graphql", json={"query": "{ all { id } }"})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == COST_ESTIMATED_TOO_EXPENSIVE
        assert error["extensions"]["cost"] == {"estimated": 30, "max": 20}
        assert "30" in error["message"] and "20" in error["message"]
        assert executor.calls == []  # no subgraph was called
        response = await http.post("/graphql", json={"query": "{ users(first: 6) { id } }"})
        assert response.status_code == 200  # 18, under the maximum
        response = await http.post("/graphql", json={"query": "{ users { id } }"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == COST_QUERY_PARSE_FAILURE


async def test_measure_mode_runs_and_the_header_asks_for_the_estimate(costed: Supergraph) -> None:
    executor = RecordingExecutor()
    async with client(costed, DemandControl(max=20, mode="measure"), executor) as http:
        response = await http.post("/graphql", json={"query": "{ all { id } }"})
        assert response.status_code == 200 and "cost" not in response.json().get("extensions", {})
        response = await http.post(
            "/graphql", json={"query": "{ all { id } }"}, headers={"X-Cost-Estimate": "true"}
        )
        assert response.status_code == 200
        assert response.json()["extensions"]["cost"] == {"estimated": 30, "max": 20}
        assert len(executor.calls) == 2


async def test_include_in_extensions_answers_every_request_with_the_estimate(costed: Supergraph) -> None:
    async with client(costed, DemandControl(include_in_extensions=True), RecordingExecutor()) as http:
        response = await http.post("/graphql", json={"query": "{ expensive }"})
        assert response.json()["extensions"]["cost"] == {"estimated": 50, "max": None}


SUBGRAPHS = "subgraphs:\n  - {name: users, url: http://127.0.0.1:4001/graphql}\n"


def test_settings_come_from_gateway_yaml_and_the_environment() -> None:
    text = SUBGRAPHS + "demand_control: {max: 500, list_size: 20, mode: measure}\n"
    assert parse_config(text, environ={}).demand_control == {"max": 500, "list_size": 20, "mode": "measure"}
    with pytest.raises(ConfigError, match=r"demand_control\.mode"):
        parse_config(SUBGRAPHS + "demand_control: {mode: strict}\n", environ={})
    with pytest.raises(ConfigError, match="demand_control: unknown key"):
        parse_config(SUBGRAPHS + "demand_control: {maximum: 3}\n", environ={})
    env = {"GATEWAY_DEMAND_CONTROL_MAX": "100", "GATEWAY_DEMAND_CONTROL_MODE": "measure"}
    assert demand_control_from_env(DemandControl(), env) == DemandControl(max=100, mode="measure")
    assert demand_control_from_env(DemandControl(max=5), {"GATEWAY_DEMAND_CONTROL_MAX": "none"}).max is None
    with pytest.raises(ValueError, match="GATEWAY_DEMAND_CONTROL_LIST_SIZE"):
        demand_control_from_env(DemandControl(), {"GATEWAY_DEMAND_CONTROL_LIST_SIZE": "many"})
