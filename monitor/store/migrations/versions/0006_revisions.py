"""Re-checks of published articles and the revisions they find.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(
            sa.Column("recheck_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("next_recheck_at", sa.DateTime(timezone=True)))
    op.create_index("ix_article_next_recheck_at", "article", ["next_recheck_at"])
    op.create_table(
        "article_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_article_revision_article_id", "article_revision", ["article_id"])


def downgrade() -> None:
    op.drop_table("article_revision")
    op.drop_index("ix_article_next_recheck_at", "article")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("next_recheck_at")
        batch.drop_column("recheck_count")
