"""Every event type, version by version: the order saga's messages between orders, products and payments.

Money is integer cents with an ISO 4217 currency; entities are named by their database keys in the owning
service (``order_id`` is the orders service's key), like the services' own tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .envelope import Event, register

__all__ = [
    "OrderCancelled",
    "OrderConfirmed",
    "OrderLine",
    "OrderPlaced",
    "OrderRejected",
    "OrderStatusUpdated",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentVoided",
    "StockRejected",
    "StockReleased",
    "StockReserved",
]


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int


@register
@dataclass(frozen=True)
class OrderPlaced(Event):
    """Orders: a customer placed an order; stock is to be reserved and the amount authorised.

    ``payment_token`` names the customer's payment method at the provider (never a card number in a real
    deployment; the fake provider reads its test card numbers as tokens).
    """

    TYPE: ClassVar[str] = "OrderPlaced"
    VERSION: ClassVar[int] = 1
    order_id: int
    user_id: int | None
    amount_cents: int
    currency: str
    lines: tuple[OrderLine, ...]
    payment_token: str


@register
@dataclass(frozen=True)
class StockReserved(Event):
    """Products: every line of the order is held."""

    TYPE: ClassVar[str] = "StockReserved"
    VERSION: ClassVar[int] = 1
    order_id: int


@register
@dataclass(frozen=True)
class StockRejected(Event):
    """Products: some line could not be held; nothing was."""

    TYPE: ClassVar[str] = "StockRejected"
    VERSION: ClassVar[int] = 1
    order_id: int
    reason: str
    product_ids: tuple[int, ...]


@register
@dataclass(frozen=True)
class StockReleased(Event):
    """Products: the order's held stock is back on sale (compensation)."""

    TYPE: ClassVar[str] = "StockReleased"
    VERSION: ClassVar[int] = 1
    order_id: int


@register
@dataclass(frozen=True)
class PaymentAuthorized(Event):
    """Payments: the amount is held on the customer's card (the saga's pivot)."""

    TYPE: ClassVar[str] = "PaymentAuthorized"
    VERSION: ClassVar[int] = 1
    order_id: int
    payment_id: int
    amount_cents: int
    currency: str
    provider_reference: str


@register
@dataclass(frozen=True)
class PaymentFailed(Event):
    """Payments: authorisation was declined or could not be done."""

    TYPE: ClassVar[str] = "PaymentFailed"
    VERSION: ClassVar[int] = 1
    order_id: int
    payment_id: int
    reason: str


@register
@dataclass(frozen=True)
class PaymentCaptured(Event):
    """Payments: the held amount was taken."""

    TYPE: ClassVar[str] = "PaymentCaptured"
    VERSION: ClassVar[int] = 1
    order_id: int
    payment_id: int
    amount_cents: int
    currency: str


@register
@dataclass(frozen=True)
class PaymentVoided(Event):
    """Payments: the hold was released without taking money (compensation before capture)."""

    TYPE: ClassVar[str] = "PaymentVoided"
    VERSION: ClassVar[int] = 1
    order_id: int
    payment_id: int


@register
@dataclass(frozen=True)
class PaymentRefunded(Event):
    """Payments: captured money was given back (by staff, or as compensation after capture)."""

    TYPE: ClassVar[str] = "PaymentRefunded"
    VERSION: ClassVar[int] = 1
    order_id: int
    payment_id: int
    amount_cents: int
    currency: str
    reason: str | None


@register
@dataclass(frozen=True)
class OrderConfirmed(Event):
    """Orders: stock is held and payment authorised; the order will be fulfilled."""

    TYPE: ClassVar[str] = "OrderConfirmed"
    VERSION: ClassVar[int] = 1
    order_id: int


@register
@dataclass(frozen=True)
class OrderCancelled(Event):
    """Orders: the order will not be fulfilled; what was held is to be released."""

    TYPE: ClassVar[str] = "OrderCancelled"
    VERSION: ClassVar[int] = 1
    order_id: int
    reason: str


@register
@dataclass(frozen=True)
class OrderRejected(Event):
    """Orders: the order ends without being fulfilled (stock, payment or time ran out); holds are released."""

    TYPE: ClassVar[str] = "OrderRejected"
    VERSION: ClassVar[int] = 1
    order_id: int
    reason: str


@register
@dataclass(frozen=True)
class OrderStatusUpdated(Event):
    """Orders: staff moved an order outside the saga (fulfilment: SHIPPED, DELIVERED); for watchers only."""

    TYPE: ClassVar[str] = "OrderStatusUpdated"
    VERSION: ClassVar[int] = 1
    order_id: int
    status: str
