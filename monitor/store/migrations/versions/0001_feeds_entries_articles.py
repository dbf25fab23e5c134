"""Feeds, feed entries and articles.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("interval_min", sa.Float(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("last_fetched_at", UTC_DATETIME),
        sa.Column("last_status", sa.Integer()),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_due_at", UTC_DATETIME),
    )
    op.create_index("ix_feed_next_due_at", "feed", ["next_due_at"])
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False, unique=True),
        sa.Column("canonical_url", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("outlet", sa.Text()),
        sa.Column("source_label", sa.Text()),
        sa.Column("author", sa.Text()),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id")),
        sa.Column("published_at", UTC_DATETIME),
        sa.Column("created_at", UTC_DATETIME),
        sa.Column("fetched_at", UTC_DATETIME),
        sa.Column("text", sa.Text()),
        sa.Column("content_hash", sa.Text()),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("duplicate_of", sa.Integer(), sa.ForeignKey("article.id")),
    )
    op.create_index("ix_article_published_at", "article", ["published_at"])
    op.create_index("ix_article_content_hash", "article", ["content_hash"])
    op.create_index("ix_article_status", "article", ["status"])
    op.create_table(
        "feed_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id"), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published_at", UTC_DATETIME),
        sa.Column("first_seen_at", UTC_DATETIME),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id")),
        sa.UniqueConstraint("feed_id", "guid", name="uq_feed_entry_guid"),
    )
    op.create_index("ix_feed_entry_feed_id", "feed_entry", ["feed_id"])
    op.create_index("ix_feed_entry_article_id", "feed_entry", ["article_id"])


def downgrade() -> None:
    op.drop_table("feed_entry")
    op.drop_table("article")
    op.drop_table("feed")
