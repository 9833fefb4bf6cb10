"""The database layer on the machine's real PostgreSQL: the same services, a fresh database each."""

from __future__ import annotations

import pytest

from . import orders_cases as cases

pytestmark = pytest.mark.postgres


async def test_seeded_and_batched_on_postgres(postgres_services):
    svc = postgres_services
    reps = [{"__typename": "User", "id": f"User:{i}"} for i in range(1, 101)]
    with svc.users.sql.capture() as statements:
        body = await svc.users.query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id createdAt } } }",
            {"r": reps},
        )
    assert len(statements) == 1
    assert body["data"]["_entities"][0]["createdAt"].endswith("+00:00")
    with svc.orders.sql.capture() as statements:
        body = await svc.orders.query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 3) "
            "{ totalCount edges { node { id } } } } } }",
            {"r": reps},
        )
    assert "errors" not in body, body
    assert len(statements) == 1
    total = await svc.orders.query("{ orders(first: 0) { totalCount } }")
    assert total["data"]["orders"]["totalCount"] >= 10_000


async def test_place_order_on_postgres(postgres_services):
    await cases.place_order_prices_lines_from_the_catalogue(postgres_services)


async def test_missing_product_leaves_no_rows_on_postgres(postgres_services):
    await cases.missing_product_writes_nothing(postgres_services)


async def test_transitions_on_postgres(postgres_services):
    await cases.status_transitions(postgres_services)


async def test_new_rows_get_fresh_ids_after_seeding(postgres_services):
    body = await postgres_services.users.query(
        'mutation { createUser(input: {name: "Pg", email: "pg.user@example.com", address: {country: "DE"}}) { id } }'
    )
    assert "errors" not in body, body
    assert int(body["data"]["createUser"]["id"].split(":")[1]) > 1000
