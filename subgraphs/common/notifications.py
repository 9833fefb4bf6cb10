"""Entity notifications for the gateway's event-driven subscriptions: ``{"__typename": ..., <key fields>}`` on a
NATS subject that a subgraph SDL names with ``@edfs__natsSubscribe``; the gateway resolves the rest of the
entity from the subgraphs that own it.

They travel through the service's outbox, written in the transaction of the change they tell of (so one exists
exactly when its change does) and published by the outbox relay, but as core NATS messages, not to JetStream:
a notification is for whoever listens now, not a record to replay, and keeping it out of the event stream keeps
it out of every consumer's way (a consumer filtering on the whole prefix would have to refuse it).
Delivery is at least once: a relay that dies between publishing and marking the row sent publishes it again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .outbox import NOTIFICATION, OutboxMixin
from .types import utcnow

__all__ = ["NOTIFICATION", "notify"]


def notify(
    session: AsyncSession,
    model: type[OutboxMixin],
    subject: str,
    typename: str,
    key: Mapping[str, Any],
) -> dict[str, Any]:
    """Add a notification that entity ``typename`` with ``key`` is news on ``subject``; the message."""
    message = {"__typename": typename, **key}
    session.add(
        model(
            event_id=str(uuid.uuid4()),
            type=NOTIFICATION,
            version=1,
            subject=subject,
            body=json.dumps(message, separators=(",", ":"), sort_keys=True),
            correlation_id=f"{typename}:{json.dumps(dict(key), sort_keys=True)}"[:100],
            occurred_at=utcnow(),
        )
    )
    return message
