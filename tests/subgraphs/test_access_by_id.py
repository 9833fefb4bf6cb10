"""Whose data a caller may read by ID and by listing, checked by the service that owns it: ``node(id:)`` for an
order, a payment by ID, every payment, a user's payments. Each is another way in to data that ``order(id:)``
and ``User.orders`` already keep to the customer and to staff."""

from __future__ import annotations

from typing import Any

from subgraphs.payments.seed import payment_rows

from .test_payments import ENTITIES, payments  # noqa: F401 (the payments fixture)

ORDER_NODE = "query($id: ID!) { node(id: $id) { id ... on Order { total { amount } } } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", ())]


def as_user(sub: str, scope: str = "") -> dict[str, str]:
    return {"sub": sub, "scope": scope}


async def test_an_order_by_node_is_the_customers_and_staffs_alone(services) -> None:
    listing = await services.orders.query('{ orders(first: 1, userId: "User:2") { edges { node { id } } } }')
    order = listing["data"]["orders"]["edges"][0]["node"]["id"]
    for claims in (None, as_user("User:1")):
        body = await services.orders.query(ORDER_NODE, {"id": order}, claims=claims)
        assert body["data"] == {"node": None}, body
        assert codes(body) == ["FORBIDDEN"]
    own = await services.orders.query(ORDER_NODE, {"id": order}, claims=as_user("User:2"))
    assert "errors" not in own and own["data"]["node"]["id"] == order
    staff = await services.orders.query(ORDER_NODE, {"id": order})
    assert staff["data"]["node"]["id"] == order


def _a_payment_of_a_user() -> tuple[str, str]:
    row = next(r for r in payment_rows() if r.get("user_id"))
    return f"Payment:{row['id']}", f"User:{row['user_id']}"


async def _query(service, query: str, variables: dict[str, Any], claims: dict[str, str] | None) -> Any:
    return await service.query(query, variables, claims=claims)


async def test_a_payment_by_id_is_its_customers_and_staffs_alone(payments) -> None:  # noqa: F811
    payment, owner = _a_payment_of_a_user()
    query = "query($id: ID!) { payment(id: $id) { id amount { amount } } }"
    for claims in (None, as_user("User:999999")):
        body = await _query(payments, query, {"id": payment}, claims)
        assert body["data"] == {"payment": None}, body
        assert codes(body) == ["FORBIDDEN"]
    own = await _query(payments, query, {"id": payment}, as_user(owner))
    assert own["data"]["payment"]["id"] == payment
    staff = await _query(payments, query, {"id": payment}, as_user("User:staff", "orders:manage"))
    assert staff["data"]["payment"]["id"] == payment
    missing = await _query(payments, query, {"id": "Payment:99999999"}, None)
    assert missing == {"data": {"payment": None}}  # nothing there: null, whoever asks


async def test_every_payment_is_listed_for_staff_alone(payments) -> None:  # noqa: F811
    query = "{ payments(first: 3) { totalCount edges { node { id } } } }"
    _, owner = _a_payment_of_a_user()
    for claims in (None, as_user(owner)):
        body = await _query(payments, query, {}, claims)
        assert body["data"] is None and codes(body) == ["FORBIDDEN"], body
    staff = await _query(payments, query, {}, as_user("User:staff", "orders:manage"))
    assert len(staff["data"]["payments"]["edges"]) == 3


async def test_a_users_payments_are_theirs_and_staffs_alone(payments) -> None:  # noqa: F811
    _, owner = _a_payment_of_a_user()
    query = ENTITIES % "... on User { payments { totalCount } }"
    variables = {"r": [{"__typename": "User", "id": owner}]}
    stranger = await _query(payments, query, variables, as_user("User:999999"))
    assert codes(stranger) == ["FORBIDDEN"]
    own = await _query(payments, query, variables, as_user(owner))
    assert "errors" not in own and own["data"]["_entities"][0]["payments"]["totalCount"] >= 1
    staff = await _query(payments, query, variables, as_user("User:staff", "orders:manage"))
    assert "errors" not in staff
