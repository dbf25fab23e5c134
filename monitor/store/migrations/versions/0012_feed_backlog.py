"""A feed's backlog: when a feed was first polled successfully, and which articles its
first good poll queued (what it already held when added; baseline, never posted).

Feeds an earlier version already polled successfully are not new: their first good poll
is taken to be their last one, so their next poll alerts as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A feed polled before this migration: a stored success, or entries it gave.
_POLLED_BEFORE = """
UPDATE feed SET first_polled_at = last_fetched_at
WHERE last_fetched_at IS NOT NULL
  AND (last_status IS NOT NULL OR entry_count > 0
       OR EXISTS (SELECT 1 FROM feed_entry WHERE feed_entry.feed_id = feed.id))
"""


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("first_polled_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("article") as batch:
        batch.add_column(
            sa.Column("is_backlog", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(_POLLED_BEFORE)


def downgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.drop_column("is_backlog")
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("first_polled_at")
