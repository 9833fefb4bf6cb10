"""The life of a payment: pending -> authorized -> captured, or failed / voided / refunded; nothing else.

The same moves a card payment makes at a provider (Stripe's PaymentIntent: ``requires_capture`` ->
``succeeded``, ``canceled``, refunds of a captured charge).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["TRANSITIONS", "IllegalTransition", "PaymentState", "check_transition"]


class PaymentState(Enum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    FAILED = "FAILED"
    VOIDED = "VOIDED"
    REFUNDED = "REFUNDED"


TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    PaymentState.PENDING: frozenset({PaymentState.AUTHORIZED, PaymentState.FAILED}),
    PaymentState.AUTHORIZED: frozenset({PaymentState.CAPTURED, PaymentState.VOIDED}),
    PaymentState.CAPTURED: frozenset({PaymentState.REFUNDED}),
    PaymentState.FAILED: frozenset(),
    PaymentState.VOIDED: frozenset(),
    PaymentState.REFUNDED: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the state machine does not allow; carries both states for the error message."""

    def __init__(self, current: PaymentState, target: PaymentState) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        super().__init__(f"A payment cannot go from {current.value} to {target.value} (allowed: {allowed}).")
        self.current = current
        self.target = target


def check_transition(current: PaymentState, target: PaymentState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
