"""The publication date a feed or page stated, kept when it was implausible (year 9999,
1970) and the article is dated by its first sight instead.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("stated_published_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.drop_column("stated_published_at")
