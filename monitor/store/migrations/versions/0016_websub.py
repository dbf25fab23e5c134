"""WebSub push (issue 13): a feed's subscription to its hub, our callback and the lease.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "websub_subscription",
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id"), primary_key=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("hub_url", sa.Text()),
        sa.Column("topic_url", sa.Text()),
        sa.Column("callback_token", sa.Text(), nullable=False, unique=True),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("lease_seconds", sa.Integer()),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.Column("next_action_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_websub_subscription_next_action_at", "websub_subscription", ["next_action_at"]
    )


def downgrade() -> None:
    op.drop_table("websub_subscription")
