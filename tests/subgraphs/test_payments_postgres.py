"""The payments service on the machine's real PostgreSQL: a fresh database, seeded, batched, refunds."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from .test_payments import ENTITIES, REFUND, STAFF_TOKEN, PaymentsService, first_payment_in, start_payments

pytestmark = pytest.mark.postgres

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def pg_payments() -> AsyncIterator[PaymentsService]:
    try:
        await _admin("SELECT 1")
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    name = f"fed_payments_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        async with start_payments(f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}") as service:
            yield service
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
