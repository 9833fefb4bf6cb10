"""Order scenarios run against both SQLite and PostgreSQL (imported by the test modules of each)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from subgraphs.orders.models import OrderItemRow, OrderRow

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  id status total { amount currency } customer { __typename ... on User { id } ... on Guest { email } }
  items { line quantity unitPrice { amount currency } subtotal { amount } product { id sku } } } }"""


async def row_counts(services) -> tuple[int, int]:
    async with services.orders.db.session() as s:
        orders = await s.scalar(select(func.count()).select_from(OrderRow))
        items = await s.scalar(select(func.count()).select_from(OrderItemRow))
    return orders, items


async def place_order_prices_lines_from_the_catalogue(services):
    product = (await services.products.query('{ product(id: "Product:10") { price { amount currency } } }'))[
        "data"
    ]
    price = product["product"]["price"]
    body = await services.orders.query(
        PLACE,
        {"input": {"userId": "User:5", "items": [{"productId": "Product:10", "quantity": 3}]}},
    )
    assert "errors" not in body, body
    order = body["data"]["placeOrder"]
    assert order["status"] == "PENDING"
    assert order["customer"] == {"__typename": "User", "id": "User:5"}
    (item,) = order["items"]
    assert item["unitPrice"] == price
    assert item["product"] == {"id": "Product:10", "sku": "SKU-00010"}
    assert Decimal(order["total"]["amount"]) == Decimal(price["amount"]) * 3
    return order


async def missing_product_writes_nothing(services):
    before = await row_counts(services)
    body = await services.orders.query(
        PLACE,
        {
            "input": {
                "userId": "User:5",
                "items": [
                    {"productId": "Product:10", "quantity": 1},
                    {"productId": "Product:987654", "quantity": 1},
                ],
            }
        },
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["path"] == ["placeOrder"]
    assert error["extensions"]["code"] == "PRODUCT_NOT_FOUND"
    assert "Product:987654" in error["message"]
    assert await row_counts(services) == before


async def bad_quantities_write_nothing(services):
    before = await row_counts(services)
    for quantity in (0, -2, 100000):
        body = await services.orders.query(
            PLACE,
            {"input": {"userId": "User:5", "items": [{"productId": "Product:10", "quantity": quantity}]}},
        )
        assert body["errors"][0]["extensions"]["argument"] == "input.items[0].quantity"
    assert await row_counts(services) == before


async def unknown_user_writes_nothing(services):
    before = await row_counts(services)
    body = await services.orders.query(
        PLACE, {"input": {"userId": "User:7777777", "items": [{"productId": "Product:10", "quantity": 1}]}}
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await row_counts(services) == before


async def status_transitions(services):
    order = await place_order_prices_lines_from_the_catalogue(services)
    move = "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }"
    bad = await services.orders.query(move, {"id": order["id"], "s": "DELIVERED"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert "PENDING to DELIVERED" in bad["errors"][0]["message"]
    # A placed order belongs to the saga: stock and payment follow its moves, a status update cannot make them.
    for status in ("PAID", "CONFIRMED", "CANCELLED"):
        bad = await services.orders.query(move, {"id": order["id"], "s": status})
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    # An order from before the saga (the seed's) still moves by status updates alone.
    from subgraphs.orders.seed import order_rows

    legacy = f"Order:{[o['id'] for o in order_rows()[0] if o['status'] == 'PENDING'][-1]}"
    for status in ("PAID", "SHIPPED", "DELIVERED"):
        ok = await services.orders.query(move, {"id": legacy, "s": status})
        assert ok["data"]["updateOrderStatus"]["status"] == status
    bad = await services.orders.query(move, {"id": legacy, "s": "CANCELLED"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
