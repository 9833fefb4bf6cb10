"""Planner + executor on the committed fixture supergraphs, checked against graphql-core over the same data.

Each subgraph is simulated over one shared dataset (``dataset_subgraphs``); the expected response is what
graphql-core returns executing the client operation against the API schema over that dataset. Equality
(including key order) checks merging, entity batching, shaping, fragments, aliases and abstract types on plans the
real planner produced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import parse, validate

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.execution import Executor
from gateway.planning import plan_operation
from gateway.planning.plan import FetchNode, FlattenNode, PlanNode

from .dataset_subgraphs import DatasetSubgraphs, oracle

FIXTURES = Path(__file__).parent.parent / "fixtures" / "supergraphs"


def load(name: str) -> Supergraph:
    return read_supergraph((FIXTURES / f"{name}.apollo.graphql").read_text())


def shop_dataset() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    users = [
        {"__typename": "User", "id": "u1", "username": "ada", "name": "Ada", "birthDate": "1815-12-10"},
        {"__typename": "User", "id": "u2", "username": "alan", "name": "Alan", "birthDate": "1912-06-23"},
    ]
    products = [
        {
            "__typename": "Product",
            "upc": str(i),
            "sku": f"SKU{i}",
            "variation": {"__typename": "ProductVariation", "id": f"v{i}"},
            "name": f"Product {i}",
            "price": 10 * i,
            "weight": i,
            "inStock": i % 2 == 0,
            "shippingEstimate": 5 * i,
            "warehouse": {"__typename": "Warehouse", "name": f"W{i % 2}"},
            "createdBy": users[i % 2],
        }
        for i in range(1, 5)
    ]
    reviews = [
        {
            "__typename": "Review",
            "id": f"r{n}",
            "rating": n % 5,
            "body": f"Review {n}",
            "author": users[n % 2],
            "product": products[n % 3],
        }
        for n in range(1, 8)
    ]
    for p in products:
        p["reviews"] = [r for r in reviews if r["product"] is p]
        p["reviewCount"] = len(p["reviews"])
    for u in users:
        u["reviews"] = [r for r in reviews if r["author"] is u]
        u["numberOfReviews"] = len(u["reviews"])
    new_review = {
        "__typename": "Review",
        "id": "r99",
        "rating": 5,
        "body": "new",
        "author": users[0],
        "product": products[0],
    }
    root = {
        "me": users[0],
        "user": lambda _info, id: next((u for u in users if u["id"] == id), None),
        "users": users,
        "topProducts": lambda _info, first=5: products[:first],
        "product": lambda _info, upc: next((p for p in products if p["upc"] == upc), None),
        "topReviews": lambda _info, first=5: reviews[:first],
        "addReview": lambda _info, upc, body: {**new_review, "body": body},
    }
    return root, [*users, *products, *reviews]


def abstract_dataset() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    book = {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412, "rating": 5}
    movie = {"__typename": "Movie", "id": "m1", "title": "Alien", "duration": 117, "rating": 4}
    podcast = {"__typename": "Podcast", "id": "pc1", "title": "Talks"}
    personal = {"__typename": "PersonalAccount", "id": "a1", "name": "Ada", "birthday": "12-10", "balance": 7}
    business = {
        "__typename": "BusinessAccount",
        "id": "a2",
        "name": "ACME",
        "vatNumber": "FR1",
        "balance": 900,
    }
    root = {
        "accounts": [personal, business],
        "richestAccount": business,
        "media": [book, movie],
        "search": lambda _info, term: [movie, book],
        "feed": [podcast, book],
    }
    return root, [book, movie, podcast, personal, business]


def fed1_dataset() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    user = {"__typename": "User", "id": "u1", "name": "Ada", "username": "ada"}
    products = [
        {
            "__typename": "Product",
            "upc": str(i),
            "name": f"P{i}",
            "price": i,
            "weight": 2 * i,
            "inStock": True,
            "shippingEstimate": 3 * i,
        }
        for i in range(1, 4)
    ]
    reviews = [
        {"__typename": "Review", "id": f"r{i}", "body": f"B{i}", "author": user, "product": products[i % 3]}
        for i in range(4)
    ]
    for p in products:
        p["reviews"] = [r for r in reviews if r["product"] is p]
    user["reviews"] = reviews
    root = {
        "me": user,
        "topProducts": lambda _info, first=5: products[:first],
        "topReviews": lambda _info, first=5: reviews[:first],
    }
    return root, [user, *products, *reviews]


DATASETS = {"shop": shop_dataset, "abstract": abstract_dataset, "fed1": fed1_dataset}

CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "shop",
        "{ topProducts { name price shippingEstimate inStock reviews { body author { username name } } } }",
        {},
    ),
    ("shop", "{ me { username reviews { body product { name upc reviewCount } } } }", {}),
    (
        "shop",
        """query($x: Boolean!, $n: Int) {
             a: topProducts(first: $n) { ...P }
             b: product(upc: "2") { upc title: name @include(if: $x) createdBy { username name } }
           }
           fragment P on Product { upc warehouse { name } variation { id } }""",
        {"x": True, "n": 2},
    ),
    (
        "shop",
        """query($x: Boolean!) { b: product(upc: "2") { upc name @include(if: $x) createdBy { username name } } }""",
        {"x": False},
    ),
    (
        "shop",
        '{ topReviews(first: 3) { rating author { count: numberOfReviews birthDate(locale: "fr") } product { sku } } }',
        {},
    ),
    ("shop", "{ users { id name reviews { product { shippingEstimate weight } } } }", {}),
    (
        "shop",
        'mutation { addReview(upc: "1", body: "great") { id body product { name } author { name } } }',
        {},
    ),
    (
        "abstract",
        "{ media { __typename id title ... on Book { pages rating } ... on Movie { duration rating } } }",
        {},
    ),
    (
        "abstract",
        '{ search(term: "x") { ... on Book { title rating } ... on Movie { kind: __typename title } } }',
        {},
    ),
    ("abstract", "{ feed { __typename ... on Book { title pages } ... on Podcast { title } } }", {}),
    (
        "abstract",
        "{ accounts { id name balance ... on PersonalAccount { birthday } ... on BusinessAccount { vatNumber } } }",
        {},
    ),
    ("abstract", "{ richestAccount { __typename name balance ... on BusinessAccount { vatNumber } } }", {}),
    (
        "fed1",
        "{ topProducts { name shippingEstimate reviews { author { name username } } } me { reviews { product { inStock } } } }",
        {},
    ),
]


def fetch_count(node: PlanNode | None) -> int:
    if node is None:
        return 0
    if isinstance(node, FetchNode | FlattenNode):
        return 1
    children = [
        getattr(node, "if_clause", None),
        getattr(node, "else_clause", None),
        *getattr(node, "nodes", []),
    ]
    return sum(fetch_count(c) for c in children if c is not None)


@pytest.mark.parametrize(
    ("fixture", "query", "variables"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_planned_execution_matches_graphql_core(
    fixture: str, query: str, variables: dict[str, Any]
) -> None:
    supergraph = load(fixture)
    root, objects = DATASETS[fixture]()
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    plan = plan_operation(supergraph, document, None)
    subgraphs = DatasetSubgraphs(supergraph, root, objects)
    result = await Executor(supergraph, subgraphs).execute(plan, variables)
    expected = oracle(supergraph.api_schema, root, query, variables)
    assert orjson.dumps(result).decode() == orjson.dumps(expected).decode()
    # One request per fetch node at most: entity fetches are batched.
    assert len(subgraphs.requests) <= fetch_count(plan.node)


@pytest.mark.parametrize("labels", [frozenset(), frozenset({"percent(50)"})])
async def test_progressive_override_either_way_gives_the_same_answer(labels: frozenset[str]) -> None:
    supergraph = load("shop")
    root, objects = shop_dataset()
    query = "{ topReviews { id rating body } }"
    plan = plan_operation(supergraph, parse(query), None, override_labels=labels)
    subgraphs = DatasetSubgraphs(supergraph, root, objects)
    result = await Executor(supergraph, subgraphs).execute(plan, {})
    assert result == oracle(supergraph.api_schema, root, query)


async def test_a_down_subgraph_leaves_the_rest_of_a_planned_response() -> None:
    supergraph = load("shop")
    root, objects = shop_dataset()
    query = "{ topProducts(first: 2) { name inStock } }"
    plan = plan_operation(supergraph, parse(query), None)
    subgraphs = DatasetSubgraphs(supergraph, root, objects, down={"inventory"})
    result = await Executor(supergraph, subgraphs).execute(plan, {})
    assert result["data"] == {
        "topProducts": [{"name": "Product 1", "inStock": None}, {"name": "Product 2", "inStock": None}]
    }
    assert [(e["path"], e["extensions"]["serviceName"]) for e in result["errors"]] == [
        (["topProducts", 0, "inStock"], "inventory"),
        (["topProducts", 1, "inStock"], "inventory"),
    ]
