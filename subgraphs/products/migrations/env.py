"""Alembic's entry point for the products service's migrations: the metadata the revisions must produce."""

from subgraphs.common.migrations import run_env
from subgraphs.products.migrations import MIGRATIONS

run_env(MIGRATIONS.metadata)
