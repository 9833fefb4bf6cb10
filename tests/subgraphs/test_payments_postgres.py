"""The payments service on the machine's real PostgreSQL: a fresh database, seeded, batched, refunds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import postgres_database

from .test_payments import ENTITIES, REFUND, STAFF_TOKEN, PaymentsService, first_payment_in, start_payments

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
async def pg_payments() -> AsyncIterator[PaymentsService]:
    async with postgres_database("fed_payments") as url, start_payments(url) as service:
        yield service


async def test_seeded_and_batched_on_postgres(pg_payments):
    reps = [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)]
    with pg_payments.capture() as statements:
        body = await pg_payments.query(
            ENTITIES % "... on User { payments(first: 3) { totalCount edges { node { id createdAt } } } }",
            {"r": reps},
        )
    assert "errors" not in body, body
    assert len(statements) == 1
    created = body["data"]["_entities"][0]["payments"]["edges"][0]["node"]["createdAt"]
    assert created.endswith("+00:00")
    total = await pg_payments.query("{ payments(first: 0) { totalCount } }")
    assert total["data"]["payments"]["totalCount"] == 10_000


async def test_refund_on_postgres(pg_payments):
    pk = first_payment_in("CAPTURED")
    body = await pg_payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert body["data"]["refundPayment"]["state"] == "REFUNDED"
    again = await pg_payments.query(REFUND, {"id": f"Payment:{pk}"}, token=STAFF_TOKEN)
    assert again["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
