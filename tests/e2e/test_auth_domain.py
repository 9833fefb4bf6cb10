"""The demo domain's rules through the real gateway and services (`up`, real HTTP, development tokens): the
gateway's directives filter what a caller may ask, the services check whose data it is from the claims."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
ORDER = "query($id: ID!) { order(id: $id) { id user { id name email address { city } } } }"


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def an_order_of(system, user: str) -> str:
    body = system.post(
        "query($u: ID!) { orders(first: 1, userId: $u) { edges { node { id } } } }", {"u": user}
    ).json()
    return body["data"]["orders"]["edges"][0]["node"]["id"]


def test_a_stranger_changes_and_reads_nothing(system) -> None:
    stock = system.post(
        'mutation { adjustStock(id: "Product:1", delta: -5) { id stock } }', token=None
    ).json()
    # The mutation never runs; its field is non-null, so the null reaches data.
    assert stock["data"] is None and codes(stock) == [UNAUTHORIZED]
    assert stock["errors"][0]["path"] == ["adjustStock"]
    status = system.post(
        'mutation { updateOrderStatus(id: "Order:1", status: CANCELLED) { id } }', token=None
    ).json()
    assert status["data"] is None and codes(status) == [UNAUTHORIZED]
    email = system.post(
        'mutation { updateUser(id: "User:1", input: {email: "x@evil.test"}) { id } }', token=None
    ).json()
    assert email["data"] is None and codes(email) == [UNAUTHORIZED]
    orders = system.post("{ orders(first: 5) { edges { node { id } } } }", token=None).json()
    assert orders["data"] is None and codes(orders) == [UNAUTHORIZED]  # orders is non-null at the root
    # A guest reads no orders, not even through a user.
    via_user = system.post('{ user(id: "User:1") { name orders { totalCount } } }', token=None).json()
    assert via_user["data"] == {"user": None}  # User.orders is non-null: its null takes the user
    assert codes(via_user) == [UNAUTHORIZED]


def test_a_customer_reads_their_own_order_and_not_another_customers(system) -> None:
    mine, theirs = an_order_of(system, "User:1"), an_order_of(system, "User:2")
    ada = system.token("User:1")
    own = system.post(ORDER, {"id": mine}, token=ada).json()
    assert "errors" not in own, own
    assert own["data"]["order"]["user"]["id"] == "User:1" and "@" in own["data"]["order"]["user"]["email"]
    other = system.post(ORDER, {"id": theirs}, token=ada).json()
    assert other["data"] == {"order": None}
    assert codes(other) == ["FORBIDDEN"] and other["errors"][0]["path"] == ["order"]
    # Nor their contact details by another way in.
    contact = system.post('{ user(id: "User:2") { name email } }', token=ada).json()
    assert contact["data"] == {"user": None} and codes(contact) == ["FORBIDDEN"]
    listing = system.post('{ orders(first: 1, userId: "User:2") { totalCount } }', token=ada).json()
    assert listing["data"] is None and codes(listing) == ["FORBIDDEN"]


def test_staff_scopes_adjust_stock_and_change_order_status(system) -> None:
    customer = system.token("User:1")
    refused = system.post(
        'mutation { adjustStock(id: "Product:2", delta: 1) { stock } }', token=customer
    ).json()
    assert codes(refused) == [UNAUTHORIZED]
    staff = system.token("User:50", "products:manage")
    before = system.post('{ product(id: "Product:2") { stock } }', token=staff).json()["data"]["product"][
        "stock"
    ]
    adjusted = system.post(
        'mutation { adjustStock(id: "Product:2", delta: 1) { stock } }', token=staff
    ).json()
    assert adjusted == {"data": {"adjustStock": {"stock": before + 1}}}
    order = system.post(
        'mutation { placeOrder(input: {userId: "User:1", items: [{productId: "Product:3", quantity: 1}]}) '
        "{ id status } }",
        token=customer,
    ).json()["data"]["placeOrder"]
    clerk = system.token("User:51", "orders:manage")
    changed = system.post(
        "mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { id status } }",
        {"id": order["id"]},
        token=clerk,
    ).json()
    assert "errors" not in changed or codes(changed) == ["INVALID_TRANSITION"], changed
    if "errors" not in changed:
        assert changed["data"]["updateOrderStatus"]["status"] == "CANCELLED"


def test_placing_an_order_needs_the_user_or_a_guest_email(system) -> None:
    place = 'mutation($u: ID, $g: String) { placeOrder(input: {userId: $u, guestEmail: $g, items: [{productId: "Product:4", quantity: 1}]}) { id } }'
    as_guest = system.post(place, {"g": "guest@example.com"}, token=None).json()
    assert "errors" not in as_guest, as_guest
    for_someone = system.post(place, {"u": "User:3"}, token=None).json()
    assert codes(for_someone) == ["FORBIDDEN"]
    as_another = system.post(place, {"u": "User:3"}, token=system.token("User:1")).json()
    assert codes(as_another) == ["FORBIDDEN"]
    as_themself = system.post(place, {"u": "User:3"}, token=system.token("User:3")).json()
    assert "errors" not in as_themself, as_themself
