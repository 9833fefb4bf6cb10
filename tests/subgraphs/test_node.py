"""``node(id:)`` and ``_entities`` answer null for entities that do not exist, for every type of every service."""

from __future__ import annotations

import pytest

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename %s } }"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    return request.getfixturevalue("services" if request.param == "sqlite" else "postgres_services")


async def test_node_is_null_for_entities_that_do_not_exist(backend):
    body = await backend.orders.query(
        '{ u: node(id: "User:5000") { __typename id } p: node(id: "Product:50000") { __typename id } '
        'o: node(id: "Order:5000000") { __typename id } '
        'big: node(id: "User:9223372036854775807") { id } zero: node(id: "Product:0") { id } '
        'yes: node(id: "User:7") { __typename id } }'
    )
    assert "errors" not in body, body
    assert body["data"] == {
        "u": None,
        "p": None,
        "o": None,
        "big": None,
        "zero": None,
        "yes": {"__typename": "User", "id": "User:7"},
    }


async def test_node_asks_each_owner_once_per_request(backend):
    # Seeded: users 1..1000, products 1..500; the tests never create anywhere near 900,000 more.
    ids = [f"User:{i}" for i in (*range(990, 1000), *range(900_000, 900_010))]
    ids += [f"Product:{i}" for i in (*range(490, 500), *range(900_000, 900_010))]
    query = "{ " + " ".join(f'n{i}: node(id: "{id}") {{ id }}' for i, id in enumerate(ids)) + " }"
    with backend.users.sql.capture() as user_sql, backend.products.sql.capture() as product_sql:
        body = await backend.orders.query(query)
    assert "errors" not in body, body
    found = [body["data"][f"n{i}"] is not None for i in range(len(ids))]
    assert found == [int(id.split(":")[1]) < 900_000 for id in ids]
    assert len(user_sql) == 1 and len(product_sql) == 1


@pytest.mark.parametrize(
    ("service", "representation", "selection"),
    [
        ("users", {"__typename": "User", "id": "User:5000"}, "... on User { id }"),
        ("products", {"__typename": "Product", "id": "Product:50000"}, "... on Product { id }"),
        ("products", {"__typename": "Product", "sku": "SKU-99999"}, "... on Product { id }"),
        ("orders", {"__typename": "Order", "id": "Order:5000000"}, "... on Order { id }"),
        (
            "orders",
            {"__typename": "OrderItem", "order": {"id": "Order:1"}, "line": 999},
            "... on OrderItem { line }",
        ),
        (
            "orders",
            {"__typename": "OrderItem", "order": {"id": "Order:5000000"}, "line": 1},
            "... on OrderItem { line }",
        ),
    ],
)
async def test_entities_are_null_for_entities_that_do_not_exist(backend, service, representation, selection):
    body = await getattr(backend, service).query(ENTITIES % selection, {"r": [representation]})
    assert body == {"data": {"_entities": [None]}}
