"""Money as an exact value type shared by the services that price things (Decimal amounts, never float)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

import strawberry

__all__ = ["CENT", "Currency", "Money", "money"]

CENT = Decimal("0.01")


@strawberry.enum(description="ISO 4217 currency codes the shop prices in.")
class Currency(Enum):
    EUR = "EUR"
    USD = "USD"
    GBP = "GBP"


@strawberry.federation.type(shareable=True, description="An exact amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(description="Exact decimal amount, serialised as a string.")
    currency: Currency


def money(amount: Decimal | int | str, currency: Currency | str) -> Money:
    return Money(
        amount=Decimal(amount).quantize(CENT, rounding=ROUND_HALF_EVEN),
        currency=currency if isinstance(currency, Currency) else Currency(currency),
    )
