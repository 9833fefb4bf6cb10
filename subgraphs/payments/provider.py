"""The payment provider boundary: what the payments service asks of a card processor, and what it answers.

Modelled on Stripe's PaymentIntents with manual capture: authorise (hold the amount), capture (take it), void
(release the hold), refund (give captured money back). Every call carries an idempotency key with Stripe's
semantics (https://docs.stripe.com/api/idempotent_requests): the first result under a key is kept and returned
again, a key reused with other parameters is refused, and a request whose key is still in flight gets a
conflict. A decline is an answer (a charge in state FAILED with a reason), not an error; errors are for calls
the provider did not answer (timeouts, outages), for refused keys and for moves the charge cannot make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .states import PaymentState

__all__ = [
    "CONFLICT",
    "IDEMPOTENCY_KEY_REUSED",
    "INVALID_REQUEST",
    "INVALID_STATE",
    "NOT_FOUND",
    "PROVIDER_ERROR",
    "TIMEOUT",
    "Charge",
    "PaymentProvider",
    "ProviderError",
]

IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
CONFLICT = "CONFLICT"
INVALID_REQUEST = "INVALID_REQUEST"
INVALID_STATE = "INVALID_STATE"
NOT_FOUND = "NOT_FOUND"
TIMEOUT = "TIMEOUT"
PROVIDER_ERROR = "PROVIDER_ERROR"


@dataclass(frozen=True)
class Charge:
    """A charge as the provider sees it after a call."""

    reference: str
    state: PaymentState
    amount_cents: int
    currency: str
    failure_code: str | None = None


class ProviderError(Exception):
    """A call the provider refused or did not answer; ``code`` is one of this module's constants.

    ``retryable`` says whether the same call (same idempotency key) may be sent again: after a timeout the
    charge may or may not have been made, and only the key makes a retry safe.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code in (TIMEOUT, PROVIDER_ERROR, CONFLICT)


class PaymentProvider(Protocol):
    async def authorize(
        self, *, amount_cents: int, currency: str, card_number: str, idempotency_key: str
    ) -> Charge: ...

    async def capture(self, reference: str, *, idempotency_key: str) -> Charge: ...

    async def void(self, reference: str, *, idempotency_key: str) -> Charge: ...

    async def refund(self, reference: str, *, idempotency_key: str) -> Charge: ...
