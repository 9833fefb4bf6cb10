"""``events``: what the event system is doing: streams, consumer lag, each service's outbox backlog, dead letters.

Read-only. Streams and consumers come from NATS JetStream; the outbox backlog (events written but not yet
published) from each service's own database, ``DATABASE_URL`` or ``<data-dir>/<service>.db`` as ``up`` runs
them; dead letters from the ``<stream>_DEAD`` stream with the reason their consumer gave.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "events", help="show event streams, consumer lag, outbox backlogs and dead letters"
    )
    p.add_argument("--config", default="gateway.yaml", help="the subgraph list (default: gateway.yaml)")
    p.add_argument("--nats", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"), help="NATS server")
    p.add_argument("--stream", default="EVENTS", help="the event stream (default: EVENTS)")
    p.add_argument(
        "--data-dir", default=os.environ.get("DATA_DIR", "data"), help="where the SQLite files live"
    )
    p.add_argument("--dead", type=int, default=10, help="how many of the latest dead letters to show")


def run(args: argparse.Namespace) -> int:
    from gateway.config import load_config

    services = [s.name for s in load_config(args.config).subgraphs if s.events is None]
    try:
        lines = asyncio.run(_report(args.nats, args.stream, services, Path(args.data_dir), args.dead))
    except OSError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    print("\n".join(lines), flush=True)
    return 0


async def _report(servers: str, stream: str, services: list[str], data_dir: Path, dead: int) -> list[str]:
    lines = await _jetstream(servers, stream, dead)
    lines += ["", "outbox backlog (written, not yet published)"]
    for name in services:
        lines.append(f"  {name:<12} {await _backlog(name, data_dir)}")
    return lines


async def _jetstream(servers: str, stream: str, dead: int) -> list[str]:
    import nats
    from nats.js.errors import NotFoundError

    try:
        nc = await nats.connect(servers, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception as exc:
        return [f"NATS at {servers} is not reachable: {type(exc).__name__}: {exc}"]
    lines = ["streams"]
    try:
        js = nc.jetstream()
        for name in (stream, f"{stream}_DEAD"):
            try:
                info = await js.stream_info(name)
            except NotFoundError:
                lines.append(f"  {name:<14} (not created yet)")
                continue
            st = info.state
            lines.append(f"  {name:<14} messages {st.messages:<7} last seq {st.last_seq:<7} bytes {st.bytes}")
        lines += ["", f"consumers of {stream} (pending: not yet delivered; ack pending: delivered, not done)"]
        try:
            consumers = await js.consumers_info(stream)
        except NotFoundError:
            consumers = []
        for c in sorted(consumers, key=lambda c: c.name):
            lines.append(
                f"  {c.name:<20} pending {c.num_pending or 0:<6} ack pending {c.num_ack_pending or 0:<6} "
                f"redelivered {c.num_redelivered or 0}"
            )
        if not consumers:
            lines.append("  (none)")
        lines += ["", f"dead letters (latest {dead}, with the reason)"]
        lines += await _dead_letters(js, f"{stream}_DEAD", dead)
    finally:
        await nc.close()
    return lines


async def _dead_letters(js: Any, stream: str, count: int) -> list[str]:
    from nats.js.errors import NotFoundError

    try:
        last = int((await js.stream_info(stream)).state.last_seq)
    except NotFoundError:
        return ["  (none)"]
    out: list[str] = []
    seq = last
    while seq > 0 and len(out) < count:
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:
            break
        headers = msg.headers or {}
        out.append(
            f"  #{seq} {msg.subject} (from {headers.get('Original-Subject', '?')}): "
            f"{headers.get('Dead-Letter-Reason', 'no reason given')}"
        )
        seq -= 1
    return out or ["  (none)"]


async def _backlog(service: str, data_dir: Path) -> str:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine

    url = _database_url(service, data_dir)
    if url is None:
        return "no database"
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT COUNT(*), MIN(occurred_at), MAX(attempts) FROM outbox WHERE sent_at IS NULL")
                )
            ).one()
    except SQLAlchemyError:
        return "no outbox"
    except OSError as exc:
        return f"database not reachable: {exc}"
    finally:
        await engine.dispose()
    unsent, oldest, attempts = row
    if not unsent:
        return "0"
    return f"{unsent} unsent (oldest {oldest}, most attempts {attempts or 0})"


def _database_url(service: str, data_dir: Path) -> str | None:
    url = os.environ.get("DATABASE_URL")
    if url:
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url
    path = data_dir / f"{service}.db"
    return f"sqlite+aiosqlite:///{path.resolve()}" if path.exists() else None
