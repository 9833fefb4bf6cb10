"""The payments service's schema migrations (Alembic scripts in ``versions/``; ``subgraphs.common.migrations``)."""

from pathlib import Path

from subgraphs.common.migrations import Migrations

from ..fake_provider import ProviderBase
from ..models import Base

__all__ = ["MIGRATIONS"]

# The fake payment provider keeps its state in payments' database, so its tables migrate with payments'.
MIGRATIONS = Migrations("payments", Path(__file__).parent, (Base.metadata, ProviderBase.metadata))
