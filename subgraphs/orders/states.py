"""The life of an order: the statuses and the only moves between them.

The saga (``subgraphs.orders.saga``) moves an order PENDING -> CONFIRMED or REJECTED and a confirmed one to
CANCELLED; fulfilment moves it on to SHIPPED and DELIVERED. PAID is the status of orders placed before
payments joined the saga (the seed data), kept so their history stays readable and movable.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "SAGA_STATUSES",
    "TRANSITIONS",
    "IllegalTransition",
    "OrderStatus",
    "check_transition",
    "successors",
]


class OrderStatus(Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.PAID, OrderStatus.CANCELLED}
    ),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

# Statuses only the saga sets: stock and payment follow them, so a plain status update may not.
SAGA_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED})


class IllegalTransition(ValueError):
    """A move the table does not allow; carries both statuses for the error message."""

    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        super().__init__(f"An order cannot go from {current.value} to {target.value} (allowed: {allowed}).")
        self.current = current
        self.target = target


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def successors(status: OrderStatus) -> frozenset[OrderStatus]:
    """Every status reachable from ``status`` by one move or more (the table has no cycles)."""
    found: set[OrderStatus] = set()
    todo = list(TRANSITIONS[status])
    while todo:
        nxt = todo.pop()
        if nxt not in found:
            found.add(nxt)
            todo.extend(TRANSITIONS[nxt])
    return frozenset(found)
