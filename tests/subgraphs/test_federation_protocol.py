"""Every service speaks the subgraph protocol: ``_service { sdl }`` and ``_entities`` for each entity type."""

from __future__ import annotations

import pytest

from subgraphs.__main__ import service_sdl

ENTITY_QUERY = "query($r: [_Any!]!) { _entities(representations: $r) { __typename %s } }"


@pytest.mark.parametrize("name", ["users", "products", "orders"])
async def test_service_sdl_is_the_snapshot_and_declares_federation_2(services, name):
    body = await getattr(services, name).query("{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert sdl.rstrip() + "\n" == service_sdl(name)
    assert '@link(url: "https://specs.apollo.dev/federation/v2.7"' in sdl


@pytest.mark.parametrize("name", ["users", "products", "orders"])
async def test_health(services, name):
    response = await getattr(services, name).client.get("/health")
    assert response.status_code == 200
    # A service with subscriptions also says how many this process serves.
    expected = {"status": "ok", "service": name} | ({"subscriptions": 0} if name == "orders" else {})
    assert response.json() == expected


@pytest.mark.parametrize(
    ("service", "rep", "selection", "expected"),
    [
        ("users", {"__typename": "User", "id": "User:3"}, "... on User { id name }", {"id": "User:3"}),
        (
            "products",
            {"__typename": "Product", "id": "Product:4"},
            "... on Product { id sku }",
            {"sku": "SKU-00004"},
        ),
        (
            "products",
            {"__typename": "Product", "sku": "SKU-00005"},
            "... on Product { id }",
            {"id": "Product:5"},
        ),
        ("orders", {"__typename": "Order", "id": "Order:7"}, "... on Order { id status }", {"id": "Order:7"}),
        ("orders", {"__typename": "User", "id": "User:1"}, "... on User { orderCount }", {}),
        ("orders", {"__typename": "Product", "id": "Product:1"}, "... on Product { timesOrdered }", {}),
        (
            "orders",
            {"__typename": "OrderItem", "order": {"id": "Order:7"}, "line": 1},
            "... on OrderItem { line quantity order { id } }",
            {"line": 1, "order": {"id": "Order:7"}},
        ),
    ],
)
async def test_entities_for_every_entity_type(services, service, rep, selection, expected):
    body = await getattr(services, service).query(ENTITY_QUERY % selection, {"r": [rep]})
    assert "errors" not in body, body
    (entity,) = body["data"]["_entities"]
    assert entity["__typename"] == rep["__typename"]
    assert expected.items() <= entity.items()


async def test_unknown_entity_is_null_not_an_error(services):
    body = await services.users.query(
        ENTITY_QUERY % "... on User { id }",
        {"r": [{"__typename": "User", "id": "User:999999"}, {"__typename": "User", "id": "User:2"}]},
    )
    assert body["data"]["_entities"] == [None, {"__typename": "User", "id": "User:2"}]


async def test_requires_fields_come_from_the_representation(services):
    rep = {"__typename": "Product", "id": "Product:9", "weightGrams": 2500, "price": {"currency": "USD"}}
    body = await services.orders.query(
        ENTITY_QUERY % "... on Product { shippingCost { amount currency } }", {"r": [rep]}
    )
    # 4.90 flat plus 1.00 per started kilogram: 3 kg -> 7.90, in the product's currency.
    assert body["data"]["_entities"][0]["shippingCost"] == {"amount": "7.90", "currency": "USD"}


async def test_provided_sku_is_served_by_orders(services):
    body = await services.orders.query('{ order(id: "Order:1") { items { product { id sku } } } }')
    for item in body["data"]["order"]["items"]:
        number = int(item["product"]["id"].split(":")[1])
        assert item["product"]["sku"] == f"SKU-{number:05d}"
