"""The users service's schema migrations (Alembic scripts in ``versions/``; ``subgraphs.common.migrations``)."""

from pathlib import Path

from subgraphs.common.migrations import Migrations

from ..models import Base

__all__ = ["MIGRATIONS"]

MIGRATIONS = Migrations("users", Path(__file__).parent, Base.metadata)
