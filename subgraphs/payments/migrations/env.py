"""Alembic's entry point for the payments service's migrations: the metadata the revisions must produce."""

from subgraphs.common.migrations import run_env
from subgraphs.payments.migrations import MIGRATIONS

run_env(MIGRATIONS.metadata)
