"""A service's messaging process: its outbox relay and its event consumer side by side, until told to stop.

``python -m subgraphs.<name>.worker`` runs one beside the HTTP service and can be restarted at any time:
unsent events stay in the outbox, unacknowledged ones in the stream. Settings from the environment:
``DATABASE_URL`` (as the service), ``NATS_URL`` (default ``nats://127.0.0.1:4222``), ``EVENTS_STREAM``,
``EVENTS_SUBJECT_PREFIX`` and ``EVENTS_DEAD_PREFIX`` (default ``EVENTS``, ``events``, ``dead``); the database
is migrated first, as the service does (``MIGRATE_ON_START``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import DeclarativeBase

from .db import Database, database_url
from .inbox import EventConsumer, Handler, InboxMixin
from .migrations import Migrations, migrate_on_start
from .outbox import DEFAULT_NATS_URL, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, OutboxMixin, OutboxRelay
from .telemetry import configure_tracing, instrument_engine

__all__ = ["DEFAULT_DEAD_PREFIX", "MessagingSettings", "relay_and_consume", "run_worker_process"]

DEFAULT_DEAD_PREFIX = "dead"


@dataclass(frozen=True)
class MessagingSettings:
    """Where a worker's events go and come from: the NATS servers, the stream and the subject prefixes."""

    servers: str = DEFAULT_NATS_URL
    stream: str = DEFAULT_STREAM
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX
    dead_letter_prefix: str = DEFAULT_DEAD_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MessagingSettings:
        env = os.environ if environ is None else environ
        return cls(
            servers=env.get("NATS_URL", DEFAULT_NATS_URL),
            stream=env.get("EVENTS_STREAM", DEFAULT_STREAM),
            subject_prefix=env.get("EVENTS_SUBJECT_PREFIX", DEFAULT_SUBJECT_PREFIX),
            dead_letter_prefix=env.get("EVENTS_DEAD_PREFIX", DEFAULT_DEAD_PREFIX),
        )

    def as_kwargs(self) -> dict[str, str]:
        return {
            "servers": self.servers,
            "stream": self.stream,
            "subject_prefix": self.subject_prefix,
            "dead_letter_prefix": self.dead_letter_prefix,
        }


async def relay_and_consume(
    db: Database,
    stop: asyncio.Event,
    *,
    outbox: type[OutboxMixin],
    inbox: type[InboxMixin],
    consumer_name: str,
    handlers: Mapping[str, Handler],
    servers: str = DEFAULT_NATS_URL,
    stream: str = DEFAULT_STREAM,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    dead_letter_prefix: str = DEFAULT_DEAD_PREFIX,
    alongside: Sequence[Awaitable[Any]] = (),
) -> None:
    """Relay ``outbox`` and consume with ``handlers`` (and run ``alongside``) until ``stop`` is set."""
    relay = OutboxRelay(db, outbox, servers=servers, stream=stream, subject_prefix=subject_prefix)
    consumer = EventConsumer(
        db,
        inbox,
        name=consumer_name,
        handlers=handlers,
        servers=servers,
        stream=stream,
        subject_prefix=subject_prefix,
        dead_letter_prefix=dead_letter_prefix,
    )
    try:
        await asyncio.gather(relay.run(stop), consumer.run(stop), *alongside)
    finally:
        await relay.close()
        await consumer.close()


Work = Callable[[Database, asyncio.Event, MessagingSettings], Awaitable[None]]


async def _main(service: str, base: type[DeclarativeBase], migrations: Migrations, work: Work) -> None:
    db = Database(database_url(service), base)
    # Traces to OTEL_EXPORTER_OTLP_ENDPOINT when set (subgraphs.common.telemetry): relay, consumer and SQL spans.
    tracing = configure_tracing(f"{service}-worker")
    instrument_engine(db.engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if migrate_on_start():
            await migrations.upgrade(db)
        await work(db, stop, MessagingSettings.from_env())
    finally:
        await db.dispose()
        if tracing is not None:
            tracing.shutdown()  # the last spans go out


def run_worker_process(service: str, base: type[DeclarativeBase], migrations: Migrations, work: Work) -> None:
    """The worker's ``__main__``: logging, the database (migrated), signals, then ``work`` until stopped."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    asyncio.run(_main(service, base, migrations, work))
