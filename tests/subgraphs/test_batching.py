"""Entity references and fan-outs are batched: N representations or N parents cost one SQL query per type."""

from __future__ import annotations

import pytest

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { %s } }"


@pytest.mark.parametrize(
    ("service", "reps", "selection"),
    [
        (
            "users",
            [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)],
            "... on User { id name email }",
        ),
        (
            "products",
            [{"__typename": "Product", "id": f"Product:{i}"} for i in range(1, 101)],
            "... on Product { name }",
        ),
        (
            "products",
            [{"__typename": "Product", "sku": f"SKU-{i:05d}"} for i in range(1, 101)],
            "... on Product { id }",
        ),
        (
            "orders",
            [{"__typename": "Order", "id": f"Order:{i}"} for i in range(1, 101)],
            "... on Order { id total { amount } }",
        ),
        (
            "orders",
            [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)],
            "... on User { orderCount }",
        ),
        (
            "orders",
            [{"__typename": "Product", "id": f"Product:{i}"} for i in range(1, 101)],
            "... on Product { timesOrdered }",
        ),
        (
            "orders",
            [{"__typename": "OrderItem", "order": {"id": f"Order:{i}"}, "line": 1} for i in range(1, 101)],
            "... on OrderItem { quantity unitPrice { amount currency } }",
        ),
    ],
    ids=[
        "users",
        "products-by-id",
        "products-by-sku",
        "orders",
        "user-order-counts",
        "times-ordered",
        "order-items",
    ],
)
async def test_hundred_representations_cost_one_query(services, service, reps, selection):
    svc = getattr(services, service)
    with svc.sql.capture() as statements:
        body = await svc.query(ENTITIES % selection, {"r": reps})
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == 100
    assert all(e is not None for e in body["data"]["_entities"])
    assert len(statements) == 1, statements


async def test_mixed_types_cost_one_query_per_type(services):
    reps = [{"__typename": "Order", "id": f"Order:{i}"} for i in range(1, 51)]
    reps += [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 51)]
    with services.orders.sql.capture() as statements:
        body = await services.orders.query(
            ENTITIES % "... on Order { status } ... on User { orderCount lastOrderAt }", {"r": reps}
        )
    assert "errors" not in body, body
    # orders by id, order counts, last order dates: one each.
    assert len(statements) == 3, statements


async def test_a_page_of_orders_with_items_is_three_queries(services):
    query = (
        "{ orders(first: 200) { totalCount edges { node { id items { line quantity product { id } } } } } }"
    )
    with services.orders.sql.capture() as statements:
        body = await services.orders.query(query)
    assert len(body["data"]["orders"]["edges"]) == 200
    # count, page, items of all 200 orders.
    assert len(statements) == 3, statements


async def test_users_orders_pages_are_one_windowed_query(services):
    reps = [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)]
    with services.orders.sql.capture() as statements:
        body = await services.orders.query(
            ENTITIES % "... on User { orders(first: 2) { totalCount edges { node { id items { line } } } } }",
            {"r": reps},
        )
    assert "errors" not in body, body
    pages = [e["orders"] for e in body["data"]["_entities"]]
    assert all(len(p["edges"]) == min(2, p["totalCount"]) for p in pages)
    # the windowed page query, plus the items of every order on every page.
    assert len(statements) <= 3, statements
