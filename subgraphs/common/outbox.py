"""The transactional outbox: events written in the same transaction as the change, published afterwards.

A service's models include ``OutboxMixin`` (``class OutboxRow(OutboxMixin, Base): pass``) and its writes call
``record(session, event, ...)`` before committing, so an event exists exactly when its change does. The
``OutboxRelay`` publishes unsent rows to NATS JetStream in order, each with ``Nats-Msg-Id`` = the event id,
and marks a row sent only after JetStream acknowledged it. A relay that dies between the two publishes the
row again on its next pass; JetStream drops the copy within the stream's duplicate window, and consumers'
inboxes (``subgraphs.common.inbox``) drop it after that. NATS being away is waited out with backoff.

A row keeps the trace context of the transaction that wrote it (``trace_context``), and the relay publishes it
in the message headers (W3C ``traceparent``), so consumers continue the trace (``subgraphs.common.telemetry``).

Rows of type ``NOTIFICATION`` (``subgraphs.common.notifications``) are published to their own subject as core
NATS messages, in the same order, marked sent once the server has them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .db import Database
from .events import Envelope, Event, encode, envelope
from .telemetry import publish_headers, trace_context_now
from .types import UTCDateTime, utcnow

__all__ = [
    "DEFAULT_NATS_URL",
    "DEFAULT_STREAM",
    "DEFAULT_SUBJECT_PREFIX",
    "NOTIFICATION",
    "OutboxMixin",
    "OutboxRelay",
    "connect",
    "ensure_stream",
    "record",
]

log = logging.getLogger("subgraphs.outbox")

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_STREAM = "EVENTS"
DEFAULT_SUBJECT_PREFIX = "events"
DUPLICATE_WINDOW_SECONDS = 120.0
# The ``type`` of outbox rows that are entity notifications (``subgraphs.common.notifications``), published as
# core NATS messages to their own subject rather than to the event stream.
NOTIFICATION = "EntityNotification"


class OutboxMixin:
    """The outbox table's columns; mix into a service's declarative base."""

    __tablename__ = "outbox"

    # The publish order: the order the events were recorded in.
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The W3C trace context (JSON of traceparent/tracestate) of the transaction that recorded the event.
    trace_context: Mapped[str | None] = mapped_column(String(1000), nullable=True)


def record(
    session: AsyncSession,
    model: type[OutboxMixin],
    event: Event | Envelope,
    *,
    correlation_id: str | None = None,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
) -> Envelope:
    """Add ``event`` to the outbox in ``session``'s transaction (the caller commits); its envelope."""
    if isinstance(event, Envelope):
        env = event
    else:
        if correlation_id is None:
            raise ValueError("a new event needs a correlation id")
        env = envelope(event, correlation_id=correlation_id)
    session.add(
        model(
            event_id=env.id,
            type=env.type,
            version=env.version,
            subject=f"{subject_prefix}.{env.type}",
            body=encode(env).decode(),
            correlation_id=env.correlation_id,
            occurred_at=env.occurred_at,
            trace_context=trace_context_now(),
        )
    )
    return env


async def connect(
    servers: str | Sequence[str] = DEFAULT_NATS_URL,
    *,
    name: str | None = None,
    reconnected_cb: Callable[[], Awaitable[None]] | None = None,
) -> NATS:
    """A connection that reconnects for ever: a NATS restart is an outage to wait out, not a crash."""
    return await nats.connect(
        servers=[servers] if isinstance(servers, str) else list(servers),
        name=name,
        error_cb=_log_nats_error,
        reconnected_cb=reconnected_cb,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
    )


async def _log_nats_error(exc: Exception) -> None:
    # One line, no traceback: while NATS is away this repeats on every reconnect attempt.
    log.warning("nats: %s: %s", type(exc).__name__, exc)


async def ensure_stream(
    js: JetStreamContext,
    name: str,
    subjects: Sequence[str],
    *,
    duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
) -> None:
    """Create stream ``name`` over ``subjects`` unless it exists (then it is left as it is)."""
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(name=name, subjects=list(subjects), duplicate_window=duplicate_window)
        )


class OutboxRelay:
    """Publishes one service's outbox to JetStream; run one per service (more are safe, only wasteful)."""

    def __init__(
        self,
        db: Database,
        model: type[OutboxMixin],
        *,
        servers: str | Sequence[str] = DEFAULT_NATS_URL,
        stream: str = DEFAULT_STREAM,
        subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
        batch_size: int = 100,
        poll_interval: float = 0.2,
        max_backoff: float = 5.0,
        publish_timeout: float = 2.0,
    ) -> None:
        self.db = db
        self.model = model
        self.servers = servers
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.publish_timeout = publish_timeout
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None

    async def start(self) -> None:
        """Connect and make sure the stream exists."""
        if self._nc is None:
            self._nc = await connect(self.servers, name="outbox-relay")
            self._js = self._nc.jetstream()
        assert self._js is not None
        await ensure_stream(self._js, self.stream, [f"{self.subject_prefix}.>"])

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()
        self._nc = self._js = None

    async def publish_pending(self) -> int:
        """One pass: publish unsent rows in order, stopping at the first failure; how many were published."""
        if self._js is None:
            await self.start()
        assert self._js is not None
        async with self.db.session() as s:
            stmt = (
                select(self.model)
                .where(self.model.sent_at.is_(None))
                .order_by(self.model.position)
                .limit(self.batch_size)
            )
            rows = list((await s.scalars(stmt)).all())
        published = 0
        for row in rows:
            try:
                with publish_headers(
                    row.subject, row.trace_context, {"Nats-Msg-Id": row.event_id}
                ) as headers:
                    if row.type == NOTIFICATION:
                        assert self._nc is not None
                        await self._nc.publish(row.subject, row.body.encode(), headers=headers)
                        # The server has it once the round trip is back; only then is the row sent.
                        await self._nc.flush(timeout=self.publish_timeout)
                    else:
                        await self._js.publish(
                            row.subject,
                            row.body.encode(),
                            timeout=self.publish_timeout,
                            stream=self.stream,
                            headers=headers,
                        )
            except Exception as exc:
                await self._failed(row.position, exc)
                raise
            await self.mark_sent(row.position)
            published += 1
        return published

    async def mark_sent(self, position: int) -> None:
        async with self.db.session() as s:
            await s.execute(
                update(self.model)
                .where(self.model.position == position)
                .values(sent_at=utcnow(), attempts=self.model.attempts + 1, last_error=None)
            )
            await s.commit()

    async def _failed(self, position: int, exc: Exception) -> None:
        async with self.db.session() as s:
            await s.execute(
                update(self.model)
                .where(self.model.position == position)
                .values(attempts=self.model.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
            )
            await s.commit()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; failures (NATS or the database away) back off and retry."""
        delay = self.poll_interval
        while not stop.is_set():
            try:
                published = await self.publish_pending()
                delay = self.poll_interval
                if published == self.batch_size:
                    continue  # more are waiting
            except Exception as exc:
                log.warning("outbox relay: %s: %s; retrying in %.1f s", type(exc).__name__, exc, delay)
                delay = min(delay * 2, self.max_backoff)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass
