"""``migrate``: bring services' databases to their code's schema revision (Alembic), or show where they stand.

Services upgrade their own database when they start; this is for doing it beforehand (a deploy step, a
Kubernetes init container) or for services started with ``MIGRATE_ON_START=false``. The database of a service
is ``--database-url``, else ``DATABASE_URL`` (both name one database: give one service with them), else
``<data-dir>/<service>.db`` as ``fedgw up`` runs them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("migrate", help="upgrade services' databases to their code's schema revision")
    p.add_argument("services", nargs="*", metavar="SERVICE", help="services to migrate (default: every one)")
    p.add_argument("--config", default="gateway.yaml", help="the subgraph list (default: gateway.yaml)")
    p.add_argument("--database-url", help="the database of the one service named")
    p.add_argument(
        "--data-dir", default=os.environ.get("DATA_DIR", "data"), help="where the SQLite files live"
    )
    p.add_argument("--revision", default="head", help="the revision to go to (default: head, the code's)")
    p.add_argument("--status", action="store_true", help="only show each database's revision; change nothing")


def _migrations(service: str) -> Any:
    try:
        module = importlib.import_module(f"subgraphs.{service}.migrations")
    except ModuleNotFoundError:
        return None
    return getattr(module, "MIGRATIONS", None)


def _url(service: str, args: argparse.Namespace) -> str:
    from subgraphs.common.db import normalise_url

    url = args.database_url or os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    path = Path(args.data_dir).resolve() / f"{service}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def run(args: argparse.Namespace) -> int:
    names = list(args.services)
    if not names:
        from gateway.config import ConfigError, load_config

        try:
            names = [s.name for s in load_config(args.config).subgraphs if _migrations(s.name) is not None]
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if (args.database_url or os.environ.get("DATABASE_URL")) and len(names) != 1:
        print("error: --database-url and DATABASE_URL name one database: name one service", file=sys.stderr)
        return 2
    unknown = [n for n in names if _migrations(n) is None]
    if unknown:
        print(f"error: no migrations for {', '.join(unknown)} (subgraphs.<name>.migrations)", file=sys.stderr)
        return 2
    return asyncio.run(_run(names, args))


async def _run(names: list[str], args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import DeclarativeBase

    from subgraphs.common.db import Database

    class _Base(DeclarativeBase):  # migrations bring their own metadata; the engine needs none
        pass

    failed = 0
    for name in names:
        migrations = _migrations(name)
        db = Database(_url(name, args), _Base)
        try:
            if args.status:
                state = await migrations.state(db)
            else:
                state = await migrations.upgrade(db, args.revision)
            at = ", ".join(state.current) or "empty"
            verdict = "current" if state.is_current else f"behind (code: {', '.join(state.heads)})"
            print(f"  {name:<10} {at:<8} {verdict}", flush=True)
            failed += args.status and not state.is_current
        except (SQLAlchemyError, OSError, RuntimeError) as exc:
            print(f"  {name:<10} failed: {type(exc).__name__}: {exc}", flush=True)
            failed += 1
        finally:
            await db.dispose()
    return 1 if failed else 0
