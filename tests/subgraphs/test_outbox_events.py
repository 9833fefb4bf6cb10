"""Event schemas and their envelope: every type round-trips, and what cannot be read is refused with a reason."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from subgraphs.common import events as ev

EXAMPLES: list[ev.Event] = [
    ev.OrderPlaced(7, 3, 12_345, "EUR", (ev.OrderLine(1, 2), ev.OrderLine(9, 1)), "4242424242424242"),
    ev.OrderPlaced(8, None, 100, "USD", (), "tok_visa"),
    ev.StockReserved(7),
    ev.StockRejected(7, "out of stock", (9,)),
    ev.StockReleased(7),
    ev.PaymentAuthorized(7, 70, 12_345, "EUR", "fake_pi_1"),
    ev.PaymentFailed(7, 70, "card_declined"),
    ev.PaymentCaptured(7, 70, 12_345, "EUR"),
    ev.PaymentVoided(7, 70),
    ev.PaymentRefunded(7, 70, 12_345, "EUR", None),
    ev.OrderConfirmed(7),
    ev.OrderCancelled(7, "payment declined"),
    ev.OrderRejected(7, "stock: insufficient stock"),
    ev.OrderStatusUpdated(7, "SHIPPED"),
]


def test_every_registered_type_has_an_example():
    assert {(type(e).TYPE, type(e).VERSION) for e in EXAMPLES} == set(ev.event_types())


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip(event):
    env = ev.envelope(event, correlation_id="order-7")
    decoded = ev.decode(ev.encode(env))
    assert decoded == env
    assert decoded.payload == event and type(decoded.payload) is type(event)
    assert decoded.occurred_at.tzinfo is not None


def test_envelope_fields():
    env = ev.envelope(ev.StockReserved(1), correlation_id="c", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))
    raw = json.loads(ev.encode(env))
    assert raw == {
        "id": env.id,
        "type": "StockReserved",
        "version": 1,
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "correlation_id": "c",
        "payload": {"order_id": 1},
    }
    assert len(env.id) == 36 and env.id != ev.envelope(ev.StockReserved(1), correlation_id="c").id


def _encoded(**changes) -> bytes:
    raw = json.loads(ev.encode(ev.envelope(ev.PaymentFailed(1, 2, "x"), correlation_id="c")))
    raw.update(changes)
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"not json", ev.MalformedEvent, "malformed"),
        (b"[1]", ev.MalformedEvent, "malformed"),
        (_encoded(type="Spaceship"), ev.UnknownEventType, "unknown-type"),
        (_encoded(version=2), ev.UnknownEventVersion, "unknown-version"),
        (_encoded(version="1"), ev.MalformedEvent, "malformed"),
        (_encoded(occurred_at="2026-01-01T00:00:00"), ev.MalformedEvent, "malformed"),
        (_encoded(payload={"order_id": 1, "payment_id": 2}), ev.MalformedEvent, "malformed"),
        (_encoded(payload={"order_id": "1", "payment_id": 2, "reason": "x"}), ev.MalformedEvent, "malformed"),
        (
            _encoded(payload={"order_id": 1, "payment_id": 2, "reason": "x", "x": 1}),
            ev.MalformedEvent,
            "malformed",
        ),
        (
            _encoded(payload={"order_id": True, "payment_id": 2, "reason": "x"}),
            ev.MalformedEvent,
            "malformed",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "unknown-type",
        "newer-version",
        "version-string",
        "naive-time",
        "missing-field",
        "wrong-type",
        "unknown-field",
        "bool-for-int",
    ],
)
def test_what_cannot_be_read_is_refused(data, error, reason):
    with pytest.raises(error) as info:
        ev.decode(data)
    assert info.value.reason == reason


def test_nested_lines_are_checked():
    raw = json.loads(ev.encode(ev.envelope(EXAMPLES[0], correlation_id="c")))
    raw["payload"]["lines"][1]["quantity"] = "one"
    with pytest.raises(ev.MalformedEvent, match=r"lines\[1\]\.quantity"):
        ev.decode(json.dumps(raw).encode())


def test_a_second_version_is_a_second_class_and_both_decode():
    @dataclass(frozen=True)
    class StockReservedV2(ev.Event):
        TYPE: ClassVar[str] = "StockReserved"
        VERSION: ClassVar[int] = 2
        order_id: int
        warehouse: str

    registry = ev.envelope.__globals__["_REGISTRY"]
    ev.register(StockReservedV2)
    try:
        v2 = ev.envelope(StockReservedV2(1, "north"), correlation_id="c")
        assert ev.decode(ev.encode(v2)).payload == StockReservedV2(1, "north")
        assert ev.decode(ev.encode(ev.envelope(ev.StockReserved(1), correlation_id="c"))).version == 1
        with pytest.raises(ValueError, match="registered twice"):
            ev.register(dataclasses.make_dataclass("Other", [], bases=(StockReservedV2,), frozen=True))
    finally:
        registry.pop(("StockReserved", 2), None)
