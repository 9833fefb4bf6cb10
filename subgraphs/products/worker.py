"""``python -m subgraphs.products.worker``: products' messaging process, the outbox relay and the stock consumer
(settings: ``subgraphs.common.worker``; ``LOW_STOCK_LEVEL`` and ``STOCK_LOW_SUBJECT``: ``stock_low``)."""

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

from .migrations import MIGRATIONS
from .models import Base, InboxRow, OutboxRow
from .saga import CONSUMER_NAME, StockKeeper
from .stock_low import StockLow

__all__ = ["run_worker"]


async def run_worker(
    db: Database,
    stop: asyncio.Event,
    *,
    servers: str = DEFAULT_NATS_URL,
    stream: str = DEFAULT_STREAM,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    dead_letter_prefix: str = DEFAULT_DEAD_PREFIX,
    stock_low: StockLow | None = None,
) -> None:
    """Relay products' outbox and consume the order events until ``stop`` is set."""
    await relay_and_consume(
        db,
        stop,
        outbox=OutboxRow,
        inbox=InboxRow,
        consumer_name=CONSUMER_NAME,
        handlers=StockKeeper(subject_prefix=subject_prefix, stock_low=stock_low).handlers(),
        servers=servers,
        stream=stream,
        subject_prefix=subject_prefix,
        dead_letter_prefix=dead_letter_prefix,
    )


async def _work(db: Database, stop: asyncio.Event, settings: MessagingSettings) -> None:
    await run_worker(db, stop, **settings.as_kwargs(), stock_low=StockLow.from_env())


if __name__ == "__main__":
    run_worker_process("products", Base, MIGRATIONS, _work)
