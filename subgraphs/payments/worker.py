"""``python -m subgraphs.payments.worker``: payments' messaging process, the outbox relay and the saga consumer.

Settings from the environment: ``DATABASE_URL`` (as the service), ``NATS_URL`` (default
``nats://127.0.0.1:4222``), ``EVENTS_STREAM``, ``EVENTS_SUBJECT_PREFIX`` and ``EVENTS_DEAD_PREFIX`` (default ``EVENTS``, ``events``,
``dead``). It runs beside the HTTP service and can be restarted at any time: unsent events
stay in the outbox, unacknowledged ones in the stream.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from subgraphs.common.db import Database, database_url
from subgraphs.common.inbox import EventConsumer
from subgraphs.common.outbox import DEFAULT_NATS_URL, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, OutboxRelay
from subgraphs.common.telemetry import configure_tracing, instrument_engine

from .fake_provider import FakeProvider
from .models import Base, InboxRow, OutboxRow
from .provider import PaymentProvider
from .saga import CONSUMER_NAME, SagaParticipant

__all__ = ["run_worker"]


async def run_worker(
    db: Database,
    provider: PaymentProvider,
    stop: asyncio.Event,
    *,
    servers: str = DEFAULT_NATS_URL,
    stream: str = DEFAULT_STREAM,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    dead_letter_prefix: str = "dead",
) -> None:
    """Relay payments' outbox and consume the order events until ``stop`` is set."""
    relay = OutboxRelay(db, OutboxRow, servers=servers, stream=stream, subject_prefix=subject_prefix)
    consumer = EventConsumer(
        db,
        InboxRow,
        name=CONSUMER_NAME,
        handlers=SagaParticipant(provider, subject_prefix=subject_prefix).handlers(),
        servers=servers,
        stream=stream,
        subject_prefix=subject_prefix,
        dead_letter_prefix=dead_letter_prefix,
    )
    try:
        await asyncio.gather(relay.run(stop), consumer.run(stop))
    finally:
        await relay.close()
        await consumer.close()


async def _main() -> None:
    db = Database(database_url("payments"), Base)
    await db.create_tables()
    tracing = configure_tracing("payments-worker")
    instrument_engine(db.engine)
    provider = FakeProvider(db.engine)
    await provider.create_tables()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_worker(
            db,
            provider,
            stop,
            servers=os.environ.get("NATS_URL", DEFAULT_NATS_URL),
            stream=os.environ.get("EVENTS_STREAM", DEFAULT_STREAM),
            subject_prefix=os.environ.get("EVENTS_SUBJECT_PREFIX", DEFAULT_SUBJECT_PREFIX),
            dead_letter_prefix=os.environ.get("EVENTS_DEAD_PREFIX", "dead"),
        )
    finally:
        await db.dispose()
        if tracing is not None:
            tracing.shutdown()  # the last spans go out


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    asyncio.run(_main())
