"""Which incidents each article is about, and whether it looks like a new one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("matched_at", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column("is_new_incident", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "article_incident",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id"), primary_key=True),
        sa.Column("incident_id", sa.Text(), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
    )
    op.create_index("ix_article_incident_incident_id", "article_incident", ["incident_id"])


def downgrade() -> None:
    op.drop_table("article_incident")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("is_new_incident")
        batch.drop_column("matched_at")
