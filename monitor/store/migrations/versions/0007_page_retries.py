"""Retries of article pages whose fetch failed for a passing reason.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(
            sa.Column("fetch_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("next_fetch_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.drop_column("next_fetch_at")
        batch.drop_column("fetch_attempts")
