"""Consuming events exactly once in effect: a durable JetStream consumer and an inbox of processed event ids.

Per message: decode it, open a transaction, skip it if its event id is already in the inbox, else run the
handler and insert the id, commit, and only then acknowledge. A crash before the commit leaves nothing and
the message comes again; a crash after the commit but before the ack brings it again too, and the inbox says
it was done. A failing handler is redelivered with backoff; after ``max_attempts`` deliveries (or at once
when the message cannot be decoded: malformed, an unknown type or version) it goes to the dead-letter subject
with the reason in a header, and is acknowledged so it no longer blocks anything. The stream, the dead-letter
stream and the durable consumer are created at start when missing, so an event published before the consumer
first ran is still delivered. Each message is handled in a ``process`` span that continues the trace context
its headers carry (``subgraphs.common.telemetry``), so the events the handler records continue it too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .db import Database
from .events import Envelope, EventError, decode
from .outbox import (
    DEFAULT_NATS_URL,
    DEFAULT_STREAM,
    DEFAULT_SUBJECT_PREFIX,
    connect,
    ensure_stream,
)
from .telemetry import consume_span
from .types import UTCDateTime, utcnow

__all__ = ["DEFAULT_BACKOFF", "EventConsumer", "Handler", "InboxMixin", "Outcome", "RejectEvent"]

log = logging.getLogger("subgraphs.inbox")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
DEFAULT_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)


class InboxMixin:
    """The inbox table's columns; mix into a service's declarative base. One inbox per consumer name."""

    __tablename__ = "inbox"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RejectEvent(Exception):
    """Raised by a handler for an event it can never handle: dead-lettered at once, without retries."""


class Outcome(Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # already in the inbox: no second effect
    IGNORED = "ignored"  # a type this consumer has no handler for
    RETRY = "retry"  # the handler failed; redelivered after a delay
    DEAD = "dead"  # sent to the dead-letter subject


def _has_filter_subjects(nc: NATS) -> bool:
    version = nc.connected_server_version
    return (version.major, version.minor) >= (2, 10)


class EventConsumer:
    """One durable consumer of ``subjects`` on ``stream``, running ``handlers`` by event type."""

    def __init__(
        self,
        db: Database,
        model: type[InboxMixin],
        *,
        name: str,
        handlers: Mapping[str, Handler],
        servers: str | Sequence[str] = DEFAULT_NATS_URL,
        stream: str = DEFAULT_STREAM,
        subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
        subjects: Sequence[str] | None = None,
        dead_letter_prefix: str = "dead",
        max_attempts: int = 5,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        ack_wait: float = 30.0,
        batch_size: int = 50,
    ) -> None:
        self.db = db
        self.model = model
        self.name = name
        self.handlers = dict(handlers)
        self.servers = servers
        self.stream = stream
        self.subject_prefix = subject_prefix
        # By default only the types it handles: other events are not this consumer's business.
        self.subjects = list(subjects or [f"{subject_prefix}.{t}" for t in sorted(self.handlers)])
        self.dead_letter_subject = f"{dead_letter_prefix}.{name}"
        self.dead_letter_stream = f"{stream}_DEAD"
        self.dead_letter_prefix = dead_letter_prefix
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.ack_wait = ack_wait
        self.batch_size = batch_size
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._sub: JetStreamContext.PullSubscription | None = None

    async def start(self) -> None:
        """Connect; create the streams and the durable consumer if missing."""
        if self._sub is not None:
            return
        if self._nc is None:
            self._nc = await connect(self.servers, name=f"consumer-{self.name}")
            self._js = self._nc.jetstream()
        assert self._js is not None
        await ensure_stream(self._js, self.stream, [f"{self.subject_prefix}.>"])
        await ensure_stream(self._js, self.dead_letter_stream, [f"{self.dead_letter_prefix}.>"])
        subjects = self.subjects
        if len(subjects) > 1 and not _has_filter_subjects(self._nc):
            # Servers before 2.10 know one filter subject only: take the whole prefix, ignore the rest here.
            subjects = [f"{self.subject_prefix}.>"]
        config = ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            # Deliveries are counted here, not by the server, so the last one can be dead-lettered.
            max_deliver=-1,
            filter_subjects=subjects if len(subjects) > 1 else None,
        )
        self._sub = await self._js.pull_subscribe(
            subjects[0] if len(subjects) == 1 else "", durable=self.name, stream=self.stream, config=config
        )

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()
        self._nc = self._js = self._sub = None

    async def process_batch(self, wait: float = 1.0) -> list[Outcome]:
        """Fetch what is waiting (up to ``batch_size``, waiting up to ``wait`` seconds) and handle each in order."""
        await self.start()
        assert self._sub is not None
        try:
            messages = await self._sub.fetch(self.batch_size, timeout=wait)
        except (nats.errors.TimeoutError, TimeoutError):  # nothing waiting (nats-py raises either)
            return []
        return [await self.handle(msg) for msg in messages]

    async def run(self, stop: asyncio.Event, *, max_backoff: float = 5.0) -> None:
        """Consume until ``stop`` is set; NATS or the database being away is waited out with backoff."""
        delay = 0.2
        while not stop.is_set():
            try:
                await self.process_batch(wait=1.0)
                delay = 0.2
                continue
            except Exception as exc:
                log.warning(
                    "consumer %s: %s: %s; retrying in %.1f s", self.name, type(exc).__name__, exc, delay
                )
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, max_backoff)

    async def handle(self, msg: Msg) -> Outcome:
        with consume_span(msg.subject, msg.headers, self.name):
            return await self._handle(msg)

    async def _handle(self, msg: Msg) -> Outcome:
        try:
            env = decode(msg.data)
        except EventError as exc:
            await self._dead_letter(msg, f"{exc.reason}: {exc}", event_id=None)
            return Outcome.DEAD
        handler = self.handlers.get(env.type)
        if handler is None:
            await self.acknowledge(msg)
            return Outcome.IGNORED
        try:
            outcome = await self._apply(handler, env)
        except RejectEvent as exc:
            log.error("consumer %s: event %s rejected: %s", self.name, env.id, exc)
            await self._dead_letter(msg, f"rejected: {exc}", event_id=env.id)
            return Outcome.DEAD
        except Exception as exc:
            attempts = msg.metadata.num_delivered or 1
            reason = f"handler failed on delivery {attempts}: {type(exc).__name__}: {exc}"
            if attempts >= self.max_attempts:
                log.error("consumer %s: event %s dead-lettered: %s", self.name, env.id, reason)
                await self._dead_letter(msg, reason, event_id=env.id)
                return Outcome.DEAD
            log.warning("consumer %s: event %s: %s", self.name, env.id, reason)
            await msg.nak(delay=self.backoff[min(attempts, len(self.backoff)) - 1])
            return Outcome.RETRY
        await self.acknowledge(msg)
        return outcome

    async def _apply(self, handler: Handler, env: Envelope) -> Outcome:
        key = (self.name, env.id)
        try:
            async with self.db.session() as s, s.begin():
                if await s.get(self.model, key) is not None:
                    return Outcome.DUPLICATE
                await handler(s, env)
                s.add(self.model(consumer=self.name, event_id=env.id, type=env.type))
        except IntegrityError:
            # Another replica processed the same event and committed first: its effect stands, ours is undone.
            async with self.db.session() as s:
                if await s.get(self.model, key) is not None:
                    return Outcome.DUPLICATE
            raise
        return Outcome.PROCESSED

    async def acknowledge(self, msg: Msg) -> None:
        """Ack after the commit; a separate step so a crash between the two can be exercised."""
        await msg.ack()

    async def _dead_letter(self, msg: Msg, reason: str, *, event_id: str | None) -> None:
        assert self._js is not None
        headers = {
            "Dead-Letter-Reason": " ".join(reason.split())[:500],
            "Dead-Letter-Consumer": self.name,
            "Original-Subject": msg.subject,
            "Original-Sequence": str(msg.metadata.sequence.stream),
            "Nats-Msg-Id": f"{self.name}:{event_id or msg.metadata.sequence.stream}",
        }
        await self._js.publish(
            self.dead_letter_subject, msg.data, headers=headers, stream=self.dead_letter_stream
        )
        await msg.ack()
