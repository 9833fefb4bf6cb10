"""The whole system over real HTTP: one query across users, products and orders, through the gateway."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.e2e

PAGE = """query Page($n: Int!) {
  orders(first: $n) {
    edges { node {
      id
      total { amount currency }
      user { name orderCount }
      items { quantity unitPrice { amount } product { name price { amount currency } stock } }
    } }
  }
}"""


def plan_stats(plan: dict) -> tuple[int, int]:
    """(sequential depth, number of fetches) of a plan in Apollo's JSON shape."""

    def walk(node: dict | None) -> tuple[int, int]:
        if node is None:
            return 0, 0
        kind = node["kind"]
        if kind == "Fetch":
            return 1, 1
        if kind == "Flatten":
            return walk(node["node"])
        if kind == "Condition":
            a, b = walk(node.get("ifClause")), walk(node.get("elseClause"))
            return max(a[0], b[0]), a[1] + b[1]
        parts = [walk(n) for n in node["nodes"]]
        depth = sum(p[0] for p in parts) if kind == "Sequence" else max((p[0] for p in parts), default=0)
        return depth, sum(p[1] for p in parts)

    return walk(plan.get("node"))


def subgraph(system, name: str, query: str, variables: dict | None = None) -> dict:
    # Straight to a service, as the gateway would for staff (services check ownership from these claims).
    claims = json.dumps({"sub": "User:staff", "scope": "orders:manage products:manage users:manage"})
    r = httpx.post(
        system.subgraph_urls[name],
        json={"query": query, "variables": variables or {}},
        headers={"x-claims": claims},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def test_health_and_ready(system):
    base = system.url.rsplit("/", 1)[0]
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    ready = httpx.get(f"{base}/ready", timeout=10)
    assert ready.status_code == 200, ready.text


@pytest.mark.parametrize("n", [10, 1000])
def test_a_page_of_orders_across_three_services(system, n):
    r = system.post(PAGE, {"n": n}, headers={"x-query-plan": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body.get("errors")
    edges = body["data"]["orders"]["edges"]
    assert len(edges) == n
    depth, fetches = plan_stats(body["extensions"]["queryPlan"])
    assert depth <= 3, body["extensions"]["queryPlan"]
    assert fetches <= 4

    # Cross-check a sample against the services themselves.
    for edge in edges[:: max(1, n // 10)]:
        order = edge["node"]
        direct = subgraph(
            system,
            "orders",
            "query($id: ID!) { order(id: $id) { user { id } items { product { id } } } }",
            {"id": order["id"]},
        )
        direct_order = direct["data"]["order"]
        if direct_order["user"] is None:
            assert order["user"] is None
        else:
            user = subgraph(
                system,
                "users",
                "query($id: ID!) { user(id: $id) { name } }",
                {"id": direct_order["user"]["id"]},
            )
            assert order["user"]["name"] == user["data"]["user"]["name"]
            assert order["user"]["orderCount"] >= 1
        for item, direct_item in zip(order["items"], direct_order["items"], strict=True):
            product = subgraph(
                system,
                "products",
                "query($id: ID!) { product(id: $id) { name price { amount currency } stock } }",
                {"id": direct_item["product"]["id"]},
            )["data"]["product"]
            assert item["product"] == product
        total = sum(Decimal(i["unitPrice"]["amount"]) * i["quantity"] for i in order["items"])
        assert Decimal(order["total"]["amount"]) == total


def test_fetch_count_does_not_grow_with_the_page(system):
    plans = []
    for n in (10, 1000):
        r = system.post(PAGE, {"n": n}, headers={"x-query-plan": "true"})
        plans.append(plan_stats(r.json()["extensions"]["queryPlan"]))
    assert plans[0] == plans[1]


def test_order_to_user_to_other_orders_to_products(system):
    query = """{ order(id: "Order:42") { id user { id name orders(first: 3) { totalCount edges { node {
        id items { product { sku name shippingCost { amount currency } timesOrdered } } } } } } } }"""
    body = system.post(query).json()
    assert "errors" not in body, body
    user = body["data"]["order"]["user"]
    assert user["orders"]["totalCount"] >= 1
    for edge in user["orders"]["edges"]:
        for item in edge["node"]["items"]:
            assert item["product"]["sku"].startswith("SKU-")
            assert Decimal(item["product"]["shippingCost"]["amount"]) >= Decimal("5.90")


def test_inaccessible_field_is_not_part_of_the_api(system):
    r = system.post('{ product(id: "Product:1") { weightGrams } }')
    body = r.json()
    assert r.status_code in (200, 400)
    assert body.get("data") is None
    assert "weightGrams" in body["errors"][0]["message"]


def test_union_and_interface_across_services(system):
    body = system.post(
        """{ orders(first: 40) { edges { node { customer { __typename ... on User { name email } ... on Guest { email } } } } }
            node(id: "User:3") { __typename id ... on User { name orderCount } } }"""
    ).json()
    assert "errors" not in body, body
    kinds = {e["node"]["customer"]["__typename"] for e in body["data"]["orders"]["edges"]}
    assert kinds == {"User", "Guest"}
    for e in body["data"]["orders"]["edges"]:
        c = e["node"]["customer"]
        assert c["email"] and (c["__typename"] == "Guest" or c["name"])
    assert body["data"]["node"]["__typename"] == "User" and body["data"]["node"]["name"]


def test_mutation_through_the_gateway_and_a_clean_refusal(system):
    ok = system.post(
        'mutation { placeOrder(input: {userId: "User:9", items: [{productId: "Product:20", quantity: 2}]}) '
        "{ id user { name } items { product { name } } } }"
    ).json()
    assert "errors" not in ok, ok
    assert ok["data"]["placeOrder"]["user"]["name"]
    bad = system.post(
        'mutation { placeOrder(input: {userId: "User:9", items: [{productId: "Product:424242", quantity: 1}]}) { id } }'
    ).json()
    assert bad["data"] is None
    (error,) = bad["errors"]
    assert error["path"] == ["placeOrder"]
    assert error["extensions"]["code"] == "PRODUCT_NOT_FOUND"
    assert error["extensions"]["serviceName"] == "orders"


def test_node_is_null_for_entities_that_do_not_exist(system):
    # orders answers node(id:) only for users and products their own services know.
    body = system.post(
        '{ u: node(id: "User:987654") { id ... on User { name } } p: node(id: "Product:987654") { id } '
        'o: node(id: "Order:98765432") { id } yes: node(id: "User:5") { id ... on User { name } } }'
    ).json()
    assert "errors" not in body, body
    assert body["data"]["u"] is None and body["data"]["p"] is None and body["data"]["o"] is None
    assert body["data"]["yes"]["id"] == "User:5" and body["data"]["yes"]["name"]


def test_one_fields_failure_never_fails_another(system):
    response = system.post(
        '{ a: user(id: "User:1") { orderCount orders(after: "a") { totalCount } } '
        'b: user(id: "User:1") { orderCount } }'
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["data"]["b"]["orderCount"], int)
    assert any(e["extensions"]["code"] == "BAD_USER_INPUT" for e in body["errors"]), body


@pytest.mark.parametrize(
    "query",
    [
        '{ user(id: "User:%s") { id } }' % ("9" * 100_000),
        '{ user(id: "User:99999999999999999999") { id } }',
        '{ product(id: "Product:99999999999999999999") { id } }',
        '{ order(id: "Order:99999999999999999999") { id } }',
        '{ orders(after: "a") { totalCount } }',
        "{ users(first: -1) { totalCount } }",
    ],
)
def test_bad_input_reaches_the_client_coded_and_without_internals(system, query):
    response = system.post(query)
    body = response.json()
    text = response.text.lower()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    for leak in ("sqlite", "python", "set_int_max_str_digits", "traceback", "select "):
        assert leak not in text, body


def test_ctrl_c_stops_every_process(tmp_path):
    """A second, short-lived system: SIGINT to `up` stops the gateway and every service, and frees the ports."""
    import signal
    from urllib.parse import urlsplit

    from tests.local_system import local_system

    with local_system(tmp_path) as local:
        local.process.send_signal(signal.SIGINT)
        assert local.process.wait(timeout=30) == 0, local.log.read_text()
        ports = [urlsplit(u).port for u in local.subgraph_urls.values()] + [local.port]
    for p in ports:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{p}/health", timeout=2)
