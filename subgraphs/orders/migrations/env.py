"""Alembic's entry point for the orders service's migrations: the metadata the revisions must produce."""

from subgraphs.common.migrations import run_env
from subgraphs.orders.migrations import MIGRATIONS

run_env(MIGRATIONS.metadata)
