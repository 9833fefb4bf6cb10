"""``python -m subgraphs.payments.worker``: payments' messaging process, the outbox relay and the saga consumer
(settings: ``subgraphs.common.worker``)."""

from __future__ import annotations

import asyncio

from subgraphs.common.db import Database
from subgraphs.common.outbox import DEFAULT_NATS_URL, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX
from subgraphs.common.worker import (
    DEFAULT_DEAD_PREFIX,
    MessagingSettings,
    relay_and_consume,
    run_worker_process,
)

from .fake_provider import FakeProvider
from .migrations import MIGRATIONS
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
    dead_letter_prefix: str = DEFAULT_DEAD_PREFIX,
) -> None:
    """Relay payments' outbox and consume the order events until ``stop`` is set."""
    await relay_and_consume(
        db,
        stop,
        outbox=OutboxRow,
        inbox=InboxRow,
        consumer_name=CONSUMER_NAME,
        handlers=SagaParticipant(provider, subject_prefix=subject_prefix).handlers(),
        servers=servers,
        stream=stream,
        subject_prefix=subject_prefix,
        dead_letter_prefix=dead_letter_prefix,
    )


async def _work(db: Database, stop: asyncio.Event, settings: MessagingSettings) -> None:
    # The fake provider's tables come with payments' migrations, run before this.
    await run_worker(db, FakeProvider(db.engine), stop, **settings.as_kwargs())


if __name__ == "__main__":
    run_worker_process("payments", Base, MIGRATIONS, _work)
