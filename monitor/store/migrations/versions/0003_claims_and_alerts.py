"""The claim ledger and the alert outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.Text()),
        sa.Column("slot", sa.Text(), nullable=False),
        sa.Column("value_json", sa.Text(), nullable=False),
        sa.Column("qualifier", sa.Text()),
        sa.Column("speaker", sa.Text(), nullable=False),
        sa.Column("stance", sa.Text(), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("sentence_index", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("article_url", sa.Text(), nullable=False),
        sa.Column("published_at", UTC_DATETIME),
        sa.Column("corroborates_id", sa.Integer(), sa.ForeignKey("claim.id")),
    )
    op.create_index("ix_claim_article_id", "claim", ["article_id"])
    op.create_index("ix_claim_subject", "claim", ["subject"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedup_key", sa.Text(), nullable=False, unique=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text()),
        sa.Column("incident_id", sa.Text()),
        sa.Column("slot", sa.Text()),
        sa.Column("previous_json", sa.Text()),
        sa.Column("earlier_json", sa.Text(), nullable=False),
        sa.Column("current_json", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("article_url", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME),
        sa.Column("is_seeded", sa.Boolean(), nullable=False),
        sa.Column("delivery_status", sa.Text(), nullable=False),
        sa.Column("delivered_at", UTC_DATETIME),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_attempt_at", UTC_DATETIME),
        sa.Column("slack_channel", sa.Text()),
        sa.Column("slack_ts", sa.Text()),
    )
    op.create_index("ix_alert_incident_id", "alert", ["incident_id"])
    op.create_index("ix_alert_created_at", "alert", ["created_at"])
    op.create_index("ix_alert_delivery_status", "alert", ["delivery_status"])


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_table("claim")
