"""A feed's articles are attributed to the feed (its name, or its `source:` label),
never to the name a page gives itself (og:site_name, kept as article.outlet).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("source_label", sa.Text()))
    # Articles already queued by a feed were attributed to their page's own name;
    # from now on they are their feed's, like every new one.
    op.execute(
        "UPDATE article SET source_label = "
        "(SELECT feed.name FROM feed WHERE feed.id = article.feed_id) "
        "WHERE origin = 'feed' AND source_label IS NULL AND feed_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("source_label")
