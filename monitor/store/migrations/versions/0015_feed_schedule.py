"""The adaptive schedule (issue 13): a feed's own interval from feeds.yaml, why its
interval is what it is, until when a server hint forbids polling it, and the wait
the feed document asks for.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("own_interval_min", sa.Float(), nullable=True))
        batch.add_column(sa.Column("interval_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("hint_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("document_refresh_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("document_refresh_s")
        batch.drop_column("hint_until")
        batch.drop_column("interval_reason")
        batch.drop_column("own_interval_min")
