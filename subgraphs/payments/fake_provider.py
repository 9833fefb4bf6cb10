"""A payment provider that behaves like a real one, kept in its own tables so it survives restarts.

Test cards are Stripe's (https://docs.stripe.com/testing): 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002
is declined, 4000 0000 0000 9995 has insufficient funds, 4000 0000 0000 0069 is expired, 4000 0000 0000 0119
fails with a processing error; a number failing the Luhn check is an incorrect number. Amounts decline too:
by default 2000.00 to 2999.99 (Braintree's test amounts for a processor decline) and anything over 999,999.99
(Stripe's limit). ``fail_next`` makes the next calls time out (the provider did the work, the answer was lost)
or fail (the provider did nothing), and ``latency`` keeps a call in flight, to exercise callers' retries.

Idempotency (Stripe's rules): the key is claimed in its own committed row before the work starts, so a
duplicate arriving meanwhile, in this process or another, sees it in flight and gets ``CONFLICT``; the work
and its answer are committed together, and later calls with the key get that answer again, or
``IDEMPOTENCY_KEY_REUSED`` if their parameters differ. A call that failed before doing anything releases its
key, and a claim left behind by a crashed caller is taken over after ``abandoned_after`` seconds: 5 by default,
within the 8.5 s an event's redeliveries span (``subgraphs.common.inbox.DEFAULT_BACKOFF``), so a worker killed
mid-request does not leave its event to be dead-lettered; a request here takes milliseconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Container
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import BigInteger, String, Text, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.types import UTCDateTime, utcnow

from .provider import (
    CONFLICT,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_REQUEST,
    INVALID_STATE,
    NOT_FOUND,
    PROVIDER_ERROR,
    TIMEOUT,
    Charge,
    ProviderError,
)
from .states import IllegalTransition, PaymentState, check_transition

__all__ = ["DECLINING_CARDS", "FakeProvider", "Fault", "ProviderBase"]

DECLINING_CARDS = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000119": "processing_error",
}
MAX_AMOUNT_CENTS = 99_999_999
DECLINED_AMOUNTS = range(200_000, 300_000)


class Fault(Enum):
    TIMEOUT = "TIMEOUT"  # the work is done and kept, the caller never hears of it
    ERROR = "ERROR"  # the provider fails before doing anything


class ProviderBase(DeclarativeBase):
    pass


class ChargeRow(ProviderBase):
    __tablename__ = "fake_provider_charges"

    reference: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    card_last4: Mapped[str] = mapped_column(String(4))  # never the whole number
    failure_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RequestRow(ProviderBase):
    __tablename__ = "fake_provider_requests"

    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # NULL while the request is in flight; then the JSON answer, a charge or an error.
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class FakeProvider:
    """A ``PaymentProvider`` over ``engine`` (its tables: ``fake_provider_*``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        declined_amounts: Container[int] = DECLINED_AMOUNTS,
        latency: float = 0.0,
        abandoned_after: float = 5.0,
    ) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.declined_amounts = declined_amounts
        self.latency = latency
        self.abandoned_after = abandoned_after
        self._faults: list[Fault] = []

    async def create_tables(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(ProviderBase.metadata.create_all)

    def fail_next(self, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` calls (of any kind) end in ``fault``."""
        self._faults.extend([fault] * count)

    async def add_charges(self, charges: list[Charge]) -> None:
        """Know charges made before this provider's tables existed (the seeded payments' charges)."""
        if not charges:
            return
        rows = [
            {
                "reference": c.reference,
                "state": c.state.value,
                "amount_cents": c.amount_cents,
                "currency": c.currency,
                "card_last4": "4242",
                "failure_code": c.failure_code,
            }
            for c in charges
        ]
        async with self.sessionmaker() as s:
            await s.execute(insert(ChargeRow), rows)
            await s.commit()

    # -- the PaymentProvider protocol -------------------------------------------------------------------

    async def authorize(
        self, *, amount_cents: int, currency: str, card_number: str, idempotency_key: str
    ) -> Charge:
        card = card_number.replace(" ", "")
        # Like Stripe, a request that fails validation is answered at once and keeps nothing under its key.
        if amount_cents <= 0 or len(currency) != 3 or not currency.isalpha():
            raise ProviderError(INVALID_REQUEST, "The amount must be positive, in a 3-letter currency.")
        params = {"amount_cents": amount_cents, "currency": currency, "card": _digest(card)}

        async def run(s: AsyncSession) -> Charge:
            failure = self._decline(card, amount_cents)
            row = ChargeRow(
                reference=f"fake_pi_{uuid.uuid4().hex[:24]}",
                state=(PaymentState.FAILED if failure else PaymentState.AUTHORIZED).value,
                amount_cents=amount_cents,
                currency=currency,
                card_last4=card[-4:],
                failure_code=failure,
            )
            s.add(row)
            return _charge(row)

        return await self._idempotent(idempotency_key, "authorize", params, run)

    async def capture(self, reference: str, *, idempotency_key: str) -> Charge:
        return await self._move("capture", reference, PaymentState.CAPTURED, idempotency_key)

    async def void(self, reference: str, *, idempotency_key: str) -> Charge:
        return await self._move("void", reference, PaymentState.VOIDED, idempotency_key)

    async def refund(self, reference: str, *, idempotency_key: str) -> Charge:
        return await self._move("refund", reference, PaymentState.REFUNDED, idempotency_key)

    # -- rules --------------------------------------------------------------------------------------------

    def _decline(self, card: str, amount_cents: int) -> str | None:
        if not luhn_valid(card):
            return "incorrect_number"
        if card in DECLINING_CARDS:
            return DECLINING_CARDS[card]
        if amount_cents > MAX_AMOUNT_CENTS:
            return "amount_too_large"
        if amount_cents in self.declined_amounts:
            return "do_not_honor"
        return None

    async def _move(self, operation: str, reference: str, target: PaymentState, key: str) -> Charge:
        async def run(s: AsyncSession) -> Charge:
            row = await s.get(ChargeRow, reference)
            if row is None:
                raise ProviderError(NOT_FOUND, f"No charge {reference!r}.")
            current = PaymentState(row.state)
            try:
                check_transition(current, target)
            except IllegalTransition as exc:
                raise ProviderError(INVALID_STATE, str(exc)) from None
            # Compare-and-set: a capture and a void racing under different keys cannot both win.
            result = await s.execute(
                update(ChargeRow)
                .where(ChargeRow.reference == reference, ChargeRow.state == current.value)
                .values(state=target.value, updated_at=utcnow())
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise ProviderError(INVALID_STATE, f"The charge {reference!r} changed meanwhile.")
            row.state = target.value
            return _charge(row)

        return await self._idempotent(key, operation, {"reference": reference}, run)

    # -- idempotency --------------------------------------------------------------------------------------

    async def _idempotent(
        self,
        key: str,
        operation: str,
        params: dict[str, Any],
        run: Callable[[AsyncSession], Awaitable[Charge]],
    ) -> Charge:
        if not key or len(key) > 255:
            raise ProviderError(INVALID_REQUEST, "An idempotency key has 1 to 255 characters.")
        fingerprint = _digest(json.dumps({"operation": operation, **params}, sort_keys=True))
        stored = await self._claim(key, fingerprint)
        if stored is not None:
            return _answer(stored)
        fault = self._faults.pop(0) if self._faults else None
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is Fault.ERROR:
            await self._release(key)
            raise ProviderError(PROVIDER_ERROR, "The provider failed before doing anything; retry.")
        async with self.sessionmaker() as s:
            try:
                charge = await run(s)
                response = {"charge": _charge_json(charge)}
            except ProviderError as exc:
                await s.rollback()
                response = {"error": {"code": exc.code, "message": exc.message}}
            await s.execute(
                update(RequestRow)
                .where(RequestRow.idempotency_key == key)
                .values(response=json.dumps(response))
            )
            await s.commit()
        if fault is Fault.TIMEOUT:
            raise ProviderError(TIMEOUT, "The provider did not answer in time; retry with the same key.")
        return _answer(response)

    async def _claim(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """Claim ``key`` for this call (None), or the answer already kept under it."""
        for _ in range(3):
            async with self.sessionmaker() as s:
                s.add(RequestRow(idempotency_key=key, fingerprint=fingerprint))
                try:
                    await s.commit()
                    return None
                except IntegrityError:
                    await s.rollback()
                existing = await s.get(RequestRow, key)
                if existing is None:  # released meanwhile: claim again
                    continue
                if existing.fingerprint != fingerprint:
                    raise ProviderError(
                        IDEMPOTENCY_KEY_REUSED,
                        f"The idempotency key {key!r} was used with other parameters.",
                    )
                if existing.response is not None:
                    answer: dict[str, Any] = json.loads(existing.response)
                    return answer
                if existing.created_at > utcnow() - timedelta(seconds=self.abandoned_after):
                    raise ProviderError(CONFLICT, f"A request with the key {key!r} is still in flight.")
                # A claim its caller never finished (it crashed): take it over.
                await s.execute(
                    delete(RequestRow).where(RequestRow.idempotency_key == key, RequestRow.response.is_(None))
                )
                await s.commit()
        raise ProviderError(CONFLICT, f"The key {key!r} is contended; retry.")

    async def _release(self, key: str) -> None:
        async with self.sessionmaker() as s:
            await s.execute(delete(RequestRow).where(RequestRow.idempotency_key == key))
            await s.commit()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _charge(row: ChargeRow) -> Charge:
    return Charge(row.reference, PaymentState(row.state), row.amount_cents, row.currency, row.failure_code)


def _charge_json(c: Charge) -> dict[str, Any]:
    return {
        "reference": c.reference,
        "state": c.state.value,
        "amount_cents": c.amount_cents,
        "currency": c.currency,
        "failure_code": c.failure_code,
    }


def _answer(response: dict[str, Any]) -> Charge:
    if "error" in response:
        raise ProviderError(response["error"]["code"], response["error"]["message"])
    c = response["charge"]
    return Charge(
        c["reference"], PaymentState(c["state"]), c["amount_cents"], c["currency"], c["failure_code"]
    )
