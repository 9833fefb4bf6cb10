"""The events services tell each other about, as typed and versioned schemas in one place.

``catalogue`` holds the event types; ``envelope`` wraps one with its id, type, version, time and correlation
id, and encodes it to and from the JSON that travels on NATS JetStream.
"""

from .catalogue import (
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderStatusUpdated,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
    StockRejected,
    StockReleased,
    StockReserved,
)
from .envelope import (
    Envelope,
    Event,
    EventError,
    MalformedEvent,
    UnknownEventType,
    UnknownEventVersion,
    decode,
    encode,
    envelope,
    event_types,
    register,
)

__all__ = [
    "Envelope",
    "Event",
    "EventError",
    "MalformedEvent",
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
    "UnknownEventType",
    "UnknownEventVersion",
    "decode",
    "encode",
    "envelope",
    "event_types",
    "register",
]
