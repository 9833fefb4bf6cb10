"""The products service: two keys, filters, exact money, stock that never goes negative."""

from __future__ import annotations

import uuid


async def test_product_by_id_or_sku(services):
    body = await services.products.query(
        '{ a: product(id: "Product:2") { sku price { amount currency } } b: product(sku: "SKU-00002") { id } }'
    )
    assert body["data"]["a"]["sku"] == "SKU-00002"
    assert body["data"]["b"]["id"] == "Product:2"
    amount = body["data"]["a"]["price"]["amount"]
    assert isinstance(amount, str) and len(amount.split(".")[1]) == 2


async def test_product_needs_exactly_one_key(services):
    body = await services.products.query('{ product(id: "Product:1", sku: "SKU-00001") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_filters(services):
    body = await services.products.query(
        '{ products(first: 500, filter: {category: BOOKS, minPrice: "10.00", maxPrice: "100", inStock: true}) '
        "{ totalCount edges { node { category stock price { amount } } } } }"
    )
    nodes = [e["node"] for e in body["data"]["products"]["edges"]]
    assert nodes and len(nodes) == body["data"]["products"]["totalCount"]
    from decimal import Decimal

    for n in nodes:
        assert n["category"] == "BOOKS" and n["stock"] > 0
        assert Decimal("10") <= Decimal(n["price"]["amount"]) <= Decimal("100")


async def test_inaccessible_weight_is_still_in_the_subgraph(services):
    # Hidden from clients by the gateway; the subgraph serves it for @requires in orders.
    body = await services.products.query('{ product(id: "Product:1") { weightGrams } }')
    assert body["data"]["product"]["weightGrams"] > 0


async def test_create_product_validates_money(services):
    sku = f"T-{uuid.uuid4().hex[:8]}"
    create = (
        'mutation($amount: Decimal!, $sku: String!) { createProduct(input: {sku: $sku, name: "Test", '
        "price: {amount: $amount, currency: EUR}, category: TOYS, weightGrams: 100, stock: 3}) { id price { amount } } }"
    )
    body = await services.products.query(create, {"amount": "19.999", "sku": sku})
    assert body["errors"][0]["extensions"]["argument"] == "input.price.amount"
    body = await services.products.query(create, {"amount": "19.99", "sku": sku})
    assert body["data"]["createProduct"]["price"]["amount"] == "19.99"
    body = await services.products.query(create, {"amount": "1.00", "sku": sku})
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_adjust_stock_never_negative(services):
    body = await services.products.query('{ product(id: "Product:7") { stock } }')
    stock = body["data"]["product"]["stock"]
    body = await services.products.query('mutation { adjustStock(id: "Product:7", delta: 5) { stock } }')
    assert body["data"]["adjustStock"]["stock"] == stock + 5
    body = await services.products.query(
        'mutation($d: Int!) { adjustStock(id: "Product:7", delta: $d) { stock } }', {"d": -(stock + 6)}
    )
    assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_STOCK"
    body = await services.products.query('{ product(id: "Product:7") { stock } }')
    assert body["data"]["product"]["stock"] == stock + 5
    body = await services.products.query('mutation { adjustStock(id: "Product:999999", delta: 1) { stock } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
