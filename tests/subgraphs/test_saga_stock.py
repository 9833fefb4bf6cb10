"""Products' stock handlers in any order events may come in (redeliveries reorder them): all lines or none,
a release before the order was seen, a cancellation handled before the confirmation; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from subgraphs.common import events as ev
from subgraphs.common.db import Database
from subgraphs.products.migrations import MIGRATIONS
from subgraphs.products.models import Base, ProductRow, StockReservationRow
from subgraphs.products.saga import StockKeeper
from tests.conftest import BACKENDS, fresh_database, require_postgres


@pytest.fixture(params=BACKENDS)
async def db(request, tmp_path) -> AsyncIterator[Database]:
    if request.param == "postgres":
        await require_postgres()
    async with fresh_database(request.param, tmp_path, "stock") as url:
        database = Database(url, Base)
        await MIGRATIONS.upgrade(database)
        try:
            await _seed(database)
            yield database
        finally:
            await database.dispose()


async def _seed(database: Database) -> None:
    async with database.session() as s, s.begin():
        for pk, stock in ((1, 5), (2, 1)):
            s.add(
                ProductRow(
                    id=pk,
                    sku=f"S{pk}",
                    name="p",
                    price_cents=100,
                    currency="EUR",
                    category="BOOKS",
                    stock=stock,
                    weight_grams=1,
                )
            )


async def handle(db: Database, event: ev.Event) -> None:
    env = ev.envelope(event, correlation_id="order-1")
    async with db.session() as s, s.begin():
        await StockKeeper().handlers()[env.type](s, env)


async def levels(db: Database) -> dict[int, tuple[int, int]]:
    async with db.session() as s:
        from sqlalchemy import select

        return {r.id: (r.stock, r.reserved) for r in (await s.scalars(select(ProductRow))).all()}


async def state(db: Database, order_id: int = 1) -> str:
    async with db.session() as s:
        row = await s.get(StockReservationRow, order_id)
        assert row is not None
        return row.state


def placed(*lines: tuple[int, int]) -> ev.OrderPlaced:
    return ev.OrderPlaced(1, None, 100, "EUR", tuple(ev.OrderLine(p, q) for p, q in lines), "tok")


async def test_a_line_that_cannot_be_held_holds_nothing(db):
    await handle(db, placed((1, 2), (2, 3)))
    assert await levels(db) == {1: (5, 0), 2: (1, 0)}
    assert await state(db) == "REJECTED"


async def test_a_release_before_the_order_settles_it_and_the_late_order_holds_nothing(db):
    await handle(db, ev.PaymentFailed(1, 10, "card_declined"))
    await handle(db, placed((1, 2)))
    assert await levels(db) == {1: (5, 0), 2: (1, 0)}
    assert await state(db) == "RELEASED"


async def test_confirm_sells_cancel_restocks_and_a_second_release_does_nothing(db):
    await handle(db, placed((1, 2)))
    assert (await levels(db))[1] == (5, 2)
    await handle(db, ev.OrderConfirmed(1))
    assert (await levels(db))[1] == (3, 0)
    await handle(db, ev.OrderCancelled(1, "returned"))
    await handle(db, ev.OrderCancelled(1, "returned"))
    assert (await levels(db))[1] == (5, 0)
    assert await state(db) == "RETURNED"


async def test_a_cancellation_handled_before_the_confirmation_leaves_the_units_on_sale(db):
    await handle(db, placed((1, 2)))
    await handle(db, ev.OrderCancelled(1, "changed my mind"))
    await handle(db, ev.OrderConfirmed(1))  # late: nothing left to sell
    assert (await levels(db))[1] == (5, 0)
    assert await state(db) == "RELEASED"
