"""Index payments newest first: ``payments(first:, after:)`` pages by (created_at, id) descending, which without
the index sorts every payment for each page.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_payments_created", "payments", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payments_created", table_name="payments")
