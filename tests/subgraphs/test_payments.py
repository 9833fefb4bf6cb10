"""The payments service on SQLite: payments by ID, ``Order.payment``, ``User.payments``, batching, refunds."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from subgraphs.common.db import Database
from subgraphs.payments.app import create_app
from subgraphs.payments.fake_provider import FakeProvider, Fault
from subgraphs.payments.models import Base
from subgraphs.payments.seed import payment_rows, seeded_orders
from tests.conftest import STAFF

STAFF_TOKEN = "staff-secret-for-tests"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { %s } }"
REFUND = (
    "mutation($id: ID!, $reason: String) { refundPayment(id: $id, reason: $reason) { id state updatedAt } }"
)


class PaymentsService:
    def __init__(self, app: Any, db: Database, client: httpx.AsyncClient, statements: list[str]) -> None:
        self.provider: FakeProvider = app.state.provider
        self.db = db
        self.client = client
        self.statements = statements
        self.capturing = False

    @contextlib.contextmanager
    def capture(self) -> Any:
        self.statements.clear()
        self.capturing = True
        try:
            yield self.statements
        finally:
            self.capturing = False

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        claims: dict[str, Any] | None = STAFF,
    ) -> dict[str, Any]:
        # The service checks whose payments these are from the gateway's claims: staff by default.
        headers = {"authorization": f"Bearer {token}"} if token else {}
        if claims is not None:
            headers["x-claims"] = json.dumps(claims)
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()


@contextlib.asynccontextmanager
async def start_payments(url: str) -> AsyncIterator[PaymentsService]:
    """The payments service in process on ``url``, seeded, with a staff token configured."""
    from sqlalchemy import event

    db = Database(url, Base)
    app = create_app(db, staff_token=STAFF_TOKEN)
    statements: list[str] = []
    service: PaymentsService | None = None

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if service is not None and service.capturing:
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payments") as client:
            service = PaymentsService(app, db, client, statements)
            yield service


@pytest.fixture(scope="module")
async def payments(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PaymentsService]:
    base: Path = tmp_path_factory.mktemp("payments")
    async with start_payments(f"sqlite+aiosqlite:///{base / 'payments.db'}") as service:
        yield service


def first_payment_in(state: str, *, skip: int = 0) -> int:
    """The id of a seeded payment in ``state`` (the ``skip``-th one), so tests that write don't share rows."""
    ids = [r["id"] for r in payment_rows() if r["state"] == state]
    return int(ids[skip])  # type: ignore[call-overload]


def test_seed_follows_the_orders_seed():
    from subgraphs.orders.seed import order_rows

    orders, _items = order_rows()
    replayed = seeded_orders()
    assert [(o["id"], o["user_id"], o["status"], o["currency"], o["total_cents"]) for o in orders] == [
        tuple(r) for r in replayed
    ]
    by_order = {p["order_id"]: p for p in payment_rows()}
    assert len(by_order) == len(orders)
    states = {"PENDING": {"AUTHORIZED"}, "CANCELLED": {"VOIDED", "REFUNDED", "FAILED"}}
    for order in orders:
        payment = by_order[order["id"]]
        assert payment["amount_cents"] == order["total_cents"]
        assert payment["currency"] == order["currency"]
        assert payment["user_id"] == order["user_id"]
        assert payment["state"] in states.get(str(order["status"]), {"CAPTURED"})
        assert payment["created_at"] > order["placed_at"]  # type: ignore[operator]


async def test_payment_by_id_unknown_and_malformed(payments):
    body = await payments.query(
        '{ a: payment(id: "Payment:1") { id state amount { amount currency } attempts createdAt updatedAt '
        'order { id } } b: payment(id: "Payment:99999999") { id } }'
    )
    assert "errors" not in body, body
    a = body["data"]["a"]
    assert a["id"] == "Payment:1" and a["order"] == {"id": "Order:1"}
    assert a["amount"] == {"amount": "1355.54", "currency": "EUR"}
    assert a["createdAt"].endswith("+00:00")
    assert body["data"]["b"] is None
    body = await payments.query('{ payment(id: "Order:1") { id } }')
    (error,) = body["errors"]
    assert error["path"] == ["payment"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_order_payment_and_user_payments_through_entities(payments):
    body = await payments.query(
        ENTITIES % "... on Order { id payment { id state } } ... on User { id payments(first: 2) "
        "{ totalCount edges { node { id order { id } } } pageInfo { hasNextPage } } }",
        {"r": [{"__typename": "Order", "id": "Order:2"}, {"__typename": "User", "id": "User:641"}]},
    )
    assert "errors" not in body, body
    order, user = body["data"]["_entities"]
    assert order == {"id": "Order:2", "payment": {"id": "Payment:2", "state": "FAILED"}}  # cancelled, 2 % 3
    expected = sum(1 for o in seeded_orders() if o.user_id == 641)
    assert user["payments"]["totalCount"] == expected
    assert len(user["payments"]["edges"]) == min(2, expected)


async def test_user_payments_page_through_without_overlap(payments):
    query = (
        "query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on User { "
        "payments(first: 3, after: $after) { totalCount edges { node { id createdAt } } "
        "pageInfo { hasNextPage endCursor } } } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        body = await payments.query(query, {"r": [{"__typename": "User", "id": "User:641"}], "after": after})
        page = body["data"]["_entities"][0]["payments"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]
    expected = sorted((o.id for o in seeded_orders() if o.user_id == 641), reverse=True)
    assert seen == [f"Payment:{i}" for i in expected]  # newest first


async def test_an_order_without_a_payment_has_none_and_a_user_without_payments_an_empty_page(payments):
    body = await payments.query(
        ENTITIES % "... on Order { payment { id } } ... on User { payments { totalCount edges { cursor } } }",
        {"r": [{"__typename": "Order", "id": "Order:424242"}, {"__typename": "User", "id": "User:424242"}]},
    )
    assert body["data"]["_entities"] == [
        {"payment": None},
        {"payments": {"totalCount": 0, "edges": []}},
    ]


@pytest.mark.parametrize(
    ("reps", "selection"),
    [
        (
            [{"__typename": "Payment", "id": f"Payment:{i}"} for i in range(1, 101)],
            "... on Payment { state }",
        ),
        (
            [{"__typename": "Order", "id": f"Order:{i}"} for i in range(1, 101)],
            "... on Order { payment { id } }",
        ),
        (
            [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)],
            "... on User { payments(first: 2) { totalCount edges { node { id } } } }",
        ),
    ],
    ids=["payments", "order-payments", "user-payments"],
)
async def test_hundred_representations_cost_one_query(payments, reps, selection):
    with payments.capture() as statements:
        body = await payments.query(ENTITIES % selection, {"r": reps})
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == 100
    assert len(statements) == 1, statements


async def test_payments_filtered_by_state(payments):
    body = await payments.query(
        "{ payments(first: 50, state: FAILED) { totalCount edges { node { state } } } }"
    )
    page = body["data"]["payments"]
    assert page["totalCount"] == sum(1 for r in payment_rows() if r["state"] == "FAILED")
    assert {e["node"]["state"] for e in page["edges"]} == {"FAILED"}


async def test_refund_needs_the_staff_token(payments):
    pk = first_payment_in("CAPTURED")
    body = await payments.query(REFUND, {"id": f"Payment:{pk}"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"] == ["refundPayment"]
    body = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token="guess")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await payments.query(f'{{ payment(id: "Payment:{pk}") {{ state }} }}')
    assert body["data"]["payment"]["state"] == "CAPTURED"


async def test_refund_a_captured_payment_once(payments):
    pk = first_payment_in("CAPTURED", skip=1)
    body = await payments.query(REFUND, {"id": f"Payment:{pk}", "reason": "damaged"}, token=STAFF_TOKEN)
    assert "errors" not in body, body
    assert body["data"]["refundPayment"]["state"] == "REFUNDED"
    again = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert again["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert "from REFUNDED to REFUNDED" in again["errors"][0]["message"]


async def test_a_refund_and_its_event_are_one_transaction(payments):
    from sqlalchemy import select

    from subgraphs.common.events import PaymentRefunded, decode
    from subgraphs.payments.models import OutboxRow

    pk = first_payment_in("CAPTURED", skip=5)
    body = await payments.query(REFUND, {"id": f"Payment:{pk}", "reason": "late"}, token=STAFF_TOKEN)
    assert body["data"]["refundPayment"]["state"] == "REFUNDED"
    failed = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert failed["errors"]
    async with payments.db.session() as s:
        rows = (await s.scalars(select(OutboxRow).where(OutboxRow.correlation_id == f"order-{pk}"))).all()
    (row,) = rows  # the refused second refund wrote no event
    env = decode(row.body.encode())
    order = next(r for r in payment_rows() if r["id"] == pk)
    assert env.payload == PaymentRefunded(pk, pk, int(order["amount_cents"]), str(order["currency"]), "late")
    assert row.sent_at is None and row.subject == "events.PaymentRefunded"


@pytest.mark.parametrize("state", ["AUTHORIZED", "FAILED", "VOIDED"])
async def test_only_captured_payments_are_refunded(payments, state):
    pk = first_payment_in(state)
    body = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    check = await payments.query(f'{{ payment(id: "Payment:{pk}") {{ state }} }}')
    assert check["data"]["payment"]["state"] == state


async def test_refund_of_nothing_or_with_a_long_reason_is_refused(payments):
    body = await payments.query(REFUND, {"id": "Payment:99999999"}, token=STAFF_TOKEN)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    pk = first_payment_in("CAPTURED", skip=2)
    body = await payments.query(REFUND, {"id": f"Payment:{pk}", "reason": "x" * 201}, token=STAFF_TOKEN)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "reason"}


@pytest.mark.parametrize("fault", [Fault.ERROR, Fault.TIMEOUT])
async def test_a_provider_fault_changes_nothing_and_a_retry_refunds_once(payments, fault):
    pk = first_payment_in("CAPTURED", skip=3 if fault is Fault.ERROR else 4)
    payments.provider.fail_next(fault)
    body = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "PAYMENT_PROVIDER_UNAVAILABLE",
        "reason": fault.value.replace("ERROR", "PROVIDER_ERROR"),
    }
    check = await payments.query(f'{{ payment(id: "Payment:{pk}") {{ state }} }}')
    assert check["data"]["payment"]["state"] == "CAPTURED"
    body = await payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert body["data"]["refundPayment"]["state"] == "REFUNDED"


async def test_the_provider_holds_the_seeded_charges(payments):
    pk = first_payment_in("AUTHORIZED")
    reference = f"fake_pay_seed_{pk:06d}"
    charge = await payments.provider.capture(reference, idempotency_key=f"test-capture-{pk}")
    assert charge.amount_cents == next(r["amount_cents"] for r in payment_rows() if r["id"] == pk)


async def test_refunds_are_off_without_a_configured_token(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", Base)
    app = create_app(db, seed_data=False, staff_token="")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
            response = await client.post(
                "/graphql",
                json={"query": 'mutation { refundPayment(id: "Payment:1") { id } }'},
                headers={"authorization": "Bearer "},
            )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_health_and_service_sdl(payments):
    from subgraphs.__main__ import service_sdl

    response = await payments.client.get("/health")
    assert response.json() == {"status": "ok", "service": "payments"}
    body = await payments.query("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip() + "\n" == service_sdl("payments")
