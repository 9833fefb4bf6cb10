"""``python -m subgraphs.orders.worker``: orders' messaging process: the outbox relay, the saga consumer and
the deadline sweep that rejects orders nobody answered for.

Settings as every worker's (``subgraphs.common.worker``), and ``ORDER_DEADLINE_SECONDS`` (default 120).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

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
from .saga import CONSUMER_NAME, DEFAULT_DEADLINE, OrderSaga

__all__ = ["run_worker"]

log = logging.getLogger("subgraphs.orders.worker")


async def run_worker(
    db: Database,
    stop: asyncio.Event,
    *,
    servers: str = DEFAULT_NATS_URL,
    stream: str = DEFAULT_STREAM,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    dead_letter_prefix: str = DEFAULT_DEAD_PREFIX,
    deadline: timedelta = DEFAULT_DEADLINE,
    sweep_interval: float = 5.0,
) -> None:
    """Relay orders' outbox, consume the participants' answers and sweep overdue orders until ``stop``."""
    saga = OrderSaga(subject_prefix=subject_prefix)

    async def sweep() -> None:
        while not stop.is_set():
            try:
                if rejected := await saga.reject_overdue(db, deadline):
                    log.warning("rejected %d orders that were not answered within %s", rejected, deadline)
            except Exception as exc:  # the database away: try again next round
                log.warning("deadline sweep: %s: %s", type(exc).__name__, exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=sweep_interval)
            except TimeoutError:
                pass

    await relay_and_consume(
        db,
        stop,
        outbox=OutboxRow,
        inbox=InboxRow,
        consumer_name=CONSUMER_NAME,
        handlers=saga.handlers(),
        servers=servers,
        stream=stream,
        subject_prefix=subject_prefix,
        dead_letter_prefix=dead_letter_prefix,
        alongside=[sweep()],
    )


async def _work(db: Database, stop: asyncio.Event, settings: MessagingSettings) -> None:
    deadline = timedelta(seconds=float(os.environ.get("ORDER_DEADLINE_SECONDS", "120")))
    await run_worker(db, stop, deadline=deadline, **settings.as_kwargs())  # type: ignore[arg-type]


if __name__ == "__main__":
    run_worker_process("orders", Base, MIGRATIONS, _work)
