"""Fixtures of the service tests: a test's own NATS stream, and a messaging database on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from subgraphs.common.db import Database
from tests.conftest import BACKENDS

from .messaging import Messaging, messaging_database, open_messaging


@pytest.fixture
async def messaging() -> AsyncIterator[Messaging]:
    async with open_messaging() as m:
        yield m


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    """A fresh database per test with an outbox, an inbox and an effects table (modules may override ``db``)."""
    async with messaging_database(request.param, tmp_path) as database:
        yield database
