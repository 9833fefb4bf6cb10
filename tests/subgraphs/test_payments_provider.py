"""The fake payment provider, on SQLite and PostgreSQL: declines, moves, faults and Stripe's idempotency rules."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from subgraphs.common.db import normalise_url
from subgraphs.common.types import utcnow
from subgraphs.payments.fake_provider import ChargeRow, FakeProvider, Fault, RequestRow, luhn_valid
from subgraphs.payments.provider import (
    CONFLICT,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_REQUEST,
    INVALID_STATE,
    NOT_FOUND,
    PROVIDER_ERROR,
    TIMEOUT,
    ProviderError,
)
from subgraphs.payments.states import PaymentState
from tests.conftest import BACKENDS, fresh_database

OK_CARD = "4242424242424242"


@pytest.fixture(params=BACKENDS)
async def database_url(request, tmp_path) -> AsyncIterator[str]:
    """A fresh database per test: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    async with fresh_database(request.param, tmp_path, "provider") as url:
        yield normalise_url(url)


@pytest.fixture
async def engine(database_url) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def provider(engine) -> FakeProvider:
    fake = FakeProvider(engine)
    await fake.create_tables()
    return fake


def key() -> str:
    return f"key-{uuid.uuid4().hex}"


async def authorize(provider: FakeProvider, amount: int = 1234, card: str = OK_CARD, k: str | None = None):
    return await provider.authorize(
        amount_cents=amount, currency="EUR", card_number=card, idempotency_key=k or key()
    )


async def count(engine: AsyncEngine, table: type) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def code_of(info: pytest.ExceptionInfo[ProviderError]) -> str:
    return info.value.code


# -- authorisation and declines ---------------------------------------------------------------------------


async def test_authorize_holds_the_amount(provider):
    charge = await authorize(provider, 4999)
    assert charge.state is PaymentState.AUTHORIZED
    assert (charge.amount_cents, charge.currency, charge.failure_code) == (4999, "EUR", None)
    assert charge.reference.startswith("fake_pi_")


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000119", "processing_error"),
        ("4242424242424241", "incorrect_number"),
        ("not a card", "incorrect_number"),
    ],
)
async def test_test_cards_decline(provider, card, code):
    charge = await authorize(provider, card=card)
    assert (charge.state, charge.failure_code) == (PaymentState.FAILED, code)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (200_000, "do_not_honor"),
        (299_999, "do_not_honor"),
        (100_000_000, "amount_too_large"),
        (199_999, None),
    ],
)
async def test_amounts_decline(provider, amount, code):
    charge = await authorize(provider, amount)
    assert charge.failure_code == code
    assert charge.state is (PaymentState.FAILED if code else PaymentState.AUTHORIZED)


async def test_card_numbers_are_not_kept_whole(provider, engine):
    await authorize(provider, card="4242 4242 4242 4242")
    async with engine.connect() as conn:
        (last4,) = (await conn.execute(select(ChargeRow.card_last4))).one()
    assert last4 == "4242"


def test_luhn():
    assert luhn_valid(OK_CARD) and luhn_valid("4000000000000002")
    assert not luhn_valid("4242424242424243") and not luhn_valid("42")


async def test_an_invalid_request_keeps_nothing_under_its_key(provider):
    k = key()
    with pytest.raises(ProviderError) as info:
        await provider.authorize(amount_cents=0, currency="EUR", card_number=OK_CARD, idempotency_key=k)
    assert code_of(info) == INVALID_REQUEST
    assert (await authorize(provider, 100, k=k)).state is PaymentState.AUTHORIZED
    with pytest.raises(ProviderError) as info:
        await provider.authorize(amount_cents=100, currency="EUR", card_number=OK_CARD, idempotency_key="")
    assert code_of(info) == INVALID_REQUEST


# -- moves ------------------------------------------------------------------------------------------------


async def test_capture_then_refund(provider):
    charge = await authorize(provider)
    assert (await provider.capture(charge.reference, idempotency_key=key())).state is PaymentState.CAPTURED
    assert (await provider.refund(charge.reference, idempotency_key=key())).state is PaymentState.REFUNDED


async def test_void_releases_the_hold(provider):
    charge = await authorize(provider)
    assert (await provider.void(charge.reference, idempotency_key=key())).state is PaymentState.VOIDED


@pytest.mark.parametrize(
    ("before", "move"),
    [
        ([], "refund"),
        (["capture"], "void"),
        (["capture"], "capture"),
        (["void"], "capture"),
        (["void"], "refund"),
        (["capture", "refund"], "refund"),
        (["capture", "refund"], "void"),
    ],
)
async def test_illegal_moves_are_refused(provider, before, move):
    charge = await authorize(provider)
    for step in before:
        await getattr(provider, step)(charge.reference, idempotency_key=key())
    with pytest.raises(ProviderError) as info:
        await getattr(provider, move)(charge.reference, idempotency_key=key())
    assert code_of(info) == INVALID_STATE


async def test_a_declined_charge_cannot_be_captured(provider):
    charge = await authorize(provider, card="4000000000000002")
    with pytest.raises(ProviderError) as info:
        await provider.capture(charge.reference, idempotency_key=key())
    assert code_of(info) == INVALID_STATE


async def test_unknown_charge(provider):
    with pytest.raises(ProviderError) as info:
        await provider.capture("fake_pi_nope", idempotency_key=key())
    assert code_of(info) == NOT_FOUND


# -- idempotency ------------------------------------------------------------------------------------------


async def test_same_key_same_parameters_gets_the_first_result(provider, engine):
    k = key()
    first = await authorize(provider, 700, k=k)
    again = await authorize(provider, 700, k=k)
    assert again == first
    assert await count(engine, ChargeRow) == 1


async def test_a_decline_is_kept_under_its_key_too(provider):
    k = key()
    first = await authorize(provider, card="4000000000009995", k=k)
    assert await authorize(provider, card="4000000000009995", k=k) == first


async def test_same_key_other_parameters_is_refused(provider):
    k = key()
    await authorize(provider, 700, k=k)
    for kwargs in ({"amount": 701}, {"card": "5555555555554444"}):
        with pytest.raises(ProviderError) as info:
            await authorize(provider, k=k, **{"amount": 700, **kwargs})
        assert code_of(info) == IDEMPOTENCY_KEY_REUSED


async def test_a_key_belongs_to_one_operation(provider):
    charge = await authorize(provider)
    k = key()
    await provider.capture(charge.reference, idempotency_key=k)
    with pytest.raises(ProviderError) as info:
        await provider.refund(charge.reference, idempotency_key=k)
    assert code_of(info) == IDEMPOTENCY_KEY_REUSED


async def test_an_error_answer_is_replayed(provider):
    charge = await authorize(provider)
    k = key()
    with pytest.raises(ProviderError):
        await provider.refund(charge.reference, idempotency_key=k)  # not captured yet
    await provider.capture(charge.reference, idempotency_key=key())
    with pytest.raises(ProviderError) as info:
        await provider.refund(charge.reference, idempotency_key=k)  # the first answer, though now legal
    assert code_of(info) == INVALID_STATE
    assert (await provider.refund(charge.reference, idempotency_key=key())).state is PaymentState.REFUNDED


async def test_a_concurrent_duplicate_gets_a_conflict(provider, engine):
    provider.latency = 0.3
    k = key()
    results = await asyncio.gather(authorize(provider, k=k), authorize(provider, k=k), return_exceptions=True)
    charges = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, ProviderError)]
    assert len(charges) == 1 and [e.code for e in errors] == [CONFLICT]
    assert errors[0].retryable
    provider.latency = 0
    assert await authorize(provider, k=k) == charges[0]
    assert await count(engine, ChargeRow) == 1


async def test_a_duplicate_from_another_replica_gets_a_conflict(provider, database_url):
    other_engine = create_async_engine(database_url)
    other = FakeProvider(other_engine, latency=0.3)
    provider.latency = 0.3
    k = key()
    try:
        results = await asyncio.gather(
            authorize(provider, k=k), authorize(other, k=k), return_exceptions=True
        )
    finally:
        await other_engine.dispose()
    assert sorted(type(r).__name__ for r in results) == ["Charge", "ProviderError"]


async def test_racing_capture_and_void_cannot_both_win(provider):
    charge = await authorize(provider)
    provider.latency = 0.2
    results = await asyncio.gather(
        provider.capture(charge.reference, idempotency_key=key()),
        provider.void(charge.reference, idempotency_key=key()),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, ProviderError)]
    assert len(won) == 1 and [e.code for e in lost] == [INVALID_STATE]


async def test_an_abandoned_claim_is_taken_over(provider, engine):
    k = key()
    async with provider.sessionmaker() as s:
        s.add(RequestRow(idempotency_key=k, fingerprint="x", created_at=utcnow() - timedelta(minutes=5)))
        await s.commit()
    with pytest.raises(ProviderError) as info:
        await authorize(provider, k=k)  # the fingerprint differs: still refused
    assert code_of(info) == IDEMPOTENCY_KEY_REUSED
    k2 = key()
    await authorize(provider, k=k2)
    async with provider.sessionmaker() as s:
        row = await s.get(RequestRow, k2)
        row.response, row.created_at = None, utcnow() - timedelta(minutes=5)  # as if its caller crashed
        await s.commit()
    assert (await authorize(provider, k=k2)).state is PaymentState.AUTHORIZED
    assert await count(engine, ChargeRow) == 2


# -- faults and restarts ----------------------------------------------------------------------------------


async def test_a_timeout_did_the_work_and_a_retry_gets_it(provider, engine):
    provider.fail_next(Fault.TIMEOUT)
    k = key()
    with pytest.raises(ProviderError) as info:
        await authorize(provider, k=k)
    assert code_of(info) == TIMEOUT and info.value.retryable
    assert await count(engine, ChargeRow) == 1
    charge = await authorize(provider, k=k)
    assert charge.state is PaymentState.AUTHORIZED
    assert await count(engine, ChargeRow) == 1


async def test_an_error_did_nothing_and_a_retry_does_it(provider, engine):
    charge = await authorize(provider)
    provider.fail_next(Fault.ERROR, count=2)
    k = key()
    for _ in range(2):
        with pytest.raises(ProviderError) as info:
            await provider.capture(charge.reference, idempotency_key=k)
        assert code_of(info) == PROVIDER_ERROR
    assert (await provider.capture(charge.reference, idempotency_key=k)).state is PaymentState.CAPTURED


async def test_state_survives_a_restart(provider, database_url):
    k = key()
    charge = await authorize(provider, k=k)
    engine = create_async_engine(database_url)
    try:
        restarted = FakeProvider(engine)
        await restarted.create_tables()
        assert await authorize(restarted, k=k) == charge
        assert (
            await restarted.capture(charge.reference, idempotency_key=key())
        ).state is PaymentState.CAPTURED
    finally:
        await engine.dispose()


def test_a_claim_a_crashed_worker_left_is_taken_over_before_its_event_is_dead_lettered() -> None:
    """A worker killed mid-request leaves its idempotency key claimed; the event's redeliveries retry it with the
    same key. They must outlast the claim, or the event is dead-lettered and the charge stays held (seen in
    tests/subgraphs/test_saga_chaos.py: 'A request with the key ... is still in flight' five times)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from subgraphs.common.inbox import DEFAULT_BACKOFF, EventConsumer
    from subgraphs.payments.fake_provider import FakeProvider

    provider = FakeProvider(create_async_engine("sqlite+aiosqlite://"))
    max_attempts = EventConsumer.__init__.__kwdefaults__["max_attempts"]
    redeliveries = sum(DEFAULT_BACKOFF[: max_attempts - 1])  # from the first delivery to the last
    assert provider.abandoned_after < redeliveries
