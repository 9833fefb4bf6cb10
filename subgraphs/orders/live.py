"""The events that change an order's status, as ``orderStatusChanged`` watches them in every orders process."""

from __future__ import annotations

import os
from collections.abc import Hashable

from subgraphs.common.events import (
    Envelope,
    OrderCancelled,
    OrderConfirmed,
    OrderRejected,
    OrderStatusUpdated,
)
from subgraphs.common.live import LiveEvents
from subgraphs.common.outbox import DEFAULT_NATS_URL

__all__ = ["STATUS_EVENTS", "order_events"]

# Every move of an order's status after it was placed (placing writes PENDING, which a watcher reads first).
STATUS_EVENTS = (OrderConfirmed, OrderRejected, OrderCancelled, OrderStatusUpdated)


def _order_id(env: Envelope) -> Hashable | None:
    return getattr(env.payload, "order_id", None)


def order_events(subject_prefix: str, servers: str | None = None) -> LiveEvents:
    """Watchers by order key (``OrderRow.id``); NATS at ``servers`` or ``NATS_URL``."""
    return LiveEvents(
        [e.TYPE for e in STATUS_EVENTS],
        _order_id,
        servers=servers or os.environ.get("NATS_URL", DEFAULT_NATS_URL),
        subject_prefix=subject_prefix,
        name="orders-live",
    )
