"""Alembic's entry point for the users service's migrations: the metadata the revisions must produce."""

from subgraphs.common.migrations import run_env
from subgraphs.users.migrations import MIGRATIONS

run_env(MIGRATIONS.metadata)
