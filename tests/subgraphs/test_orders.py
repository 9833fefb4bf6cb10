"""The orders service on SQLite: placing orders atomically, transitions, guests, the Node interface."""

from __future__ import annotations

from . import orders_cases as cases


async def test_place_order(services):
    await cases.place_order_prices_lines_from_the_catalogue(services)


async def test_missing_product_is_refused_and_leaves_no_rows(services):
    await cases.missing_product_writes_nothing(services)


async def test_bad_quantities(services):
    await cases.bad_quantities_write_nothing(services)


async def test_unknown_user(services):
    await cases.unknown_user_writes_nothing(services)


async def test_status_transitions(services):
    await cases.status_transitions(services)


async def test_guest_order_and_customer_union(services):
    body = await services.orders.query(
        cases.PLACE,
        {
            "input": {
                "guestEmail": "Walk.In@Example.org",
                "items": [{"productId": "Product:11", "quantity": 1}],
            }
        },
    )
    order = body["data"]["placeOrder"]
    assert order["customer"] == {"__typename": "Guest", "email": "walk.in@example.org"}


async def test_who_orders_must_be_said_once(services):
    body = await services.orders.query(
        cases.PLACE,
        {
            "input": {
                "userId": "User:1",
                "guestEmail": "a@b.org",
                "items": [{"productId": "Product:1", "quantity": 1}],
            }
        },
    )
    assert body["errors"][0]["extensions"]["argument"] == "input"


async def test_mixed_currencies_are_refused(services):
    # Product 5 is priced in USD, product 1 in EUR (see subgraphs.common.demo).
    body = await services.orders.query(
        cases.PLACE,
        {
            "input": {
                "userId": "User:1",
                "items": [
                    {"productId": "Product:1", "quantity": 1},
                    {"productId": "Product:5", "quantity": 1},
                ],
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "MIXED_CURRENCIES"


async def test_node_answers_for_every_type(services):
    body = await services.orders.query(
        '{ a: node(id: "Order:3") { __typename id } b: node(id: "User:3") { __typename id } '
        'c: node(id: "Product:3") { __typename id } }'
    )
    assert body["data"] == {
        "a": {"__typename": "Order", "id": "Order:3"},
        "b": {"__typename": "User", "id": "User:3"},
        "c": {"__typename": "Product", "id": "Product:3"},
    }
    body = await services.orders.query('{ node(id: "Spaceship:1") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_orders_filtered_by_user_and_status(services):
    body = await services.orders.query(
        '{ orders(first: 100, userId: "User:2", status: DELIVERED) { totalCount edges { node { status user { id } } } } }'
    )
    edges = body["data"]["orders"]["edges"]
    assert edges and all(e["node"] == {"status": "DELIVERED", "user": {"id": "User:2"}} for e in edges)


async def test_unexpected_errors_are_masked(services):
    # A representation of a type this service does not know fails inside the subgraph library; the client
    # must see a generic message, never a traceback.
    body = await services.orders.query(
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"__typename": "Spaceship", "id": "1"}]},
    )
    assert body["errors"]
    assert all("Traceback" not in e["message"] for e in body["errors"])
