"""Subscriptions through the gateway of the running system (`up`: services, workers and gateway as processes on
real HTTP, SQLite, the machine's NATS), with the graphql-ws and graphql-sse npm clients: an order's status
live with fields from four subgraphs, a declined order, a client that leaves, and products running low."""

from __future__ import annotations

import pytest

from .running import DECLINED_CARD, ReferenceClient

pytestmark = [pytest.mark.e2e, pytest.mark.nats, pytest.mark.node]

WATCH = """subscription($id: ID!) {
  orderStatusChanged(orderId: $id) {
    id status statusReason
    customer { ... on User { name } }
    items { quantity product { name } }
    payment { state amount { amount currency } }
  }
}"""
STOCK_LOW = "subscription { stockLow { id name available } }"


def _orders(messages: list[dict]) -> list[dict]:
    return [m["payload"]["data"]["orderStatusChanged"] for m in messages if m["type"] == "next"]


def test_an_order_placed_and_paid_shows_pending_then_confirmed_hydrated_from_four_subgraphs(system):
    product = system.add_product("Live Tome", stock=50)
    with ReferenceClient(system.url, "ws", WATCH, None, system.token("User:1")) as client:
        assert client.next()["type"] == "connected"
        with system.payments_held():  # the card is authorised once the client watches
            order = system.place(product, user="User:1", quantity=2)
            client.subscribe({"id": order})
            pending = client.next()
        assert pending["type"] == "next", pending
        assert "errors" not in pending["payload"], pending
        first = pending["payload"]["data"]["orderStatusChanged"]
        assert first["status"] == "PENDING"
        name = system.post('{ node(id: "User:1") { ... on User { name } } }')["node"]["name"]
        assert first["customer"] == {"name": name}  # users
        assert first["items"] == [{"quantity": 2, "product": {"name": "Live Tome"}}]  # products
        assert first["payment"] is None  # payments: none yet
        confirmed = client.next()
        assert "errors" not in confirmed["payload"], confirmed
        second = confirmed["payload"]["data"]["orderStatusChanged"]
        assert (second["id"], second["status"], second["statusReason"]) == (order, "CONFIRMED", None)
        assert second["customer"] == {"name": name}
        assert second["items"] == first["items"]
        assert second["payment"]["state"] in ("AUTHORIZED", "CAPTURED")  # payments
        assert second["payment"]["amount"] == {"amount": "25.00", "currency": "EUR"}
        assert system.open_upstream(expected=1) == 1  # CONFIRMED is not final: still watching
    assert system.open_upstream(expected=0) == 0


def test_a_declined_order_ends_rejected_over_sse(system):
    product = system.add_product("Declined Tome", stock=50)
    with ReferenceClient(system.url, "sse", WATCH, None, system.token("User:1")) as client:
        with system.payments_held():
            order = system.place(product, card=DECLINED_CARD)
            client.subscribe({"id": order})
            seen = client.until("next")
        seen += client.until("complete")
    assert [m["type"] for m in seen][-1] == "complete", seen
    statuses = [(o["status"], o["statusReason"]) for o in _orders(seen)]
    assert statuses == [("PENDING", None), ("REJECTED", "payment: card_declined")]
    assert _orders(seen)[-1]["payment"]["state"] == "FAILED"
    assert system.open_upstream(expected=0) == 0


@pytest.mark.parametrize("protocol", ["ws", "sse"])
def test_a_client_that_goes_away_leaves_no_upstream_subscription(system, protocol):
    product = system.add_product(f"Left {protocol}", stock=50)
    order = system.place(product, user="User:1")
    # The customer and staff watch the same order: other credentials, so an upstream subscription each.
    with ReferenceClient(system.url, protocol, WATCH, {"id": order}, system.token("User:1")) as customer:
        with ReferenceClient(system.url, protocol, WATCH, {"id": order}, system.staff_token()) as staff:
            for client in (customer, staff):
                assert [m["type"] for m in client.until("next")][-1] == "next"
            assert system.open_upstream(expected=2) == 2
        assert system.open_upstream(expected=1) == 1  # the staff's went with their client
        assert customer.process.poll() is None
    assert system.open_upstream(expected=0) == 0


def test_a_product_running_low_reaches_its_watchers_with_its_catalogue_fields(system):
    product = system.add_product("Scarce Tome", stock=6)
    with ReferenceClient(system.url, "ws", STOCK_LOW, {}, system.staff_token()) as client:
        assert client.next()["type"] == "connected"
        system.place(product, quantity=1)  # 5 for sale: not below the level yet
        system.place(product, quantity=2)  # 3: low
        event = client.next()
        assert event["type"] == "next", event
        assert event["payload"] == {
            "data": {"stockLow": {"id": product, "name": "Scarce Tome", "available": 3}}
        }


def test_an_order_one_may_not_watch_is_refused_before_any_event(system):
    order = system.place(system.add_product("Private Tome", stock=50), user="User:1")
    for token, variables, code in (
        (system.token("User:2"), {"id": order}, "FORBIDDEN"),  # another customer's order
        (system.token("User:1"), {"id": "Order:999999999"}, "NOT_FOUND"),
    ):
        with ReferenceClient(system.url, "ws", WATCH, variables, token) as client:
            seen = [m for m in client.until("complete") if m["type"] != "connected"]
        # One result, no data, the orders service's coded error at the field's path; then the end.
        assert [m["type"] for m in seen] == ["next", "complete"], seen
        (error,) = seen[0]["payload"]["errors"]
        assert seen[0]["payload"]["data"] is None
        assert (error["extensions"]["code"], error["path"]) == (code, ["orderStatusChanged"]), error
    assert system.open_upstream(expected=0) == 0
