"""When an alert's current run of failed delivery tries began, so delivery can give up on
an alert that keeps failing for a passing reason (MONITOR_DELIVERY_GIVE_UP_AFTER).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("first_failed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("first_failed_at")
