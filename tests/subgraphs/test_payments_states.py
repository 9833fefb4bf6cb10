"""The payment state machine: exactly the moves of a card payment, every other move refused."""

from __future__ import annotations

import itertools

import pytest

from subgraphs.payments.states import TRANSITIONS, IllegalTransition, PaymentState, check_transition

S = PaymentState
ALLOWED = {
    (S.PENDING, S.AUTHORIZED),
    (S.PENDING, S.FAILED),
    (S.AUTHORIZED, S.CAPTURED),
    (S.AUTHORIZED, S.VOIDED),
    (S.CAPTURED, S.REFUNDED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)), ids=lambda s: s.value)
def test_every_move(current, target):
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as info:
            check_transition(current, target)
        assert f"from {current.value} to {target.value}" in str(info.value)


def test_the_table_is_the_rules_and_end_states_are_final():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert all(not TRANSITIONS[s] for s in (S.FAILED, S.VOIDED, S.REFUNDED))
    with pytest.raises(IllegalTransition, match=r"allowed: CAPTURED, VOIDED"):
        check_transition(S.AUTHORIZED, S.REFUNDED)
